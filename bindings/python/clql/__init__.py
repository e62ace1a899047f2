"""clql from Python: ternary ("1.58-bit") quantized linear layers on any
OpenCL device, with workspaces sized from the memory each device really has
free. A ctypes binding of libclql (no compiled extension); the objects are
those of the Rust crate: Context, Config, MemoryReport, BudgetOptions, plans,
Layer with forward, and Error carrying clql's status name and detail.

    import clql
    ctx = clql.Context()                                # CLQL_DEVICE, else the first GPU
    shape = clql.LayerShape(256, 512, clql.QType.I2S)   # 256 outputs, 512 inputs
    layer = clql.Layer.from_weights(ctx, shape, t, scales)
    y = layer.forward(x)                                # numpy in, numpy out (lists without numpy)

Handles (Config, Context, Layer) free what they hold on close(), at the end
of a with block, or when collected; closing a context closes its layers.
"""

import ctypes
import enum
import os
import weakref
from ctypes import POINTER, byref, c_char_p, c_float, c_int8, c_size_t, c_uint64
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from . import _ffi
from ._ffi import lib

try:
    import numpy as _np
except ImportError:  # numpy is optional: lists in and out then
    _np = None

__version__ = "0.1.0"

WS_WITH_INPUT = _ffi.CLQL_WS_WITH_INPUT
WS_WITH_OUTPUT = _ffi.CLQL_WS_WITH_OUTPUT
WS_STAGED = WS_WITH_INPUT | WS_WITH_OUTPUT
GROUP_ROW = _ffi.CLQL_GROUP_ROW
GROUP_TENSOR = _ffi.CLQL_GROUP_TENSOR


def _str(b):
    return b.decode("utf-8", "replace") if b is not None else ""


def _bytes(what, s):
    if s is None:
        return None
    if isinstance(s, os.PathLike):
        s = os.fspath(s)
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    if b"\0" in b:
        raise Error._invalid_argument("%s holds a NUL byte" % what)
    return b


# ---- errors ----


def status_name(status):
    """Symbolic name of any status ("CLQL_ERR_NO_DEVICE", "CL_OUT_OF_RESOURCES")."""
    return _str(lib.clql_status_name(status))


def status_message(status):
    """One-line message of any status."""
    return _str(lib.clql_status_message(status))


class Error(Exception):
    """A failed clql call: status (int), name, message and detail (what clql
    said about this failure; "" when nothing more)."""

    def __init__(self, status, detail=None):
        self.status = status
        self.name = status_name(status)
        self.message = status_message(status)
        self.detail = _str(lib.clql_last_error_detail()) if detail is None else detail
        super().__init__("%s: %s" % (self.name, self.detail or self.message))

    @classmethod
    def _invalid_argument(cls, detail):
        return cls(_ffi.CLQL_ERR_INVALID_ARGUMENT, detail)


def _check(status):
    if status != _ffi.CLQL_SUCCESS:
        raise Error(status)


def version():
    """(major, minor, patch) of the loaded library."""
    v = lib.clql_version()
    return (v >> 16, (v >> 8) & 0xFF, v & 0xFF)


def version_string():
    return _str(lib.clql_version_string())


def _enumerate(struct, call):
    """Ask the size, then pass the buffer."""
    n = c_size_t(0)
    _check(call(None, 0, byref(n)))
    while True:
        if n.value == 0:
            return []
        buf = (struct * n.value)()
        got = c_size_t(n.value)
        st = call(buf, n.value, byref(got))
        if st == _ffi.CLQL_ERR_BUFFER_TOO_SMALL and got.value > n.value:
            n = got
            continue
        _check(st)
        return list(buf)[:got.value]


def _names(call):
    n = c_size_t(0)
    _check(call(None, 0, byref(n)))
    buf = (c_char_p * n.value)()
    _check(call(buf, n.value, byref(n)))
    return [_str(b) for b in buf[:n.value]]


# ---- devices ----

