#!/usr/bin/env python3
"""litevit vs ONNX Runtime vs PyTorch, same models, same weights, same machine.

    python3 bench/compare.py [--models mobilevit_xxs deit_tiny_patch16_224] [--batch 1] [--threads 2]
                             [--rounds 5] [--litevit build/cli/litevit] [--json results.json]

1. Exports each model once (export_onnx.py, /usr/bin/python3 + timm): ONNX
   and a safetensors state_dict of the same random weights.
2. Checks logits on one random input: litevit (`litevit run`) and ORT
   against PyTorch, err = max|out - ref| / max|ref|.
3. Starts one process per engine (`litevit bench --serve`, ort_runner.js and
   torch_runner.py with --serve), each loads the model and warms up, then
   runs --rounds rounds; in each, every engine runs one burst of about
   --min-time s (at least 3 runs, the count fixed per engine after ~1 s of
   untimed runs), in an order that rotates per round. Bursts of a fraction
   of a second, alternating, put both engines in the same phase of a shared
   host, whose speed drifts by 20-50% over seconds; a process per burst
   could not alternate that fast. Before each burst it waits until other
   processes use less than --idle of a core over 0.1 s (/proc/stat); a burst
   during which others (everything but the engine's process) used more than
   --noisy of a core is retried (up to --retries).
4. Prints per model: median over rounds of the burst medians (min over all
   runs in brackets), litevit/ORT and litevit/PyTorch as the median of the
   per-round ratios, peak RSS of each engine process (wait4), and the
   geometric mean of litevit/ORT over the models.
Standard library only; any python3 can run it.
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import safetensors_lite

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TORCH_PYTHON = "/usr/bin/python3"   # Debian's python3-torch; the python3 first on PATH may lack torch
ENGINES = ("litevit", "ort", "pytorch")
DEFAULT_MODELS = ["mobilevit_xxs", "mobilevit_xs", "mobilevit_s", "deit_tiny_patch16_224",
                  "deit_tiny_distilled_patch16_224", "vit_tiny_patch16_224"]
HZ = os.sysconf("SC_CLK_TCK")
# OpenBLAS unpacked from Debian's libopenblas0-pthread (README): Debian's torch
# calls libblas.so.3, which is netlib's reference BLAS unless OpenBLAS is installed.
LOCAL_OPENBLAS = os.path.join(HERE, ".cache", "openblas", "usr", "lib", "x86_64-linux-gnu", "openblas-pthread")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3, help="untimed runs after loading")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds of timed runs per burst (at least 3 runs)")
    p.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    p.add_argument("--litevit", default=os.path.join(ROOT, "build", "cli", "litevit"))
    p.add_argument("--reference", action="store_true", help="litevit on reference kernels")
    p.add_argument("--disable-pass", action="append", default=[], help="forwarded to litevit (repeatable)")
    p.add_argument("--disable-kernel", action="append", default=[], help="forwarded to litevit (repeatable)")
    p.add_argument("--openblas-coretype", default="auto",
                   help="OPENBLAS_CORETYPE for PyTorch; auto: SkylakeX on AVX-512 CPUs (OpenBLAS 0.3.21 runs "
                        "generic SSE3 kernels on recent Intel CPUs), '' for OpenBLAS's own detection")
    p.add_argument("--timm", default="/work/timm", help="timm checkout (PYTHONPATH for export and PyTorch)")
    p.add_argument("--cache", default=os.path.join(HERE, ".cache"))
    p.add_argument("--torch-blas", default=LOCAL_OPENBLAS if os.path.isdir(LOCAL_OPENBLAS) else "",
                   help="directory with a libblas.so.3 for PyTorch, put on LD_LIBRARY_PATH "
                        "(default: bench/.cache/openblas/... if present; '' for the system's)")
    p.add_argument("--idle", type=float, default=0.05, help="wait until others use < this many cores")
    p.add_argument("--max-wait", type=float, default=120, help="seconds to wait for idle before running anyway")
    p.add_argument("--noisy", type=float, default=0.08, help="retry a burst if others used > this many cores")
    p.add_argument("--retries", type=int, default=2)
    p.add_argument("--skip-check", action="store_true", help="skip the logits check")
    p.add_argument("--json", metavar="OUT", help="save the raw results")
    return p.parse_args()


def cpuinfo(key):
    with open("/proc/cpuinfo") as f:
        return next((line.split(":", 1)[1].strip() for line in f if line.split(":")[0].strip() == key), "?")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- load measurement ----------------------------------------------------------------------

def busy_jiffies():
    """CPU time of everything on the machine (user+nice+system+irq+softirq), in jiffies."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    return v[0] + v[1] + v[2] + v[5] + v[6]


