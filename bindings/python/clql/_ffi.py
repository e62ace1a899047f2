"""Every ctypes declaration of the binding, in one place: the library, the C
structs it uses and the prototypes of the functions it calls, as
include/clql/*.h declares them. tests/test_abi.py checks them against the
headers and a C compiler (sizes, field offsets, argument types).

The library is found through $CLQL_LIBRARY (a path to libclql.so), else the
build tree ($CLQL_BUILD_DIR/lib, else build/lib of the checkout this file
sits in), else ctypes.util.find_library("clql"), else the dynamic loader's
search for libclql.so.0 (LD_LIBRARY_PATH).
"""

import ctypes
import ctypes.util
import os
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_float,
                    c_int, c_int8, c_size_t, c_uint, c_uint32, c_uint64,
                    c_void_p)

# ---- the library ----


def _candidates():
    env = os.environ.get("CLQL_LIBRARY")
    if env:
        yield env
        return
    build = os.environ.get("CLQL_BUILD_DIR")
    if build:
        yield os.path.join(build, "lib", "libclql.so")
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.normpath(os.path.join(here, "..", "..", "..", "build", "lib", "libclql.so"))
    found = ctypes.util.find_library("clql")
    if found:
        yield found
    yield "libclql.so.0"


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path + " (absent)")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise OSError("libclql not found; set CLQL_LIBRARY to its path. Tried: " + "; ".join(tried))


lib = _load()

# ---- types ----

# C enums are ints: clql_status is signed, the others unsigned.
clql_status = c_int
clql_qtype = c_uint
clql_mem_source = c_uint
clql_limited_by = c_uint
clql_buffer_kind = c_uint
clql_workspace_part = c_uint
cl_ulong = c_uint64
cl_uint = c_uint32
cl_device_type = c_uint64
cl_platform_id = c_void_p
cl_device_id = c_void_p

CLQL_SUCCESS = 0
CLQL_ERR_INVALID_ARGUMENT = -10000
CLQL_ERR_NO_PLATFORM = -10003
CLQL_ERR_NO_DEVICE = -10004
CLQL_ERR_BAD_SELECTOR = -10005
CLQL_ERR_BUFFER_TOO_SMALL = -10006
CLQL_ERR_IO = -10009
CLQL_ERR_PARSE = -10010
CLQL_ERR_NOT_FOUND = -10018
CLQL_ERR_INVALID_CONFIG = -10019
CLQL_ERR_INTERNAL = -10020

CLQL_NAME_MAX = 256
CLQL_MODEL_NAME_MAX = 64
CLQL_WS_PART_COUNT = 6
CLQL_GROUP_ROW = 0
CLQL_GROUP_TENSOR = 0xFFFFFFFF
CLQL_WS_WITH_INPUT = 1
CLQL_WS_WITH_OUTPUT = 2
CLQL_FREE_WITH_GTT = 1
CLQL_FREE_HOST_BOUND = 2
CLQL_BUDGET_FRACTION = 1
CLQL_BUDGET_LIMIT = 2
CLQL_BUDGET_RESERVE_BYTES = 4
CLQL_BUDGET_RESERVE_PERCENT = 8
CLQL_BUDGET_MAX_BATCH = 16


class clql_config(Structure):
    """Opaque."""


class clql_context(Structure):
    """Opaque."""


class clql_layer(Structure):
    """Opaque."""


class clql_memory_report(Structure):
    _fields_ = [("total", cl_ulong), ("max_alloc", cl_ulong), ("free", cl_ulong),
                ("largest_free_block", cl_ulong), ("free_known", c_int),
                ("free_measured", c_int), ("free_source", clql_mem_source),
                ("unified", c_int), ("free_bounds", c_uint)]


class clql_pci_address(Structure):
    _fields_ = [("domain", c_uint), ("bus", c_uint), ("device", c_uint), ("function", c_uint)]