class MemoryReport:
    """A device's memory as clql reports it (bytes), or filled by hand:
    MemoryReport(total, max_alloc, free=None) (None: free unknown)."""

    def __init__(self, total=0, max_alloc=0, free=None, _raw=None):
        if _raw is not None:
            self._raw = _raw
            return
        self._raw = _ffi.clql_memory_report(total=total, max_alloc=max_alloc,
                                            free=free or 0, free_known=free is not None,
                                            free_measured=free is not None)

    total = property(lambda self: self._raw.total)
    max_alloc = property(lambda self: self._raw.max_alloc)
    free = property(lambda self: self._raw.free if self._raw.free_known else None)
    largest_free_block = property(lambda self: self._raw.largest_free_block or None)
    free_measured = property(lambda self: bool(self._raw.free_measured))
    free_source = property(lambda self: _str(lib.clql_mem_source_name(self._raw.free_source)))
    unified = property(lambda self: bool(self._raw.unified))
    free_bounds = property(lambda self: self._raw.free_bounds)

    def to_json(self):
        """The "memory" object of clql-probe --json."""
        bounds = []
        if self.free_bounds & _ffi.CLQL_FREE_WITH_GTT:
            bounds.append("gtt")
        if self.free_bounds & _ffi.CLQL_FREE_HOST_BOUND:
            bounds.append("host")
        return {"total": self.total, "max_alloc": self.max_alloc, "free": self.free,
                "free_source": self.free_source, "free_measured": self.free_measured,
                "unified": self.unified, "free_bounds": bounds}

    def __repr__(self):
        return "MemoryReport(total=%d, max_alloc=%d, free=%r, free_source=%r)" % (
            self.total, self.max_alloc, self.free, self.free_source)


class DeviceInfo:
    """One OpenCL device (or a recorded one) as clql sees it."""

    def __init__(self, raw):
        self._raw = raw

    index = property(lambda self: self._raw.index)
    platform_index = property(lambda self: self._raw.platform_index)
    device_index = property(lambda self: self._raw.device_index)
    platform_name = property(lambda self: _str(self._raw.platform_name))
    name = property(lambda self: _str(self._raw.name))
    vendor = property(lambda self: _str(self._raw.vendor))
    vendor_id = property(lambda self: self._raw.vendor_id)
    type_name = property(lambda self: _str(lib.clql_device_type_name(self._raw.type)))
    driver_version = property(lambda self: _str(self._raw.driver_version))
    host_unified_memory = property(lambda self: bool(self._raw.host_unified_memory))
    compute_units = property(lambda self: self._raw.compute_units)
    local_mem = property(lambda self: self._raw.local_mem)
    memory = property(lambda self: MemoryReport(_raw=self._raw.memory))
    profile_id = property(lambda self: _str(self._raw.profile_id) or None)

    @property
    def pci(self):
        """"DDDD:BB:DD.F", or None."""
        if not self._raw.has_pci:
            return None
        p = self._raw.pci
        return "%04x:%02x:%02x.%x" % (p.domain, p.bus, p.device, p.function)

    def numa(self):
        """{"node", "cpuset", "memory"} of a live PCI device, else None."""
        if not self._raw.has_pci or self.profile_id:
            return None
        out = _ffi.clql_numa_info()
        if lib.clql_pci_numa(byref(self._raw.pci), byref(out)) != _ffi.CLQL_SUCCESS:
            return None
        return {"node": out.node, "cpuset": _str(out.cpuset), "memory": out.memory}

    def memory_now(self):
        """Probe this live device's memory now (no cache)."""
        out = _ffi.clql_memory_report()
        _check(lib.clql_device_memory_refresh(self._raw.device, byref(out)))
        return MemoryReport(_raw=out)

    def to_json(self):
        """The device object of clql-probe --json, with the same keys."""
        d = {"index": self.index, "platform_index": self.platform_index,
             "device_index": self.device_index, "platform": self.platform_name,
             "name": self.name, "vendor": self.vendor, "vendor_id": self.vendor_id,
             "type": self.type_name, "driver_version": self.driver_version,
             "host_unified_memory": self.host_unified_memory,
             "compute_units": self.compute_units, "local_mem": self.local_mem,
             "pci": self.pci, "memory": self.memory.to_json(), "numa": self.numa()}
        if self.profile_id:
            d["profile_id"] = self.profile_id
        return d

    def __repr__(self):
        return "DeviceInfo(%d, %r, %r)" % (self.index, self.name, self.type_name)


