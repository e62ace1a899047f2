/* clql status codes.
 *
 * Every clql function that can fail returns a clql_status. CLQL_SUCCESS is 0.
 * OpenCL error codes pass through unchanged (a failing clCreateBuffer yields
 * CL_MEM_OBJECT_ALLOCATION_FAILURE, -4), so a clql_status can be compared with
 * CL_* constants directly. clql's own conditions use the range -10000 and
 * below, which no OpenCL specification or vendor extension uses.
 *
 * clql_status_name() and clql_status_message() return static strings for any
 * value, known or not; they never allocate. clql_last_error_detail() returns a
 * more specific message (a build log, the offending environment variable) for
 * the last failure on the calling thread. */
#ifndef CLQL_STATUS_H
#define CLQL_STATUS_H

#include <clql/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message): the one list from which the enum and both
 * lookup functions are generated. */
#define CLQL_OPENCL_STATUS_LIST(X)                                                        \
  X(CL_DEVICE_NOT_FOUND, -1, "no OpenCL device of the requested type")                    \
  X(CL_DEVICE_NOT_AVAILABLE, -2, "OpenCL device not available")                           \
  X(CL_COMPILER_NOT_AVAILABLE, -3, "OpenCL compiler not available")                       \
  X(CL_MEM_OBJECT_ALLOCATION_FAILURE, -4, "device memory allocation failed")              \
  X(CL_OUT_OF_RESOURCES, -5, "device out of resources")                                   \
  X(CL_OUT_OF_HOST_MEMORY, -6, "OpenCL runtime out of host memory")                       \
  X(CL_PROFILING_INFO_NOT_AVAILABLE, -7, "profiling information not available")           \
  X(CL_MEM_COPY_OVERLAP, -8, "overlapping memory copy")                                   \
  X(CL_IMAGE_FORMAT_MISMATCH, -9, "image format mismatch")                                \
  X(CL_IMAGE_FORMAT_NOT_SUPPORTED, -10, "image format not supported")                     \
  X(CL_BUILD_PROGRAM_FAILURE, -11, "OpenCL program build failed")                         \
  X(CL_MAP_FAILURE, -12, "memory map failed")                                             \
  X(CL_MISALIGNED_SUB_BUFFER_OFFSET, -13, "misaligned sub-buffer offset")                 \
  X(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST, -14, "an event in the wait list failed") \
  X(CL_COMPILE_PROGRAM_FAILURE, -15, "OpenCL program compilation failed")                 \
  X(CL_LINKER_NOT_AVAILABLE, -16, "OpenCL linker not available")                          \
  X(CL_LINK_PROGRAM_FAILURE, -17, "OpenCL program link failed")                           \
  X(CL_DEVICE_PARTITION_FAILED, -18, "device partition failed")                           \
  X(CL_KERNEL_ARG_INFO_NOT_AVAILABLE, -19, "kernel argument info not available")          \
  X(CL_INVALID_VALUE, -30, "invalid value passed to OpenCL")                              \
  X(CL_INVALID_DEVICE_TYPE, -31, "invalid OpenCL device type")                            \
  X(CL_INVALID_PLATFORM, -32, "invalid OpenCL platform")                                  \
  X(CL_INVALID_DEVICE, -33, "invalid OpenCL device")                                      \
  X(CL_INVALID_CONTEXT, -34, "invalid OpenCL context")                                    \
  X(CL_INVALID_QUEUE_PROPERTIES, -35, "invalid command-queue properties")                 \
  X(CL_INVALID_COMMAND_QUEUE, -36, "invalid OpenCL command queue")                        \
  X(CL_INVALID_HOST_PTR, -37, "invalid host pointer")                                     \
  X(CL_INVALID_MEM_OBJECT, -38, "invalid OpenCL memory object")                           \
  X(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR, -39, "invalid image format descriptor")           \
  X(CL_INVALID_IMAGE_SIZE, -40, "invalid image size")                                     \
  X(CL_INVALID_SAMPLER, -41, "invalid sampler")                                           \
  X(CL_INVALID_BINARY, -42, "invalid program binary")                                     \
  X(CL_INVALID_BUILD_OPTIONS, -43, "invalid program build options")                       \
  X(CL_INVALID_PROGRAM, -44, "invalid OpenCL program")                                    \
  X(CL_INVALID_PROGRAM_EXECUTABLE, -45, "program not built for the device")               \
  X(CL_INVALID_KERNEL_NAME, -46, "no kernel of that name in the program")                 \
  X(CL_INVALID_KERNEL_DEFINITION, -47, "invalid kernel definition")                       \
  X(CL_INVALID_KERNEL, -48, "invalid OpenCL kernel")                                      \
  X(CL_INVALID_ARG_INDEX, -49, "invalid kernel argument index")                           \
  X(CL_INVALID_ARG_VALUE, -50, "invalid kernel argument value")                           \
  X(CL_INVALID_ARG_SIZE, -51, "invalid kernel argument size")                             \
  X(CL_INVALID_KERNEL_ARGS, -52, "kernel arguments not set")                              \
  X(CL_INVALID_WORK_DIMENSION, -53, "invalid work dimension")                             \
  X(CL_INVALID_WORK_GROUP_SIZE, -54, "invalid work-group size")                           \
  X(CL_INVALID_WORK_ITEM_SIZE, -55, "invalid work-item size")                             \
  X(CL_INVALID_GLOBAL_OFFSET, -56, "invalid global offset")                               \
  X(CL_INVALID_EVENT_WAIT_LIST, -57, "invalid event wait list")                           \
  X(CL_INVALID_EVENT, -58, "invalid event")                                               \
  X(CL_INVALID_OPERATION, -59, "invalid OpenCL operation")                                \
  X(CL_INVALID_GL_OBJECT, -60, "invalid GL object")                                       \
  X(CL_INVALID_BUFFER_SIZE, -61, "invalid buffer size")                                   \
  X(CL_INVALID_MIP_LEVEL, -62, "invalid mip level")                                       \
  X(CL_INVALID_GLOBAL_WORK_SIZE, -63, "invalid global work size")                         \
  X(CL_INVALID_PROPERTY, -64, "invalid property")                                         \
  X(CL_INVALID_IMAGE_DESCRIPTOR, -65, "invalid image descriptor")                         \
  X(CL_INVALID_COMPILER_OPTIONS, -66, "invalid compiler options")                         \
  X(CL_INVALID_LINKER_OPTIONS, -67, "invalid linker options")                             \
  X(CL_INVALID_DEVICE_PARTITION_COUNT, -68, "invalid device partition count")             \
  X(CL_PLATFORM_NOT_FOUND_KHR, -1001, "no OpenCL platform (ICD loader found none)")