def busy_cores(window=0.1):
    b0, t0 = busy_jiffies(), time.monotonic()
    time.sleep(window)
    return (busy_jiffies() - b0) / HZ / (time.monotonic() - t0)


def wait_idle(args):
    """Waits until the machine is idle-ish; returns (seconds waited, last load in cores)."""
    start = time.monotonic()
    while True:
        load = busy_cores()
        if load < args.idle or time.monotonic() - start > args.max_wait:
            return time.monotonic() - start, load


def failure(who, returncode, err):
    """RuntimeError naming `who`, its exit code and the last line of its stderr (file `err`)."""
    err.seek(0)
    lines = err.read().decode(errors="replace").strip().splitlines() or ["(no output)"]
    return RuntimeError(f"{who} exited with {returncode}: {lines[-1]}")


def run_child(cmd, env=None):
    """Runs cmd; returns (parsed JSON of its stdout or None, peak RSS MiB, other processes' load in cores)."""
    b0, t0 = busy_jiffies(), time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall, busy = time.monotonic() - t0, (busy_jiffies() - b0) / HZ
        if proc.returncode != 0:
            raise failure(os.path.basename(cmd[0]), proc.returncode, err)
    others = max(0.0, busy - usage.ru_utime - usage.ru_stime) / wall
    text = out.decode().strip()
    return (json.loads(text.splitlines()[-1]) if text else None), usage.ru_maxrss / 1024.0, others


# ---- engines -------------------------------------------------------------------------------

def torch_env(args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([args.timm, HERE]),
               OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    env.pop("OPENBLAS_CORETYPE", None)
    if args.openblas_coretype:
        env["OPENBLAS_CORETYPE"] = args.openblas_coretype
    if args.torch_blas:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [args.torch_blas, env.get("LD_LIBRARY_PATH")]))
    return env


def litevit_flags(args):
    return ((["--reference"] if args.reference else []) + [x for p in args.disable_pass for x in ("--disable-pass", p)] +
            [x for k in args.disable_kernel for x in ("--disable-kernel", k)])


def bench_command(engine, exp, inp, args, serve=False):
    """The engine's runner: with serve, in --serve mode (bursts on request); else timing one burst."""
    timing = ["--warmup", str(args.warmup), "--threads", str(args.threads)]
    if not serve:
        timing += ["--min-time", str(args.min_time)]
    if engine == "litevit":
        return [args.litevit, "bench", exp["model"], "--weights", exp["weights"], "--batch", str(args.batch),
                "--json"] + (["--serve"] if serve else []) + timing + litevit_flags(args), None
    if engine == "ort":
        return (["node", os.path.join(HERE, "ort_runner.js"), "--model", exp["onnx"], "--input", inp] + timing +
                (["--serve", "1"] if serve else []), None)
    return ([TORCH_PYTHON, os.path.join(HERE, "torch_runner.py"), "--model", exp["model"], "--weights", exp["weights"],
             "--input", inp] + timing + (["--serve"] if serve else []), torch_env(args))