def devices():
    """Every device of every platform."""
    return [DeviceInfo(r) for r in _enumerate(_ffi.clql_device_info, lib.clql_devices_get)]


def select_device(selector=None):
    """The device a selector chooses ("P:D", an index, a piece of the name);
    None: $CLQL_DEVICE, else the first GPU, else device 0."""
    sel = _bytes("selector", selector)
    out = _ffi.clql_device_info()
    _check(lib.clql_device_select(sel, byref(out)))
    return DeviceInfo(out)


def select_devices(selectors):
    """The devices a comma-separated selector list chooses, in its order."""
    sel = _bytes("selectors", selectors)
    return [DeviceInfo(r) for r in _enumerate(
        _ffi.clql_device_info, lambda b, c, n: lib.clql_device_set_select(sel, b, c, n))]


def profile_devices(path, id=None):
    """Recorded devices of a profile file (the format of devices.json): every
    record, or the one named id. No OpenCL device is needed."""
    p, i = _bytes("profile path", path), _bytes("profile id", id)
    return [DeviceInfo(r) for r in _enumerate(
        _ffi.clql_device_info, lambda b, c, n: lib.clql_profile_devices(p, i, b, c, n))]


# ---- budgets and plans ----


@dataclass
class BudgetOptions:
    """The budget knobs; None leaves a knob at its default.
    budget = min(free - reserve, fraction x total, limit)."""
    fraction: Optional[float] = None
    limit: Optional[int] = None
    reserve_bytes: Optional[int] = None
    reserve_percent: Optional[float] = None
    max_batch: Optional[int] = None

    _BITS = (("fraction", _ffi.CLQL_BUDGET_FRACTION), ("limit", _ffi.CLQL_BUDGET_LIMIT),
             ("reserve_bytes", _ffi.CLQL_BUDGET_RESERVE_BYTES),
             ("reserve_percent", _ffi.CLQL_BUDGET_RESERVE_PERCENT),
             ("max_batch", _ffi.CLQL_BUDGET_MAX_BATCH))

    def _raw(self):
        raw = _ffi.clql_budget_options()
        for name, bit in self._BITS:
            value = getattr(self, name)
            if value is not None:
                raw.set |= bit
                setattr(raw, name, value)
        return raw

    @classmethod
    def _from_raw(cls, raw):
        return cls(**{name: getattr(raw, name) if raw.set & bit else None
                      for name, bit in cls._BITS})


def _opts(opts):
    return byref(opts._raw()) if opts is not None else None


@dataclass
class Budget:
    bytes: int
    total: int
    free: int
    reserve: int
    fraction: float
    limit: Optional[int]
    max_batch: int
    max_alloc: int
    free_is_fallback: bool
    free_source: str

    @classmethod
    def _from_raw(cls, r):
        return cls(r.bytes, r.total, r.free, r.reserve, r.fraction,
                   None if r.limit == 2**64 - 1 else r.limit, r.max_batch, r.max_alloc,
                   bool(r.free_is_fallback), _str(lib.clql_mem_source_name(r.free_source)))


def budget(mem, opts=None):
    """The budget of a device under opts (None: the defaults)."""
    out = _ffi.clql_budget()
    _check(lib.clql_budget_compute(byref(mem._raw), _opts(opts), byref(out)))
    return Budget._from_raw(out)


class QType(enum.IntEnum):
    I2S = 0
    TL1 = 1
    TL2 = 2

    @classmethod
    def parse(cls, name):
        """Case-insensitive name; Error CLQL_ERR_INVALID_QTYPE otherwise."""
        if isinstance(name, QType):
            return name
        out = _ffi.clql_qtype()
        _check(lib.clql_qtype_parse(_bytes("qtype", name), byref(out)))
        return cls(out.value)

    def __str__(self):
        return _str(lib.clql_qtype_name(self.value))


@dataclass
class WeightBytes:
    k_padded: int
    groups: int
    weights: int
    scales: int
    n_padded: int

    @classmethod
    def _from_raw(cls, r):
        return cls(r.k_padded, r.groups, r.weights, r.scales, r.n_padded)


