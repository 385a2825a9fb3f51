"""Minimal safetensors reader/writer (standard library only).

The `safetensors` package is not installed here, and the format is small:
8-byte little-endian header length, a JSON header {name: {dtype, shape,
data_offsets: [begin, end]}} (offsets relative to the end of the header),
then the raw little-endian tensor bytes. Used by the bench scripts so litevit,
ONNX Runtime and PyTorch read the very same weights and inputs.
"""
import array
import json
import struct
import sys

_ITEM_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1}


def write(path, tensors, metadata=None):
    """tensors: ordered {name: (dtype, shape, raw little-endian bytes)}."""
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, (dtype, shape, data) in tensors.items():
        count = 1
        for d in shape:
            count *= d
        if len(data) != count * _ITEM_SIZE[dtype]:
            raise ValueError(f"writing '{path}': tensor '{name}' has {len(data)} bytes, expected "
                             f"{count * _ITEM_SIZE[dtype]} for {dtype}{list(shape)}")
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)   # keep the data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, data in tensors.values():
            f.write(data)


def read(path):
    """Returns {name: (dtype, shape, raw bytes)} in file order."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    return {name: (h["dtype"], h["shape"], blob[base + h["data_offsets"][0]:base + h["data_offsets"][1]])
            for name, h in header.items()}


def f32_array(raw):
    """Raw little-endian F32 bytes -> array('f')."""
    a = array.array("f")
    a.frombytes(raw)
    if sys.byteorder != "little":
        a.byteswap()
    return a


def f32_bytes(values):
    """Iterable of floats -> raw little-endian F32 bytes."""
    a = array.array("f", values)
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()
