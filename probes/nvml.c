/* NVIDIA: NVML, loaded with dlopen (never linked) from $CLQL_NVML_LIBRARY or
 * libnvidia-ml.so.1, initialised once per process and shut down when libclql
 * is unloaded. The OpenCL device is matched by PCI bus id, else by UUID.
 * Every NVML error means "unknown" (the source is skipped with the error's
 * name), never a failure of clql. Layouts from nvml.h (API version 13). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "probe.h"

#define NVIDIA_VENDOR_ID 0x10de
#define NVML_SUCCESS 0

typedef int nvml_return;
typedef struct nvml_device_st *nvml_device;
typedef struct {
  unsigned long long total, free, used;
} nvml_memory_v1;
typedef struct {
  unsigned int version;
  unsigned long long total, reserved, free, used;
} nvml_memory_v2;
/* NVML_STRUCT_VERSION(Memory, 2): the struct size with the version in the top byte. */
#define NVML_MEMORY_V2_VERSION ((unsigned int)(sizeof(nvml_memory_v2) | (2u << 24)))
_Static_assert(sizeof(nvml_memory_v2) != 40 || NVML_MEMORY_V2_VERSION == 0x02000028u,
               "nvmlMemory_v2 version differs from nvml.h");

static struct {
  void *lib;
  nvml_return (*init)(void);
  nvml_return (*shutdown)(void);
  const char *(*error_string)(nvml_return);
  nvml_return (*by_pci)(const char *, nvml_device *);
  nvml_return (*by_uuid)(const char *, nvml_device *);
  nvml_return (*memory_v1)(nvml_device, nvml_memory_v1 *);
  nvml_return (*memory_v2)(nvml_device, nvml_memory_v2 *);
  int ready;
  char failure[192];
} nvml;
static pthread_mutex_t nvml_lock = PTHREAD_MUTEX_INITIALIZER;
static int nvml_tried; /* loaded once per process, from the first probe's path */

static const char *error_name(nvml_return rc) {
  const char *s = nvml.error_string ? nvml.error_string(rc) : NULL;
  return s ? s : "unknown NVML error";
}

static void nvml_close(void) {
  if (nvml.lib) dlclose(nvml.lib);
  nvml.lib = NULL;
}

static void nvml_load(const char *path) {
  nvml.lib = clql_probe_dlopen(path, nvml.failure, sizeof nvml.failure);
  if (!nvml.lib) return;
  const char *missing = NULL;
  if (!clql_dl_symbol(nvml.lib, "nvmlInit_v2", &nvml.init)) missing = "nvmlInit_v2";
  if (!clql_dl_symbol(nvml.lib, "nvmlShutdown", &nvml.shutdown)) missing = "nvmlShutdown";
  if (!clql_dl_symbol(nvml.lib, "nvmlErrorString", &nvml.error_string)) missing = "nvmlErrorString";
  clql_dl_symbol(nvml.lib, "nvmlDeviceGetHandleByPciBusId_v2", &nvml.by_pci);
  clql_dl_symbol(nvml.lib, "nvmlDeviceGetHandleByUUID", &nvml.by_uuid);
  clql_dl_symbol(nvml.lib, "nvmlDeviceGetMemoryInfo", &nvml.memory_v1);
  clql_dl_symbol(nvml.lib, "nvmlDeviceGetMemoryInfo_v2", &nvml.memory_v2);
  if (!nvml.by_pci && !nvml.by_uuid) missing = "nvmlDeviceGetHandleByPciBusId_v2";
  if (!nvml.memory_v1 && !nvml.memory_v2) missing = "nvmlDeviceGetMemoryInfo";
  if (missing) {
    snprintf(nvml.failure, sizeof nvml.failure, "the NVML library lacks %s", missing);
    nvml_close();
    return;
  }
  nvml_return rc = nvml.init();
  if (rc != NVML_SUCCESS) {
    snprintf(nvml.failure, sizeof nvml.failure, "nvmlInit_v2: %s (%d)", error_name(rc), rc);
    nvml_close();
    return;
  }
  nvml.ready = 1;
}

__attribute__((destructor)) static void nvml_unload(void) {
  if (nvml.ready) nvml.shutdown();
  nvml.ready = 0;
  nvml_close();
}