#define CLQL_OWN_STATUS_LIST(X)                                                                  \
  X(CLQL_ERR_INVALID_ARGUMENT, -10000, "invalid argument")                                       \
  X(CLQL_ERR_OUT_OF_HOST_MEMORY, -10001, "out of host memory")                                   \
  X(CLQL_ERR_SIZE_OVERFLOW, -10002, "size computation overflows")                                \
  X(CLQL_ERR_NO_PLATFORM, -10003, "no OpenCL platform found")                                    \
  X(CLQL_ERR_NO_DEVICE, -10004, "no OpenCL device matches the selection")                        \
  X(CLQL_ERR_BAD_SELECTOR, -10005, "malformed device selector")                                  \
  X(CLQL_ERR_BUFFER_TOO_SMALL, -10006, "caller buffer too small; ask for the size first")        \
  X(CLQL_ERR_KERNEL_BUILD, -10007, "OpenCL kernel build failed (see the detail message)")        \
  X(CLQL_ERR_KERNEL_SOURCE, -10008, "kernel source not found")                                   \
  X(CLQL_ERR_IO, -10009, "file could not be read")                                               \
  X(CLQL_ERR_PARSE, -10010, "malformed input")                                                   \
  X(CLQL_ERR_UNSUPPORTED, -10011, "not supported on this device or build")                       \
  X(CLQL_ERR_WORKSPACE_TOO_SMALL, -10012, "workspace smaller than required")                     \
  X(CLQL_ERR_DOES_NOT_FIT, -10013, "does not fit the device memory budget")                      \
  X(CLQL_ERR_INVALID_SHAPE, -10014, "invalid or misaligned shape")                               \
  X(CLQL_ERR_INVALID_QTYPE, -10015, "unknown quantization type")                                 \
  X(CLQL_ERR_INVALID_WEIGHTS, -10016, "weight value outside the ternary range or invalid code")  \
  X(CLQL_ERR_OUT_OF_DEVICE_MEMORY, -10017, "device memory exhausted even at batch 1")            \
  X(CLQL_ERR_NOT_FOUND, -10018, "requested item not found")                                      \
  X(CLQL_ERR_INVALID_CONFIG, -10019, "invalid configuration value (see the detail message)")                \
  X(CLQL_ERR_INTERNAL, -10020, "internal error")

typedef enum clql_status {
  CLQL_SUCCESS = 0,
#define CLQL_STATUS_ENUM_(name, value, msg) CLQL_STATUS_##name = value,
  CLQL_OPENCL_STATUS_LIST(CLQL_STATUS_ENUM_)
#undef CLQL_STATUS_ENUM_
#define CLQL_STATUS_ENUM_(name, value, msg) name = value,
  CLQL_OWN_STATUS_LIST(CLQL_STATUS_ENUM_)
#undef CLQL_STATUS_ENUM_
} clql_status;

/** Symbolic name ("CLQL_ERR_NO_DEVICE", "CL_INVALID_VALUE"); "CLQL_UNKNOWN_STATUS" otherwise. */
CLQL_API const char *clql_status_name(int status);
/** One-line human message for the status; a generic text for unknown values. */
CLQL_API const char *clql_status_message(int status);
/** Detail of the last failure on this thread ("" if none); valid until the next clql call on this thread. */
CLQL_API const char *clql_last_error_detail(void);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_STATUS_H */
