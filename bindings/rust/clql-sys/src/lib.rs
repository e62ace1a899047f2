//! Raw declarations of the clql C API: every `CLQL_API` function, struct,
//! enum and constant of `include/clql/*.h`, in one file, as the headers
//! declare them. Nothing here is safe to call without reading the header;
//! the `clql` crate is the safe API.
//!
//! Not declared: `include/clql/mpi.h` (the separate `libclql_mpi`, built
//! with `-DCLQL_MPI=ON`, whose functions take MPI types), and the
//! `CLQL_VERSION_*` macros of the generated `version.h` (use
//! `clql_version()`).
//!
//! C enums are integer type aliases with one constant per value, so any
//! value the library returns is representable. Status codes keep their C
//! names: `CLQL_ERR_*`, and the OpenCL codes as `CLQL_STATUS_CL_*`.
//!
//! `tests/abi.rs` keeps this file in step with the headers: it fails when a
//! function, struct, enum value or constant is missing or extra, when a
//! function's argument or return types differ, and when a struct's size,
//! alignment or field offsets differ from what a C compiler says.
#![allow(non_camel_case_types, non_upper_case_globals, clippy::upper_case_acronyms)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

#[macro_use]
mod macros;
pub use macros::{EnumDecl, FunctionDecl, StructLayout};

/// Headers of `include/clql/` this crate does not declare (see above).
/// Every other header there, and `version.h.in`, is declared in full.
pub const EXCLUDED_HEADERS: &[&str] = &["mpi.h"];

// ---- OpenCL types, as <CL/cl.h> declares them ----

pub type cl_int = i32;
pub type cl_uint = u32;
pub type cl_ulong = u64;
pub type cl_bitfield = cl_ulong;
pub type cl_device_type = cl_bitfield;

macro_rules! cl_handles {
    ($( $handle:ident = $object:ident ),* $(,)?) => {
        $(
            #[repr(C)]
            pub struct $object {
                _private: [u8; 0],
            }
            pub type $handle = *mut $object;
        )*
    };
}

cl_handles! {
    cl_platform_id = _cl_platform_id,
    cl_device_id = _cl_device_id,
    cl_context = _cl_context,
    cl_command_queue = _cl_command_queue,
    cl_mem = _cl_mem,
    cl_event = _cl_event,
}

// ---- callbacks ----

/// `clql_log_fn` of log.h.
pub type clql_log_fn =
    Option<unsafe extern "C" fn(level: clql_log_level, message: *const c_char, user: *mut c_void)>;
/// `clql_mem_trace_fn` of device.h.
pub type clql_mem_trace_fn = Option<
    unsafe extern "C" fn(source: *const c_char, answered: c_int, detail: *const c_char, user: *mut c_void),
>;
/// Every callback type declared here, for the header test.
pub const DECLARED_CALLBACKS: &[&str] = &["clql_log_fn", "clql_mem_trace_fn"];

