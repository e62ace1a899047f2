/* The internal probe interface: each free-memory source is one file in
 * probes/ exporting one clql_probe_source. The registry (registry.c) tries
 * them in the order of MEMORY.md section 2; the first that answers wins. */
#ifndef CLQL_PROBE_H
#define CLQL_PROBE_H

#include <stddef.h>
#include "../lib/internal.h"

/* What a probe may know about the device. It is filled from a live
 * cl_device_id or from a recorded device profile, and probes read device
 * properties only through query(), so both take the same code path. */
typedef struct clql_probe_target {
  cl_device_type type;
  int host_unified_memory;
  cl_ulong total;
  cl_ulong max_alloc;
  char *extensions; /* owned, space-separated, never NULL */
  int has_pci;
  clql_pci_address pci;
  /* clGetDeviceInfo semantics, including the size-query protocol. */
  cl_int (*query)(const struct clql_probe_target *t, cl_device_info param, size_t size,
                  void *value, size_t *size_ret);
  const void *query_data; /* the cl_device_id, or the profile record */
} clql_probe_target;

typedef struct clql_probe_result {
  clql_mem_source source;
  cl_ulong free;
  cl_ulong largest_free_block; /* 0 when unknown */
  int measured;
} clql_probe_result;

typedef struct clql_probe_source {
  const char *name; /* as in CLQL_MEM_SOURCE: "amd-ext", "host", ... */
  /* 1 when the source answered (result filled); 0 when skipped, with a short
   * reason written to why. Never fails the caller. */
  int (*run)(const clql_probe_target *t, clql_probe_result *result, char *why, size_t why_size);
} clql_probe_source;

/* Called for every source tried: answered or the reason it was skipped. */
typedef void (*clql_probe_trace_fn)(const char *source, int answered, const char *why, void *user);

clql_status clql_probe_target_from_device(cl_device_id device, clql_probe_target *out);
void clql_probe_target_release(clql_probe_target *t);
/* Fill total / max_alloc from the target and free from the first source that
 * answers. Never fails: nothing answering leaves free unknown (source none). */
void clql_probe_run(const clql_probe_target *t, clql_memory_report *out, clql_probe_trace_fn trace,
                    void *user);

/* PCI location from cl_khr_pci_bus_info, AMD topology, or NVIDIA's queries. */
int clql_probe_pci_address(const clql_probe_target *t, clql_pci_address *out);

/* The sources. */
extern const clql_probe_source clql_probe_source_host;

/* Host-memory helpers, exposed for the unit tests: the roots come from
 * CLQL_PROC_ROOT (default /proc) and CLQL_SYSFS_ROOT (default /sys). */
int clql_host_mem_available(cl_ulong *bytes);
int clql_host_cgroup_free(cl_ulong *bytes);

#endif /* CLQL_PROBE_H */
