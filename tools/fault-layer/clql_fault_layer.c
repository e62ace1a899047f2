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
 *   clql_fault_calls()     matching calls since the last configuration;
 *   clql_fault_injected()  how many calls were made to fail;
 *   clql_fault_disarm()    stop matching (and failing), keeping the counts, so
 *                          a test's own checks are neither counted nor failed;
 *   clql_fault_summary(buf, size)  the matched calls by entry point
 *                          ("clCreateBuffer 3, clFinish 1");
 *   clql_fault_live_refs() the references to OpenCL objects the process
 *                          holds through this layer (created or retained,
 *                          minus released): a leak check for cl objects,
 *                          which LeakSanitizer cannot see inside the driver.
 * Or from the environment at load: CLQL_FAULT_CALL, CLQL_FAULT_NTH,
 * CLQL_FAULT_EVERY, CLQL_FAULT_ERROR.
 *
 * The entry points of platforms, devices, contexts, queues, buffers,
 * programs, kernels and events that return a status or create an object are
 * wrapped (not images, samplers or native kernels, which clql does not use),
 * except clRetain* / clRelease*, which are only counted: releasing must not
 * fail, or no caller could clean up. tests/fault/fault_coverage.cmake checks that every OpenCL function
 * libclql calls is in these lists. */
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_0_APIS
#define CL_USE_DEPRECATED_OPENCL_1_1_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl_icd.h>
#include <CL/cl_layer.h>
#include <pthread.h>
#include <stdio.h>
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