enums! {
    clql_status: c_int {
        CLQL_SUCCESS = 0,
        CLQL_STATUS_CL_DEVICE_NOT_FOUND = -1,
        CLQL_STATUS_CL_DEVICE_NOT_AVAILABLE = -2,
        CLQL_STATUS_CL_COMPILER_NOT_AVAILABLE = -3,
        CLQL_STATUS_CL_MEM_OBJECT_ALLOCATION_FAILURE = -4,
        CLQL_STATUS_CL_OUT_OF_RESOURCES = -5,
        CLQL_STATUS_CL_OUT_OF_HOST_MEMORY = -6,
        CLQL_STATUS_CL_PROFILING_INFO_NOT_AVAILABLE = -7,
        CLQL_STATUS_CL_MEM_COPY_OVERLAP = -8,
        CLQL_STATUS_CL_IMAGE_FORMAT_MISMATCH = -9,
        CLQL_STATUS_CL_IMAGE_FORMAT_NOT_SUPPORTED = -10,
        CLQL_STATUS_CL_BUILD_PROGRAM_FAILURE = -11,
        CLQL_STATUS_CL_MAP_FAILURE = -12,
        CLQL_STATUS_CL_MISALIGNED_SUB_BUFFER_OFFSET = -13,
        CLQL_STATUS_CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST = -14,
        CLQL_STATUS_CL_COMPILE_PROGRAM_FAILURE = -15,
        CLQL_STATUS_CL_LINKER_NOT_AVAILABLE = -16,
        CLQL_STATUS_CL_LINK_PROGRAM_FAILURE = -17,
        CLQL_STATUS_CL_DEVICE_PARTITION_FAILED = -18,
        CLQL_STATUS_CL_KERNEL_ARG_INFO_NOT_AVAILABLE = -19,
        CLQL_STATUS_CL_INVALID_VALUE = -30,
        CLQL_STATUS_CL_INVALID_DEVICE_TYPE = -31,
        CLQL_STATUS_CL_INVALID_PLATFORM = -32,
        CLQL_STATUS_CL_INVALID_DEVICE = -33,
        CLQL_STATUS_CL_INVALID_CONTEXT = -34,
        CLQL_STATUS_CL_INVALID_QUEUE_PROPERTIES = -35,
        CLQL_STATUS_CL_INVALID_COMMAND_QUEUE = -36,
        CLQL_STATUS_CL_INVALID_HOST_PTR = -37,
        CLQL_STATUS_CL_INVALID_MEM_OBJECT = -38,
        CLQL_STATUS_CL_INVALID_IMAGE_FORMAT_DESCRIPTOR = -39,
        CLQL_STATUS_CL_INVALID_IMAGE_SIZE = -40,
        CLQL_STATUS_CL_INVALID_SAMPLER = -41,
        CLQL_STATUS_CL_INVALID_BINARY = -42,
        CLQL_STATUS_CL_INVALID_BUILD_OPTIONS = -43,
        CLQL_STATUS_CL_INVALID_PROGRAM = -44,
        CLQL_STATUS_CL_INVALID_PROGRAM_EXECUTABLE = -45,
        CLQL_STATUS_CL_INVALID_KERNEL_NAME = -46,
        CLQL_STATUS_CL_INVALID_KERNEL_DEFINITION = -47,
        CLQL_STATUS_CL_INVALID_KERNEL = -48,
        CLQL_STATUS_CL_INVALID_ARG_INDEX = -49,
        CLQL_STATUS_CL_INVALID_ARG_VALUE = -50,
        CLQL_STATUS_CL_INVALID_ARG_SIZE = -51,
        CLQL_STATUS_CL_INVALID_KERNEL_ARGS = -52,
        CLQL_STATUS_CL_INVALID_WORK_DIMENSION = -53,
        CLQL_STATUS_CL_INVALID_WORK_GROUP_SIZE = -54,
        CLQL_STATUS_CL_INVALID_WORK_ITEM_SIZE = -55,
        CLQL_STATUS_CL_INVALID_GLOBAL_OFFSET = -56,
        CLQL_STATUS_CL_INVALID_EVENT_WAIT_LIST = -57,
        CLQL_STATUS_CL_INVALID_EVENT = -58,
        CLQL_STATUS_CL_INVALID_OPERATION = -59,
        CLQL_STATUS_CL_INVALID_GL_OBJECT = -60,
        CLQL_STATUS_CL_INVALID_BUFFER_SIZE = -61,
        CLQL_STATUS_CL_INVALID_MIP_LEVEL = -62,
        CLQL_STATUS_CL_INVALID_GLOBAL_WORK_SIZE = -63,
        CLQL_STATUS_CL_INVALID_PROPERTY = -64,
        CLQL_STATUS_CL_INVALID_IMAGE_DESCRIPTOR = -65,
        CLQL_STATUS_CL_INVALID_COMPILER_OPTIONS = -66,
        CLQL_STATUS_CL_INVALID_LINKER_OPTIONS = -67,
        CLQL_STATUS_CL_INVALID_DEVICE_PARTITION_COUNT = -68,
        CLQL_STATUS_CL_PLATFORM_NOT_FOUND_KHR = -1001,
        CLQL_ERR_INVALID_ARGUMENT = -10000,
        CLQL_ERR_OUT_OF_HOST_MEMORY = -10001,
        CLQL_ERR_SIZE_OVERFLOW = -10002,
        CLQL_ERR_NO_PLATFORM = -10003,
        CLQL_ERR_NO_DEVICE = -10004,
        CLQL_ERR_BAD_SELECTOR = -10005,
        CLQL_ERR_BUFFER_TOO_SMALL = -10006,
        CLQL_ERR_KERNEL_BUILD = -10007,
        CLQL_ERR_KERNEL_SOURCE = -10008,
        CLQL_ERR_IO = -10009,
        CLQL_ERR_PARSE = -10010,
        CLQL_ERR_UNSUPPORTED = -10011,
        CLQL_ERR_WORKSPACE_TOO_SMALL = -10012,
        CLQL_ERR_DOES_NOT_FIT = -10013,
        CLQL_ERR_INVALID_SHAPE = -10014,
        CLQL_ERR_INVALID_QTYPE = -10015,
        CLQL_ERR_INVALID_WEIGHTS = -10016,
        CLQL_ERR_OUT_OF_DEVICE_MEMORY = -10017,
        CLQL_ERR_NOT_FOUND = -10018,
        CLQL_ERR_INVALID_CONFIG = -10019,
        CLQL_ERR_INTERNAL = -10020,
    }
    // log.h
    clql_log_level: c_uint {
        CLQL_LOG_OFF = 0,
        CLQL_LOG_ERROR = 1,
        CLQL_LOG_WARN = 2,
        CLQL_LOG_INFO = 3,
        CLQL_LOG_DEBUG = 4,
    }
    // device.h
    clql_mem_source: c_uint {
        CLQL_MEM_SOURCE_NONE = 0,
        CLQL_MEM_SOURCE_AMD_EXT = 1,
        CLQL_MEM_SOURCE_NVML = 2,
        CLQL_MEM_SOURCE_LEVEL_ZERO = 3,
        CLQL_MEM_SOURCE_SYSFS_AMDGPU = 4,
        CLQL_MEM_SOURCE_HOST_MEMINFO = 5,
        CLQL_MEM_SOURCE_CGROUP = 6,
        CLQL_MEM_SOURCE_COUNT_ = 7,
    }
    // layout.h
    clql_qtype: c_uint {
        CLQL_QTYPE_I2S = 0,
        CLQL_QTYPE_TL1 = 1,
        CLQL_QTYPE_TL2 = 2,
        CLQL_QTYPE_COUNT_ = 3,
    }
    // layout.h
    clql_workspace_part: c_uint {
        CLQL_WS_INPUT = 0,
        CLQL_WS_ACTIVATIONS = 1,
        CLQL_WS_ACT_SCALES = 2,
        CLQL_WS_TABLES = 3,
        CLQL_WS_PARTIALS = 4,
        CLQL_WS_OUTPUT = 5,
        CLQL_WS_PART_COUNT = 6,
    }
    // plan.h
    clql_limited_by: c_uint {
        CLQL_LIMITED_BY_BUDGET = 0,
        CLQL_LIMITED_BY_MAX_ALLOC = 1,
        CLQL_LIMITED_BY_CAP = 2,
        CLQL_LIMITED_BY_REQUEST = 3,
    }
    // plan.h
    clql_buffer_kind: c_uint {
        CLQL_BUFFER_WEIGHTS = 0,
        CLQL_BUFFER_SCALES = 1,
        CLQL_BUFFER_WORKSPACE = 2,
    }
    // split.h
    clql_split_mode: c_uint {
        CLQL_SPLIT_ROWS = 0,
        CLQL_SPLIT_LAYERS = 1,
    }
    // multi.h
    clql_partition: c_uint {
        CLQL_PARTITION_EQUALLY = 0,
        CLQL_PARTITION_BY_COUNTS = 1,
    }
    // import.h
    clql_ternary_format: c_uint {
        CLQL_TERNARY_NONE = 0,
        CLQL_TERNARY_I2_S = 1,
        CLQL_TERNARY_TQ1_0 = 2,
        CLQL_TERNARY_TQ2_0 = 3,
        CLQL_TERNARY_COUNT_ = 4,
    }
    // gguf.h
    clql_gguf_type: c_uint {
        CLQL_GGUF_UINT8 = 0,
        CLQL_GGUF_INT8 = 1,
        CLQL_GGUF_UINT16 = 2,
        CLQL_GGUF_INT16 = 3,
        CLQL_GGUF_UINT32 = 4,
        CLQL_GGUF_INT32 = 5,
        CLQL_GGUF_FLOAT32 = 6,
        CLQL_GGUF_BOOL = 7,
        CLQL_GGUF_STRING = 8,
        CLQL_GGUF_ARRAY = 9,
        CLQL_GGUF_UINT64 = 10,
        CLQL_GGUF_INT64 = 11,
        CLQL_GGUF_FLOAT64 = 12,
        CLQL_GGUF_TYPE_COUNT_ = 13,
    }
    // inference.h
    clql_tensor_kind: c_uint {
        CLQL_TENSOR_TERNARY = 0,
        CLQL_TENSOR_EMBEDDING = 1,
        CLQL_TENSOR_OUTPUT = 2,
        CLQL_TENSOR_NORM = 3,
        CLQL_TENSOR_OTHER = 4,
        CLQL_TENSOR_KIND_COUNT_ = 5,
    }
    // inference.h
    clql_kv_type: c_uint {
        CLQL_KV_F16 = 0,
        CLQL_KV_F32 = 1,
        CLQL_KV_BF16 = 2,
        CLQL_KV_Q8_0 = 3,
        CLQL_KV_Q4_0 = 4,
        CLQL_KV_Q4_1 = 5,
        CLQL_KV_Q5_0 = 6,
        CLQL_KV_Q5_1 = 7,
        CLQL_KV_IQ4_NL = 8,
        CLQL_KV_TYPE_COUNT_ = 9,
    }
    // inference.h
    clql_inference_limit: c_uint {
        CLQL_INFERENCE_BY_BUDGET = 0,
        CLQL_INFERENCE_BY_MAX_ALLOC = 1,
        CLQL_INFERENCE_BY_MAX_CONTEXT = 2,
        CLQL_INFERENCE_BY_REQUEST = 3,
    }
}