class clql_device_info(Structure):
    _fields_ = [("index", c_uint), ("platform_index", c_uint), ("device_index", c_uint),
                ("platform", cl_platform_id), ("device", cl_device_id),
                ("platform_name", c_char * CLQL_NAME_MAX), ("name", c_char * CLQL_NAME_MAX),
                ("vendor", c_char * CLQL_NAME_MAX), ("driver_version", c_char * CLQL_NAME_MAX),
                ("vendor_id", cl_uint), ("type", cl_device_type), ("host_unified_memory", c_int),
                ("compute_units", cl_uint), ("local_mem", cl_ulong), ("has_pci", c_int),
                ("pci", clql_pci_address), ("memory", clql_memory_report),
                ("profile_id", c_char * CLQL_NAME_MAX)]


class clql_numa_info(Structure):
    _fields_ = [("node", c_int), ("cpuset", c_char * CLQL_NAME_MAX), ("memory", cl_ulong)]


class clql_budget_options(Structure):
    _fields_ = [("set", c_uint), ("fraction", c_double), ("limit", c_uint64),
                ("reserve_bytes", c_uint64), ("reserve_percent", c_double),
                ("max_batch", c_uint64), ("from_env", c_uint)]


class clql_budget(Structure):
    _fields_ = [("bytes", c_uint64), ("total", c_uint64), ("free", c_uint64),
                ("reserve", c_uint64), ("fraction", c_double), ("limit", c_uint64),
                ("max_batch", c_uint64), ("max_alloc", c_uint64), ("free_is_fallback", c_int),
                ("free_source", clql_mem_source), ("from_env", c_uint)]


class clql_layer_shape(Structure):
    _fields_ = [("n", c_uint64), ("k", c_uint64), ("qtype", clql_qtype), ("group_size", c_uint32)]


class clql_weight_bytes(Structure):
    _fields_ = [("k_padded", c_uint64), ("groups", c_uint64), ("weights", c_uint64),
                ("scales", c_uint64), ("n_padded", c_uint64)]


class clql_workspace_bytes(Structure):
    _fields_ = [("batch", c_uint64), ("part", c_uint64 * CLQL_WS_PART_COUNT),
                ("largest", c_uint64), ("total", c_uint64)]


class clql_layer_plan(Structure):
    _fields_ = [("shape", clql_layer_shape), ("budget", clql_budget),
                ("weights", clql_weight_bytes), ("workspace", clql_workspace_bytes),
                ("batch", c_uint64), ("limited_by", clql_limited_by), ("fits", c_int),
                ("resident_bytes", c_uint64), ("largest_buffer", c_uint64)]


class clql_model_layer(Structure):
    _fields_ = [("name", c_char * CLQL_MODEL_NAME_MAX), ("shape", clql_layer_shape),
                ("count", c_uint64)]


class clql_buffer_ref(Structure):
    _fields_ = [("bytes", c_uint64), ("layer", c_size_t), ("kind", clql_buffer_kind),
                ("part", clql_workspace_part)]


class clql_model_plan(Structure):
    _fields_ = [("budget", clql_budget), ("layers", c_uint64), ("weight_bytes", c_uint64),
                ("workspace", clql_workspace_bytes), ("batch", c_uint64),
                ("limited_by", clql_limited_by), ("fits", c_int), ("need_bytes", c_uint64),
                ("over_budget_bytes", c_uint64), ("largest", clql_buffer_ref)]


class clql_packed(Structure):
    _fields_ = [("shape", clql_layer_shape), ("weights", c_void_p), ("weights_bytes", c_uint64),
                ("scales", POINTER(c_float)), ("scales_bytes", c_uint64)]


class clql_ternary_weights(Structure):
    _fields_ = [("shape", clql_layer_shape), ("t", POINTER(c_int8)), ("t_count", c_uint64),
                ("scales", POINTER(c_float)), ("scale_count", c_uint64)]


class clql_context_memory(Structure):
    _fields_ = [("budget", clql_budget), ("total", c_uint64), ("free", c_uint64),
                ("free_known", c_int), ("free_source", clql_mem_source),
                ("held_at_probe", c_uint64), ("others_at_probe", c_uint64), ("held", c_uint64),
                ("resident", c_uint64), ("workspace", c_uint64), ("remaining", c_uint64),
                ("layers", c_uint64), ("batch", c_uint64), ("workspace_flags", c_uint),
                ("limited_by", clql_limited_by), ("batch_cap", c_uint64),
                ("halvings", c_uint64)]