/* Calls returning a status: fail by returning the error. */
#define STATUS_CALLS(X) \
  X(clGetPlatformIDs, (cl_uint a, cl_platform_id * b, cl_uint * c), (a, b, c), 0) \
  X(clGetPlatformInfo, (cl_platform_id a, cl_platform_info b, size_t c, void *d, size_t *e), \
    (a, b, c, d, e), 0) \
  X(clGetDeviceIDs, (cl_platform_id a, cl_device_type b, cl_uint c, cl_device_id * d, \
                     cl_uint * e), \
    (a, b, c, d, e), 0) \
  X(clGetDeviceInfo, (cl_device_id a, cl_device_info b, size_t c, void *d, size_t *e), \
    (a, b, c, d, e), 0) \
  X(clBuildProgram, (cl_program a, cl_uint b, const cl_device_id *c, const char *d, \
                     void(CL_CALLBACK * e)(cl_program, void *), void *f), \
    (a, b, c, d, e, f), 0) \
  X(clGetProgramBuildInfo, (cl_program a, cl_device_id b, cl_program_build_info c, size_t d, \
                            void *e, size_t *f), \
    (a, b, c, d, e, f), 0) \
  X(clSetKernelArg, (cl_kernel a, cl_uint b, size_t c, const void *d), (a, b, c, d), 0) \
  X(clGetKernelWorkGroupInfo, (cl_kernel a, cl_device_id b, cl_kernel_work_group_info c, \
                               size_t d, void *e, size_t *f), \
    (a, b, c, d, e, f), 0) \
  X(clEnqueueNDRangeKernel, (cl_command_queue a, cl_kernel b, cl_uint c, const size_t *d, \
                             const size_t *e, const size_t *f, cl_uint g, const cl_event *h, \
                             cl_event *i), \
    (a, b, c, d, e, f, g, h, i), i != NULL) \
  X(clEnqueueReadBuffer, (cl_command_queue a, cl_mem b, cl_bool c, size_t d, size_t e, void *f, \
                          cl_uint g, const cl_event *h, cl_event *i), \
    (a, b, c, d, e, f, g, h, i), i != NULL) \
  X(clEnqueueWriteBuffer, (cl_command_queue a, cl_mem b, cl_bool c, size_t d, size_t e, \
                           const void *f, cl_uint g, const cl_event *h, cl_event *i), \
    (a, b, c, d, e, f, g, h, i), i != NULL) \
  X(clEnqueueCopyBuffer, (cl_command_queue a, cl_mem b, cl_mem c, size_t d, size_t e, size_t f, \
                          cl_uint g, const cl_event *h, cl_event *i), \
    (a, b, c, d, e, f, g, h, i), i != NULL) \
  X(clEnqueueFillBuffer, (cl_command_queue a, cl_mem b, const void *c, size_t d, size_t e, \
                          size_t f, cl_uint g, const cl_event *h, cl_event *i), \
    (a, b, c, d, e, f, g, h, i), i != NULL) \
  X(clEnqueueUnmapMemObject, (cl_command_queue a, cl_mem b, void *c, cl_uint d, \
                              const cl_event *e, cl_event *f), \
    (a, b, c, d, e, f), f != NULL) \
  X(clGetMemObjectInfo, (cl_mem a, cl_mem_info b, size_t c, void *d, size_t *e), (a, b, c, d, e), 0) \
  X(clGetEventProfilingInfo, (cl_event a, cl_profiling_info b, size_t c, void *d, size_t *e), \
    (a, b, c, d, e), 0) \
  X(clWaitForEvents, (cl_uint a, const cl_event *b), (a, b), 0) \
  X(clFlush, (cl_command_queue a), (a), 0) \
  X(clFinish, (cl_command_queue a), (a), 0) \
  X(clCreateSubDevices, (cl_device_id a, const cl_device_partition_property *b, cl_uint c, \
                         cl_device_id *d, cl_uint *e), \
    (a, b, c, d, e), d ? (e ? *e : c) : 0) \
  X(clGetContextInfo, (cl_context a, cl_context_info b, size_t c, void *d, size_t *e), \
    (a, b, c, d, e), 0) \
  X(clGetCommandQueueInfo, (cl_command_queue a, cl_command_queue_info b, size_t c, void *d, \
                            size_t *e), \
    (a, b, c, d, e), 0) \
  X(clGetProgramInfo, (cl_program a, cl_program_info b, size_t c, void *d, size_t *e), \
    (a, b, c, d, e), 0) \
  X(clGetKernelInfo, (cl_kernel a, cl_kernel_info b, size_t c, void *d, size_t *e), \
    (a, b, c, d, e), 0) \
  X(clGetKernelArgInfo, (cl_kernel a, cl_uint b, cl_kernel_arg_info c, size_t d, void *e, \
                         size_t *f), \
    (a, b, c, d, e, f), 0) \
  X(clGetEventInfo, (cl_event a, cl_event_info b, size_t c, void *d, size_t *e), (a, b, c, d, e), 0) \
  X(clCompileProgram, (cl_program a, cl_uint b, const cl_device_id *c, const char *d, cl_uint e, \
                       const cl_program *f, const char **g, \
                       void(CL_CALLBACK * h)(cl_program, void *), void *i), \
    (a, b, c, d, e, f, g, h, i), 0) \
  X(clCreateKernelsInProgram, (cl_program a, cl_uint b, cl_kernel * c, cl_uint * d), \
    (a, b, c, d), c ? (d ? *d : b) : 0) \
  X(clEnqueueReadBufferRect, (cl_command_queue a, cl_mem b, cl_bool c, const size_t *d, \
                              const size_t *e, const size_t *f, size_t g, size_t h, size_t i, \
                              size_t j, void *k, cl_uint l, const cl_event *m, cl_event *n), \
    (a, b, c, d, e, f, g, h, i, j, k, l, m, n), n != NULL) \
  X(clEnqueueWriteBufferRect, (cl_command_queue a, cl_mem b, cl_bool c, const size_t *d, \
                               const size_t *e, const size_t *f, size_t g, size_t h, size_t i, \
                               size_t j, const void *k, cl_uint l, const cl_event *m, \
                               cl_event *n), \
    (a, b, c, d, e, f, g, h, i, j, k, l, m, n), n != NULL) \
  X(clEnqueueCopyBufferRect, (cl_command_queue a, cl_mem b, cl_mem c, const size_t *d, \
                              const size_t *e, const size_t *f, size_t g, size_t h, size_t i, \
                              size_t j, cl_uint k, const cl_event *l, cl_event *m), \
    (a, b, c, d, e, f, g, h, i, j, k, l, m), m != NULL) \
  X(clEnqueueMigrateMemObjects, (cl_command_queue a, cl_uint b, const cl_mem *c, \
                                 cl_mem_migration_flags d, cl_uint e, const cl_event *f, \
                                 cl_event *g), \
    (a, b, c, d, e, f, g), g != NULL) \
  X(clEnqueueTask, (cl_command_queue a, cl_kernel b, cl_uint c, const cl_event *d, cl_event *e), \
    (a, b, c, d, e), e != NULL) \
  X(clEnqueueMarkerWithWaitList, (cl_command_queue a, cl_uint b, const cl_event *c, \
                                  cl_event *d), \
    (a, b, c, d), d != NULL) \
  X(clEnqueueBarrierWithWaitList, (cl_command_queue a, cl_uint b, const cl_event *c, \
                                   cl_event *d), \
    (a, b, c, d), d != NULL) \
  X(clEnqueueMarker, (cl_command_queue a, cl_event * b), (a, b), b != NULL) \
  X(clEnqueueBarrier, (cl_command_queue a), (a), 0) \
  X(clEnqueueWaitForEvents, (cl_command_queue a, cl_uint b, const cl_event *c), (a, b, c), 0) \
  X(clSetEventCallback, (cl_event a, cl_int b, \
                         void(CL_CALLBACK * c)(cl_event, cl_int, void *), void *d), \
    (a, b, c, d), 0) \
  X(clSetUserEventStatus, (cl_event a, cl_int b), (a, b), 0) \
  X(clSetMemObjectDestructorCallback, (cl_mem a, void(CL_CALLBACK * b)(cl_mem, void *), void *c), \
    (a, b, c), 0) \
  X(clUnloadPlatformCompiler, (cl_platform_id a), (a), 0)

