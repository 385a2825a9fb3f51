#!/usr/bin/env python3
"""litevit against litevit: one model, two configurations, alternating bursts.

    python3 bench/ab.py mobilevit_xxs --b "--disable-kernel linear_hwy" [--a ""] [--rounds 24]
        [--threads 2] [--batch 1] [--litevit build/cli/litevit]
        [--a-litevit OLD_BUILD/cli/litevit] [--b-litevit ...]

Whether a change pays in a whole model. --a and --b are extra `litevit bench`
flags for each side; NAME=VALUE words among them are set in that process's
environment instead; --a-litevit / --b-litevit run that side on another
binary (another commit's build). Two `litevit bench --serve` processes (compare.py's
Engine), each warmed up for about 1 s, then --rounds rounds of one burst of
about --min-time s each, in an order that alternates per round. Prints the
median latency of each side and B/A as the median of the per-round ratios
with its quartiles.

On a shared host whose speed drifts by 20-50% over seconds, two runs of the
same binary (A = B) gave per-round-ratio medians within 2.5% of 1 over 24
rounds; a process per configuration run one after the other could not tell
changes of under 5% apart.
Standard library only; any python3 can run it.
"""
import argparse
import os
import statistics
import sys

from compare import Engine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--a", default="", help="flags (and NAME=VALUE environment) of side A")
    p.add_argument("--b", default="", help="flags (and NAME=VALUE environment) of side B")
    p.add_argument("--rounds", type=int, default=24)
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per burst (at least 3 runs)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--litevit", default=os.path.join(ROOT, "build", "cli", "litevit"))
    p.add_argument("--a-litevit", help="side A's litevit binary (default: --litevit)")
    p.add_argument("--b-litevit", help="side B's litevit binary (default: --litevit)")
    return p.parse_args()


def start(name, spec, binary, args):
    """Side `name`'s `litevit bench --serve` on `binary` (compare.py's Engine), with the flags and environment of `spec`."""
    env, flags = dict(os.environ), []
    for word in spec.split():
        if "=" in word and not word.startswith("-"):
            key, value = word.split("=", 1)
            env[key] = value
        else:
            flags.append(word)
    cmd = [binary, "bench", args.model, "--serve", "--threads", str(args.threads),
           "--batch", str(args.batch)] + flags
    return Engine(name, cmd, env)


def median_of_burst(side, runs):
    return statistics.median(side.burst(runs)[0])


def main():
    args = parse_args()
    try:
        a = start("A", args.a, args.a_litevit or args.litevit, args)
        b = start("B", args.b, args.b_litevit or args.litevit, args)
        for side in (a, b):   # ~1 s untimed (a fresh process's first runs are slow), then a probe
            side.calibrate(args.min_time)
    except (RuntimeError, OSError) as e:   # OSError: a binary that is missing or not executable
        sys.exit(f"ab.py: {e}")
    runs = a.runs_per_burst   # the same count on both sides
    a_ms, b_ms, ratios = [], [], []
    for i in range(args.rounds):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        times = {first.name: median_of_burst(first, runs), second.name: median_of_burst(second, runs)}
        a_ms.append(times["A"])
        b_ms.append(times["B"])
        ratios.append(times["B"] / times["A"])
    a.close()
    b.close()
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    print(f"{args.model}: A {statistics.median(a_ms):.2f} ms, B {statistics.median(b_ms):.2f} ms, "
          f"B/A {statistics.median(ratios):.3f} (quartiles {q[0]:.3f}-{q[2]:.3f}; {args.rounds} rounds of {runs} runs, "
          f"threads {args.threads}, batch {args.batch})")


if __name__ == "__main__":
    main()
