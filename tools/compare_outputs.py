#!/usr/bin/env python3
"""Compare the outputs litevit wrote with a reference case's io.safetensors.

    tools/compare_outputs.py OUT.safetensors REF_io.safetensors [--tol 1e-4]

For every tensor of the reference other than `input` that OUT also has:
err = max|out - ref| / max|ref| (the metric of ../shared/ref/README.md).
Exit 1 if any err exceeds the tolerance or a shape differs. Needs numpy only.
"""
import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return tensors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("ref")
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()
    out, ref = read_safetensors(args.out), read_safetensors(args.ref)
    ok = True
    for name, r in ref.items():
        if name == "input" or name not in out:
            continue
        o = out[name]
        if o.shape != r.shape:
            print(f"{name}: shape {list(o.shape)}, expected {list(r.shape)}")
            ok = False
            continue
        err = float(np.max(np.abs(o.astype(np.float64) - r)) / max(np.max(np.abs(r)), 1e-30))
        status = "ok" if err <= args.tol else "FAIL"
        ok = ok and err <= args.tol
        print(f"{name}: err {err:.3e} {status}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