/* The UUID string NVML uses: "GPU-" and the 16 bytes as 8-4-4-4-12 hex. */
static void format_uuid(const unsigned char u[16], char *buf, size_t size) {
  snprintf(buf, size,
           "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
           u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
           u[15]);
}

/* 1 found, 0 not (why says so), -1 a device query failed for lack of resources. */
static int find_device(const clql_probe_target *t, nvml_device *dev, char *why, size_t why_size) {
  unsigned char uuid[16];
  int has_uuid = clql_probe_uuid(t, uuid);
  if (has_uuid < 0) {
    snprintf(why, why_size, "device UUID query: out of resources");
    return -1;
  }
  nvml_return rc = NVML_SUCCESS;
  char id[64];
  int tried = 0;
  size_t len = 0;
  why[0] = '\0';
  if (t->has_pci && nvml.by_pci) {
    clql_format_bdf(&t->pci, id, sizeof id);
    if ((rc = nvml.by_pci(id, dev)) == NVML_SUCCESS) return 1;
    len += (size_t)snprintf(why, why_size, "nvmlDeviceGetHandleByPciBusId_v2(%s): %s (%d)", id,
                            error_name(rc), rc);
    tried = 1;
  }
  if (has_uuid && nvml.by_uuid) {
    format_uuid(uuid, id, sizeof id);
    if ((rc = nvml.by_uuid(id, dev)) == NVML_SUCCESS) return 1;
    if (len < why_size)
      snprintf(why + len, why_size - len, "%snvmlDeviceGetHandleByUUID(%s): %s (%d)",
               len ? "; " : "", id, error_name(rc), rc);
    tried = 1;
  }
  if (!tried) snprintf(why, why_size, "no PCI address or UUID to match the NVML device");
  return 0;
}

static int nvml_run(const clql_probe_target *t, clql_probe_result *r, char *why, size_t why_size) {
  if (!(t->type & CL_DEVICE_TYPE_GPU)) {
    snprintf(why, why_size, "not a GPU");
    return 0;
  }
  cl_uint vendor = 0;
  cl_int err = t->query(t, CL_DEVICE_VENDOR_ID, sizeof vendor, &vendor, NULL);
  if (clql_cl_resource_error(err)) {
    snprintf(why, why_size, "vendor id query: %s", clql_status_name(err));
    return -1;
  }
  if (err != CL_SUCCESS) vendor = 0;
  if (vendor != NVIDIA_VENDOR_ID &&
      !clql_has_extension(t->extensions, "cl_nv_device_attribute_query")) {
    snprintf(why, why_size, "not an NVIDIA device");
    return 0;
  }
  pthread_mutex_lock(&nvml_lock);
  if (!nvml_tried)
    nvml_load(clql_config_path(t->config, CLQL_KNOB_NVML_LIBRARY, "libnvidia-ml.so.1"));
  nvml_tried = 1;
  pthread_mutex_unlock(&nvml_lock);
  if (!nvml.ready) {
    snprintf(why, why_size, "%s", nvml.failure);
    return 0;
  }
  nvml_device dev = NULL;
  int found = find_device(t, &dev, why, why_size);
  if (found <= 0) return found;
  nvml_return rc;
  unsigned long long free_bytes;
  if (nvml.memory_v2) {
    nvml_memory_v2 m = {.version = NVML_MEMORY_V2_VERSION};
    rc = nvml.memory_v2(dev, &m);
    free_bytes = m.free;
  } else {
    nvml_memory_v1 m = {0};
    rc = nvml.memory_v1(dev, &m);
    free_bytes = m.free;
  }
  if (rc != NVML_SUCCESS) {
    snprintf(why, why_size, "%s: %s (%d)",
             nvml.memory_v2 ? "nvmlDeviceGetMemoryInfo_v2" : "nvmlDeviceGetMemoryInfo",
             error_name(rc), rc);
    return 0;
  }
  r->source = CLQL_MEM_SOURCE_NVML;
  r->free = free_bytes;
  r->measured = 1;
  return 1;
}

const clql_probe_source clql_probe_source_nvml = {"nvml", nvml_run, -1, 1};
