#!/usr/bin/env python3
"""Write small GGUF files with the `gguf` package (llama.cpp's Python writer
and TQ1_0 / TQ2_0 quantizers) plus manifest.json: every metadata value
written and, per tensor, the values the package itself dequantizes. clql's
reader and importers are checked against this independent implementation
(tests/unit/test_gguf_fixtures.c).

usage: make_fixtures.py --out DIR [--seed N] [--large]

The checked-in fixtures in tests/gguf/fixtures/ come from
`make_fixtures.py --out tests/gguf/fixtures --seed 1`; at test time
tests/gguf/python_fixtures.sh writes fresh ones with a random seed.

models.json describes model-bitnet.gguf and model-llama.gguf (whole
models for the inference planner): their hyperparameters, KV bytes per
token per KV type and tensor bytes by kind, worked out here
(tests/unit/test_inference.c).

Manifest format: {"generator", "seed", "files": [{"file", "version",
"alignment", "metadata": [node...], "tensors": [{"name", "type", "shape",
"bytes", "values"}]}]}. bitnet-i2s.gguf (I2_S, type id 36, which the package
does not know) is encoded by this script with struct ("writer" says so). A metadata node is {"key"?, "type", "value"}; arrays
add "elem_type", and their "value" lists plain JSON values, or nodes when the
elements are arrays. uint64 values are decimal strings (JSON integers are
int64 in most parsers). Shapes are in ggml order: shape[0] is the row length.
"""

import argparse
import json
import math
import os
import random
import struct
import sys

import numpy as np

import gguf
from gguf import GGMLQuantizationType as QT
from gguf import GGUFValueType as VT

VT_NAMES = {
    VT.UINT8: "uint8", VT.INT8: "int8", VT.UINT16: "uint16", VT.INT16: "int16",
    VT.UINT32: "uint32", VT.INT32: "int32", VT.FLOAT32: "float32", VT.BOOL: "bool",
    VT.STRING: "string", VT.ARRAY: "array", VT.UINT64: "uint64", VT.INT64: "int64",
    VT.FLOAT64: "float64",
}


def stored(vtype, value):
    """The value as the file stores it, in manifest form."""
    if vtype == VT.FLOAT32:
        return float(np.float32(value))
    if vtype == VT.UINT64:
        return str(value)
    return value


def array_node(value, elem_type):
    """Manifest node of an array written with elements of elem_type; nested
    Python lists become arrays whose element type the writer infers."""
    if elem_type == VT.ARRAY:
        inner = [array_node(v, VT.get_type(v[0])) for v in value]
        return {"type": "array", "elem_type": "array", "value": inner}
    return {"type": "array", "elem_type": VT_NAMES[elem_type],
            "value": [stored(elem_type, v) for v in value]}


class File:
    def __init__(self, path, arch, alignment=None):
        self.path = path
        self.writer = gguf.GGUFWriter(path, arch)
        self.meta = [{"key": "general.architecture", "type": "string", "value": arch}]
        self.tensors = []
        self.alignment = 32
        if alignment:
            self.writer.add_custom_alignment(alignment)
            self.alignment = alignment
            self.meta.append({"key": "general.alignment", "type": "uint32", "value": alignment})

    def kv(self, key, value, vtype, sub_type=None):
        self.writer.add_key_value(key, value, vtype, sub_type=sub_type)
        if vtype == VT.ARRAY:
            node = array_node(value, sub_type if sub_type is not None else VT.get_type(value[0]))
        else:
            node = {"type": VT_NAMES[vtype], "value": stored(vtype, value)}
        self.meta.append({"key": key, **node})

    def tensor(self, name, data, qtype):
        """data: float32 array of shape (N, K) (numpy order)."""
        if qtype in (QT.F32, QT.F16):
            raw = gguf.quants.quantize(data, qtype)
            self.writer.add_tensor(name, raw)
        else:
            raw = gguf.quants.quantize(data, qtype)
            self.writer.add_tensor(name, raw, raw_dtype=qtype)
        values = gguf.quants.dequantize(raw, qtype).astype(np.float32)
        self.tensors.append({
            "name": name, "type": qtype.name, "shape": list(reversed(data.shape)),
            "bytes": int(raw.nbytes), "values": [float(v) for v in values.reshape(-1)],
        })

    def finish(self):
        w = self.writer
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        return {"file": os.path.basename(self.path), "version": 3, "alignment": self.alignment,
                "metadata": self.meta, "tensors": self.tensors}