/* Calls returning an object: fail by returning NULL and setting *errcode_ret. */
#define OBJECT_CALLS(X) \
  X(cl_context, clCreateContext, (const cl_context_properties *a, cl_uint b, \
                                  const cl_device_id *c, \
                                  void(CL_CALLBACK * d)(const char *, const void *, size_t, \
                                                        void *), \
                                  void *e, cl_int *err), \
    (a, b, c, d, e, err), 1) \
  X(cl_command_queue, clCreateCommandQueue, (cl_context a, cl_device_id b, \
                                             cl_command_queue_properties c, cl_int *err), \
    (a, b, c, err), 1) \
  X(cl_mem, clCreateBuffer, (cl_context a, cl_mem_flags b, size_t c, void *d, cl_int *err), \
    (a, b, c, d, err), 1) \
  X(cl_mem, clCreateSubBuffer, (cl_mem a, cl_mem_flags b, cl_buffer_create_type c, \
                                const void *d, cl_int *err), \
    (a, b, c, d, err), 1) \
  X(cl_program, clCreateProgramWithSource, (cl_context a, cl_uint b, const char **c, \
                                            const size_t *d, cl_int *err), \
    (a, b, c, d, err), 1) \
  X(cl_kernel, clCreateKernel, (cl_program a, const char *b, cl_int *err), (a, b, err), 1) \
  X(void *, clEnqueueMapBuffer, (cl_command_queue a, cl_mem b, cl_bool c, cl_map_flags d, \
                                 size_t e, size_t f, cl_uint g, const cl_event *h, cl_event *i, \
                                 cl_int *err), \
    (a, b, c, d, e, f, g, h, i, err), i != NULL) \
  X(cl_context, clCreateContextFromType, (const cl_context_properties *a, cl_device_type b, \
                                          void(CL_CALLBACK * c)(const char *, const void *, \
                                                                size_t, void *), \
                                          void *d, cl_int *err), \
    (a, b, c, d, err), 1) \
  X(cl_program, clCreateProgramWithBinary, (cl_context a, cl_uint b, const cl_device_id *c, \
                                            const size_t *d, const unsigned char **e, cl_int *f, \
                                            cl_int *err), \
    (a, b, c, d, e, f, err), 1) \
  X(cl_program, clCreateProgramWithBuiltInKernels, (cl_context a, cl_uint b, \
                                                    const cl_device_id *c, const char *d, \
                                                    cl_int *err), \
    (a, b, c, d, err), 1) \
  X(cl_program, clLinkProgram, (cl_context a, cl_uint b, const cl_device_id *c, const char *d, \
                                cl_uint e, const cl_program *f, \
                                void(CL_CALLBACK * g)(cl_program, void *), void *h, cl_int *err), \
    (a, b, c, d, e, f, g, h, err), 1) \
  X(cl_event, clCreateUserEvent, (cl_context a, cl_int * err), (a, err), 1)

/* Calls returning a pointer without an errcode_ret: fail by returning NULL. */
#define POINTER_CALLS(X) \
  X(void *, clGetExtensionFunctionAddressForPlatform, (cl_platform_id a, const char *b), (a, b), 0)

/* One counter per wrapped entry point, for clql_fault_summary. */
#define STATUS_INDEX(name, params, args, made) IDX_##name,
#define OBJECT_INDEX(type, name, params, args, made) IDX_##name,
enum { STATUS_CALLS(STATUS_INDEX) OBJECT_CALLS(OBJECT_INDEX) POINTER_CALLS(OBJECT_INDEX)
           WRAPPED_COUNT };
#define STATUS_NAME(name, params, args, made) #name,
#define OBJECT_NAME(type, name, params, args, made) #name,
static const char *const wrapped_names[WRAPPED_COUNT] = {
    STATUS_CALLS(STATUS_NAME) OBJECT_CALLS(OBJECT_NAME) POINTER_CALLS(OBJECT_NAME)};
static unsigned long per_call[WRAPPED_COUNT];