WORKSPACE_PARTS = [_str(lib.clql_workspace_part_name(i)) for i in range(_ffi.CLQL_WS_PART_COUNT)]


@dataclass
class WorkspaceBytes:
    batch: int
    parts: Dict[str, int]
    largest: int
    total: int

    @classmethod
    def _from_raw(cls, r):
        return cls(r.batch, dict(zip(WORKSPACE_PARTS, r.part)), r.largest, r.total)


@dataclass
class LayerShape:
    """y[B][n] = x[B][k] * W^T; group_size GROUP_ROW (a scale per row),
    GROUP_TENSOR, or G weights per scale."""
    n: int
    k: int
    qtype: QType = QType.I2S
    group_size: int = GROUP_ROW

    def __post_init__(self):
        self.qtype = QType.parse(self.qtype)

    def _raw(self):
        return _ffi.clql_layer_shape(self.n, self.k, int(self.qtype), self.group_size)

    @classmethod
    def _from_raw(cls, r):
        return cls(r.n, r.k, QType(r.qtype), r.group_size)

    def check(self):
        _check(lib.clql_layout_check(byref(self._raw())))

    def scale_count(self):
        out = c_uint64()
        _check(lib.clql_scale_count(byref(self._raw()), byref(out)))
        return out.value

    def weight_bytes(self):
        out = _ffi.clql_weight_bytes()
        _check(lib.clql_layout_weight_bytes(byref(self._raw()), byref(out)))
        return WeightBytes._from_raw(out)

    def workspace_bytes(self, batch, ws_flags=WS_STAGED):
        out = _ffi.clql_workspace_bytes()
        _check(lib.clql_layout_workspace_bytes(byref(self._raw()), batch, ws_flags, byref(out)))
        return WorkspaceBytes._from_raw(out)


def _limited_by(raw):
    return _str(lib.clql_limited_by_name(raw))


@dataclass
class LayerPlan:
    shape: LayerShape
    budget: Budget
    weights: WeightBytes
    workspace: WorkspaceBytes
    batch: int
    limited_by: str
    fits: bool
    resident_bytes: int
    largest_buffer: int

    @classmethod
    def _from_raw(cls, r):
        return cls(LayerShape._from_raw(r.shape), Budget._from_raw(r.budget),
                   WeightBytes._from_raw(r.weights), WorkspaceBytes._from_raw(r.workspace),
                   r.batch, _limited_by(r.limited_by), bool(r.fits), r.resident_bytes,
                   r.largest_buffer)


def plan_layer(mem, opts, shape, requested_batch=None, ws_flags=WS_STAGED):
    """The largest batch (at most requested_batch and the cap) whose weights
    and workspace fit the budget, every buffer within max_alloc."""
    out = _ffi.clql_layer_plan()
    _check(lib.clql_plan_layer(byref(mem._raw), _opts(opts), byref(shape._raw()),
                               requested_batch or 0, ws_flags, byref(out)))
    return LayerPlan._from_raw(out)


@dataclass
class ModelLayer:
    name: str
    shape: LayerShape
    count: int = 1

    def _raw(self):
        name = _bytes("layer name", self.name)
        if len(name) >= _ffi.CLQL_MODEL_NAME_MAX:
            raise Error._invalid_argument("layer name '%s' is too long" % self.name)
        return _ffi.clql_model_layer(name, self.shape._raw(), self.count)

    @classmethod
    def _from_raw(cls, r):
        return cls(_str(r.name), LayerShape._from_raw(r.shape), r.count)


def _layers(layers):
    arr = (_ffi.clql_model_layer * len(layers))(*[l._raw() for l in layers])
    return arr, len(layers)


def model_preset_names():
    return _names(lib.clql_model_preset_names)


def model_preset(name, qtype=QType.I2S):
    n, q = _bytes("preset", name), int(QType.parse(qtype))
    return [ModelLayer._from_raw(r) for r in _enumerate(
        _ffi.clql_model_layer, lambda b, c, k: lib.clql_model_preset(n, q, b, c, k))]