def i2s_bytes(t, gamma):
    """bitnet.cpp I2_S (x86 layout) of ternary t[N][K]: 128-element blocks,
    byte j of a block holds elements j, j+32, j+64, j+96 in bits 7:6 .. 1:0
    as t + 1; then the float32 scale, zero-padded to 32 bytes."""
    c = (t.reshape(-1, 4, 32) + 1).astype(np.uint8)
    packed = (c[:, 0, :] << 6) | (c[:, 1, :] << 4) | (c[:, 2, :] << 2) | c[:, 3, :]
    return packed.tobytes() + struct.pack("<f", gamma) + bytes(28)


def write_bitnet_file(path, rng, scale):
    """A bitnet.cpp-style file with I2_S (type id 36) tensors. The gguf
    package has no type 36, so this file is encoded here with struct."""
    def string(s):
        b = s.encode()
        return struct.pack("<Q", len(b)) + b

    arch = "bitnet-b1.58"
    meta = [{"key": "general.architecture", "type": "string", "value": arch},
            {"key": "general.name", "type": "string", "value": "i2_s fixture"}]
    kv = b"".join(string(m["key"]) + struct.pack("<I", 8) + string(m["value"]) for m in meta)
    specs = [("blk.0.attn_q.weight", 2 * scale, 256), ("blk.0.ffn_down.weight", 3, 128)]
    infos, data, tensors = b"", b"", []
    for name, n, k in specs:
        t = rng.integers(-1, 2, size=(n, k)).astype(np.int8)
        gamma = float(np.float32(rng.uniform(0.01, 2.0)))
        raw = i2s_bytes(t, gamma)
        infos += string(name) + struct.pack("<IQQIQ", 2, k, n, 36, len(data))
        data += raw + bytes(-len(raw) % 32)
        values = (t.astype(np.float32) * np.float32(gamma)).reshape(-1)
        tensors.append({"name": name, "type": "I2_S", "shape": [k, n], "bytes": len(raw),
                        "values": [float(v) for v in values]})
    head = b"GGUF" + struct.pack("<IQQ", 3, len(specs), len(meta)) + kv + infos
    with open(path, "wb") as out:
        out.write(head + bytes(-len(head) % 32) + data)
    return {"file": os.path.basename(path), "writer": "make_fixtures.py (struct)", "version": 3,
            "alignment": 32, "metadata": meta, "tensors": tensors}


def ternary_weights(rng, n, k, exact):
    """Weights that exercise the quantizers: exact ternary * gamma rows, raw
    Gaussian rows, an all-zero block and exact halfway points."""
    if exact:
        gamma = np.float32(rng.uniform(0.01, 2.0))
        w = rng.integers(-1, 2, size=(n, k)).astype(np.float32) * gamma
    else:
        w = rng.normal(0.0, 1.0, size=(n, k)).astype(np.float32)
    if k >= 512:
        w[0, 256:512] = 0.0  # block with d = 0
    # Halfway points of the TQ rounding (round half away from zero).
    w[-1, 0:4] = np.array([1.0, 0.5, -0.5, 0.25], dtype=np.float32) * np.float32(4.0)
    return w


