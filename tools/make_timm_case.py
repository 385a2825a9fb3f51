#!/usr/bin/env python3
"""Make a reference case from timm itself, in the ../shared/ref format.

    PYTHONPATH=/path/to/timm /usr/bin/python3 tools/make_timm_case.py OUT_DIR FAMILY TIMM_NAME N H W ['{"kwarg": ...}']

Builds timm.create_model(TIMM_NAME, **kwargs) with random weights randomised
like the shared cases (../shared/ref/README.md: BN statistics and 1-D tensors
perturbed, every conv/linear rescaled to unit output std on a calibration
input), and writes OUT_DIR/{case.json, weights.safetensors, io.safetensors}
with `input`, `features` (forward_features) and `logits`. A developer tool for
checking variants, resolutions and batch sizes the shared cases do not cover;
needs torch and a timm checkout, never a dependency of litevit.
"""
import json
import os
import struct
import sys

import torch
import timm


def to_timm_kwargs(family, kwargs):
    kwargs = dict(kwargs)
    if family in ("mobilevit", "mobilevitv2") and "blocks" in kwargs:   # ByobNet wants ByoBlockCfg dataclasses
        from timm.models.byobnet import ByoBlockCfg
        kwargs["blocks"] = tuple(
            tuple(ByoBlockCfg(**b) for b in stage) if isinstance(stage, list) else ByoBlockCfg(**stage)
            for stage in kwargs["blocks"])
    if family in ("poolformer", "efficientformer"):   # module-class kwargs are spelled as class names
        kwargs = {k: class_by_name(v) if k in CLASS_KWARGS else v for k, v in kwargs.items()}
    return kwargs


# Kwargs whose timm value is a module class; the JSON configs name the class ("GELU",
# "GroupNorm1", ...), and a list names one per stage.
CLASS_KWARGS = {"token_mixers", "mlp_act", "norm_layers", "downsample_norm", "output_norm",
                "act_layer", "norm_layer", "norm_layer_cl"}


def class_by_name(value):
    if value is None:
        return None
    if isinstance(value, list):
        return [class_by_name(v) for v in value]
    import timm.layers
    import timm.models.metaformer
    for module in (timm.models.metaformer, timm.layers, torch.nn):
        if hasattr(module, value):
            return getattr(module, value)
    raise ValueError(f"no module class named {value!r}")


def create_model(family, name, kwargs):
    """timm.create_model(name, **kwargs), except that the poolformer_* entrypoints set their
    own depths/dims/... and would reject them as duplicates: for them every kwarg is overlaid
    on the entrypoint's model kwargs right before MetaFormer is built (as the shared
    poolformer_micro case was made)."""
    kwargs = to_timm_kwargs(family, kwargs)
    if family != "poolformer":
        return timm.create_model(name, pretrained=False, **kwargs)
    import timm.models.metaformer as metaformer
    original = metaformer.build_model_with_cfg

    def overlaid(*args, **model_kwargs):
        model_kwargs.update(kwargs)
        return original(*args, **model_kwargs)

    metaformer.build_model_with_cfg = overlaid
    try:
        return timm.create_model(name, pretrained=False)
    finally:
        metaformer.build_model_with_cfg = original


def randomise(model, input_shape):
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for key, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            if key.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif t.dim() <= 1 or t.numel() < 2 or t.std() < 1e-3:
                t.add_(0.1 * torch.randn(t.shape, generator=g))

    def rescale(module, inputs, output):
        with torch.no_grad():
            x = inputs[0]
            if isinstance(module, torch.nn.Conv2d):
                y = module._conv_forward(x, module.weight, None)
            else:
                y = torch.nn.functional.linear(x, module.weight)
            module.weight.mul_(1.0 / y.std())
            return module.forward(x)

    hooks = [m.register_forward_hook(rescale) for m in model.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(torch.randn(input_shape, generator=torch.Generator().manual_seed(3)))
    for h in hooks:
        h.remove()


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            dtype, data = "I64", t.numpy().astype("<i8").tobytes()
        else:
            dtype, data = "F32", t.float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def main():
    out_dir, family, name = sys.argv[1:4]
    n, h, w = map(int, sys.argv[4:7])
    kwargs = json.loads(sys.argv[7]) if len(sys.argv) > 7 else {}
    os.makedirs(out_dir, exist_ok=True)
    shape = (n, 3, h, w)
    torch.manual_seed(0)
    model = create_model(family, name, kwargs).eval()
    randomise(model, shape)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(2))
    x2 = torch.randn(shape, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        features = model.forward_features(x)
        logits = model.forward_head(features)
        assert torch.equal(logits, model(x))
        sensitivity = ((model(x2) - logits).abs().max() / logits.abs().max()).item()
    write_safetensors(os.path.join(out_dir, "weights.safetensors"), model.state_dict())
    write_safetensors(os.path.join(out_dir, "io.safetensors"), {"input": x, "features": features, "logits": logits})
    case = {"family": family, "timm_name": name, "kwargs": kwargs, "input_shape": list(shape),
            "output_shapes": {"features": list(features.shape), "logits": list(logits.shape)},
            "param_count": sum(p.numel() for p in model.parameters()),
            "input_sensitivity": {"logits": sensitivity},
            "source": f"tools/make_timm_case.py, timm {timm.__version__}, torch {torch.__version__}"}
    with open(os.path.join(out_dir, "case.json"), "w") as f:
        json.dump(case, f, indent=1)
    print(f"{out_dir}: features {list(features.shape)} logits {list(logits.shape)} "
          f"sensitivity {sensitivity:.3f} params {case['param_count']}")


if __name__ == "__main__":
    main()