def model_parse(text, qtype=QType.I2S):
    t, q = _bytes("model text", text), int(QType.parse(qtype))
    return [ModelLayer._from_raw(r) for r in _enumerate(
        _ffi.clql_model_layer, lambda b, c, k: lib.clql_model_parse(t, q, b, c, k))]


def model_load(path, qtype=QType.I2S):
    p, q = _bytes("model path", path), int(QType.parse(qtype))
    return [ModelLayer._from_raw(r) for r in _enumerate(
        _ffi.clql_model_layer, lambda b, c, k: lib.clql_model_load(p, q, b, c, k))]


def model_weight_bytes(layers):
    arr, n = _layers(layers)
    out = c_uint64()
    _check(lib.clql_model_weight_bytes(arr, n, byref(out)))
    return out.value


def model_workspace_bytes(layers, batch, ws_flags=WS_STAGED):
    arr, n = _layers(layers)
    out = _ffi.clql_workspace_bytes()
    _check(lib.clql_model_workspace_bytes(arr, n, batch, ws_flags, byref(out)))
    return WorkspaceBytes._from_raw(out)


@dataclass
class BufferRef:
    bytes: int
    layer: int
    kind: str
    part: str


@dataclass
class ModelPlan:
    budget: Budget
    layers: int
    weight_bytes: int
    workspace: WorkspaceBytes
    batch: int
    limited_by: str
    fits: bool
    need_bytes: int
    over_budget_bytes: int
    largest: BufferRef

    @classmethod
    def _from_raw(cls, r):
        b = r.largest
        return cls(Budget._from_raw(r.budget), r.layers, r.weight_bytes,
                   WorkspaceBytes._from_raw(r.workspace), r.batch, _limited_by(r.limited_by),
                   bool(r.fits), r.need_bytes, r.over_budget_bytes,
                   BufferRef(b.bytes, b.layer, _str(lib.clql_buffer_kind_name(b.kind)),
                             _str(lib.clql_workspace_part_name(b.part))))


def plan_model(mem, opts, layers, requested_batch=None, ws_flags=WS_STAGED):
    """Every layer's weights resident, one shared workspace: the largest batch
    that fits. A model that does not fit has fits False and the numbers."""
    arr, n = _layers(layers)
    out = _ffi.clql_model_plan()
    _check(lib.clql_plan_model(byref(mem._raw), _opts(opts), arr, n, requested_batch or 0,
                               ws_flags, byref(out)))
    return ModelPlan._from_raw(out)


# ---- configuration ----


