"""Plans, memory reports and the device report equal clql-probe's for the
same recorded devices."""

import json
import subprocess
import sys

import pytest

import clql
from conftest import DEVICES, PACKAGE, SHARED_DEVICES, clean_env, probe


def records(path):
    return [d.profile_id for d in clql.profile_devices(path)]


def assert_plan_eq(what, p, j):
    assert j["fits"] == p.fits, what
    assert j["max_batch"] == p.batch, what
    if p.fits:
        assert j["limited_by"] == p.limited_by, what
        assert j["workspace_bytes"] == p.workspace.total, what
    for key, value in [("budget_bytes", p.budget.bytes), ("weight_bytes", p.weight_bytes),
                       ("free_is_fallback", p.budget.free_is_fallback), ("layers", p.layers),
                       ("batch_cap", p.budget.max_batch), ("max_alloc_bytes", p.budget.max_alloc),
                       ("need_bytes", p.need_bytes), ("over_budget_bytes", p.over_budget_bytes),
                       ("largest_buffer_bytes", p.largest.bytes)]:
        assert j[key] == value, (what, key)


def compare_file(path):
    for rid in records(path):
        dev = clql.profile_devices(path, rid)[0]
        mem = dev.memory
        for q in clql.QType:
            layers = clql.model_preset("bitnet-b1.58-2b4t", q)
            for batch in (None, 64):
                args = ["--profile", "%s:%s" % (path, rid), "--plan", "bitnet-b1.58-2b4t",
                        "--qtype", str(q), "--json"] + (["--batch", str(batch)] if batch else [])
                d = probe(*args)["devices"][0]
                assert d["memory"] == mem.to_json(), rid
                if "error" in d["plan"]:
                    with pytest.raises(clql.Error):
                        clql.plan_model(mem, None, layers, batch)
                    continue
                p = clql.plan_model(mem, None, layers, batch)
                assert_plan_eq((rid, q, batch), p, d["plan"])


def test_model_plans_equal_clql_probe_on_the_bindings_records():
    assert len(records(DEVICES)) == 2
    compare_file(DEVICES)


def test_model_plans_equal_clql_probe_on_every_shared_record():
    if not SHARED_DEVICES.exists():
        pytest.skip("%s not found" % SHARED_DEVICES)
    compare_file(SHARED_DEVICES)


@pytest.mark.parametrize("opts,env", [
    (clql.BudgetOptions(limit=6 << 30), {"CLQL_MEM_LIMIT": "6G"}),
    (clql.BudgetOptions(max_batch=10**9), {"CLQL_MAX_BATCH": "1000000000"}),
    (clql.BudgetOptions(fraction=0.5, reserve_bytes=1 << 30),
     {"CLQL_MEM_FRACTION": "0.5", "CLQL_MEM_RESERVE": "1G"}),
    (clql.BudgetOptions(reserve_percent=7.5), {"CLQL_MEM_RESERVE": "7.5%"}),
    (clql.BudgetOptions(limit=400 << 20), {"CLQL_MEM_LIMIT": "400M"}),
])
def test_budget_options_equal_the_variables(opts, env):
    rid = "nvidia-h100-80gb-hbm3-derived"
    mem = clql.profile_devices(DEVICES, rid)[0].memory
    layers = clql.model_preset("bitnet-b1.58-2b4t")
    j = probe("--profile", "%s:%s" % (DEVICES, rid), "--plan", "bitnet-b1.58-2b4t", "--json",
              env=env)
    p = clql.plan_model(mem, opts, layers)
    assert_plan_eq(env, p, j["devices"][0]["plan"])
    with clql.Config() as cfg:
        for k, v in env.items():
            cfg.set(k, v)
        assert cfg.budget() == opts
    assert clql.budget(mem, opts) == p.budget


def test_layer_plans_equal_clql_probe(tmp_path):
    for rid in records(DEVICES):
        mem = clql.profile_devices(DEVICES, rid)[0].memory
        for n, k, q in [(6912, 2560, "I2S"), (2560, 6912, "TL2"), (13824, 2560, "TL1")]:
            model = tmp_path / ("layer-%dx%d.txt" % (n, k))
            model.write_text("layer %d %d\n" % (n, k))
            j = probe("--profile", "%s:%s" % (DEVICES, rid), "--plan", str(model), "--qtype", q,
                      "--json")["devices"][0]["plan"]
            shape = clql.LayerShape(n, k, q)
            p = clql.plan_layer(mem, None, shape)
            assert (j["fits"], j["max_batch"], j["limited_by"]) == (p.fits, p.batch, p.limited_by)
            assert j["budget_bytes"] == p.budget.bytes
            assert j["workspace_bytes"] == p.workspace.total
            assert j["weight_bytes"] == p.resident_bytes
            assert j["largest_buffer_bytes"] == p.largest_buffer
            assert shape.workspace_bytes(p.batch) == p.workspace


def run_module(*args):
    env = clean_env({"PYTHONPATH": str(PACKAGE)})
    return subprocess.run([sys.executable, "-m", "clql", *args], env=env, capture_output=True,
                          text=True)


def test_python_m_clql_prints_clql_probes_report():
    # Recorded devices: the same text, byte for byte.
    out = run_module("--profile", str(DEVICES))
    assert out.returncode == 0, out.stderr
    assert out.stdout == probe("--profile", str(DEVICES), "--json", parse=False)
    # The live device: the same keys, and the same values but free memory,
    # which moves between two runs.
    out = run_module("--json")
    assert out.returncode == 0, out.stderr
    mine, theirs = json.loads(out.stdout), probe("--json")

    def keys(v):
        if isinstance(v, dict):
            return {k: keys(x) for k, x in v.items()}
        if isinstance(v, list):
            return [keys(x) for x in v]
        return None

    assert keys(mine) == keys(theirs)
    for d in mine["devices"] + theirs["devices"]:
        d["memory"].pop("free")
    assert mine == theirs


def test_python_m_clql_exit_codes():
    assert run_module("--profile", "%s:no-such-record" % DEVICES).returncode == 6
    assert run_module("--profile", "/nonexistent.json").returncode == 2
    assert run_module("-d", "no-such-device-anywhere").returncode == 6
    assert run_module("-d", "1:").returncode == 2


def test_hand_filled_reports_and_model_text():
    mem = clql.MemoryReport(4 << 30, 1 << 30, free=3 << 30)
    b = clql.budget(mem)
    assert b.bytes == (3 << 30) - (256 << 20) and not b.free_is_fallback and b.limit is None
    layers = clql.model_parse("# name N K count\nq 2560 2560 30\ndown 2560 6912 30\n", "TL2")
    assert [(l.name, l.shape, l.count) for l in layers] == [
        ("q", clql.LayerShape(2560, 2560, "TL2"), 30), ("down", clql.LayerShape(2560, 6912, "TL2"), 30)]
    want = sum((l.shape.weight_bytes().weights + l.shape.weight_bytes().scales) * l.count
               for l in layers)
    assert clql.model_weight_bytes(layers) == want
    assert "bitnet-b1.58-2b4t" in clql.model_preset_names()
