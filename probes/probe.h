/* The internal probe interface: each free-memory source is one file in
 * probes/ exporting one clql_probe_source. The registry (registry.c) tries
 * them in the order of docs/memory.md; the first that answers wins. */
#ifndef CLQL_PROBE_H
#define CLQL_PROBE_H

#include <stddef.h>
#include "../lib/base/base.h"
#include "../lib/base/cl_vendor.h"
#include "../lib/base/config.h"

struct clql_probe_target;
/* clGetDeviceInfo semantics, including the size-query protocol. */
typedef cl_int (*clql_probe_query_fn)(const struct clql_probe_target *t, cl_device_info param,
                                      size_t size, void *value, size_t *size_ret);

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
  clql_probe_query_fn query;
  const void *query_data; /* the cl_device_id, or the profile record */
  /* A record with no live device behind it (clql_profile_devices): sources
   * that measure this machine (host memory, NVML, sysfs...) say nothing
   * about it and are skipped. The profile layer's devices are live. */
  int recorded;
  /* The configuration the probe runs under (memory sources, roots, vendor
   * libraries); NULL: the environment, read once per clql_probe_run. */
  const clql_config *config;
  /* A recorded device that shares host memory: the host's available memory
   * when it was recorded (0: unknown), its bound in place of this host's. */
  cl_ulong recorded_host_available;
} clql_probe_target;

typedef struct clql_probe_result {
  clql_mem_source source;
  cl_ulong free;
  cl_ulong largest_free_block; /* 0 when unknown */
  int measured;
  unsigned bounds; /* CLQL_FREE_* bits the source applied */
} clql_probe_result;

typedef struct clql_probe_source {
  const char *name; /* as in CLQL_MEM_SOURCE: "amd-ext", "host", ... */
  /* 1 when the source answered (result filled); 0 when skipped, with a short
   * reason written to why; -1 when it ran out of host memory (or a query
   * failed for lack of resources), which fails the whole report: a guess
   * from the sources left would be wrong, not unknown. */
  int (*run)(const clql_probe_target *t, clql_probe_result *result, char *why, size_t why_size);
  /* Sources with side effects on the process run only when this flag of the
   * configuration is on or CLQL_MEM_SOURCE names them; -1 for the others. */
  int opt_in;
  /* 1 when the source measures the machine it runs on rather than asking
   * the device (through query) what it has. */
  int measures_host;
} clql_probe_source;

/* Called for every source tried: answered or the reason it was skipped
 * (the public clql_mem_trace_fn). */
typedef clql_mem_trace_fn clql_probe_trace_fn;

/* Build a target that reads the device through query (a live device or a
 * profile record). With require_sizes, failing type/size queries fail the
 * call; without, they leave zeros (a record without them). */
clql_status clql_probe_target_init(clql_probe_target *out, clql_probe_query_fn query,
                                   const void *query_data, int require_sizes);
clql_status clql_probe_target_from_device(cl_device_id device, clql_probe_target *out);
void clql_probe_target_release(clql_probe_target *t);
/* Fill total / max_alloc from the target and free from the first source that
 * answers, in chain order, honouring CLQL_MEM_SOURCE. Nothing answering
 * leaves free unknown (source none); fails when a source runs out of host
 * memory (CLQL_ERR_OUT_OF_HOST_MEMORY), or with CLQL_ERR_INVALID_CONFIG when
 * the target has no configuration and the environment holds a bad value. */
clql_status clql_probe_run(const clql_probe_target *t, clql_memory_report *out,
                           clql_probe_trace_fn trace, void *user);

/* PCI location from cl_khr_pci_bus_info, AMD topology, or NVIDIA's queries:
 * 1 found, 0 not, -1 a query failed for lack of resources. */
int clql_probe_pci_address(const clql_probe_target *t, clql_pci_address *out);
/* CL_DEVICE_UUID_KHR where cl_khr_device_uuid is listed; 1, 0 or -1 as above. */
int clql_probe_uuid(const clql_probe_target *t, unsigned char uuid[16]);

/* ---- the chain ---- */
/* The chain's sources in order (CLQL_PROBE_SOURCE_COUNT of them, named as
 * clql_probe_source_names of lib/base/config.h). */
extern const clql_probe_source *const clql_probe_sources[];

/* ---- helpers for the file-based and dlopen'ed sources ---- */
/* A one-number file: 1 with *out, 2 for "max" (cgroup "unlimited"), 0 on a
 * missing file or garbage, -1 out of host memory. */
int clql_read_u64_file(const char *path, cl_ulong *out);
/* dlopen path privately; NULL with the reason in failure when it cannot be
 * loaded (a path to something other than a regular file is not opened). */
void *clql_probe_dlopen(const char *path, char *failure, size_t failure_size);
/* dlsym into a function pointer without the object/function pointer cast
 * ISO C does not define (POSIX guarantees they have the same size). */
int clql_dl_symbol(void *lib, const char *name, void *fn_out);

/* The sources, in chain order (docs/memory.md). */
extern const clql_probe_source clql_probe_source_amd_ext;
extern const clql_probe_source clql_probe_source_nvml;
extern const clql_probe_source clql_probe_source_level_zero;
extern const clql_probe_source clql_probe_source_sysfs_amdgpu;
extern const clql_probe_source clql_probe_source_host;

/* Host-memory helpers, exposed for the unit tests: the roots come from cfg's
 * CLQL_PROC_ROOT (default /proc) and CLQL_SYSFS_ROOT (default /sys); cfg
 * NULL: the defaults. 1 with *bytes, 0 when nothing applies, -1 out of host
 * memory. */
int clql_host_mem_available(const clql_config *cfg, cl_ulong *bytes);
int clql_host_cgroup_free(const clql_config *cfg, cl_ulong *bytes);

#endif /* CLQL_PROBE_H */
