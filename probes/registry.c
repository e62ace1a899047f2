/* The free-memory source chain and the device side of probe targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/base/cl_vendor.h"
#include "probe.h"

/* Order of docs/memory.md: vendor sources first, host memory last. */
const clql_probe_source *const clql_probe_sources[CLQL_PROBE_SOURCE_COUNT] = {
    &clql_probe_source_amd_ext,       &clql_probe_source_nvml, &clql_probe_source_level_zero,
    &clql_probe_source_sysfs_amdgpu, &clql_probe_source_host,
};

static cl_int device_query(const clql_probe_target *t, cl_device_info param, size_t size,
                           void *value, size_t *size_ret) {
  return clGetDeviceInfo((cl_device_id)t->query_data, param, size, value, size_ret);
}

clql_status clql_probe_target_init(clql_probe_target *out, clql_probe_query_fn query,
                                   const void *query_data, int require_sizes) {
  memset(out, 0, sizeof *out);
  out->query = query;
  out->query_data = query_data;
  struct {
    cl_device_info param;
    void *dst;
    size_t size;
  } required[] = {{CL_DEVICE_TYPE, &out->type, sizeof out->type},
                  {CL_DEVICE_GLOBAL_MEM_SIZE, &out->total, sizeof out->total},
                  {CL_DEVICE_MAX_MEM_ALLOC_SIZE, &out->max_alloc, sizeof out->max_alloc}};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    cl_int err = query(out, required[i].param, required[i].size, required[i].dst, NULL);
    if (err == CL_SUCCESS) continue;
    memset(required[i].dst, 0, required[i].size);
    if (require_sizes || clql_cl_resource_error(err))
      return clql_fail((clql_status)err, "device type or memory size query: %s",
                       clql_status_name(err));
  }
  cl_bool unified = CL_FALSE;
  cl_int err = query(out, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
  if (err == CL_SUCCESS) out->host_unified_memory = unified == CL_TRUE;
  size_t n = 0;
  if (!clql_cl_resource_error(err)) err = query(out, CL_DEVICE_EXTENSIONS, 0, NULL, &n);
  if (clql_cl_resource_error(err))
    return clql_fail((clql_status)err, "device query: %s", clql_status_name(err));
  if (err != CL_SUCCESS || n == SIZE_MAX) n = 0;
  out->extensions = clql_calloc(n + 1, 1);
  if (!out->extensions) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "extension string");
  if (n && (err = query(out, CL_DEVICE_EXTENSIONS, n, out->extensions, NULL)) != CL_SUCCESS)
    out->extensions[0] = '\0';
  int pci = clql_cl_resource_error(err) ? -1 : clql_probe_pci_address(out, &out->pci);
  if (pci < 0)
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device identity queries: out of resources");
  out->has_pci = pci;
  return CLQL_SUCCESS;
}

clql_status clql_probe_target_from_device(cl_device_id device, clql_probe_target *out) {
  return clql_probe_target_init(out, device_query, device, 1);
}

void clql_probe_target_release(clql_probe_target *t) {
  clql_free(t->extensions);
  t->extensions = NULL;
}

/* A GPU that shares host memory has no more free than the host has
 * available (a vendor figure can count a carve-out or the GTT the host is
 * also using): lower free to that. 0, or -1 out of host memory. */
static int host_bound(const clql_probe_target *t, clql_memory_report *out) {
  if (!t->host_unified_memory || (t->type & CL_DEVICE_TYPE_CPU) ||
      out->free_source == CLQL_MEM_SOURCE_HOST_MEMINFO || out->free_source == CLQL_MEM_SOURCE_CGROUP)
    return 0; /* the host source's figure is the host's */
  cl_ulong avail = t->recorded_host_available, cg = 0;
  if (!t->recorded) {
    int got = clql_host_mem_available(t->config, &avail);
    int got_cg = got < 0 ? 0 : clql_host_cgroup_free(t->config, &cg);
    if (got < 0 || got_cg < 0) return -1;
    if (!got) avail = 0;
    if (got_cg && (!avail || cg < avail)) avail = cg;
  }
  if (avail && avail < out->free) {
    out->free = avail;
    if (out->largest_free_block > avail) out->largest_free_block = avail;
    out->free_bounds |= CLQL_FREE_HOST_BOUND;
  }
  return 0;
}

