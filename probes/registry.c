/* The free-memory source chain and the device side of probe targets. */
#include <stdlib.h>
#include <string.h>
#include "probe.h"

/* Order of MEMORY.md section 2: vendor sources first, host memory last. */
static const clql_probe_source *const sources[] = {
    &clql_probe_source_host,
};

static cl_int device_query(const clql_probe_target *t, cl_device_info param, size_t size,
                           void *value, size_t *size_ret) {
  return clGetDeviceInfo((cl_device_id)t->query_data, param, size, value, size_ret);
}

clql_status clql_probe_target_from_device(cl_device_id device, clql_probe_target *out) {
  memset(out, 0, sizeof *out);
  out->query = device_query;
  out->query_data = device;
  cl_int err = clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof out->type, &out->type, NULL);
  if (err == CL_SUCCESS)
    err = clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof out->total, &out->total, NULL);
  if (err == CL_SUCCESS)
    err = clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof out->max_alloc,
                          &out->max_alloc, NULL);
  if (err != CL_SUCCESS) return clql_fail((clql_status)err, "device memory size query failed");
  cl_bool unified = CL_FALSE;
  if (clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL) ==
      CL_SUCCESS)
    out->host_unified_memory = unified == CL_TRUE;
  size_t n = 0;
  if (clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, NULL, &n) != CL_SUCCESS) n = 0;
  out->extensions = calloc(n + 1, 1);
  if (!out->extensions) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "extension string");
  if (n && clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, n, out->extensions, NULL) != CL_SUCCESS)
    out->extensions[0] = '\0';
  out->has_pci = clql_probe_pci_address(out, &out->pci);
  return CLQL_SUCCESS;
}

void clql_probe_target_release(clql_probe_target *t) {
  free(t->extensions);
  t->extensions = NULL;
}

void clql_probe_run(const clql_probe_target *t, clql_memory_report *out, clql_probe_trace_fn trace,
                    void *user) {
  memset(out, 0, sizeof *out);
  out->total = t->total;
  out->max_alloc = t->max_alloc;
  out->free_source = CLQL_MEM_SOURCE_NONE;
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
    clql_probe_result r = {0};
    char why[160] = "";
    int answered = sources[i]->run(t, &r, why, sizeof why);
    if (trace) trace(sources[i]->name, answered, why, user);
    clql_log(CLQL_LOG_DEBUG, "probe %s: %s%s%s", sources[i]->name,
             answered ? "answered" : "skipped", why[0] ? ": " : "", why);
    if (!answered) continue;
    /* No source may report more free memory than the device has. */
    out->free = r.free < t->total ? r.free : t->total;
    out->largest_free_block = r.largest_free_block < out->free ? r.largest_free_block : out->free;
    out->free_known = 1;
    out->free_measured = r.measured;
    out->free_source = r.source;
    return;
  }
}

/* cl_khr_pci_bus_info; AMD topology and NVIDIA attributes come with the
 * vendor probes. */
#define CLQL_DEVICE_PCI_BUS_INFO_KHR 0x410F
typedef struct {
  cl_uint domain, bus, device, function;
} khr_pci_bus_info;

int clql_probe_pci_address(const clql_probe_target *t, clql_pci_address *out) {
  if (clql_has_extension(t->extensions, "cl_khr_pci_bus_info")) {
    khr_pci_bus_info info;
    if (t->query(t, CLQL_DEVICE_PCI_BUS_INFO_KHR, sizeof info, &info, NULL) == CL_SUCCESS) {
      out->domain = info.domain;
      out->bus = info.bus;
      out->device = info.device;
      out->function = info.function;
      return 1;
    }
  }
  return 0;
}

const char *clql_mem_source_name(clql_mem_source source) {
  static const char *const names[CLQL_MEM_SOURCE_COUNT_] = {
      "none", "amd-ext", "nvml", "level-zero", "sysfs-amdgpu", "host-meminfo", "cgroup"};
  if ((int)source < 0 || source >= CLQL_MEM_SOURCE_COUNT_) return "unknown";
  return names[source];
}
