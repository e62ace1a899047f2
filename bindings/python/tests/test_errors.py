"""Failures raise clql.Error with clql's status name, message and detail."""

import numpy as np
import pytest

import clql
from conftest import DEVICES


def raises(name, f, *args, **kw):
    with pytest.raises(clql.Error) as e:
        f(*args, **kw)
    assert e.value.name == name, str(e.value)
    assert e.value.message == clql.status_message(e.value.status)
    return e.value


def test_status_names_of_the_library():
    assert clql.status_name(0) == "CLQL_SUCCESS"
    assert clql.status_name(-10000) == "CLQL_ERR_INVALID_ARGUMENT"
    assert clql.status_name(-4) == "CL_MEM_OBJECT_ALLOCATION_FAILURE"
    assert clql.status_name(12345) == "CLQL_UNKNOWN_STATUS"
    assert clql.version()[0] == int(clql.version_string().split(".")[0])


def test_invalid_arguments():
    mem = clql.MemoryReport(4 << 30, 1 << 30, free=3 << 30)
    raises("CLQL_ERR_INVALID_SHAPE", clql.plan_layer, mem, None, clql.LayerShape(0, 256))
    e = raises("CLQL_ERR_INVALID_SHAPE", clql.LayerShape(16, 128).workspace_bytes, 0)
    assert "batch" in e.detail
    shape = clql.LayerShape(16, 128)
    # Weights of the wrong count reach the library through a numpy view.
    e = raises("CLQL_ERR_INVALID_ARGUMENT", clql.PackedWeights.pack, shape,
               np.zeros(16 * 127, dtype=np.int8), np.ones(16, dtype=np.float32))
    raises("CLQL_ERR_INVALID_ARGUMENT", clql.PackedWeights.pack, shape,
           np.zeros(16 * 128, dtype=np.int8), np.ones(15, dtype=np.float32))
    e = raises("CLQL_ERR_INVALID_ARGUMENT", clql.model_parse, "q 16 16\0")
    assert "NUL" in e.detail


def test_details_name_what_was_wrong():
    raises("CLQL_ERR_INVALID_QTYPE", clql.QType.parse, "TL9")
    with clql.Config() as cfg:
        e = raises("CLQL_ERR_INVALID_CONFIG", cfg.set, "CLQL_MEM_LIMIT", "1.5G")
        assert "CLQL_MEM_LIMIT" in e.detail and str(e).startswith("CLQL_ERR_INVALID_CONFIG: ")
        cfg.set("CLQL_MEM_LIMIT", "6G")
        assert cfg.get("CLQL_MEM_LIMIT") == "6G" and cfg.get("CLQL_MAX_BATCH") is None
        assert "CLQL_MEM_LIMIT" in clql.Config.names()
    mem = clql.MemoryReport(4 << 30, 1 << 30)
    raises("CLQL_ERR_INVALID_CONFIG", clql.budget, mem, clql.BudgetOptions(fraction=1.5))
    e = raises("CLQL_ERR_NOT_FOUND", clql.model_preset, "no-such-model")
    assert "bitnet-b1.58-2b4t" in e.detail
    e = raises("CLQL_ERR_PARSE", clql.model_parse, "q 16 x\n")
    assert "line 1" in e.detail
    raises("CLQL_ERR_IO", clql.profile_devices, "/nonexistent/devices.json")
    raises("CLQL_ERR_NOT_FOUND", clql.profile_devices, DEVICES, "no-such-record")
    raises("CLQL_ERR_INVALID_WEIGHTS", clql.PackedWeights.pack, clql.LayerShape(16, 128),
           np.full(16 * 128, 2, dtype=np.int8), np.ones(16, dtype=np.float32))


def test_device_errors():
    raises("CLQL_ERR_NO_DEVICE", clql.Context, "no-such-device-anywhere")
    raises("CLQL_ERR_BAD_SELECTOR", clql.Context, "1:")
    with clql.Config() as cfg:
        cfg.set("CLQL_MEM_LIMIT", "64K")
        with clql.Context(config=cfg) as ctx:
            assert ctx.memory().budget.limit == 64 << 10
            shape = clql.LayerShape(1024, 1024)
            packed = clql.PackedWeights.pack(shape, np.ones(1024 * 1024, dtype=np.int8),
                                             np.ones(1024, dtype=np.float32))
            e = raises("CLQL_ERR_DOES_NOT_FIT", clql.Layer, ctx, packed)
            assert e.detail
            layer = clql.Layer.from_weights(ctx, clql.LayerShape(16, 128),
                                            np.ones(16 * 128, dtype=np.int8),
                                            np.ones(16, dtype=np.float32))
            raises("CLQL_ERR_INVALID_ARGUMENT", layer.forward, np.zeros(7, dtype=np.float32))
        raises("CLQL_ERR_INVALID_ARGUMENT", layer.forward, np.zeros(128, dtype=np.float32))