static clql_status run_chain(const clql_probe_target *t, clql_memory_report *out,
                             clql_probe_trace_fn trace, void *user) {
  const clql_config *cfg = t->config;
  out->total = t->total;
  out->max_alloc = t->max_alloc;
  out->free_source = CLQL_MEM_SOURCE_NONE;
  out->unified = t->host_unified_memory;
  for (size_t i = 0; i < CLQL_PROBE_SOURCE_COUNT; i++) {
    const clql_probe_source *src = clql_probe_sources[i];
    clql_probe_result r = {0};
    char why[192] = "";
    int answered = 0;
    if (!(cfg->sources_allowed & (1u << i)))
      snprintf(why, sizeof why, "excluded by CLQL_MEM_SOURCE");
    else if (t->recorded && src->measures_host)
      snprintf(why, sizeof why, "a recorded device: this machine's %s says nothing about it",
               src->name);
    else if (src->opt_in == CLQL_KNOB_LEVEL_ZERO && !(cfg->sources_named & (1u << i)) &&
             !cfg->level_zero)
      snprintf(why, sizeof why, "off; set CLQL_LEVEL_ZERO=1 or CLQL_MEM_SOURCE=%s", src->name);
    else
      answered = src->run(t, &r, why, sizeof why);
    if (answered > 0) {
      /* No source may report more free memory than the device has (when
       * the device says what it has: a profile may not). */
      out->free = t->total && r.free > t->total ? t->total : r.free;
      out->largest_free_block = r.largest_free_block < out->free ? r.largest_free_block : out->free;
      out->free_known = 1;
      out->free_measured = r.measured;
      out->free_source = r.source;
      out->free_bounds = r.bounds;
      snprintf(why, sizeof why, "%s: %llu bytes free%s%s", clql_mem_source_name(r.source),
               (unsigned long long)out->free, out->free < r.free ? " (clamped to total)" : "",
               r.bounds & CLQL_FREE_WITH_GTT ? " (VRAM + GTT)" : "");
      if (host_bound(t, out) < 0) {
        snprintf(why, sizeof why, "out of host memory reading the host's available memory");
        answered = -1;
      } else if (out->free_bounds & CLQL_FREE_HOST_BOUND) {
        size_t len = strlen(why);
        snprintf(why + len, sizeof why - len, "; %llu available to the host bound it",
                 (unsigned long long)out->free);
      }
    }
    if (trace) trace(src->name, answered > 0, why, user);
    clql_log(CLQL_LOG_DEBUG, "probe %s: %s: %s", src->name,
             answered > 0 ? "answered" : answered ? "failed" : "skipped", why);
    if (answered < 0) {
      memset(out, 0, sizeof *out);
      return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "memory source %s: %s", src->name, why);
    }
    if (answered) return CLQL_SUCCESS;
  }
  return CLQL_SUCCESS;
}

clql_status clql_probe_run(const clql_probe_target *target, clql_memory_report *out,
                           clql_probe_trace_fn trace, void *user) {
  memset(out, 0, sizeof *out);
  if (target->config) return run_chain(target, out, trace, user);
  clql_probe_target t = *target;
  clql_config env;
  clql_status st = clql_config_init_env(&env);
  if (st != CLQL_SUCCESS) return st;
  t.config = &env;
  st = run_chain(&t, out, trace, user);
  clql_config_clear(&env);
  return st;
}

/* An optional query: 1 answered, 0 not, -1 failed for lack of resources. */
static int optional(const clql_probe_target *t, cl_device_info param, size_t size, void *value) {
  cl_int err = t->query(t, param, size, value, NULL);
  return err == CL_SUCCESS ? 1 : clql_cl_resource_error(err) ? -1 : 0;
}

int clql_probe_pci_address(const clql_probe_target *t, clql_pci_address *out) {
  int got;
  if (clql_has_extension(t->extensions, "cl_khr_pci_bus_info")) {
    clql_cl_pci_bus_info_khr info;
    if ((got = optional(t, CLQL_CL_DEVICE_PCI_BUS_INFO_KHR, sizeof info, &info)) < 0) return got;
    if (got) {
      *out = (clql_pci_address){info.domain, info.bus, info.device, info.function};
      return 1;
    }
  }
  if (clql_has_extension(t->extensions, "cl_amd_device_attribute_query")) {
    /* The topology has no PCI domain: 0, as hwloc assumes. The fields are
     * signed chars, so a bus of 0x80 or more must go through unsigned char. */
    clql_cl_topology_amd topo;
    memset(&topo, 0, sizeof topo);
    if ((got = optional(t, CLQL_CL_DEVICE_TOPOLOGY_AMD, sizeof topo, &topo)) < 0) return got;
    if (got && topo.raw.type == CLQL_CL_DEVICE_TOPOLOGY_TYPE_PCIE_AMD) {
      *out = (clql_pci_address){0, (unsigned char)topo.pcie.bus, (unsigned char)topo.pcie.device,
                                (unsigned char)topo.pcie.function};
      return 1;
    }
  }
  if (clql_has_extension(t->extensions, "cl_nv_device_attribute_query")) {
    cl_uint bus = 0, slot = 0, domain = 0;
    int b = optional(t, CLQL_CL_DEVICE_PCI_BUS_ID_NV, sizeof bus, &bus);
    int s = b > 0 ? optional(t, CLQL_CL_DEVICE_PCI_SLOT_ID_NV, sizeof slot, &slot) : 0;
    /* The domain query fails on drivers before CUDA 10.2: domain 0. */
    int d = s > 0 ? optional(t, CLQL_CL_DEVICE_PCI_DOMAIN_ID_NV, sizeof domain, &domain) : 0;
    if (b < 0 || s < 0 || d < 0) return -1;
    if (s) {
      if (!d) domain = 0;
      *out = (clql_pci_address){domain, bus & 0xff, slot >> 3, slot & 7};
      return 1;
    }
  }
  return 0;
}

int clql_probe_uuid(const clql_probe_target *t, unsigned char uuid[16]) {
  if (!clql_has_extension(t->extensions, "cl_khr_device_uuid")) return 0;
  return optional(t, CLQL_CL_DEVICE_UUID_KHR, CLQL_UUID_SIZE, uuid);
}

const char *clql_mem_source_name(clql_mem_source source) {
  static const char *const names[CLQL_MEM_SOURCE_COUNT_] = {
      "none", "amd-ext", "nvml", "level-zero", "sysfs-amdgpu", "host-meminfo", "cgroup"};
  if ((int)source < 0 || source >= CLQL_MEM_SOURCE_COUNT_) return "unknown";
  return names[source];
}
