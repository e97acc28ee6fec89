"""Read and write safetensors files by hand (the `safetensors` package is not in Debian).

The format: an 8-byte little-endian unsigned header length N, then N bytes of JSON, then the raw data.
The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
first byte after the header) and may hold a "__metadata__" object of string to string. Data is little-endian
and row-major. We pad the header with spaces to a multiple of 8 bytes, as the reference writer does, so that
the data is aligned.

Supported dtypes: F32, F64, I32, I64.

    tensors, metadata = read("model.safetensors")      # dict name -> numpy array, dict str -> str
    write("out.safetensors", {"loss": np.array([1.5])}, metadata={"tool": "me"})
"""
import json
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}
_NAMES = {v: k for k, v in DTYPES.items()}
# A header larger than this is not a safetensors file we wrote or want to read (the reference limit is 100 MB).
MAX_HEADER = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    """The file is not a well-formed safetensors file of the supported dtypes."""


def read(path):
    """Returns (tensors, metadata): a dict of numpy arrays (native byte order, own memory) and a dict of str."""
    with open(path, "rb") as f:
        blob = f.read()
    return parse(blob, str(path))


def parse(blob, where="<bytes>"):
    if len(blob) < 8:
        raise SafetensorsError(f"{where}: too short to be a safetensors file ({len(blob)} bytes)")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER or 8 + n > len(blob):
        raise SafetensorsError(f"{where}: header length {n} does not fit in the file ({len(blob)} bytes)")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{where}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{where}: the header is not a JSON object")
    data = memoryview(blob)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError(f"{where}: __metadata__ must map strings to strings")
    tensors = {}
    spans = []
    for name, info in header.items():
        try:
            dtype_name, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise SafetensorsError(f"{where}: tensor {name!r} lacks dtype, shape or data_offsets") from None
        if dtype_name not in DTYPES:
            raise SafetensorsError(f"{where}: tensor {name!r} has dtype {dtype_name}; supported: "
                                   + ", ".join(DTYPES))
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise SafetensorsError(f"{where}: tensor {name!r} has a bad shape {shape!r}")
        dtype = DTYPES[dtype_name]
        count = 1
        for d in shape:
            count *= d
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= len(data)):
            raise SafetensorsError(f"{where}: tensor {name!r} has data_offsets {[begin, end]} outside the "
                                   f"{len(data)} data bytes")
        if end - begin != count * dtype.itemsize:
            raise SafetensorsError(f"{where}: tensor {name!r} {dtype_name}{shape} needs "
                                   f"{count * dtype.itemsize} bytes but has {end - begin}")
        spans.append((begin, end, name))
        array = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = array.astype(dtype.newbyteorder("="), copy=True)
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise SafetensorsError(f"{where}: tensors {n0!r} and {n1!r} overlap")
    return tensors, dict(metadata)


def write(path, tensors, metadata=None):
    """Writes a dict name -> numpy array (F32, F64, I32 or I64) in name order."""
    with open(path, "wb") as f:
        f.write(serialize(tensors, metadata))


def serialize(tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        dtype = a.dtype.newbyteorder("<")
        if dtype not in _NAMES:
            raise SafetensorsError(f"tensor {name!r} has dtype {a.dtype}; supported: float32, float64, int32, int64")
        raw = np.ascontiguousarray(a, dtype=dtype).tobytes()
        header[name] = {"dtype": _NAMES[dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
