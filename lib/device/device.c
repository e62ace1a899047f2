#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"
#include "../../probes/probe.h"

const char *clql_device_type_name(cl_device_type type) {
  if (type & CL_DEVICE_TYPE_GPU) return "gpu";
  if (type & CL_DEVICE_TYPE_CPU) return "cpu";
  if (type & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
  return "custom";
}

/* Strings longer than CLQL_NAME_MAX are truncated rather than failing the
 * whole report: clGetDeviceInfo rejects too-small buffers, so read the size
 * first. A string the device does not answer stays empty. */
static clql_status target_string(const clql_probe_target *t, cl_device_info what, char *dst,
                                 size_t size) {
  size_t need = 0;
  dst[0] = '\0';
  cl_int err = t->query(t, what, 0, NULL, &need);
  if (err == CL_SUCCESS && need > 0) {
    char *tmp = clql_malloc(need);
    if (!tmp) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device string of %zu bytes", need);
    err = t->query(t, what, need, tmp, NULL);
    if (err == CL_SUCCESS) {
      tmp[need - 1] = '\0';
      clql_strlcpy(dst, tmp, size);
    }
    clql_free(tmp);
  }
  if (clql_cl_resource_error(err))
    return clql_fail((clql_status)err, "device string query: %s", clql_status_name(err));
  return CLQL_SUCCESS;
}

/* A fixed-size query the device may not answer (then 0). */
static clql_status target_value(const clql_probe_target *t, cl_device_info what, void *dst,
                                size_t size) {
  cl_int err = t->query(t, what, size, dst, NULL);
  if (err == CL_SUCCESS) return CLQL_SUCCESS;
  memset(dst, 0, size);
  if (clql_cl_resource_error(err))
    return clql_fail((clql_status)err, "device query: %s", clql_status_name(err));
  return CLQL_SUCCESS;
}

clql_status clql_device_fill_target(const clql_probe_target *t, clql_device_info *out) {
  clql_status st = target_string(t, CL_DEVICE_NAME, out->name, sizeof out->name);
  if (st == CLQL_SUCCESS) st = target_string(t, CL_DEVICE_VENDOR, out->vendor, sizeof out->vendor);
  if (st == CLQL_SUCCESS)
    st = target_string(t, CL_DRIVER_VERSION, out->driver_version, sizeof out->driver_version);
  out->type = t->type;
  out->host_unified_memory = t->host_unified_memory;
  if (st == CLQL_SUCCESS)
    st = target_value(t, CL_DEVICE_VENDOR_ID, &out->vendor_id, sizeof out->vendor_id);
  if (st == CLQL_SUCCESS)
    st = target_value(t, CL_DEVICE_MAX_COMPUTE_UNITS, &out->compute_units,
                      sizeof out->compute_units);
  if (st == CLQL_SUCCESS)
    st = target_value(t, CL_DEVICE_LOCAL_MEM_SIZE, &out->local_mem, sizeof out->local_mem);
  out->has_pci = t->has_pci;
  out->pci = t->pci;
  return st;
}

clql_status clql_device_fill(cl_platform_id platform, cl_device_id device, const clql_config *cfg,
                             clql_device_info *out) {
  memset(out, 0, sizeof *out);
  out->platform = platform;
  out->device = device;
  size_t need = 0;
  cl_int err = clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof out->platform_name,
                                 out->platform_name, &need);
  if (clql_cl_resource_error(err))
    return clql_fail((clql_status)err, "platform name query: %s", clql_status_name(err));
  if (err != CL_SUCCESS) out->platform_name[0] = '\0';
  out->platform_name[sizeof out->platform_name - 1] = '\0';
  clql_probe_target target;
  clql_status st = clql_probe_target_from_device(device, &target);
  target.config = cfg;
  if (st == CLQL_SUCCESS) st = clql_device_fill_target(&target, out);
  if (st == CLQL_SUCCESS) st = clql_memory_cached(&target, device, &out->memory);
  clql_probe_target_release(&target);
  return st;
}

/* Platform IDs, treating "no platform" (-1001 from the ICD loader) as empty. */
static clql_status get_platforms(cl_platform_id **out, cl_uint *count) {
  *out = NULL;
  *count = 0;
  cl_uint n = 0;
  cl_int err = clGetPlatformIDs(0, NULL, &n);
  if (err == CLQL_STATUS_CL_PLATFORM_NOT_FOUND_KHR || (err == CL_SUCCESS && n == 0))
    return clql_fail(CLQL_ERR_NO_PLATFORM, "the OpenCL ICD loader found no platform");
  if (err != CL_SUCCESS) return clql_fail((clql_status)err, "clGetPlatformIDs failed");
  cl_platform_id *ids = clql_calloc(n, sizeof *ids);
  if (!ids) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "platform list");
  err = clGetPlatformIDs(n, ids, NULL);
  if (err != CL_SUCCESS) {
    clql_free(ids);
    return clql_fail((clql_status)err, "clGetPlatformIDs failed");
  }
  *out = ids;
  *count = n;
  return CLQL_SUCCESS;
}

