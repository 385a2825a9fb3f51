#!/usr/bin/python3
"""Time a timm model in PyTorch eager on CPU; print one JSON object.

    PYTHONPATH=/work/timm /usr/bin/python3 bench/torch_runner.py --model mobilevit_xxs \
        --weights bench/.cache/mobilevit_xxs_s0.safetensors --threads 2 [--input IN] [--output OUT]

Run it with /usr/bin/python3 (Debian's python3-torch 1.13). Its matmuls go
through libblas.so.3: make that OpenBLAS (LD_LIBRARY_PATH, see bench/README.md);
the JSON's "blas" names the library that was loaded. torch.set_num_threads(T)
and OPENBLAS_NUM_THREADS=T / OMP_NUM_THREADS=T are set before torch is imported:
Debian's torch runs nn.Linear on OpenBLAS, which has its own thread pool
(anchors/perf.md: with the defaults 4 busy threads share 2 cores).
--input: a safetensors file with tensor `input` (else random N(0,1), seed 0).
--output: also write `logits` of one run on the input to this safetensors file.
--runs 0 --warmup 0 with --output: only the correctness run.
Timed runs: --runs R, or until --min-time seconds and at least --min-runs.
--serve (compare.py): after the warmup print {"ready": true}, then per line of
stdin with a run count K, K timed runs and one line {"latencies_ms": [...]};
at the end of stdin, the JSON object over all those runs.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="timm model name")
    p.add_argument("--weights", help="safetensors state_dict (default: timm's random init, seed 0)")
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--openblas-threads", type=int, help="OPENBLAS_NUM_THREADS (default: --threads)")
    p.add_argument("--openblas-coretype", help="OPENBLAS_CORETYPE, e.g. SkylakeX (OpenBLAS 0.3.21 takes "
                                                "recent Intel CPUs for a Prescott and runs SSE3 kernels)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--runs", type=int, help="timed runs (default: for --min-time, at least --min-runs)")
    p.add_argument("--min-time", type=float, default=1.0)
    p.add_argument("--min-runs", type=int, default=10)
    p.add_argument("--serve", action="store_true", help="time bursts on request from stdin (see above)")
    p.add_argument("--input")
    p.add_argument("--output")
    return p.parse_args()


def run_count(line, number):
    try:
        count = int(line)
    except ValueError:
        count = 0
    if not 1 <= count <= 1000000:
        sys.exit(f"torch_runner: stdin line {number} is {line.strip()!r}, not a run count (1 to 1000000)")
    return count


def serve(run, times):
    """--serve: bursts of timed runs on request, one stdin line each (blank lines skipped)."""
    print(json.dumps({"ready": True}), flush=True)
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        burst = [run() for _ in range(run_count(line, number))]
        times.extend(burst)
        print(json.dumps({"latencies_ms": burst}), flush=True)


def main():
    args = parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.openblas_threads or args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    if args.openblas_coretype:
        os.environ["OPENBLAS_CORETYPE"] = args.openblas_coretype
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy as np
    import torch
    import export_onnx
    import safetensors_lite
    torch.set_num_threads(args.threads)

    start = time.perf_counter()
    model = export_onnx.create_model(args.model, 0, args.num_classes)
    if args.weights:
        export_onnx.load_state_dict(model, args.weights)
    load_ms = 1e3 * (time.perf_counter() - start)

    if args.input:
        _, shape, raw = safetensors_lite.read(args.input)["input"]
        x = torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy().reshape(shape))
    else:
        x = torch.randn(export_onnx.default_input_shape(model, args.batch), generator=torch.Generator().manual_seed(0))

    times = []
    with torch.inference_mode():
        for _ in range(args.warmup):
            model(x)
        def timed_run():
            t0 = time.perf_counter()
            model(x)
            return 1e3 * (time.perf_counter() - t0)

        timed_start = time.perf_counter()
        if args.serve:
            serve(timed_run, times)
        else:
            while (len(times) < args.runs if args.runs is not None else
                   len(times) < args.min_runs or time.perf_counter() - timed_start < args.min_time):
                times.append(timed_run())
        if args.output:
            logits = model(x).contiguous()
            safetensors_lite.write(args.output, {"logits": ("F32", list(logits.shape),
                                                            logits.numpy().astype("<f4").tobytes())})

    with open("/proc/self/maps") as f:   # which libblas.so.3 the loader picked (netlib is ~20x slower)
        blas = sorted({line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]})
    result = {"engine": "pytorch", "model": args.model, "batch": int(x.shape[0]), "threads": args.threads,
              "openblas_threads": int(os.environ["OPENBLAS_NUM_THREADS"]), "torch": torch.__version__, "blas": blas,
              "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
              "input_shape": list(x.shape), "warmup": args.warmup, "runs": len(times), "load_ms": load_ms,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    if times:
        med = statistics.median(times)
        result.update(median_ms=med, min_ms=min(times), max_ms=max(times), mean_ms=statistics.fmean(times),
                      images_per_s=x.shape[0] / (med / 1e3), latencies_ms=times)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