class _Handle:
    """A C handle freed by close(), a with block's end, or collection."""
    _ptr = None

    def close(self):
        if self._ptr:
            self._destroy(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _live(self):
        if not self._ptr:
            raise Error._invalid_argument("%s is closed" % type(self).__name__)
        return self._ptr


class Config(_Handle):
    """A configuration: knobs named by their variables ("CLQL_MEM_LIMIT"), in
    their grammar. Config() has the defaults; Config.from_env() reads the
    environment now."""
    _destroy = staticmethod(lib.clql_config_destroy)

    def __init__(self, _ptr=None):
        if _ptr is None:
            _ptr = POINTER(_ffi.clql_config)()
            _check(lib.clql_config_create(byref(_ptr)))
        self._ptr = _ptr

    @classmethod
    def from_env(cls):
        p = POINTER(_ffi.clql_config)()
        _check(lib.clql_config_from_env(byref(p)))
        return cls(p)

    def copy(self):
        p = POINTER(_ffi.clql_config)()
        _check(lib.clql_config_copy(self._live(), byref(p)))
        return Config(p)

    def set(self, name, value):
        """Set a knob; None unsets it."""
        _check(lib.clql_config_set(self._live(), _bytes("knob", name), _bytes("value", value)))

    def get(self, name):
        """The value a knob was set to, or None."""
        n = _bytes("knob", name)
        length = c_size_t(0)
        st = lib.clql_config_get(self._live(), n, None, 0, byref(length))
        if st not in (_ffi.CLQL_SUCCESS, _ffi.CLQL_ERR_BUFFER_TOO_SMALL):
            _check(st)
        buf = ctypes.create_string_buffer(length.value + 1)
        _check(lib.clql_config_get(self._ptr, n, buf, len(buf), byref(length)))
        return _str(buf.value) or None

    @staticmethod
    def names():
        return _names(lib.clql_config_names)

    def budget(self):
        """The budget knobs as BudgetOptions."""
        out = _ffi.clql_budget_options()
        _check(lib.clql_config_budget(self._live(), byref(out)))
        return BudgetOptions._from_raw(out)

    def set_budget(self, opts):
        _check(lib.clql_config_set_budget(self._live(), byref(opts._raw())))


# ---- contexts and layers ----


@dataclass
class ContextMemory:
    budget: Budget
    total: int
    free: int
    free_known: bool
    free_source: str
    held_at_probe: int
    others_at_probe: int
    held: int
    resident: int
    workspace: int
    remaining: int
    layers: int
    batch: int
    workspace_flags: int
    limited_by: str
    batch_cap: int
    halvings: int


class Context(_Handle):
    """A clql context on one device (selector None: the configuration's
    CLQL_DEVICE, else the first GPU, else device 0; config None: the
    environment, read now). It owns its layers' weights and one workspace,
    within its budget; closing it closes its layers. One thread at a time."""
    _destroy = staticmethod(lib.clql_context_destroy)

    def __init__(self, selector=None, config=None):
        sel = _bytes("selector", selector)
        p = POINTER(_ffi.clql_context)()
        _check(lib.clql_context_create(sel, config._live() if config else None, byref(p)))
        self._ptr = p
        self._layers = weakref.WeakSet()

    def close(self):
        for layer in list(getattr(self, "_layers", ())):
            layer.close()
        super().close()

    @property
    def device(self):
        """The device, with its memory report from the last probe."""
        return DeviceInfo(_ffi.clql_device_info.from_buffer_copy(
            lib.clql_context_device_info(self._live()).contents))

    def config(self):
        """A copy of the configuration the context was created with."""
        p = POINTER(_ffi.clql_config)()
        _check(lib.clql_config_copy(lib.clql_context_config(self._live()), byref(p)))
        return Config(p)

    def memory(self):
        m = _ffi.clql_context_memory()
        _check(lib.clql_context_get_memory(self._live(), byref(m)))
        return ContextMemory(Budget._from_raw(m.budget), m.total, m.free, bool(m.free_known),
                             _str(lib.clql_mem_source_name(m.free_source)), m.held_at_probe,
                             m.others_at_probe, m.held, m.resident, m.workspace, m.remaining,
                             m.layers, m.batch, m.workspace_flags, _limited_by(m.limited_by),
                             m.batch_cap, m.halvings)

    def refresh(self):
        _check(lib.clql_context_refresh(self._live()))

    def release_workspace(self):
        lib.clql_context_release_workspace(self._live())

    def launches(self):
        return lib.clql_context_launches(self._live())

    def finish(self):
        """Wait for everything enqueued on the context's queue, as its synchronous calls wait."""
        _check(lib.clql_context_finish(self._live()))

    def wait_mode(self):
        """How the context waits: "poll" or "block" (CLQL_WAIT)."""
        return lib.clql_context_wait_mode(self._live()).decode()


def _int8(what, values, count):
    """(keepalive, pointer) of count int8 values."""
    if _np is not None and isinstance(values, _np.ndarray):
        a = _np.ascontiguousarray(values, dtype=_np.int8).reshape(-1)
        if a.size != count:
            raise Error._invalid_argument("%s holds %d values, needs %d" % (what, a.size, count))
        return a, a.ctypes.data_as(POINTER(c_int8))
    flat = _flatten(values)
    if len(flat) != count:
        raise Error._invalid_argument("%s holds %d values, needs %d" % (what, len(flat), count))
    a = (c_int8 * count)(*flat)
    return a, ctypes.cast(a, POINTER(c_int8))


def _float32(what, values, count=None):
    """(keepalive, pointer, count, rows) of float32 values; rows is the number
    of rows of a 2-D input, None for a 1-D one."""
    if _np is not None and isinstance(values, _np.ndarray):
        a = _np.ascontiguousarray(values, dtype=_np.float32)
        rows = a.shape[0] if a.ndim == 2 else None
        a = a.reshape(-1)
        ptr = a.ctypes.data_as(POINTER(c_float))
    else:
        values = list(values)
        rows = len(values) if values and isinstance(values[0], (list, tuple)) else None
        flat = _flatten(values)
        a = (c_float * len(flat))(*flat)
        ptr = ctypes.cast(a, POINTER(c_float))
    n = len(a)
    if count is not None and n != count:
        raise Error._invalid_argument("%s holds %d values, needs %d" % (what, n, count))
    return a, ptr, n, rows


def _flatten(values):
    out = []
    for v in values:
        if isinstance(v, (list, tuple)) or (_np is not None and isinstance(v, _np.ndarray)):
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def _output(count, rows, width):
    """(result, pointer): a numpy array when numpy is present, else a list
    filled after the call through _finish."""
    if _np is not None:
        y = _np.empty((rows, width) if rows is not None else count, dtype=_np.float32)
        return y, y.ctypes.data_as(POINTER(c_float))
    buf = (c_float * count)()
    return buf, ctypes.cast(buf, POINTER(c_float))


def _finish(y, rows, width):
    if _np is not None:
        return y
    flat = list(y)
    if rows is None:
        return flat
    return [flat[i * width:(i + 1) * width] for i in range(rows)]


class PackedWeights:
    """Weights packed in a device layout, in buffers this object owns."""

    def __init__(self, shape):
        self.shape = shape
        wb = shape.weight_bytes()
        self._weights = (ctypes.c_uint64 * ((wb.weights + 7) // 8))()
        self._scales = (c_float * ((wb.scales + 3) // 4))()
        self._raw = _ffi.clql_packed(shape._raw(), ctypes.cast(self._weights, ctypes.c_void_p),
                                     wb.weights, ctypes.cast(self._scales, POINTER(c_float)),
                                     wb.scales)

    @classmethod
    def pack(cls, shape, t, scales):
        """int8 ternary t[n][k] and scales (shape.scale_count() of them)."""
        p = cls(shape)
        keep_t, pt = _int8("t", t, shape.n * shape.k)
        keep_s, ps, ns, _ = _float32("scales", scales)
        _check(lib.clql_pack_ternary(byref(p._raw), pt, shape.n * shape.k, ps, ns))
        return p

    @classmethod
    def quantize(cls, shape, w):
        """Float weights w[n][k], quantized with the BitNet b1.58 rule."""
        p = cls(shape)
        keep, pw, n, _ = _float32("w", w, shape.n * shape.k)
        _check(lib.clql_pack_float(byref(p._raw), pw, n))
        return p

    def unpack(self):
        """(t, scales) back: numpy arrays, or lists without numpy."""
        count, ns = self.shape.n * self.shape.k, self.shape.scale_count()
        t, s = (c_int8 * count)(), (c_float * ns)()
        _check(lib.clql_unpack_ternary(byref(self._raw), t, count, s, ns))
        if _np is not None:
            return (_np.ctypeslib.as_array(t).copy().reshape(self.shape.n, self.shape.k),
                    _np.ctypeslib.as_array(s).copy())
        return list(t), list(s)


@dataclass
class LayerStats:
    plan: LayerPlan
    resident_bytes: int
    workspace_planned: int
    workspace_allocated: int
    workspace_batch: int
    workspace_flags: int
    batch_cap: int
    chunks: int
    halvings: int


def _ternary(shape, t, scales, keep):
    kt, pt = _int8("t", t, shape.n * shape.k)
    ks, ps, ns, _ = _float32("scales", scales)
    keep.extend((kt, ks))
    return _ffi.clql_ternary_weights(shape._raw(), pt, shape.n * shape.k, ps, ns)


class Layer(_Handle):
    """A ternary linear layer on a context's device: y[B][n] = x[B][k] * W^T."""
    _destroy = staticmethod(lib.clql_layer_destroy)

    def __init__(self, ctx, packed, opts=None, _ptr=None, _n=None):
        if _ptr is None:
            _ptr = POINTER(_ffi.clql_layer)()
            _check(lib.clql_layer_create(ctx._live(), byref(packed._raw), _opts(opts),
                                         byref(_ptr)))
            _n, self.k = packed.shape.n, packed.shape.k
        self._ptr = _ptr
        self.n = _n
        self._ctx = ctx
        ctx._layers.add(self)

    @classmethod
    def from_weights(cls, ctx, shape, t, scales, opts=None):
        """Pack and upload in one step."""
        return cls(ctx, PackedWeights.pack(shape, t, scales), opts)

    @classmethod
    def fused(cls, ctx, parts, opts=None):
        """One layer from (shape, t, scales) parts that read the same input;
        their outputs side by side in each token's row of y."""
        keep = []
        raw = (_ffi.clql_ternary_weights * len(parts))(
            *[_ternary(s, t, sc, keep) for s, t, sc in parts])
        p = POINTER(_ffi.clql_layer)()
        _check(lib.clql_layer_create_fused(ctx._live(), raw, len(parts), _opts(opts), byref(p)))
        layer = cls(ctx, None, _ptr=p, _n=sum(s.n for s, _, _ in parts))
        layer.k = parts[0][0].k
        return layer

    def part(self, index):
        """(offset, rows): the columns of y that part index of a fused layer writes."""
        offset, rows = c_uint64(), c_uint64()
        _check(lib.clql_layer_get_part(self._live(), index, byref(offset), byref(rows)))
        return offset.value, rows.value

    def forward(self, x, batch=None):
        """x[batch][k] floats in (a numpy array, or a list of rows or a flat
        list), y[batch][n] out: a numpy array when numpy is present, else a
        list in x's shape. batch defaults to len(x) / k."""
        keep, px, count, rows = _float32("x", x)
        if batch is None:
            if count % self.k:
                raise Error._invalid_argument("x holds %d floats, not a multiple of k = %d"
                                              % (count, self.k))
            batch = count // self.k
        if count != batch * self.k:
            raise Error._invalid_argument("x holds %d floats; %d tokens of %d need %d"
                                          % (count, batch, self.k, batch * self.k))
        y, py = _output(batch * self.n, rows, self.n)
        _check(lib.clql_layer_forward(self._live(), px, batch, py))
        return _finish(y, rows, self.n)

    def workspace_bytes(self, batch):
        out = c_uint64()
        _check(lib.clql_layer_workspace_bytes(self._live(), batch, byref(out)))
        return out.value

    def stats(self):
        s = _ffi.clql_layer_stats()
        _check(lib.clql_layer_get_stats(self._live(), byref(s)))
        return LayerStats(LayerPlan._from_raw(s.plan), s.resident_bytes, s.workspace_planned,
                          s.workspace_allocated, s.workspace_batch, s.workspace_flags,
                          s.batch_cap, s.chunks, s.halvings)

    @property
    def kernels(self):
        """Which product kernels run the layer: "x86", "ksplit" or "portable"."""
        return lib.clql_layer_kernels(self._live()).decode()

    def release_workspace(self):
        lib.clql_layer_release_workspace(self._live())


# ---- the C reference ----


def reference_forward(shape, t, scales, x, batch=None):
    """clql_ref_forward: what every kernel is tested against. Returns y like
    Layer.forward does."""
    kt, pt = _int8("t", t, shape.n * shape.k)
    ks, ps, _, _ = _float32("scales", scales, shape.scale_count())
    kx, px, count, rows = _float32("x", x)
    if batch is None:
        batch = count // shape.k
    if count != batch * shape.k:
        raise Error._invalid_argument("x holds %d floats, needs %d" % (count, batch * shape.k))
    y, py = _output(batch * shape.n, rows, shape.n)
    _check(lib.clql_ref_forward(byref(shape._raw()), pt, ps, px, batch, py))
    return _finish(y, rows, shape.n)


def reference_quantize_activations(x, tokens, k):
    """(q, scales): per-token int8 activations and 127/amax per token."""
    kx, px, count, _ = _float32("x", x, tokens * k)
    q, s = (c_int8 * count)(), (c_float * tokens)()
    _check(lib.clql_ref_quantize_activations(px, tokens, k, q, k, s))
    if _np is not None:
        return (_np.ctypeslib.as_array(q).copy().reshape(tokens, k),
                _np.ctypeslib.as_array(s).copy())
    return list(q), list(s)
