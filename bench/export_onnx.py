#!/usr/bin/python3
"""Export timm models with random weights to ONNX and to a safetensors state_dict.

    PYTHONPATH=/work/timm /usr/bin/python3 bench/export_onnx.py mobilevit_xxs deit_tiny_patch16_224 [--batch 1]

For each model: timm.create_model(name, pretrained=False, num_classes=1000)
after torch.manual_seed(SEED), eval mode, at its default input size; writes
  CACHE/NAME_sSEED.safetensors    the state_dict (timm keys; litevit --weights, torch_runner.py --weights)
  CACHE/NAME_bB_sSEED.onnx        torch.onnx.export, opset 14, static shapes, constant folding
  CACHE/NAME_bB_sSEED.json        {model, batch, seed, input_shape, onnx, weights}
so all three engines run the very same weights. Existing files are reused
unless --force. torch.onnx.export (torch 1.13) does not need the `onnx`
Python package. Prints one JSON line per model (the .json above).
"""
import argparse
import json
import os
import sys
import warnings

import safetensors_lite

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CACHE = os.path.join(HERE, ".cache")


def create_model(name, seed=0, num_classes=1000):
    import timm
    import torch
    torch.manual_seed(seed)
    model = timm.create_model(name, pretrained=False, num_classes=num_classes)
    return model.eval()


def default_input_shape(model, batch):
    cfg = getattr(model, "pretrained_cfg", None) or getattr(model, "default_cfg", {})
    return [batch] + list(cfg.get("input_size", (3, 224, 224)))


def save_state_dict(model, path):
    import torch
    tensors = {}
    for key, t in model.state_dict().items():
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.int64:
            tensors[key] = ("I64", list(t.shape), t.numpy().astype("<i8").tobytes())
        else:
            tensors[key] = ("F32", list(t.shape), t.float().numpy().astype("<f4").tobytes())
    safetensors_lite.write(path, tensors, {"format": "pt", "producer": "litevit bench/export_onnx.py"})


def load_state_dict(model, path):
    """Loads a safetensors state_dict (as written above) into `model`, strictly."""
    import numpy as np
    import torch
    state = {}
    for key, (dtype, shape, raw) in safetensors_lite.read(path).items():
        np_dtype = {"F32": "<f4", "I64": "<i8"}[dtype]
        state[key] = torch.from_numpy(np.frombuffer(raw, dtype=np_dtype).copy().reshape(shape))
    model.load_state_dict(state, strict=True)
    return model


def export(name, batch=1, cache=DEFAULT_CACHE, seed=0, num_classes=1000, force=False):
    import torch
    os.makedirs(cache, exist_ok=True)
    stem = os.path.join(cache, f"{name}_b{batch}_s{seed}")
    meta_path = stem + ".json"
    if not force and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if os.path.exists(meta["onnx"]) and os.path.exists(meta["weights"]):
            return meta
    model = create_model(name, seed, num_classes)
    weights = os.path.join(cache, f"{name}_s{seed}.safetensors")
    if force or not os.path.exists(weights):
        save_state_dict(model, weights + ".tmp")
        os.replace(weights + ".tmp", weights)
    else:   # reuse the file another batch size wrote: the very same weights
        load_state_dict(model, weights)
    shape = default_input_shape(model, batch)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")   # TracerWarnings from shape arithmetic in timm
        torch.onnx.export(model, torch.randn(shape), stem + ".onnx.tmp", opset_version=14,
                          do_constant_folding=True, input_names=["input"], output_names=["logits"])
    os.replace(stem + ".onnx.tmp", stem + ".onnx")
    meta = {"model": name, "batch": batch, "seed": seed, "num_classes": num_classes, "input_shape": shape,
            "onnx": stem + ".onnx", "weights": weights}
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    return meta


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="timm model names")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--cache", default=DEFAULT_CACHE, help="output directory (default: bench/.cache)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--force", action="store_true", help="export again even if the files exist")
    args = p.parse_args()
    for name in args.models:
        print(json.dumps(export(name, args.batch, args.cache, args.seed, args.num_classes, args.force)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