defines! {
    CLQL_FREE_WITH_GTT: u32 = 1;
    CLQL_FREE_HOST_BOUND: u32 = 2;
    CLQL_NAME_MAX: usize = 256;
    CLQL_GROUP_ROW: u32 = 0;
    CLQL_GROUP_TENSOR: u32 = 0xFFFFFFFF;
    CLQL_ROW_MULTIPLE: u32 = 16;
    CLQL_WORKSPACE_ALIGN: u32 = 4096;
    CLQL_WS_COUNTER_BYTES: u32 = 64;
    CLQL_WS_WITH_INPUT: u32 = 1;
    CLQL_WS_WITH_OUTPUT: u32 = 2;
    CLQL_MODEL_NAME_MAX: usize = 64;
    CLQL_BUDGET_FRACTION: u32 = 1;
    CLQL_BUDGET_LIMIT: u32 = 2;
    CLQL_BUDGET_RESERVE_BYTES: u32 = 4;
    CLQL_BUDGET_RESERVE_PERCENT: u32 = 8;
    CLQL_BUDGET_MAX_BATCH: u32 = 16;
    CLQL_ENV_VALUE_MAX: usize = 64;
    CLQL_SPLIT_UNITS: u32 = 1 << 20;
    CLQL_SPLIT_ROW_ALIGN: u32 = 16;
    CLQL_GGUF_MAX_DIMS: usize = 4;
    CLQL_PRINTABLE_KEEP_LINES: u32 = 1;
}

opaque! {
    clql_config,
    clql_context,
    clql_layer,
    clql_sequence,
    clql_device_set,
    clql_split_layer,
    clql_split_model,
    clql_gguf,
    clql_model,
}

