"""Shared by the tests: the package from this checkout, the build tree and
its tools, the test data."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
PACKAGE = HERE.parent
REPO = PACKAGE.parent.parent
sys.path.insert(0, str(PACKAGE))

BUILD = pathlib.Path(os.environ.get("CLQL_BUILD_DIR", REPO / "build"))
DEVICES = REPO / "bindings" / "data" / "devices.json"
SHARED_DEVICES = REPO.parent / "shared" / "data" / "devices.json"
KNOBS = ("CLQL_MEM_FRACTION", "CLQL_MEM_LIMIT", "CLQL_MEM_RESERVE", "CLQL_MAX_BATCH")


def clean_env(extra=None):
    """The environment less the caller's budget knobs, plus extra."""
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env.update(extra or {})
    return env


def probe(*args, env=None, parse=True):
    """clql-probe of the build tree: its JSON, or its text."""
    out = subprocess.run([str(BUILD / "bin" / "clql-probe"), *args], env=clean_env(env),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if parse else out.stdout


@pytest.fixture
def rng():
    seed = int(os.environ.get("CLQL_TEST_SEED", "0")) or int.from_bytes(os.urandom(4), "little")
    print("seed %d (CLQL_TEST_SEED)" % seed)
    import random
    return random.Random(seed)