def clql_i2s_bytes(n, k, group=256):
    """Device bytes of a ternary tensor as clql packs it (I2S, per-group
    scales): rows padded to 16, K to lcm(128, group); float32 scales."""
    np_ = -(-n // 16) * 16
    step = 128 * group // math.gcd(128, group)
    kp = -(-k // step) * step
    return np_ * kp // 4 + np_ * (kp // group) * 4


def write_model(path, arch, spec, rng):
    """A GGUF model file whose metadata and tensors agree, written with the
    gguf package, and what clql must read from it, worked out here."""
    f = File(path, arch)
    blocks, hidden, ffn = spec["blocks"], spec["hidden"], spec["ffn"]
    heads, kv = spec["heads"], spec["kv_heads"]
    kl, vl = spec["key_length"], spec["value_length"]
    f.kv(arch + ".block_count", blocks, VT.UINT32)
    f.kv(arch + ".embedding_length", hidden, VT.UINT32)
    f.kv(arch + ".feed_forward_length", ffn, VT.UINT32)
    f.kv(arch + ".attention.head_count", heads, VT.UINT32)
    if isinstance(kv, list):
        f.kv(arch + ".attention.head_count_kv", kv, VT.ARRAY, VT.UINT32)
    else:
        f.kv(arch + ".attention.head_count_kv", kv, VT.UINT32)
    if spec.get("write_lengths"):
        f.kv(arch + ".attention.key_length", kl, VT.UINT32)
        f.kv(arch + ".attention.value_length", vl, VT.UINT32)
    f.kv(arch + ".context_length", spec["context"], VT.UINT32)
    vocab = spec["vocab"]
    if spec.get("tokens"):
        f.kv("tokenizer.ggml.tokens", ["t%d" % i for i in range(vocab)], VT.ARRAY, VT.STRING)
    kinds = {"ternary": 0, "embedding": 0, "output": 0, "norm": 0, "other": 0}

    def add(name, n, k, qtype, kind):
        data = ternary_weights(rng, n, k, exact=True) if qtype in (QT.TQ1_0, QT.TQ2_0) \
            else rng.normal(size=(n, k)).astype(np.float32)
        if n == 1:
            data = data.reshape(k)
        f.tensor(name, data, qtype)
        kinds[kind] += clql_i2s_bytes(n, k) if kind == "ternary" else f.tensors[-1]["bytes"]

    tq, dense = spec["ternary_type"], spec["dense_type"]
    add("token_embd.weight", vocab, hidden, QT.F16, "embedding")
    for b in range(blocks):
        kvb = kv[b] if isinstance(kv, list) else kv
        t = tq if tq is not None else dense
        kind = "ternary" if tq is not None else "other"
        add("blk.%d.attn_q.weight" % b, heads * kl, hidden, t, kind)
        add("blk.%d.attn_k.weight" % b, kvb * kl, hidden, t, kind)
        add("blk.%d.attn_v.weight" % b, kvb * vl, hidden, t, kind)
        add("blk.%d.attn_output.weight" % b, hidden, heads * vl, t, kind)
        add("blk.%d.ffn_gate.weight" % b, ffn, hidden, t, kind)
        add("blk.%d.ffn_up.weight" % b, ffn, hidden, t, kind)
        add("blk.%d.ffn_down.weight" % b, hidden, ffn, t, kind)
        add("blk.%d.attn_norm.weight" % b, 1, hidden, QT.F32, "norm")
        add("blk.%d.ffn_norm.weight" % b, 1, hidden, QT.F32, "norm")
    add("output_norm.weight", 1, hidden, QT.F32, "norm")
    if not spec["tied"]:
        add("output.weight", vocab, hidden, QT.F16, "output")
    f.finish()
    kvs = kv if isinstance(kv, list) else [kv] * blocks
    def q8(e):
        return e // 32 * 34 if e % 32 == 0 else None
    rows = [(h * kl, h * vl) for h in kvs]
    per = {"f16": sum(2 * (a + b) for a, b in rows), "f32": sum(4 * (a + b) for a, b in rows)}
    q = [(q8(a), q8(b)) for a, b in rows]
    per["q8_0"] = None if any(x is None or y is None for x, y in q) else sum(x + y for x, y in q)
    return {"file": os.path.basename(path), "arch": arch, "layers": blocks, "hidden": hidden,
            "ffn": ffn, "heads": heads, "kv_heads": kvs, "key_length": kl, "value_length": vl,
            "vocab": vocab, "context": spec["context"], "tied": spec["tied"],
            "kv_elements_per_token": sum(h * (kl + vl) for h in kvs),
            "kv_bytes_per_token": per, "weights_bytes": sum(kinds.values()),
            "bytes_by_kind": kinds, "tensors": len(f.tensors)}


def write_models(out, rng):
    """A BitNet-style model (ternary TQ2_0 layers, tied output, head dims from
    embedding_length / head_count) and a llama-style one (grouped-query
    attention with KV heads per layer, key and value lengths that differ,
    Q8_0 and F16 layers, its own output head, vocab from the tokenizer)."""
    models = [
        write_model(os.path.join(out, "model-bitnet.gguf"), "bitnet-b1.58",
                    {"blocks": 2, "hidden": 256, "ffn": 512, "heads": 4, "kv_heads": 2,
                     "key_length": 64, "value_length": 64, "vocab": 300, "context": 512,
                     "tied": True, "ternary_type": QT.TQ2_0, "dense_type": None}, rng),
        write_model(os.path.join(out, "model-llama.gguf"), "llama",
                    {"blocks": 3, "hidden": 64, "ffn": 160, "heads": 4, "kv_heads": [1, 1, 2],
                     "key_length": 16, "value_length": 24, "write_lengths": True, "vocab": 100,
                     "tokens": True, "context": 2048, "tied": False, "ternary_type": None,
                     "dense_type": QT.Q8_0}, rng),
    ]
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump({"models": models}, f, separators=(",", ":"))
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--large", action="store_true", help="bigger tensors (test-time runs)")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    rng = np.random.default_rng(seed)
    os.makedirs(args.out, exist_ok=True)
    scale = 4 if args.large else 1

    files = []
    f = File(os.path.join(args.out, "ternary.gguf"), "clql-test")
    f.kv("general.name", "clql fixture", VT.STRING)
    f.kv("test.uint8", 200, VT.UINT8)
    f.kv("test.int8", -100, VT.INT8)
    f.kv("test.uint16", 65000, VT.UINT16)
    f.kv("test.int16", -32000, VT.INT16)
    f.kv("test.uint32", 4000000000, VT.UINT32)
    f.kv("test.int32", -2000000000, VT.INT32)
    f.kv("test.float32", 0.1, VT.FLOAT32)
    f.kv("test.bool", True, VT.BOOL)
    f.kv("test.uint64", 2**64 - 1, VT.UINT64)
    f.kv("test.int64", -(2**63), VT.INT64)
    f.kv("test.float64", -1.0e300, VT.FLOAT64)
    f.kv("test.unicode", "h\u00e9llo \u2713", VT.STRING)
    f.kv("test.array.uint8", [0, 1, 255], VT.ARRAY, VT.UINT8)
    f.kv("test.array.int16", [-3, 7, 32767], VT.ARRAY, VT.INT16)
    f.kv("test.array.float32", [0.5, -2.25, 1e-3], VT.ARRAY, VT.FLOAT32)
    f.kv("test.array.bool", [True, False, True], VT.ARRAY, VT.BOOL)
    f.kv("test.array.string", ["a", "", "token\u2581x"], VT.ARRAY, VT.STRING)
    f.kv("test.array.uint64", [0, 2**64 - 1], VT.ARRAY, VT.UINT64)
    n1, k1 = 3 * scale, 512
    f.tensor("blk.0.ffn_up.weight", ternary_weights(rng, n1, k1, exact=False), QT.TQ1_0)
    f.tensor("blk.0.ffn_down.weight", ternary_weights(rng, 2 * scale, 256, exact=True), QT.TQ2_0)
    f.tensor("output_norm.weight", rng.normal(size=(1, 8)).astype(np.float32).reshape(8), QT.F32)
    f.tensor("token_embd.weight", rng.normal(size=(2, 8)).astype(np.float32), QT.F16)
    files.append(f.finish())

    f = File(os.path.join(args.out, "nested.gguf"), "clql-test-nested", alignment=64)
    f.kv("test.nested.int", [[1, 2], [3]], VT.ARRAY)
    f.kv("test.nested.string", [["a", "bc"], ["d"]], VT.ARRAY)
    f.kv("test.nested.deep", [[[1.5], [2.5, -0.5]], [[4.0]]], VT.ARRAY)
    f.tensor("blk.0.attn_q.weight", ternary_weights(rng, 1 * scale, 768, exact=False), QT.TQ2_0)
    f.tensor("blk.0.attn_k.weight", ternary_weights(rng, 2, 256 * scale, exact=True), QT.TQ1_0)
    f.tensor("blk.0.attn_norm.weight", rng.normal(size=(4,)).astype(np.float32), QT.F32)
    files.append(f.finish())

    files.append(write_bitnet_file(os.path.join(args.out, "bitnet-i2s.gguf"), rng, scale))
    write_models(args.out, rng)

    try:
        from importlib.metadata import version
        generator = "gguf " + version("gguf")
    except Exception:  # the version is informational only
        generator = "gguf"
    manifest = {"generator": generator, "seed": seed,
                "files": files}
    with open(os.path.join(args.out, "manifest.json"), "w") as out:
        json.dump(manifest, out, separators=(",", ":"))
        out.write("\n")
    print("wrote %d files to %s (seed %d)" % (len(files), args.out, seed))


if __name__ == "__main__":
    sys.exit(main())