/* Device IDs of one platform; a platform without devices is not an error. */
static clql_status get_devices(cl_platform_id p, cl_device_id **out, cl_uint *count) {
  *out = NULL;
  *count = 0;
  cl_uint n = 0;
  cl_int err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, &n);
  if (err == CL_DEVICE_NOT_FOUND || (err == CL_SUCCESS && n == 0)) return CLQL_SUCCESS;
  if (err != CL_SUCCESS) return clql_fail((clql_status)err, "clGetDeviceIDs failed");
  cl_device_id *ids = clql_calloc(n, sizeof *ids);
  if (!ids) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device list");
  err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n, ids, NULL);
  if (err != CL_SUCCESS) {
    clql_free(ids);
    return clql_fail((clql_status)err, "clGetDeviceIDs failed");
  }
  *out = ids;
  *count = n;
  return CLQL_SUCCESS;
}

/* Listing devices is serialized: an ICD's first queries set up its devices
 * lazily, and some (PoCL) are not safe to set up from several threads at
 * once; contexts created at the same moment on several threads would
 * otherwise see devices half set up. */
static pthread_mutex_t enumerate_lock = PTHREAD_MUTEX_INITIALIZER;

static clql_status devices_get_locked(const clql_config *cfg, clql_device_info *devices,
                                      size_t capacity, size_t *count);

clql_status clql_devices_get_with(const clql_config *cfg, clql_device_info *devices,
                                  size_t capacity, size_t *count) {
  pthread_mutex_lock(&enumerate_lock);
  clql_status st = devices_get_locked(cfg, devices, capacity, count);
  pthread_mutex_unlock(&enumerate_lock);
  return st;
}

static clql_status devices_get_locked(const clql_config *cfg, clql_device_info *devices,
                                      size_t capacity, size_t *count) {
  cl_platform_id *plats = NULL;
  cl_uint nplat = 0;
  clql_status st = get_platforms(&plats, &nplat);
  if (st != CLQL_SUCCESS) return st;
  size_t total = 0;
  for (cl_uint p = 0; p < nplat && st == CLQL_SUCCESS; p++) {
    cl_device_id *ids = NULL;
    cl_uint n = 0;
    st = get_devices(plats[p], &ids, &n);
    for (cl_uint d = 0; d < n && st == CLQL_SUCCESS; d++, total++) {
      if (!devices || total >= capacity) continue;
      st = clql_device_fill(plats[p], ids[d], cfg, &devices[total]);
      devices[total].index = (unsigned)total;
      devices[total].platform_index = p;
      devices[total].device_index = d;
    }
    clql_free(ids);
  }
  clql_free(plats);
  if (st != CLQL_SUCCESS) return st;
  *count = total;
  if (devices && capacity < total)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu devices, room for %zu", total, capacity);
  return CLQL_SUCCESS;
}

clql_status clql_devices_get(clql_device_info *devices, size_t capacity, size_t *count) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  if (!devices && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "devices is NULL");
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  st = clql_devices_get_with(&cfg, devices, capacity, count);
  clql_config_clear(&cfg);
  return st;
}

clql_status clql_devices_all(const clql_config *cfg, clql_device_info **out, size_t *count) {
  *out = NULL;
  *count = 0;
  size_t n = 0;
  clql_status st = clql_devices_get_with(cfg, NULL, 0, &n);
  if (st != CLQL_SUCCESS) return st;
  if (n == 0) return clql_fail(CLQL_ERR_NO_DEVICE, "no OpenCL device on any platform");
  clql_device_info *all = clql_calloc(n, sizeof *all);
  if (!all) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device list");
  size_t got = 0;
  st = clql_devices_get_with(cfg, all, n, &got);
  if (st != CLQL_SUCCESS && st != CLQL_ERR_BUFFER_TOO_SMALL) {
    clql_free(all);
    return st;
  }
  /* A device appearing between the two calls is simply not considered. */
  *out = all;
  *count = got < n ? got : n;
  return CLQL_SUCCESS;
}

clql_status clql_selector_list_of(const char *selectors, const clql_config *cfg,
                                  clql_selector_list *out, const char **source) {
  *source = "argument";
  if (!selectors || !*selectors) {
    selectors = clql_config_text(cfg, CLQL_KNOB_DEVICE);
    *source = "CLQL_DEVICE";
  }
  clql_status st = clql_selector_list_parse(selectors, out);
  if (st != CLQL_SUCCESS) {
    char why[512];
    clql_strlcpy(why, clql_last_error_detail(), sizeof why);
    return clql_fail(st, "%s: %s", *source, why);
  }
  return CLQL_SUCCESS;
}

clql_status clql_device_select_with(const char *selector, const clql_config *cfg,
                                    clql_device_info *out) {
  /* A list (the device sets' syntax) selects its first item. */
  clql_selector_list list;
  const char *source;
  clql_status st = clql_selector_list_of(selector, cfg, &list, &source);
  if (st != CLQL_SUCCESS) return st;
  clql_device_info *all = NULL;
  size_t n = 0;
  st = clql_devices_all(cfg, &all, &n);
  if (st == CLQL_SUCCESS) {
    long i = clql_selector_match(&list.items[0], all, n);
    if (i < 0)
      st = clql_fail(CLQL_ERR_NO_DEVICE, "%s: no device matches '%s'", source,
                     list.items[0].text ? list.items[0].text : "(the default)");
    else
      *out = all[i];
  }
  clql_free(all);
  clql_selector_list_free(&list);
  return st;
}

clql_status clql_device_select(const char *selector, clql_device_info *out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "output is NULL");
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  st = clql_device_select_with(selector, &cfg, out);
  clql_config_clear(&cfg);
  return st;
}
