#!/usr/bin/env python3
"""kernel_bench against kernel_bench: two builds, alternating, min per case.

    python3 bench/kernel_ab.py OLD/bench/kernel_bench build/bench/kernel_bench \\
        --filter '^mv2/.*/fast/threads:1' [--rounds 8] [--min-time 0.05] [--simd AVX2]

Whether a kernel change pays, case by case. Each round runs every binary once
(its --benchmark_filter cases, --benchmark_min_time each), the order
alternating per round; per case it prints each binary's min and median over
the rounds (times in us, as kernel_bench reports them) and the last binary's
ratio to the first. On a shared host whose speed swings by 30% within
minutes, the min over rounds is the steadier figure; the median shows how
noisy the rounds were. --simd runs both on that Highway target (kernel_bench
--simd: an AVX2 machine's code on an AVX-512 one). Build the other side with `git worktree add` (see
README.md, ab.py). Standard library only.
"""
import argparse
import collections
import re
import subprocess
import sys


def run_once(binary, pattern, min_time, simd):
    command = [binary, f"--benchmark_filter={pattern}", f"--benchmark_min_time={min_time}"]
    if simd:
        command.append(f"--simd={simd}")
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"kernel_ab: {binary} failed (exit {out.returncode}): {out.stderr.strip()[:500]}")
    times = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^(\S+?)(?:/manual_time)?\s+([\d.]+) (ns|us|ms)\b", line)
        if m:
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[m.group(3)]
            times[m.group(1)] = float(m.group(2)) * scale
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+", help="kernel_bench binaries; ratios are last / first")
    parser.add_argument("--filter", required=True, help="--benchmark_filter regex")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--min-time", type=float, default=0.05, help="--benchmark_min_time per case")
    parser.add_argument("--simd", help="Highway target for both (kernel_bench --simd), e.g. AVX2")
    args = parser.parse_args()
    if len(args.binaries) < 2:
        parser.error("give at least two kernel_bench binaries")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    times = collections.defaultdict(lambda: collections.defaultdict(list))
    for r in range(args.rounds):
        order = args.binaries if r % 2 == 0 else list(reversed(args.binaries))
        for binary in order:
            for case, t in run_once(binary, args.filter, args.min_time, args.simd).items():
                times[case][binary].append(t)
    if not times:
        sys.exit(f"kernel_ab: no case matched --filter {args.filter!r}")
    first, last = args.binaries[0], args.binaries[-1]
    for case, per_binary in times.items():
        if any(not per_binary[b] for b in args.binaries):
            print(f"{case}: missing from some binary, skipped")
            continue
        mins = [min(per_binary[b]) for b in args.binaries]
        medians = [sorted(per_binary[b])[len(per_binary[b]) // 2] for b in args.binaries]
        print(f"{case:58s} min " + " ".join(f"{x:9.1f}" for x in mins) +
              f"  last/first {min(per_binary[last]) / min(per_binary[first]):.3f}"
              f" | median " + " ".join(f"{x:9.1f}" for x in medians))


if __name__ == "__main__":
    main()
