"""Closed and collected handles hold no OpenCL object: the live references
the build tree's fault layer (libclql_fault_layer.so through OPENCL_LAYERS)
counts are the same before a context and its layers exist and after they
are gone. Runs in a child process that loads the layer."""

import subprocess
import sys

from conftest import BUILD, PACKAGE, clean_env

CHILD = r"""
import ctypes, gc, os, sys
import numpy as np
import clql

def use_and_drop(close):
    cfg = clql.Config()
    cfg.set("CLQL_MEM_LIMIT", "256M")
    ctx = clql.Context(config=cfg)
    shape = clql.LayerShape(64, 256)
    packed = clql.PackedWeights.pack(shape, np.full(64 * 256, -1, dtype=np.int8),
                                     np.full(64, 0.25, dtype=np.float32))
    a, b = clql.Layer(ctx, packed), clql.Layer(ctx, packed)
    a.forward(np.ones((4, 256), dtype=np.float32))
    b.close()
    a.forward(np.ones(256, dtype=np.float32))
    ctx.config()
    if close:
        ctx.close()  # closes a too
        cfg.close()

use_and_drop(True)  # the first use loads the platform, the layer and PoCL's caches
layer_lib = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
live = layer_lib.clql_fault_live_refs
live.restype = ctypes.c_long
gc.collect()
before = live()
use_and_drop(True)
use_and_drop(False)  # left to the collector
gc.collect()
after = live()
print("live OpenCL references: %d before, %d after" % (before, after))
sys.exit(0 if before == after else 1)
"""


def test_closed_handles_release_every_opencl_object():
    layer = BUILD / "lib" / "libclql_fault_layer.so"
    assert layer.exists(), "%s not built" % layer
    env = clean_env({"OPENCL_LAYERS": str(layer), "PYTHONPATH": str(PACKAGE)})
    out = subprocess.run([sys.executable, "-c", CHILD, str(layer)], env=env,
                         capture_output=True, text=True)
    print(out.stdout, out.stderr)
    assert out.returncode == 0, out.stdout + out.stderr