/* Decide, for one call of entry point idx, whether it fails. */
static int should_fail(int idx, cl_int *err) {
  int fail = 0;
  const char *name = wrapped_names[idx];
  pthread_mutex_lock(&lock);
  if (fault_call[0] && (strcmp(fault_call, "*") == 0 || strcmp(fault_call, name) == 0)) {
    matched++;
    per_call[idx]++;
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
  memset(per_call, 0, sizeof per_call);
  pthread_mutex_unlock(&lock);
}

EXPORT void clql_fault_disarm(void) {
  pthread_mutex_lock(&lock);
  fault_call[0] = '\0';
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

/* "name count, name count" of the entry points matched since configuration;
 * cut short (and terminated) when size is too small. */
EXPORT void clql_fault_summary(char *buf, size_t size) {
  if (!buf || !size) return;
  size_t len = 0;
  buf[0] = '\0';
  pthread_mutex_lock(&lock);
  for (int i = 0; i < WRAPPED_COUNT && len < size; i++) {
    if (!per_call[i]) continue;
    int w = snprintf(buf + len, size - len, "%s%s %lu", len ? ", " : "", wrapped_names[i],
                     per_call[i]);
    if (w < 0) break;
    len += (size_t)w;
  }
  pthread_mutex_unlock(&lock);
}

/* The caller's references to OpenCL objects: +1 for each object a call hands
 * out (made: an event, created kernels, sub-devices) and each retain, -1 for
 * each release. A scenario that cleans up returns it to where it started. */
static long live_refs;

static void count_refs(long delta) {
  if (!delta) return;
  pthread_mutex_lock(&lock);
  live_refs += delta;
  pthread_mutex_unlock(&lock);
}

EXPORT long clql_fault_live_refs(void) {
  pthread_mutex_lock(&lock);
  long n = live_refs;
  pthread_mutex_unlock(&lock);
  return n;
}

#define STATUS_WRAPPER(name, params, args, made)                                                 \
  static cl_int CL_API_CALL wrap_##name params {                                                 \
    cl_int err;                                                                                  \
    if (should_fail(IDX_##name, &err)) return err;                                               \
    err = target->name args;                                                                     \
    if (err == CL_SUCCESS) count_refs((long)(made));                                             \
    return err;                                                                                  \
  }
STATUS_CALLS(STATUS_WRAPPER)

#define OBJECT_WRAPPER(type, name, params, args, made)                                           \
  static type CL_API_CALL wrap_##name params {                                                   \
    cl_int fail;                                                                                 \
    if (should_fail(IDX_##name, &fail)) {                                                        \
      if (err) *err = fail;                                                                      \
      return NULL;                                                                               \
    }                                                                                            \
    type object = target->name args;                                                             \
    if (object) count_refs((long)(made));                                                        \
    return object;                                                                               \
  }
OBJECT_CALLS(OBJECT_WRAPPER)

#define POINTER_WRAPPER(type, name, params, args, made)                                          \
  static type CL_API_CALL wrap_##name params {                                                   \
    cl_int fail;                                                                                 \
    if (should_fail(IDX_##name, &fail)) return NULL;                                             \
    return target->name args;                                                                    \
  }
POINTER_CALLS(POINTER_WRAPPER)

/* Retains and releases never fail; they are only counted. */
#define REF_CALLS(X)                                                                             \
  X(clRetainContext, clReleaseContext, cl_context)                                               \
  X(clRetainCommandQueue, clReleaseCommandQueue, cl_command_queue)                               \
  X(clRetainMemObject, clReleaseMemObject, cl_mem)                                               \
  X(clRetainProgram, clReleaseProgram, cl_program)                                               \
  X(clRetainKernel, clReleaseKernel, cl_kernel)                                                  \
  X(clRetainEvent, clReleaseEvent, cl_event)                                                     \
  X(clRetainDevice, clReleaseDevice, cl_device_id)

#define REF_WRAPPERS(retain, release, type)                                                      \
  static cl_int CL_API_CALL wrap_##retain(type object) {                                         \
    cl_int err = target->retain(object);                                                         \
    if (err == CL_SUCCESS) count_refs(1);                                                        \
    return err;                                                                                  \
  }                                                                                              \
  static cl_int CL_API_CALL wrap_##release(type object) {                                        \
    cl_int err = target->release(object);                                                        \
    if (err == CL_SUCCESS) count_refs(-1);                                                       \
    return err;                                                                                  \
  }
REF_CALLS(REF_WRAPPERS)

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
#define SET_STATUS(name, params, args, made) dispatch.name = wrap_##name;
#define SET_OBJECT(type, name, params, args, made) dispatch.name = wrap_##name;
#define SET_REFS(retain, release, type) dispatch.retain = wrap_##retain, dispatch.release = wrap_##release;
  STATUS_CALLS(SET_STATUS)
  OBJECT_CALLS(SET_OBJECT)
  POINTER_CALLS(SET_OBJECT)
  REF_CALLS(SET_REFS)
  configure_from_env();
  *num_entries_out = mine;
  *layer_dispatch = &dispatch;
  return CL_SUCCESS;
}
