/* An OpenCL loader layer (OPENCL_LAYERS, ocl-icd >= 2.3) that makes chosen
 * calls fail, so tests can drive every error path of clql through the real
 * ICD loader and PoCL instead of mocks.
 *
 * Control, in-process: dlopen this library with RTLD_NOLOAD and call
 *   clql_fault_configure(call, nth, every, error)
 *     call  entry point name ("clCreateBuffer") or "*" for any wrapped call;
 *     nth   fail the nth matching call after configuration (1-based; 0 = never);
 *     every non-zero: fail every matching call from the nth on;
 *     error the cl_int to return.
 *   clql_fault_calls(call)  matching calls since the last configuration;
 *   clql_fault_injected()   how many calls were made to fail.
 * Or from the environment at load: CLQL_FAULT_CALL, CLQL_FAULT_NTH,
 * CLQL_FAULT_EVERY, CLQL_FAULT_ERROR. */
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_0_APIS
#define CL_USE_DEPRECATED_OPENCL_1_1_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl_icd.h>
#include <CL/cl_layer.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static const struct _cl_icd_dispatch *target;
static struct _cl_icd_dispatch dispatch;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char fault_call[64] = "";
static unsigned long fault_nth, matched, injected;
static int fault_every;
static cl_int fault_error = CL_OUT_OF_RESOURCES;

/* Decide, for one call of `name`, whether it fails. */
static int should_fail(const char *name, cl_int *err) {
  int fail = 0;
  pthread_mutex_lock(&lock);
  if (fault_call[0] && (strcmp(fault_call, "*") == 0 || strcmp(fault_call, name) == 0)) {
    matched++;
    if (fault_nth && (matched == fault_nth || (fault_every && matched > fault_nth))) {
      fail = 1;
      injected++;
      *err = fault_error;
    }
  }
  pthread_mutex_unlock(&lock);
  return fail;
}

EXPORT void clql_fault_configure(const char *call, unsigned long nth, int every, cl_int error) {
  pthread_mutex_lock(&lock);
  size_t n = call ? strlen(call) : 0;
  if (n >= sizeof fault_call) n = 0;
  memcpy(fault_call, call ? call : "", n);
  fault_call[n] = '\0';
  fault_nth = nth;
  fault_every = every;
  fault_error = error;
  matched = injected = 0;
  pthread_mutex_unlock(&lock);
}

EXPORT unsigned long clql_fault_calls(void) {
  pthread_mutex_lock(&lock);
  unsigned long n = matched;
  pthread_mutex_unlock(&lock);
  return n;
}

EXPORT unsigned long clql_fault_injected(void) {
  pthread_mutex_lock(&lock);
  unsigned long n = injected;
  pthread_mutex_unlock(&lock);
  return n;
}

/* Calls returning a status: fail by returning the error. */
#define STATUS_CALLS(X)                                                                          \
  X(clGetPlatformIDs, (cl_uint a, cl_platform_id * b, cl_uint * c), (a, b, c))                   \
  X(clGetPlatformInfo, (cl_platform_id a, cl_platform_info b, size_t c, void *d, size_t *e),     \
    (a, b, c, d, e))                                                                             \
  X(clGetDeviceIDs, (cl_platform_id a, cl_device_type b, cl_uint c, cl_device_id * d,            \
                     cl_uint * e),                                                               \
    (a, b, c, d, e))                                                                             \
  X(clGetDeviceInfo, (cl_device_id a, cl_device_info b, size_t c, void *d, size_t *e),           \
    (a, b, c, d, e))                                                                             \
  X(clBuildProgram, (cl_program a, cl_uint b, const cl_device_id *c, const char *d,              \
                     void(CL_CALLBACK * e)(cl_program, void *), void *f),                        \
    (a, b, c, d, e, f))                                                                          \
  X(clGetProgramBuildInfo, (cl_program a, cl_device_id b, cl_program_build_info c, size_t d,     \
                            void *e, size_t *f),                                                 \
    (a, b, c, d, e, f))                                                                          \
  X(clSetKernelArg, (cl_kernel a, cl_uint b, size_t c, const void *d), (a, b, c, d))             \
  X(clGetKernelWorkGroupInfo, (cl_kernel a, cl_device_id b, cl_kernel_work_group_info c,         \
                               size_t d, void *e, size_t *f),                                    \
    (a, b, c, d, e, f))                                                                          \
  X(clEnqueueNDRangeKernel, (cl_command_queue a, cl_kernel b, cl_uint c, const size_t *d,        \
                             const size_t *e, const size_t *f, cl_uint g, const cl_event *h,     \
                             cl_event *i),                                                       \
    (a, b, c, d, e, f, g, h, i))                                                                 \
  X(clEnqueueReadBuffer, (cl_command_queue a, cl_mem b, cl_bool c, size_t d, size_t e, void *f,  \
                          cl_uint g, const cl_event *h, cl_event *i),                            \
    (a, b, c, d, e, f, g, h, i))                                                                 \
  X(clEnqueueWriteBuffer, (cl_command_queue a, cl_mem b, cl_bool c, size_t d, size_t e,          \
                           const void *f, cl_uint g, const cl_event *h, cl_event *i),            \
    (a, b, c, d, e, f, g, h, i))                                                                 \
  X(clEnqueueCopyBuffer, (cl_command_queue a, cl_mem b, cl_mem c, size_t d, size_t e, size_t f,  \
                          cl_uint g, const cl_event *h, cl_event *i),                            \
    (a, b, c, d, e, f, g, h, i))                                                                 \
  X(clEnqueueFillBuffer, (cl_command_queue a, cl_mem b, const void *c, size_t d, size_t e,       \
                          size_t f, cl_uint g, const cl_event *h, cl_event *i),                  \
    (a, b, c, d, e, f, g, h, i))                                                                 \
  X(clEnqueueUnmapMemObject, (cl_command_queue a, cl_mem b, void *c, cl_uint d,                  \
                              const cl_event *e, cl_event *f),                                   \
    (a, b, c, d, e, f))                                                                          \
  X(clGetMemObjectInfo, (cl_mem a, cl_mem_info b, size_t c, void *d, size_t *e), (a, b, c, d, e)) \
  X(clGetEventProfilingInfo, (cl_event a, cl_profiling_info b, size_t c, void *d, size_t *e),    \
    (a, b, c, d, e))                                                                             \
  X(clWaitForEvents, (cl_uint a, const cl_event *b), (a, b))                                     \
  X(clFlush, (cl_command_queue a), (a))                                                          \
  X(clFinish, (cl_command_queue a), (a))                                                         \
  X(clCreateSubDevices, (cl_device_id a, const cl_device_partition_property *b, cl_uint c,       \
                         cl_device_id *d, cl_uint *e),                                           \
    (a, b, c, d, e))

