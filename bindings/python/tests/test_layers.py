"""Layers on the OpenCL device (PoCL in the tests): forwards equal the C
reference bit for bit, with numpy and with lists; the context's ledger
follows the handles."""

import struct

import numpy as np
import pytest

import clql

SHAPES = [clql.LayerShape(64, 256, "I2S"),
          clql.LayerShape(33, 200, "TL1", clql.GROUP_TENSOR),
          clql.LayerShape(40, 192, "TL2", 96),
          clql.LayerShape(17, 320, "I2S", 64)]


@pytest.fixture(scope="module")
def ctx():
    with clql.Context() as c:
        yield c


def weights(rng, shape):
    t = np.array([rng.randint(-1, 1) for _ in range(shape.n * shape.k)], dtype=np.int8)
    s = np.array([rng.random() + 0.01 for _ in range(shape.scale_count())], dtype=np.float32)
    return t.reshape(shape.n, shape.k), s


def inputs(rng, count):
    return np.array([rng.uniform(-3, 3) for _ in range(count)], dtype=np.float32)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "%s-%dx%d-g%d" % (s.qtype, s.n, s.k, s.group_size))
def test_forward_equals_the_reference_bit_for_bit(ctx, rng, shape):
    t, s = weights(rng, shape)
    packed = clql.PackedWeights.pack(shape, t, s)
    t2, s2 = packed.unpack()
    assert np.array_equal(t2, t) and np.array_equal(s2, s)
    with clql.Layer(ctx, packed) as layer:
        for batch in (1, 5):
            x = inputs(rng, batch * shape.k).reshape(batch, shape.k)
            y = layer.forward(x)
            assert y.shape == (batch, shape.n) and y.dtype == np.float32
            want = clql.reference_forward(shape, t, s, x)
            assert np.array_equal(y.view(np.uint32), want.view(np.uint32))
        stats = layer.stats()
        wb = shape.weight_bytes()
        assert stats.resident_bytes == wb.weights + wb.scales
        assert stats.plan.shape == shape and stats.plan.fits
        assert layer.kernels in ("x86", "ksplit", "portable")


def bits(values):
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in values]


def test_lists_in_and_out_without_numpy(ctx, rng, monkeypatch):
    shape = clql.LayerShape(24, 128, "I2S")
    t, s = weights(rng, shape)
    x = inputs(rng, 3 * shape.k)
    want = clql.reference_forward(shape, t, s, x.reshape(3, shape.k))
    monkeypatch.setattr(clql, "_np", None)
    layer = clql.Layer.from_weights(ctx, shape, t.reshape(-1).tolist(), s.tolist())
    rows = [x[i * shape.k:(i + 1) * shape.k].tolist() for i in range(3)]
    y = layer.forward(rows)
    assert isinstance(y, list) and len(y) == 3 and len(y[0]) == shape.n
    assert bits(sum(y, [])) == bits(want.reshape(-1).tolist())
    flat = layer.forward(x.tolist())
    assert isinstance(flat, list) and bits(flat) == bits(want.reshape(-1).tolist())
    ref = clql.reference_forward(shape, t.reshape(-1).tolist(), s.tolist(), x.tolist())
    assert bits(ref) == bits(flat)
    layer.close()


def test_fused_layer_equals_its_parts(ctx, rng):
    k = 256
    parts = [(clql.LayerShape(n, k), *weights(rng, clql.LayerShape(n, k))) for n in (48, 16)]
    with clql.Layer.fused(ctx, parts) as fused:
        assert fused.n == 64 and fused.part(1) == (48, 16)
        with pytest.raises(clql.Error) as e:
            fused.part(2)
        assert e.value.name == "CLQL_ERR_NOT_FOUND"
        x = inputs(rng, 2 * k).reshape(2, k)
        y = fused.forward(x)
        for i, (shape, t, s) in enumerate(parts):
            off, rows = fused.part(i)
            want = clql.reference_forward(shape, t, s, x)
            assert np.array_equal(y[:, off:off + rows].view(np.uint32), want.view(np.uint32))


def test_ledger_follows_layers_and_workspace(rng):
    with clql.Context() as ctx:
        assert ctx.device.profile_id is None and ctx.device.memory.total > 0
        shape = clql.LayerShape(128, 512, "TL1")
        t, s = weights(rng, shape)
        packed = clql.PackedWeights.pack(shape, t, np.ones(128, dtype=np.float32))
        m = ctx.memory()
        assert (m.layers, m.resident, m.held) == (0, 0, 0)
        a, b = clql.Layer(ctx, packed), clql.Layer(ctx, packed)
        wb = shape.weight_bytes()
        m = ctx.memory()
        assert m.layers == 2 and m.resident == 2 * (wb.weights + wb.scales)
        a.forward(inputs(rng, 3 * 512), 3)
        m = ctx.memory()
        assert m.workspace > 0 and m.held == m.resident + m.workspace <= m.budget.bytes
        a.release_workspace()
        assert ctx.memory().workspace == 0
        assert a.workspace_bytes(3) > 0
        b.close()
        assert ctx.memory().layers == 1
        del a  # collected: its destructor frees it
        import gc
        gc.collect()
        m = ctx.memory()
        assert (m.layers, m.resident) == (0, 0)
        c = clql.Layer(ctx, packed)
    assert c._ptr is None, "closing a context closes its layers"


def test_reference_quantization():
    q, s = clql.reference_quantize_activations([0.5, -1.0, 0.25, 0.0], 1, 4)
    assert q.tolist() == [[64, -127, 32, 0]] and s.tolist() == [127.0]


@pytest.mark.parametrize("mode", ["poll", "block"])
def test_each_wait_mode_waits_for_the_forward(rng, mode):
    cfg = clql.Config()
    cfg.set("CLQL_WAIT", mode)
    shape = clql.LayerShape(48, 256, "I2S")
    t, s = weights(rng, shape)
    with clql.Context(config=cfg) as c, clql.Layer(c, clql.PackedWeights.pack(shape, t, s)) as layer:
        assert c.wait_mode() == mode
        x = inputs(rng, shape.k).reshape(1, shape.k)
        want = clql.reference_forward(shape, t, s, x)
        for _ in range(3):
            assert np.array_equal(layer.forward(x).view(np.uint32), want.view(np.uint32))
        c.finish()
