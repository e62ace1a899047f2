/* Device enumeration and the device memory report. */
#ifndef CLQL_DEVICE_H
#define CLQL_DEVICE_H

#include <stddef.h>
#include <clql/cl.h>
#include <clql/export.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where a device's free-memory figure came from. */
typedef enum clql_mem_source {
  CLQL_MEM_SOURCE_NONE = 0,     /**< "none": nothing answered; free is unknown */
  CLQL_MEM_SOURCE_AMD_EXT,      /**< "amd-ext": CL_DEVICE_GLOBAL_FREE_MEMORY_AMD */
  CLQL_MEM_SOURCE_NVML,         /**< "nvml": NVIDIA Management Library */
  CLQL_MEM_SOURCE_LEVEL_ZERO,   /**< "level-zero": Intel Level Zero Sysman */
  CLQL_MEM_SOURCE_SYSFS_AMDGPU, /**< "sysfs-amdgpu": amdgpu mem_info_vram_* files */
  CLQL_MEM_SOURCE_HOST_MEMINFO, /**< "host-meminfo": MemAvailable of /proc/meminfo */
  CLQL_MEM_SOURCE_CGROUP,       /**< "cgroup": the process's cgroup memory limit minus usage */
  CLQL_MEM_SOURCE_COUNT_
} clql_mem_source;

/** Stable lower-case name of a source ("host-meminfo"); "unknown" for bad values. */
CLQL_API const char *clql_mem_source_name(clql_mem_source source);

/** What clql knows about one device's memory. All sizes are bytes. */
typedef struct clql_memory_report {
  cl_ulong total;              /**< CL_DEVICE_GLOBAL_MEM_SIZE */
  cl_ulong max_alloc;          /**< CL_DEVICE_MAX_MEM_ALLOC_SIZE: largest single buffer */
  cl_ulong free;               /**< free memory; meaningful only when free_known */
  cl_ulong largest_free_block; /**< largest free block; 0 when unknown */
  int free_known;              /**< 1 when some source answered */
  int free_measured;           /**< 1 when free is a measurement, 0 when a fallback */
  clql_mem_source free_source; /**< which source produced free */
  int unified;                 /**< the device shares host memory (CL_DEVICE_HOST_UNIFIED_MEMORY) */
  unsigned free_bounds;        /**< CLQL_FREE_* bits: what free counts beyond its source's figure */
} clql_memory_report;

/** amdgpu APU: the GTT's free bytes (mem_info_gtt_total - mem_info_gtt_used) count beside
 *  the VRAM carve-out's. */
#define CLQL_FREE_WITH_GTT 1u
/** A device sharing host memory: free was lowered to what the host has available. */
#define CLQL_FREE_HOST_BOUND 2u

/** PCI location of a device, when an extension reports it. */
typedef struct clql_pci_address {
  unsigned domain, bus, device, function;
} clql_pci_address;

#define CLQL_NAME_MAX 256

/** One OpenCL device as clql sees it. */
typedef struct clql_device_info {
  unsigned index;          /**< flat index over all platforms, as used by selectors */
  unsigned platform_index; /**< index of the platform in clGetPlatformIDs order */
  unsigned device_index;   /**< index of the device within its platform */
  cl_platform_id platform;
  cl_device_id device;
  char platform_name[CLQL_NAME_MAX];
  char name[CLQL_NAME_MAX];
  char vendor[CLQL_NAME_MAX];
  char driver_version[CLQL_NAME_MAX];
  cl_uint vendor_id;
  cl_device_type type;
  int host_unified_memory;
  cl_uint compute_units;
  cl_ulong local_mem;
  int has_pci;             /**< 1 when pci is valid */
  clql_pci_address pci;
  clql_memory_report memory;
  char profile_id[CLQL_NAME_MAX]; /**< id of the profile record it came from; "" for live devices */
} clql_device_info;

/** "cpu", "gpu", "accelerator" or "custom" for a CL_DEVICE_TYPE_* bit set. */
CLQL_API const char *clql_device_type_name(cl_device_type type);

/**
 * Enumerate every device of every platform.
 *
 * Ask the size, then pass the buffer: with devices == NULL only *count is set.
 * With a buffer of capacity entries, up to capacity entries are filled, *count
 * receives the total, and CLQL_ERR_BUFFER_TOO_SMALL is returned when capacity
 * was smaller than the total. No platform at all gives CLQL_ERR_NO_PLATFORM.
 */
CLQL_API clql_status clql_devices_get(clql_device_info *devices, size_t capacity, size_t *count);

/**
 * Choose a device with a selector string:
 *   "P:D"   platform P, device D within it (decimal indices);
 *   "N"     flat index N over all devices;
 *   "text"  first device whose name, vendor or platform name contains text
 *           (case-insensitive).
 * NULL or "" selects the default: $CLQL_DEVICE when set, else the first GPU,
 * else device 0. On success *out is filled.
 */
CLQL_API clql_status clql_device_select(const char *selector, clql_device_info *out);

/**
 * The memory report of one device. Reports are cached per device for
 * $CLQL_PROBE_TTL_MS milliseconds (default 1000; 0 disables the cache), so
 * asking before every forward pass costs a lookup, not a vendor-library
 * round trip. Thread-safe.
 */
CLQL_API clql_status clql_device_memory(cl_device_id device, clql_memory_report *out);

/** Probe the device now, bypassing and then updating the cache. Thread-safe. */
CLQL_API clql_status clql_device_memory_refresh(cl_device_id device, clql_memory_report *out);

/**
 * Called once for every free-memory source considered, in chain order:
 * source is its CLQL_MEM_SOURCE name ("amd-ext", "nvml", "level-zero",
 * "sysfs", "host"), answered is 1 for the source that produced free (the
 * last call), else 0 with detail saying why it was skipped.
 */
typedef void (*clql_mem_trace_fn)(const char *source, int answered, const char *detail,
                                  void *user);

/** clql_device_memory_refresh, reporting each source tried to trace. */
CLQL_API clql_status clql_device_memory_trace(cl_device_id device, clql_memory_report *out,
                                              clql_mem_trace_fn trace, void *user);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_DEVICE_H */