def check_outputs(exp, inp, args):
    """Logits of each engine on `inp`; returns {engine: err vs PyTorch (or an error message)}."""
    errors, logits = {}, {}
    for engine in ["pytorch"] + [e for e in args.engines if e != "pytorch"]:
        out = os.path.join(args.cache, f"{exp['model']}_b{args.batch}_{engine}_out.safetensors")
        if engine == "litevit":
            cmd, env = ([args.litevit, "run", exp["model"], "--weights", exp["weights"], "--input", inp, "--output",
                         out] + litevit_flags(args), dict(os.environ, LITEVIT_NUM_THREADS=str(args.threads)))
        else:   # the runners' last --runs/--warmup win
            cmd, env = bench_command(engine, exp, inp, args)
            cmd = cmd + ["--runs", "0", "--warmup", "0", "--output", out]
        try:
            run_child(cmd, env)
            logits[engine] = safetensors_lite.f32_array(safetensors_lite.read(out)["logits"][2])
        except (RuntimeError, OSError, KeyError) as e:
            errors[engine] = str(e)
            continue
        if engine != "pytorch" and "pytorch" in logits:
            ref, got = logits["pytorch"], logits[engine]
            if len(ref) != len(got):
                errors[engine] = f"logits have {len(got)} values, PyTorch's {len(ref)}"
            else:
                max_ref = max(abs(r) for r in ref)
                diff = max(abs(a - b) for a, b in zip(got, ref))
                errors[engine] = diff / max_ref if max_ref > 0 else diff
    return errors


# ---- the run -------------------------------------------------------------------------------

def export_all(args):
    cmd = [TORCH_PYTHON, os.path.join(HERE, "export_onnx.py"), *args.models, "--batch", str(args.batch),
           "--cache", args.cache]
    out = subprocess.run(cmd, env=torch_env(args), check=True, stdout=subprocess.PIPE, text=True).stdout
    return {e["model"]: e for e in map(json.loads, out.strip().splitlines())}


def make_input(shape, path):
    rng = random.Random(0)
    count = math.prod(shape)
    safetensors_lite.write(path, {"input": ("F32", shape, safetensors_lite.f32_bytes(
        rng.gauss(0.0, 1.0) for _ in range(count)))})


