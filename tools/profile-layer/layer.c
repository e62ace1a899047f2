/* An OpenCL loader layer (OPENCL_LAYERS) that makes every device answer
 * clGetDeviceInfo from one record of a device-profile file, so clql can be
 * run as if on a device the machine does not have. Kernels still run on the
 * real device underneath.
 *
 *   CLQL_PROFILE_FILE  the file (the format of devices.json)
 *   CLQL_PROFILE_ID    the record's id (may be left out for a one-record file)
 *
 * Fields the record has override the device's answers; absent fields pass
 * through. With a bad file or id the layer prints one warning and passes
 * everything through. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility push(default)
#include <CL/cl_layer.h>
#pragma GCC visibility pop
#include "../../lib/device/profile.h"

static const cl_icd_dispatch *target;
static cl_icd_dispatch layer_dispatch;
static clql_profile_set *profile_set;
static const clql_profile_record *record;

/* The underlying device's extension string; NULL when it has none. */
static char *device_extensions(cl_device_id device) {
  size_t n = 0;
  if (target->clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, NULL, &n) != CL_SUCCESS || !n)
    return NULL;
  char *s = malloc(n);
  if (s && target->clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, n, s, NULL) != CL_SUCCESS) {
    free(s);
    return NULL;
  }
  if (s) s[n - 1] = '\0';
  return s;
}

static cl_int CL_API_CALL layer_get_device_info(cl_device_id device, cl_device_info param,
                                                size_t size, void *value, size_t *size_ret) {
  char *base = device_extensions(device);
  cl_int err = CL_SUCCESS;
  int answered = clql_profile_device_info(record, base, param, size, value, size_ret, &err);
  free(base);
  if (answered) return err;
  return target->clGetDeviceInfo(device, param, size, value, size_ret);
}

/* The runtime filters by its own type (PoCL's CPU device is no GPU), so a
 * request for the profile's type becomes a request for every device. Other
 * specific types find nothing, as on the real device. */
static int translate_type(cl_device_type *type) {
  const cl_device_type specific =
      CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR | CL_DEVICE_TYPE_CUSTOM;
  if (!record->type || *type == CL_DEVICE_TYPE_ALL || (*type & ~specific)) return 1;
  if (!(*type & record->type)) return 0;
  *type = CL_DEVICE_TYPE_ALL;
  return 1;
}

static cl_int CL_API_CALL layer_get_device_ids(cl_platform_id platform, cl_device_type type,
                                               cl_uint num_entries, cl_device_id *devices,
                                               cl_uint *num_devices) {
  if (!translate_type(&type)) {
    if (num_devices) *num_devices = 0;
    return CL_DEVICE_NOT_FOUND;
  }
  return target->clGetDeviceIDs(platform, type, num_entries, devices, num_devices);
}

static cl_context CL_API_CALL layer_create_context_from_type(
    const cl_context_properties *properties, cl_device_type type,
    void(CL_CALLBACK *notify)(const char *, const void *, size_t, void *), void *user,
    cl_int *errcode_ret) {
  if (!translate_type(&type)) {
    if (errcode_ret) *errcode_ret = CL_DEVICE_NOT_FOUND;
    return NULL;
  }
  return target->clCreateContextFromType(properties, type, notify, user, errcode_ret);
}

static cl_int CL_API_CALL layer_get_platform_info(cl_platform_id platform, cl_platform_info param,
                                                  size_t size, void *value, size_t *size_ret) {
  cl_int err = CL_SUCCESS;
  if (clql_profile_platform_info(record, param, size, value, size_ret, &err)) return err;
  return target->clGetPlatformInfo(platform, param, size, value, size_ret);
}

static void warn(const char *what) {
  fprintf(stderr, "clql profile layer: %s; devices answer unchanged\n", what);
}

static void load_profile(void) {
  const char *path = getenv("CLQL_PROFILE_FILE");
  const char *id = getenv("CLQL_PROFILE_ID");
  char detail[512];
  if (!path || !*path) {
    warn("CLQL_PROFILE_FILE is not set");
    return;
  }
  if (clql_profile_load(path, &profile_set, detail, sizeof detail) != CLQL_SUCCESS) {
    warn(detail);
    return;
  }
  if (id && *id) {
    record = clql_profile_find(profile_set, id);
    if (!record) {
      snprintf(detail, sizeof detail, "%s: no record with id '%s'", path, id);
      warn(detail);
    }
  } else if (profile_set->count == 1) {
    record = &profile_set->records[0];
  } else {
    snprintf(detail, sizeof detail, "CLQL_PROFILE_ID is not set and %s has %zu records", path,
             profile_set->count);
    warn(detail);
  }
  if (!record) {
    clql_profile_free(profile_set);
    profile_set = NULL;
  }
}

__attribute__((destructor)) static void unload_profile(void) {
  clql_profile_free(profile_set);
  profile_set = NULL;
  record = NULL;
}

CL_API_ENTRY cl_int CL_API_CALL clGetLayerInfo(cl_layer_info param, size_t size, void *value,
                                               size_t *size_ret) {
  if (param != CL_LAYER_API_VERSION) return CL_INVALID_VALUE;
  cl_layer_api_version version = CL_LAYER_API_VERSION_100;
  if (value) {
    if (size < sizeof version) return CL_INVALID_VALUE;
    memcpy(value, &version, sizeof version);
  }
  if (size_ret) *size_ret = sizeof version;
  return CL_SUCCESS;
}

CL_API_ENTRY cl_int CL_API_CALL clInitLayer(cl_uint num_entries,
                                            const cl_icd_dispatch *target_dispatch,
                                            cl_uint *num_entries_ret,
                                            const cl_icd_dispatch **layer_dispatch_ret) {
  const size_t entries = sizeof layer_dispatch / sizeof layer_dispatch.clGetPlatformIDs;
  const size_t needed = offsetof(cl_icd_dispatch, clCreateContextFromType) /
                            sizeof layer_dispatch.clGetPlatformIDs + 1;
  if (!target_dispatch || !num_entries_ret || !layer_dispatch_ret || num_entries < needed)
    return CL_INVALID_VALUE;
  size_t n = num_entries < entries ? num_entries : entries;
  /* Every entry forwards to the next layer unless overridden below. */
  memcpy(&layer_dispatch, target_dispatch, n * sizeof layer_dispatch.clGetPlatformIDs);
  target = target_dispatch;
  load_profile();
  if (record) {
    layer_dispatch.clGetDeviceInfo = layer_get_device_info;
    layer_dispatch.clGetDeviceIDs = layer_get_device_ids;
    layer_dispatch.clCreateContextFromType = layer_create_context_from_type;
    layer_dispatch.clGetPlatformInfo = layer_get_platform_info;
  }
  *num_entries_ret = (cl_uint)n;
  *layer_dispatch_ret = &layer_dispatch;
  return CL_SUCCESS;
}