/* Calls returning an object: fail by returning NULL and setting *errcode_ret. */
#define OBJECT_CALLS(X)                                                                          \
  X(cl_context, clCreateContext, (const cl_context_properties *a, cl_uint b,                     \
                                  const cl_device_id *c,                                         \
                                  void(CL_CALLBACK * d)(const char *, const void *, size_t,      \
                                                        void *),                                 \
                                  void *e, cl_int *err),                                         \
    (a, b, c, d, e, err))                                                                        \
  X(cl_command_queue, clCreateCommandQueue, (cl_context a, cl_device_id b,                       \
                                             cl_command_queue_properties c, cl_int *err),        \
    (a, b, c, err))                                                                              \
  X(cl_mem, clCreateBuffer, (cl_context a, cl_mem_flags b, size_t c, void *d, cl_int *err),      \
    (a, b, c, d, err))                                                                           \
  X(cl_mem, clCreateSubBuffer, (cl_mem a, cl_mem_flags b, cl_buffer_create_type c,               \
                                const void *d, cl_int *err),                                     \
    (a, b, c, d, err))                                                                           \
  X(cl_program, clCreateProgramWithSource, (cl_context a, cl_uint b, const char **c,             \
                                            const size_t *d, cl_int *err),                       \
    (a, b, c, d, err))                                                                           \
  X(cl_kernel, clCreateKernel, (cl_program a, const char *b, cl_int *err), (a, b, err))          \
  X(void *, clEnqueueMapBuffer, (cl_command_queue a, cl_mem b, cl_bool c, cl_map_flags d,        \
                                 size_t e, size_t f, cl_uint g, const cl_event *h, cl_event *i,   \
                                 cl_int *err),                                                   \
    (a, b, c, d, e, f, g, h, i, err))

#define STATUS_WRAPPER(name, params, args)                                                       \
  static cl_int CL_API_CALL wrap_##name params {                                                 \
    cl_int err;                                                                                  \
    if (should_fail(#name, &err)) return err;                                                    \
    return target->name args;                                                                    \
  }
STATUS_CALLS(STATUS_WRAPPER)

#define OBJECT_WRAPPER(type, name, params, args)                                                 \
  static type CL_API_CALL wrap_##name params {                                                   \
    cl_int fail;                                                                                 \
    if (should_fail(#name, &fail)) {                                                             \
      if (err) *err = fail;                                                                      \
      return NULL;                                                                               \
    }                                                                                            \
    return target->name args;                                                                    \
  }
OBJECT_CALLS(OBJECT_WRAPPER)

EXPORT cl_int CL_API_CALL clGetLayerInfo(cl_layer_info param, size_t size, void *value,
                                         size_t *size_ret) {
  if (param != CL_LAYER_API_VERSION) return CL_INVALID_VALUE;
  cl_layer_api_version v = CL_LAYER_API_VERSION_100;
  if (size_ret) *size_ret = sizeof v;
  if (value) {
    if (size < sizeof v) return CL_INVALID_VALUE;
    memcpy(value, &v, sizeof v);
  }
  return CL_SUCCESS;
}

static void configure_from_env(void) {
  const char *call = getenv("CLQL_FAULT_CALL");
  if (!call || !*call) return;
  const char *nth = getenv("CLQL_FAULT_NTH"), *every = getenv("CLQL_FAULT_EVERY"),
             *error = getenv("CLQL_FAULT_ERROR");
  clql_fault_configure(call, nth ? strtoul(nth, NULL, 10) : 1, every && atoi(every),
                       error ? (cl_int)strtol(error, NULL, 10) : CL_OUT_OF_RESOURCES);
}

EXPORT cl_int CL_API_CALL clInitLayer(cl_uint num_entries, const struct _cl_icd_dispatch *next,
                                      cl_uint *num_entries_out,
                                      const struct _cl_icd_dispatch **layer_dispatch) {
  cl_uint mine = (cl_uint)(sizeof dispatch / sizeof(void *));
  if (!next || !num_entries_out || !layer_dispatch || num_entries < mine) return CL_INVALID_VALUE;
  target = next;
  /* Entries left NULL are forwarded to the next layer by the loader. */
  memset(&dispatch, 0, sizeof dispatch);
#define SET_STATUS(name, params, args) dispatch.name = wrap_##name;
#define SET_OBJECT(type, name, params, args) dispatch.name = wrap_##name;
  STATUS_CALLS(SET_STATUS)
  OBJECT_CALLS(SET_OBJECT)
  configure_from_env();
  *num_entries_out = mine;
  *layer_dispatch = &dispatch;
  return CL_SUCCESS;
}