structs! {
    // device.h
    pub struct clql_memory_report {
        pub total: cl_ulong,
        pub max_alloc: cl_ulong,
        pub free: cl_ulong,
        pub largest_free_block: cl_ulong,
        pub free_known: c_int,
        pub free_measured: c_int,
        pub free_source: clql_mem_source,
        pub unified: c_int,
        pub free_bounds: c_uint,
    }
    // device.h
    pub struct clql_pci_address {
        pub domain: c_uint,
        pub bus: c_uint,
        pub device: c_uint,
        pub function: c_uint,
    }
    // device.h
    pub struct clql_device_info {
        pub index: c_uint,
        pub platform_index: c_uint,
        pub device_index: c_uint,
        pub platform: cl_platform_id,
        pub device: cl_device_id,
        pub platform_name: [c_char; CLQL_NAME_MAX],
        pub name: [c_char; CLQL_NAME_MAX],
        pub vendor: [c_char; CLQL_NAME_MAX],
        pub driver_version: [c_char; CLQL_NAME_MAX],
        pub vendor_id: cl_uint,
        pub r#type: cl_device_type,
        pub host_unified_memory: c_int,
        pub compute_units: cl_uint,
        pub local_mem: cl_ulong,
        pub has_pci: c_int,
        pub pci: clql_pci_address,
        pub memory: clql_memory_report,
        pub profile_id: [c_char; CLQL_NAME_MAX],
    }
    // numa.h
    pub struct clql_numa_info {
        pub node: c_int,
        pub cpuset: [c_char; CLQL_NAME_MAX],
        pub memory: cl_ulong,
    }
    // context.h
    pub struct clql_context_memory {
        pub budget: clql_budget,
        pub total: u64,
        pub free: u64,
        pub free_known: c_int,
        pub free_source: clql_mem_source,
        pub held_at_probe: u64,
        pub others_at_probe: u64,
        pub held: u64,
        pub resident: u64,
        pub workspace: u64,
        pub remaining: u64,
        pub layers: u64,
        pub batch: u64,
        pub workspace_flags: c_uint,
        pub limited_by: clql_limited_by,
        pub batch_cap: u64,
        pub halvings: u64,
    }
    // ternary.h
    pub struct clql_packed {
        pub shape: clql_layer_shape,
        pub weights: *mut c_void,
        pub weights_bytes: u64,
        pub scales: *mut f32,
        pub scales_bytes: u64,
    }
    // ternary.h
    pub struct clql_ternary_weights {
        pub shape: clql_layer_shape,
        pub t: *const i8,
        pub t_count: u64,
        pub scales: *const f32,
        pub scale_count: u64,
    }
    // layer.h
    pub struct clql_layer_stats {
        pub plan: clql_layer_plan,
        pub resident_bytes: u64,
        pub workspace_planned: u64,
        pub workspace_allocated: u64,
        pub workspace_batch: u64,
        pub workspace_flags: c_uint,
        pub batch_cap: u64,
        pub chunks: u64,
        pub halvings: u64,
    }
    // sequence.h
    pub struct clql_sequence_info {
        pub steps: u64,
        pub launches: u64,
        pub recorded: c_int,
    }
    // layout.h
    pub struct clql_layer_shape {
        pub n: u64,
        pub k: u64,
        pub qtype: clql_qtype,
        pub group_size: u32,
    }
    // layout.h
    pub struct clql_weight_bytes {
        pub k_padded: u64,
        pub groups: u64,
        pub weights: u64,
        pub scales: u64,
        pub n_padded: u64,
    }
    // layout.h
    pub struct clql_workspace_bytes {
        pub batch: u64,
        pub part: [u64; CLQL_WS_PART_COUNT as usize],
        pub largest: u64,
        pub total: u64,
    }
    // model.h
    pub struct clql_model_layer {
        pub name: [c_char; CLQL_MODEL_NAME_MAX],
        pub shape: clql_layer_shape,
        pub count: u64,
    }
    // plan.h
    pub struct clql_budget_options {
        pub set: c_uint,
        pub fraction: f64,
        pub limit: u64,
        pub reserve_bytes: u64,
        pub reserve_percent: f64,
        pub max_batch: u64,
        pub from_env: c_uint,
    }
    // plan.h
    pub struct clql_budget {
        pub bytes: u64,
        pub total: u64,
        pub free: u64,
        pub reserve: u64,
        pub fraction: f64,
        pub limit: u64,
        pub max_batch: u64,
        pub max_alloc: u64,
        pub free_is_fallback: c_int,
        pub free_source: clql_mem_source,
        pub from_env: c_uint,
    }
    // plan.h
    pub struct clql_layer_plan {
        pub shape: clql_layer_shape,
        pub budget: clql_budget,
        pub weights: clql_weight_bytes,
        pub workspace: clql_workspace_bytes,
        pub batch: u64,
        pub limited_by: clql_limited_by,
        pub fits: c_int,
        pub resident_bytes: u64,
        pub largest_buffer: u64,
    }
    // plan.h
    pub struct clql_env_problem {
        pub variable: *const c_char,
        pub value: [c_char; CLQL_ENV_VALUE_MAX],
        pub reason: *const c_char,
    }
    // plan.h
    pub struct clql_buffer_ref {
        pub bytes: u64,
        pub layer: usize,
        pub kind: clql_buffer_kind,
        pub part: clql_workspace_part,
    }
    // plan.h
    pub struct clql_model_plan {
        pub budget: clql_budget,
        pub layers: u64,
        pub weight_bytes: u64,
        pub workspace: clql_workspace_bytes,
        pub batch: u64,
        pub limited_by: clql_limited_by,
        pub fits: c_int,
        pub need_bytes: u64,
        pub over_budget_bytes: u64,
        pub largest: clql_buffer_ref,
    }
    // split.h
    pub struct clql_split_device {
        pub memory: clql_memory_report,
        pub options: *const clql_budget_options,
        pub throughput: f64,
    }
    // split.h
    pub struct clql_split_part {
        pub share_begin: u32,
        pub share_end: u32,
        pub layer_begin: u64,
        pub layer_end: u64,
        pub plan: clql_model_plan,
    }
    // split.h
    pub struct clql_split_plan {
        pub mode: clql_split_mode,
        pub devices: usize,
        pub layers: u64,
        pub batch: u64,
        pub fits: c_int,
        pub binding_device: usize,
        pub weight_bytes: u64,
    }
    // multi.h
    pub struct clql_split_device_stats {
        pub row_begin: u64,
        pub row_end: u64,
        pub layer_begin: u64,
        pub layer_end: u64,
        pub layers: u64,
        pub resident_bytes: u64,
        pub workspace_peak_bytes: u64,
        pub batch: u64,
        pub budget: clql_budget,
    }
    // import.h
    pub struct clql_ternary_sizes {
        pub n: u64,
        pub k: u64,
        pub bytes: u64,
        pub weights: u64,
        pub scales: u64,
        pub group_size: u32,
    }
    // gguf.h
    pub struct clql_gguf_value {
        pub r#type: clql_gguf_type,
        pub elem_type: clql_gguf_type,
        pub count: u64,
        pub owner_: *const clql_gguf,
        pub pos_: u64,
        pub slot_: u64,
    }
    // gguf.h
    pub struct clql_gguf_tensor_info {
        pub name: *const c_char,
        pub type_name: *const c_char,
        pub type_id: u32,
        pub ternary: clql_ternary_format,
        pub n_dims: u32,
        pub dims: [u64; CLQL_GGUF_MAX_DIMS],
        pub elements: u64,
        pub offset: u64,
        pub bytes: u64,
        pub data: *const c_void,
    }
    // inference.h
    pub struct clql_model_tensor {
        pub name: [c_char; CLQL_MODEL_NAME_MAX],
        pub kind: clql_tensor_kind,
        pub r#type: [c_char; 16],
        pub bytes: u64,
        pub largest: u64,
        pub count: u64,
    }
    // inference.h
    pub struct clql_model_info {
        pub name: [c_char; CLQL_MODEL_NAME_MAX],
        pub arch: [c_char; 32],
        pub layers: u64,
        pub hidden: u64,
        pub ffn: u64,
        pub heads: u64,
        pub kv_heads: u64,
        pub key_length: u64,
        pub value_length: u64,
        pub vocab: u64,
        pub max_context: u64,
        pub tied_output: c_int,
        pub kv_elements_per_token: u64,
        pub weights_bytes: u64,
        pub bytes_by_kind: [u64; CLQL_TENSOR_KIND_COUNT_ as usize],
        pub tensors: u64,
    }
    // inference.h
    pub struct clql_inference_request {
        pub context: u64,
        pub sequences: u64,
        pub kv_type: clql_kv_type,
        pub batch: u64,
    }
    // inference.h
    pub struct clql_inference_plan {
        pub budget: clql_budget,
        pub context: u64,
        pub sequences: u64,
        pub limited_by: clql_inference_limit,
        pub fits: c_int,
        pub tokens: u64,
        pub weights_bytes: u64,
        pub weights_by_kind: [u64; CLQL_TENSOR_KIND_COUNT_ as usize],
        pub kv_bytes_per_token: u64,
        pub kv_bytes: u64,
        pub kv_largest_buffer: u64,
        pub scratch_bytes: u64,
        pub workspace_bytes: u64,
        pub need_bytes: u64,
        pub remaining_bytes: u64,
        pub largest_buffer: u64,
    }
    // inference.h
    pub struct clql_inference_part {
        pub layer_begin: u64,
        pub layer_end: u64,
        pub embedding: c_int,
        pub output: c_int,
        pub weights_bytes: u64,
        pub kv_bytes: u64,
        pub scratch_bytes: u64,
        pub workspace_bytes: u64,
        pub need_bytes: u64,
        pub budget: clql_budget,
        pub fits: c_int,
    }
    // inference.h
    pub struct clql_inference_split_plan {
        pub context: u64,
        pub sequences: u64,
        pub limited_by: clql_inference_limit,
        pub fits: c_int,
        pub devices: usize,
        pub kv_bytes_per_token: u64,
    }
}