def process_jiffies(pid):
    """CPU time (user + system, all threads) of process pid so far, in jiffies."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class Engine:
    """A runner started in --serve mode (`cmd`, environment `env` or ours): loaded and warmed up once,
    then timing bursts on request. Also used by ab.py."""

    def __init__(self, name, cmd, env=None):
        self.name, self.err = name, tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, env=env,
                                     text=True, bufsize=1)
        self.runs_per_burst = 3
        self._reply()   # {"ready": true}: loaded and warmed up

    def _reply(self):
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise failure(f"{self.name} runner", self.proc.returncode, self.err)
        return json.loads(line)

    def burst(self, runs):
        """Times `runs` runs; returns (latencies in ms, other processes' load in cores during the burst)."""
        b0, p0, t0 = busy_jiffies(), process_jiffies(self.proc.pid), time.monotonic()
        self.proc.stdin.write(f"{runs}\n")
        self.proc.stdin.flush()
        times = self._reply()["latencies_ms"]
        wall = time.monotonic() - t0
        own = process_jiffies(self.proc.pid) - p0
        return times, max(0.0, (busy_jiffies() - b0 - own) / HZ) / wall

    def calibrate(self, seconds, warm_seconds=1.0):
        """Untimed: a burst of 3 runs, then about `warm_seconds` of runs (the first runs of a fresh
        process are up to 5x slower on a shared host, for ~0.5 s); then sets the runs per burst for
        about `seconds` of timed runs (at least 3)."""
        times, _ = self.burst(3)
        self.burst(max(3, round(warm_seconds / (statistics.median(times) / 1e3))))
        times, _ = self.burst(3)
        self.runs_per_burst = max(3, round(seconds / (statistics.median(times) / 1e3)))

    def close(self):
        """Ends the runner; returns (its final report, peak RSS in MiB from wait4)."""
        self.proc.stdin.close()
        report = self._reply()
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.proc.stdout.close()
        self.err.close()
        return report, usage.ru_maxrss / 1024.0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def burst(engine, args):
    for attempt in range(args.retries + 1):
        waited, idle_load = wait_idle(args)
        times, others = engine.burst(engine.runs_per_burst)
        record = {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
                  "runs": len(times), "others_cores": others, "waited_s": waited, "load_before": idle_load,
                  "attempt": attempt, "noisy": others > args.noisy}
        if not record["noisy"]:
            break
        log(f"    {engine.name}: others used {others:.2f} cores during the burst, "
            + ("retrying" if attempt < args.retries else "keeping it, marked noisy"))
    return record


def run_model(exp, inp, engines, args):
    """Rounds of alternating bursts; returns (rounds, {engine: peak RSS MiB}, {engine: failure message})."""
    running, failed, rss, extra = {}, {}, {}, {}
    try:
        for name in engines:   # one at a time: loading does not overlap another engine's warmup
            try:
                running[name] = Engine(name, *bench_command(name, exp, inp, args, serve=True))
                running[name].calibrate(args.min_time)
            except (RuntimeError, OSError, ValueError, KeyError) as e:
                failed[name] = str(e)
                running.pop(name, None)
        rounds = []
        live = [e for e in engines if e in running]
        for i in range(args.rounds):
            order = live[i % len(live):] + live[:i % len(live)] if live else []
            row = {"order": order}
            for name in order:
                if name in failed:
                    continue
                try:
                    row[name] = burst(running[name], args)
                except (RuntimeError, OSError, ValueError, KeyError) as e:
                    failed[name] = str(e)
                    continue
                log(f"  round {i + 1}/{args.rounds} {name:<8} median {row[name]['median_ms']:.2f} ms "
                    f"({row[name]['runs']} runs, others {row[name]['others_cores']:.2f} cores)")
            rounds.append(row)
        for name, engine in running.items():
            if name in failed:
                continue
            try:
                report, rss[name] = engine.close()
            except (RuntimeError, OSError, ValueError) as e:
                failed[name] = str(e)
                continue
            if name == "litevit":   # its own report: process-wide too, same as wait4's
                rss[name] = report.get("peak_rss_mb", rss[name])
            if name == "pytorch":
                extra["blas"] = report.get("blas")
    finally:
        for engine in running.values():
            engine.kill()
    if "blas" in extra:   # print_table looks for it in the rounds
        for row in rounds:
            if "pytorch" in row:
                row["pytorch"]["blas"] = extra["blas"]
    return rounds, rss, failed


def summarize(model_result, engines):
    rounds = model_result["rounds"]
    s = {}
    for e in engines:
        bursts = [r[e] for r in rounds if e in r]
        if bursts:
            s[e] = {"median_ms": statistics.median(b["median_ms"] for b in bursts),
                    "min_ms": min(b["min_ms"] for b in bursts),
                    "peak_rss_mb": model_result["peak_rss_mb"].get(e, float("nan")),
                    "noisy_bursts": sum(b["noisy"] for b in bursts)}
    for peer in ("ort", "pytorch"):
        ratios = [r["litevit"]["median_ms"] / r[peer]["median_ms"] for r in rounds if "litevit" in r and peer in r]
        if ratios:
            s[f"litevit/{peer}"] = statistics.median(ratios)
            s[f"litevit/{peer} min"] = s["litevit"]["min_ms"] / s[peer]["min_ms"]
    return s


def fmt_err(v):
    return "-" if v is None else f"{v:.1e}" if isinstance(v, float) else "FAILED"


def print_table(results, args):
    head = (f"{'model':<32} {'litevit ms':>16} {'ORT ms':>14} {'PyTorch ms':>16} {'lv/ORT':>7} {'(min)':>6} {'lv/PT':>7}"
            f" {'RSS MiB lv/ORT/PT':>18} {'err lv':>8} {'err ORT':>8}")
    print(f"\nbatch {args.batch}, threads {args.threads}, {args.rounds} rounds; ms = median of burst medians "
          f"(min over all runs); lv/X = median of per-round ratios, (min) = ratio of the min runs (steadier on a "
          f"shared machine); err = max|out-ref|/max|ref| vs PyTorch")
    blas = {os.path.basename(b) for r in results.values() for row in r["rounds"]
            for b in (row.get("pytorch") or {}).get("blas") or []}
    machine = f"{cpuinfo('model name')} (family {cpuinfo('cpu family')} model {cpuinfo('model')}), {os.cpu_count()} CPUs"
    print(f"machine: {machine}; PyTorch BLAS: {', '.join(sorted(blas)) or '?'}"
          f" (OPENBLAS_CORETYPE={args.openblas_coretype or 'unset'})")
    if blas and not any("openblas" in b for b in blas):
        print("warning: PyTorch did not run on OpenBLAS (netlib reference BLAS? slow linear layers); see bench/README.md")
    print(head)
    print("-" * len(head))
    ratios, min_ratios = [], []
    for name, r in results.items():
        s = r["summary"]
        cell = lambda e, w: (f"{s[e]['median_ms']:.2f} ({s[e]['min_ms']:.2f})" if e in s else "-").rjust(w)
        ratio = lambda k: (f"{s[k]:.2f}" if k in s else "-").rjust(7)
        rss = "/".join(f"{s[e]['peak_rss_mb']:.0f}" if e in s else "-" for e in ENGINES)
        if "litevit/ort" in s:
            ratios.append(s["litevit/ort"])
            min_ratios.append(s["litevit/ort min"])
        print(f"{name:<32} {cell('litevit', 16)} {cell('ort', 14)} {cell('pytorch', 16)} {ratio('litevit/ort')}"
              f" {ratio('litevit/ort min')[1:]} {ratio('litevit/pytorch')} {rss:>18} {fmt_err(r['check'].get('litevit')):>8}"
              f" {fmt_err(r['check'].get('ort')):>8}")
    if ratios:
        geomean = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))
        print(f"geometric mean litevit/ORT over {len(ratios)} models: {geomean(ratios):.3f} "
              f"(of the min-run ratios: {geomean(min_ratios):.3f})")
    noisy = sum(s.get("noisy_bursts", 0) for r in results.values() for s in r["summary"].values() if isinstance(s, dict))
    if noisy:
        print(f"{noisy} bursts stayed noisy after {args.retries} retries (others > {args.noisy} cores); see --json")
    for name, r in results.items():
        for engine, msg in {**r["check"], **r.get("failed", {})}.items():
            if isinstance(msg, str):
                print(f"{name}: {engine}: {msg}")


def main():
    args = parse_args()
    if args.openblas_coretype == "auto":
        args.openblas_coretype = "SkylakeX" if "avx512f" in cpuinfo("flags").split() else ""
    if "litevit" in args.engines and not os.access(args.litevit, os.X_OK):
        sys.exit(f"compare.py: no litevit binary at {args.litevit} (build it, or pass --litevit)")
    log(f"exporting {len(args.models)} models to {args.cache} ...")
    exports = export_all(args)
    results = {}
    for name in args.models:
        exp = exports[name]
        inp = os.path.join(args.cache, f"{name}_b{args.batch}_input.safetensors")
        make_input(exp["input_shape"], inp)
        check = {} if args.skip_check else check_outputs(exp, inp, args)
        log(f"{name}: " + ", ".join(f"{e} err {fmt_err(v)}" for e, v in check.items() if e != "pytorch"))
        engines = [e for e in args.engines if not isinstance(check.get(e), str)]
        rounds, rss, failed = run_model(exp, inp, engines, args)
        r = results[name] = {"export": exp, "check": check, "rounds": rounds, "peak_rss_mb": rss, "failed": failed}
        r["summary"] = summarize(r, args.engines)
    print_table(results, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "cpu": cpuinfo("model name"), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