class clql_layer_stats(Structure):
    _fields_ = [("plan", clql_layer_plan), ("resident_bytes", c_uint64),
                ("workspace_planned", c_uint64), ("workspace_allocated", c_uint64),
                ("workspace_batch", c_uint64), ("workspace_flags", c_uint),
                ("batch_cap", c_uint64), ("chunks", c_uint64), ("halvings", c_uint64)]


STRUCTS = [clql_memory_report, clql_pci_address, clql_device_info, clql_numa_info,
           clql_budget_options, clql_budget, clql_layer_shape, clql_weight_bytes,
           clql_workspace_bytes, clql_layer_plan, clql_model_layer, clql_buffer_ref,
           clql_model_plan, clql_packed, clql_ternary_weights, clql_context_memory,
           clql_layer_stats]

P = POINTER
# name: (return type or None, [argument types])
FUNCTIONS = {
    # status.h, version.h
    "clql_status_name": (c_char_p, [c_int]),
    "clql_status_message": (c_char_p, [c_int]),
    "clql_last_error_detail": (c_char_p, []),
    "clql_version": (c_uint, []),
    "clql_version_string": (c_char_p, []),
    # device.h, profile.h, numa.h, multi.h
    "clql_mem_source_name": (c_char_p, [clql_mem_source]),
    "clql_device_type_name": (c_char_p, [cl_device_type]),
    "clql_devices_get": (clql_status, [P(clql_device_info), c_size_t, P(c_size_t)]),
    "clql_device_select": (clql_status, [c_char_p, P(clql_device_info)]),
    "clql_device_set_select": (clql_status, [c_char_p, P(clql_device_info), c_size_t, P(c_size_t)]),
    "clql_device_memory_refresh": (clql_status, [cl_device_id, P(clql_memory_report)]),
    "clql_profile_devices": (clql_status, [c_char_p, c_char_p, P(clql_device_info), c_size_t,
                                           P(c_size_t)]),
    "clql_pci_numa": (clql_status, [P(clql_pci_address), P(clql_numa_info)]),
    # config.h
    "clql_config_create": (clql_status, [P(P(clql_config))]),
    "clql_config_from_env": (clql_status, [P(P(clql_config))]),
    "clql_config_copy": (clql_status, [P(clql_config), P(P(clql_config))]),
    "clql_config_destroy": (None, [P(clql_config)]),
    "clql_config_set": (clql_status, [P(clql_config), c_char_p, c_char_p]),
    "clql_config_get": (clql_status, [P(clql_config), c_char_p, c_char_p, c_size_t,
                                      P(c_size_t)]),
    "clql_config_names": (clql_status, [P(c_char_p), c_size_t, P(c_size_t)]),
    "clql_config_budget": (clql_status, [P(clql_config), P(clql_budget_options)]),
    "clql_config_set_budget": (clql_status, [P(clql_config), P(clql_budget_options)]),
    # context.h
    "clql_context_create": (clql_status, [c_char_p, P(clql_config), P(P(clql_context))]),
    "clql_context_destroy": (None, [P(clql_context)]),
    "clql_context_device_info": (P(clql_device_info), [P(clql_context)]),
    "clql_context_config": (P(clql_config), [P(clql_context)]),
    "clql_context_get_memory": (clql_status, [P(clql_context), P(clql_context_memory)]),
    "clql_context_refresh": (clql_status, [P(clql_context)]),
    "clql_context_release_workspace": (None, [P(clql_context)]),
    "clql_context_launches": (c_uint64, [P(clql_context)]),
    "clql_context_finish": (clql_status, [P(clql_context)]),
    "clql_context_wait_mode": (c_char_p, [P(clql_context)]),
    # layout.h, plan.h, model.h
    "clql_qtype_name": (c_char_p, [clql_qtype]),
    "clql_qtype_parse": (clql_status, [c_char_p, P(clql_qtype)]),
    "clql_workspace_part_name": (c_char_p, [clql_workspace_part]),
    "clql_layout_check": (clql_status, [P(clql_layer_shape)]),
    "clql_layout_weight_bytes": (clql_status, [P(clql_layer_shape), P(clql_weight_bytes)]),
    "clql_layout_workspace_bytes": (clql_status, [P(clql_layer_shape), c_uint64, c_uint,
                                                  P(clql_workspace_bytes)]),
    "clql_limited_by_name": (c_char_p, [clql_limited_by]),
    "clql_buffer_kind_name": (c_char_p, [clql_buffer_kind]),
    "clql_budget_compute": (clql_status, [P(clql_memory_report), P(clql_budget_options),
                                          P(clql_budget)]),
    "clql_plan_layer": (clql_status, [P(clql_memory_report), P(clql_budget_options),
                                      P(clql_layer_shape), c_uint64, c_uint,
                                      P(clql_layer_plan)]),
    "clql_plan_model": (clql_status, [P(clql_memory_report), P(clql_budget_options),
                                      P(clql_model_layer), c_size_t, c_uint64, c_uint,
                                      P(clql_model_plan)]),
    "clql_model_preset_names": (clql_status, [P(c_char_p), c_size_t, P(c_size_t)]),
    "clql_model_preset": (clql_status, [c_char_p, clql_qtype, P(clql_model_layer), c_size_t,
                                        P(c_size_t)]),
    "clql_model_parse": (clql_status, [c_char_p, clql_qtype, P(clql_model_layer), c_size_t,
                                       P(c_size_t)]),
    "clql_model_load": (clql_status, [c_char_p, clql_qtype, P(clql_model_layer), c_size_t,
                                      P(c_size_t)]),
    "clql_model_weight_bytes": (clql_status, [P(clql_model_layer), c_size_t, P(c_uint64)]),
    "clql_model_workspace_bytes": (clql_status, [P(clql_model_layer), c_size_t, c_uint64,
                                                 c_uint, P(clql_workspace_bytes)]),
    # ternary.h, activation.h
    "clql_scale_count": (clql_status, [P(clql_layer_shape), P(c_uint64)]),
    "clql_pack_float": (clql_status, [P(clql_packed), P(c_float), c_uint64]),
    "clql_pack_ternary": (clql_status, [P(clql_packed), P(c_int8), c_uint64, P(c_float),
                                        c_uint64]),
    "clql_unpack_ternary": (clql_status, [P(clql_packed), P(c_int8), c_uint64, P(c_float),
                                          c_uint64]),
    "clql_ref_forward": (clql_status, [P(clql_layer_shape), P(c_int8), P(c_float), P(c_float),
                                       c_uint64, P(c_float)]),
    "clql_ref_quantize_activations": (clql_status, [P(c_float), c_size_t, c_size_t, P(c_int8),
                                                    c_size_t, P(c_float)]),
    # layer.h
    "clql_layer_create": (clql_status, [P(clql_context), P(clql_packed),
                                        P(clql_budget_options), P(P(clql_layer))]),
    "clql_layer_create_fused": (clql_status, [P(clql_context), P(clql_ternary_weights),
                                              c_size_t, P(clql_budget_options),
                                              P(P(clql_layer))]),
    "clql_layer_get_part": (clql_status, [P(clql_layer), c_size_t, P(c_uint64), P(c_uint64)]),
    "clql_layer_destroy": (None, [P(clql_layer)]),
    "clql_layer_kernels": (c_char_p, [P(clql_layer)]),
    "clql_layer_forward": (clql_status, [P(clql_layer), P(c_float), c_uint64, P(c_float)]),
    "clql_layer_workspace_bytes": (clql_status, [P(clql_layer), c_uint64, P(c_uint64)]),
    "clql_layer_get_stats": (clql_status, [P(clql_layer), P(clql_layer_stats)]),
    "clql_layer_release_workspace": (None, [P(clql_layer)]),
}


def _declare():
    for name, (restype, argtypes) in FUNCTIONS.items():
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = argtypes


_declare()