functions! {
    // status.h
    pub fn clql_status_name(status: c_int) -> *const c_char;
    pub fn clql_status_message(status: c_int) -> *const c_char;
    pub fn clql_last_error_detail() -> *const c_char;
    // version.h.in
    pub fn clql_version() -> c_uint;
    pub fn clql_version_string() -> *const c_char;
    // log.h
    pub fn clql_set_log_callback(r#fn: clql_log_fn, user: *mut c_void, max_level: clql_log_level);
    pub fn clql_printable(src: *const c_char, dst: *mut c_char, size: usize, flags: c_uint) -> usize;
    // device.h
    pub fn clql_mem_source_name(source: clql_mem_source) -> *const c_char;
    pub fn clql_device_type_name(r#type: cl_device_type) -> *const c_char;
    pub fn clql_devices_get(
        devices: *mut clql_device_info,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_device_select(selector: *const c_char, out: *mut clql_device_info) -> clql_status;
    pub fn clql_device_memory(device: cl_device_id, out: *mut clql_memory_report) -> clql_status;
    pub fn clql_device_memory_refresh(
        device: cl_device_id,
        out: *mut clql_memory_report,
    ) -> clql_status;
    pub fn clql_device_memory_trace(
        device: cl_device_id,
        out: *mut clql_memory_report,
        trace: clql_mem_trace_fn,
        user: *mut c_void,
    ) -> clql_status;
    // profile.h
    pub fn clql_profile_devices(
        path: *const c_char,
        id: *const c_char,
        devices: *mut clql_device_info,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_profile_memory_trace(
        path: *const c_char,
        id: *const c_char,
        out: *mut clql_memory_report,
        trace: clql_mem_trace_fn,
        user: *mut c_void,
    ) -> clql_status;
    // numa.h
    pub fn clql_pci_numa(pci: *const clql_pci_address, out: *mut clql_numa_info) -> clql_status;
    // config.h
    pub fn clql_config_create(out: *mut *mut clql_config) -> clql_status;
    pub fn clql_config_from_env(out: *mut *mut clql_config) -> clql_status;
    pub fn clql_config_copy(config: *const clql_config, out: *mut *mut clql_config) -> clql_status;
    pub fn clql_config_destroy(config: *mut clql_config);
    pub fn clql_config_set(
        config: *mut clql_config,
        name: *const c_char,
        value: *const c_char,
    ) -> clql_status;
    pub fn clql_config_get(
        config: *const clql_config,
        name: *const c_char,
        value: *mut c_char,
        capacity: usize,
        length: *mut usize,
    ) -> clql_status;
    pub fn clql_config_names(
        names: *mut *const c_char,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_config_budget(
        config: *const clql_config,
        out: *mut clql_budget_options,
    ) -> clql_status;
    pub fn clql_config_set_budget(
        config: *mut clql_config,
        opts: *const clql_budget_options,
    ) -> clql_status;
    // context.h
    pub fn clql_context_create(
        selector: *const c_char,
        config: *const clql_config,
        out: *mut *mut clql_context,
    ) -> clql_status;
    pub fn clql_context_wrap(
        context: cl_context,
        device: cl_device_id,
        queue: cl_command_queue,
        config: *const clql_config,
        out: *mut *mut clql_context,
    ) -> clql_status;
    pub fn clql_context_destroy(ctx: *mut clql_context);
    pub fn clql_context_cl_context(ctx: *const clql_context) -> cl_context;
    pub fn clql_context_device(ctx: *const clql_context) -> cl_device_id;
    pub fn clql_context_queue(ctx: *const clql_context) -> cl_command_queue;
    pub fn clql_context_device_info(ctx: *const clql_context) -> *const clql_device_info;
    pub fn clql_context_config(ctx: *const clql_context) -> *const clql_config;
    pub fn clql_context_get_memory(
        ctx: *const clql_context,
        out: *mut clql_context_memory,
    ) -> clql_status;
    pub fn clql_context_refresh(ctx: *mut clql_context) -> clql_status;
    pub fn clql_context_release_workspace(ctx: *mut clql_context);
    pub fn clql_context_launches(ctx: *const clql_context) -> u64;
    pub fn clql_context_finish(ctx: *mut clql_context) -> clql_status;
    pub fn clql_context_wait_mode(ctx: *const clql_context) -> *const c_char;
    // activation.h
    pub fn clql_ref_quantize_activations(
        x: *const f32,
        tokens: usize,
        k: usize,
        q: *mut i8,
        q_stride: usize,
        scales: *mut f32,
    ) -> clql_status;
    pub fn clql_quantize_activations(
        ctx: *mut clql_context,
        x: cl_mem,
        tokens: usize,
        k: usize,
        q: cl_mem,
        q_stride: usize,
        scales: cl_mem,
    ) -> clql_status;
    // ternary.h
    pub fn clql_scale_count(shape: *const clql_layer_shape, count: *mut u64) -> clql_status;
    pub fn clql_pack_float(dst: *const clql_packed, w: *const f32, w_count: u64) -> clql_status;
    pub fn clql_pack_ternary(
        dst: *const clql_packed,
        t: *const i8,
        t_count: u64,
        scales: *const f32,
        scale_count: u64,
    ) -> clql_status;
    pub fn clql_unpack_ternary(
        src: *const clql_packed,
        t: *mut i8,
        t_count: u64,
        scales: *mut f32,
        scale_count: u64,
    ) -> clql_status;
    pub fn clql_packed_check(packed: *const clql_packed) -> clql_status;
    pub fn clql_ref_forward(
        shape: *const clql_layer_shape,
        t: *const i8,
        scales: *const f32,
        x: *const f32,
        batch: u64,
        y: *mut f32,
    ) -> clql_status;
    // layer.h
    pub fn clql_layer_create(
        ctx: *mut clql_context,
        packed: *const clql_packed,
        opts: *const clql_budget_options,
        out: *mut *mut clql_layer,
    ) -> clql_status;
    pub fn clql_layer_create_fused(
        ctx: *mut clql_context,
        parts: *const clql_ternary_weights,
        count: usize,
        opts: *const clql_budget_options,
        out: *mut *mut clql_layer,
    ) -> clql_status;
    pub fn clql_layer_get_part(
        layer: *const clql_layer,
        part: usize,
        offset: *mut u64,
        rows: *mut u64,
    ) -> clql_status;
    pub fn clql_layer_destroy(layer: *mut clql_layer);
    pub fn clql_layer_enqueue_events(
        layer: *mut clql_layer,
        x: cl_mem,
        y: cl_mem,
        batch: u64,
        first: *mut cl_event,
        done: *mut cl_event,
    ) -> clql_status;
    pub fn clql_layer_kernels(layer: *const clql_layer) -> *const c_char;
    pub fn clql_layer_forward(
        layer: *mut clql_layer,
        x: *const f32,
        batch: u64,
        y: *mut f32,
    ) -> clql_status;
    pub fn clql_layer_forward_mem(
        layer: *mut clql_layer,
        x: cl_mem,
        y: cl_mem,
        batch: u64,
    ) -> clql_status;
    pub fn clql_layer_enqueue(
        layer: *mut clql_layer,
        x: cl_mem,
        y: cl_mem,
        batch: u64,
        done: *mut cl_event,
    ) -> clql_status;
    pub fn clql_layer_workspace_bytes(
        layer: *const clql_layer,
        batch: u64,
        bytes: *mut u64,
    ) -> clql_status;
    pub fn clql_layer_forward_workspace(
        layer: *mut clql_layer,
        x: cl_mem,
        y: cl_mem,
        batch: u64,
        workspace: cl_mem,
    ) -> clql_status;
    pub fn clql_layer_get_stats(
        layer: *const clql_layer,
        out: *mut clql_layer_stats,
    ) -> clql_status;
    pub fn clql_layer_release_workspace(layer: *mut clql_layer);
    // sequence.h
    pub fn clql_sequence_create(
        ctx: *mut clql_context,
        out: *mut *mut clql_sequence,
    ) -> clql_status;
    pub fn clql_sequence_add(
        seq: *mut clql_sequence,
        layer: *mut clql_layer,
        x: cl_mem,
        y: cl_mem,
        batch: u64,
    ) -> clql_status;
    pub fn clql_sequence_enqueue(seq: *mut clql_sequence, done: *mut cl_event) -> clql_status;
    pub fn clql_sequence_get_info(
        seq: *const clql_sequence,
        out: *mut clql_sequence_info,
    ) -> clql_status;
    pub fn clql_sequence_destroy(seq: *mut clql_sequence);
    // layout.h
    pub fn clql_qtype_name(qtype: clql_qtype) -> *const c_char;
    pub fn clql_qtype_parse(name: *const c_char, out: *mut clql_qtype) -> clql_status;
    pub fn clql_workspace_part_name(part: clql_workspace_part) -> *const c_char;
    pub fn clql_layout_check(shape: *const clql_layer_shape) -> clql_status;
    pub fn clql_layout_weight_bytes(
        shape: *const clql_layer_shape,
        out: *mut clql_weight_bytes,
    ) -> clql_status;
    pub fn clql_layout_workspace_bytes(
        shape: *const clql_layer_shape,
        batch: u64,
        flags: c_uint,
        out: *mut clql_workspace_bytes,
    ) -> clql_status;
    // model.h
    pub fn clql_model_preset_names(
        names: *mut *const c_char,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_model_preset(
        name: *const c_char,
        qtype: clql_qtype,
        layers: *mut clql_model_layer,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_model_parse(
        text: *const c_char,
        qtype: clql_qtype,
        layers: *mut clql_model_layer,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_model_load(
        path: *const c_char,
        qtype: clql_qtype,
        layers: *mut clql_model_layer,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_model_weight_bytes(
        layers: *const clql_model_layer,
        count: usize,
        out: *mut u64,
    ) -> clql_status;
    pub fn clql_model_workspace_bytes(
        layers: *const clql_model_layer,
        count: usize,
        batch: u64,
        flags: c_uint,
        out: *mut clql_workspace_bytes,
    ) -> clql_status;
    // plan.h
    pub fn clql_limited_by_name(reason: clql_limited_by) -> *const c_char;
    pub fn clql_budget_compute(
        mem: *const clql_memory_report,
        opts: *const clql_budget_options,
        out: *mut clql_budget,
    ) -> clql_status;
    pub fn clql_plan_layer(
        mem: *const clql_memory_report,
        opts: *const clql_budget_options,
        shape: *const clql_layer_shape,
        requested_batch: u64,
        ws_flags: c_uint,
        out: *mut clql_layer_plan,
    ) -> clql_status;
    pub fn clql_env_problems(
        problems: *mut clql_env_problem,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_buffer_kind_name(kind: clql_buffer_kind) -> *const c_char;
    pub fn clql_plan_model(
        mem: *const clql_memory_report,
        opts: *const clql_budget_options,
        layers: *const clql_model_layer,
        count: usize,
        requested_batch: u64,
        ws_flags: c_uint,
        out: *mut clql_model_plan,
    ) -> clql_status;
    // split.h
    pub fn clql_split_mode_name(mode: clql_split_mode) -> *const c_char;
    pub fn clql_split_mode_parse(name: *const c_char, out: *mut clql_split_mode) -> clql_status;
    pub fn clql_plan_split(
        devices: *const clql_split_device,
        count: usize,
        layers: *const clql_model_layer,
        nlayers: usize,
        mode: clql_split_mode,
        requested_batch: u64,
        ws_flags: c_uint,
        parts: *mut clql_split_part,
        out: *mut clql_split_plan,
    ) -> clql_status;
    pub fn clql_split_rows(
        n: u64,
        part: *const clql_split_part,
        begin: *mut u64,
        end: *mut u64,
    ) -> clql_status;
    // multi.h
    pub fn clql_device_set_create(
        selectors: *const c_char,
        out: *mut *mut clql_device_set,
    ) -> clql_status;
    pub fn clql_device_set_select(
        selectors: *const c_char,
        devices: *mut clql_device_info,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_device_set_wrap(
        contexts: *const *mut clql_context,
        count: usize,
        out: *mut *mut clql_device_set,
    ) -> clql_status;
    pub fn clql_device_set_partition(
        selector: *const c_char,
        how: clql_partition,
        values: *const c_uint,
        count: usize,
        out: *mut *mut clql_device_set,
    ) -> clql_status;
    pub fn clql_device_set_destroy(set: *mut clql_device_set);
    pub fn clql_device_set_count(set: *const clql_device_set) -> usize;
    pub fn clql_device_set_context(set: *const clql_device_set, index: usize) -> *mut clql_context;
    pub fn clql_device_set_info(
        set: *const clql_device_set,
        index: usize,
    ) -> *const clql_device_info;
    pub fn clql_device_set_label(set: *const clql_device_set, index: usize) -> *const c_char;
    pub fn clql_device_set_budget(
        set: *mut clql_device_set,
        index: usize,
        opts: *const clql_budget_options,
    ) -> clql_status;
    pub fn clql_device_set_throughput(
        set: *mut clql_device_set,
        index: usize,
        throughput: f64,
    ) -> clql_status;
    pub fn clql_split_mode_env(mode: *mut clql_split_mode) -> clql_status;
    pub fn clql_device_set_plan(
        set: *const clql_device_set,
        layers: *const clql_model_layer,
        nlayers: usize,
        mode: clql_split_mode,
        requested_batch: u64,
        parts: *mut clql_split_part,
        capacity: usize,
        out: *mut clql_split_plan,
    ) -> clql_status;
    pub fn clql_split_layer_create(
        set: *mut clql_device_set,
        parts: *const clql_split_part,
        count: usize,
        weights: *const clql_ternary_weights,
        out: *mut *mut clql_split_layer,
    ) -> clql_status;
    pub fn clql_split_layer_forward(
        layer: *mut clql_split_layer,
        x: *const f32,
        batch: u64,
        y: *mut f32,
    ) -> clql_status;
    pub fn clql_split_layer_device_stats(
        layer: *const clql_split_layer,
        device: usize,
        out: *mut clql_split_device_stats,
    ) -> clql_status;
    pub fn clql_split_layer_destroy(layer: *mut clql_split_layer);
    pub fn clql_split_model_create(
        set: *mut clql_device_set,
        plan: *const clql_split_plan,
        parts: *const clql_split_part,
        layers: *const clql_ternary_weights,
        count: usize,
        out: *mut *mut clql_split_model,
    ) -> clql_status;
    pub fn clql_split_model_forward_layer(
        model: *mut clql_split_model,
        index: usize,
        x: *const f32,
        batch: u64,
        y: *mut f32,
    ) -> clql_status;
    pub fn clql_split_model_forward(
        model: *mut clql_split_model,
        x: *const f32,
        batch: u64,
        y: *mut f32,
    ) -> clql_status;
    pub fn clql_split_model_layer_device(
        model: *const clql_split_model,
        index: usize,
        device: *mut usize,
    ) -> clql_status;
    pub fn clql_split_model_device_stats(
        model: *const clql_split_model,
        device: usize,
        out: *mut clql_split_device_stats,
    ) -> clql_status;
    pub fn clql_split_model_destroy(model: *mut clql_split_model);
    // import.h
    pub fn clql_ternary_format_name(format: clql_ternary_format) -> *const c_char;
    pub fn clql_ternary_format_bytes(
        format: clql_ternary_format,
        n: u64,
        k: u64,
        out: *mut clql_ternary_sizes,
    ) -> clql_status;
    pub fn clql_ternary_import(
        format: clql_ternary_format,
        n: u64,
        k: u64,
        src: *const c_void,
        src_bytes: usize,
        weights: *mut i8,
        weights_capacity: usize,
        scales: *mut f32,
        scales_capacity: usize,
    ) -> clql_status;
    pub fn clql_ternary_export(
        format: clql_ternary_format,
        n: u64,
        k: u64,
        weights: *const i8,
        scales: *const f32,
        dst: *mut c_void,
        dst_capacity: usize,
    ) -> clql_status;
    // gguf.h
    pub fn clql_gguf_type_name(r#type: clql_gguf_type) -> *const c_char;
    pub fn clql_gguf_open(path: *const c_char, out: *mut *mut clql_gguf) -> clql_status;
    pub fn clql_gguf_open_memory(
        data: *const c_void,
        size: usize,
        out: *mut *mut clql_gguf,
    ) -> clql_status;
    pub fn clql_gguf_close(gguf: *mut clql_gguf);
    pub fn clql_gguf_version(gguf: *const clql_gguf) -> u32;
    pub fn clql_gguf_alignment(gguf: *const clql_gguf) -> u64;
    pub fn clql_gguf_data_offset(gguf: *const clql_gguf) -> u64;
    pub fn clql_gguf_meta_count(gguf: *const clql_gguf) -> usize;
    pub fn clql_gguf_meta_at(
        gguf: *const clql_gguf,
        index: usize,
        key: *mut *const c_char,
        value: *mut clql_gguf_value,
    ) -> clql_status;
    pub fn clql_gguf_meta_find(
        gguf: *const clql_gguf,
        key: *const c_char,
        value: *mut clql_gguf_value,
    ) -> clql_status;
    pub fn clql_gguf_value_int(value: *const clql_gguf_value, out: *mut i64) -> clql_status;
    pub fn clql_gguf_value_uint(value: *const clql_gguf_value, out: *mut u64) -> clql_status;
    pub fn clql_gguf_value_float(value: *const clql_gguf_value, out: *mut f64) -> clql_status;
    pub fn clql_gguf_value_bool(value: *const clql_gguf_value, out: *mut c_int) -> clql_status;
    pub fn clql_gguf_value_string(
        value: *const clql_gguf_value,
        data: *mut *const c_char,
        length: *mut usize,
    ) -> clql_status;
    pub fn clql_gguf_array_at(
        array: *const clql_gguf_value,
        index: u64,
        element: *mut clql_gguf_value,
    ) -> clql_status;
    pub fn clql_gguf_tensors(
        gguf: *const clql_gguf,
        tensors: *mut clql_gguf_tensor_info,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_gguf_tensor_find(
        gguf: *const clql_gguf,
        name: *const c_char,
        out: *mut clql_gguf_tensor_info,
    ) -> clql_status;
    pub fn clql_gguf_import(
        gguf: *const clql_gguf,
        name: *const c_char,
        weights: *mut i8,
        weights_capacity: usize,
        scales: *mut f32,
        scales_capacity: usize,
        sizes: *mut clql_ternary_sizes,
    ) -> clql_status;
    pub fn clql_gguf_layer_create(
        ctx: *mut clql_context,
        gguf: *const clql_gguf,
        name: *const c_char,
        opts: *const clql_budget_options,
        out: *mut *mut clql_layer,
    ) -> clql_status;
    // inference.h
    pub fn clql_tensor_kind_name(kind: clql_tensor_kind) -> *const c_char;
    pub fn clql_model_from_preset(
        name: *const c_char,
        qtype: clql_qtype,
        out: *mut *mut clql_model,
    ) -> clql_status;
    pub fn clql_model_from_text(
        text: *const c_char,
        origin: *const c_char,
        qtype: clql_qtype,
        out: *mut *mut clql_model,
    ) -> clql_status;
    pub fn clql_model_from_file(
        path: *const c_char,
        qtype: clql_qtype,
        out: *mut *mut clql_model,
    ) -> clql_status;
    pub fn clql_model_from_gguf(gguf: *const clql_gguf, out: *mut *mut clql_model) -> clql_status;
    pub fn clql_model_destroy(model: *mut clql_model);
    pub fn clql_model_get_info(model: *const clql_model, out: *mut clql_model_info) -> clql_status;
    pub fn clql_model_get_tensors(
        model: *const clql_model,
        tensors: *mut clql_model_tensor,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_model_get_layers(
        model: *const clql_model,
        layers: *mut clql_model_layer,
        capacity: usize,
        count: *mut usize,
    ) -> clql_status;
    pub fn clql_kv_type_name(r#type: clql_kv_type) -> *const c_char;
    pub fn clql_kv_type_parse(name: *const c_char, out: *mut clql_kv_type) -> clql_status;
    pub fn clql_inference_limit_name(limit: clql_inference_limit) -> *const c_char;
    pub fn clql_plan_inference(
        mem: *const clql_memory_report,
        opts: *const clql_budget_options,
        model: *const clql_model,
        request: *const clql_inference_request,
        out: *mut clql_inference_plan,
    ) -> clql_status;
    pub fn clql_plan_inference_split(
        devices: *const clql_split_device,
        count: usize,
        model: *const clql_model,
        request: *const clql_inference_request,
        parts: *mut clql_inference_part,
        out: *mut clql_inference_split_plan,
    ) -> clql_status;
}
