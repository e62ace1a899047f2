/* AMD: CL_DEVICE_GLOBAL_FREE_MEMORY_AMD on GPUs that list
 * cl_amd_device_attribute_query. The answer is KiB in size_t: {total free,
 * largest free block}. ROCm returns only the first value when the buffer is
 * smaller than two, so always pass two and accept one back; AMDGPU-PRO
 * answers CL_INVALID_DEVICE when its heap is not set up. */
#include <stdio.h>
#include "../lib/base/cl_vendor.h"
#include "probe.h"

static int amd_run(const clql_probe_target *t, clql_probe_result *r, char *why, size_t why_size) {
  if (!(t->type & CL_DEVICE_TYPE_GPU)) {
    snprintf(why, why_size, "not a GPU");
    return 0;
  }
  if (!clql_has_extension(t->extensions, "cl_amd_device_attribute_query")) {
    snprintf(why, why_size, "no cl_amd_device_attribute_query");
    return 0;
  }
  size_t kib[2] = {0, 0}, got = 0;
  cl_int err = t->query(t, CLQL_CL_DEVICE_GLOBAL_FREE_MEMORY_AMD, sizeof kib, kib, &got);
  if (err != CL_SUCCESS) {
    snprintf(why, why_size, "query failed: %s", clql_status_name(err));
    return 0;
  }
  if (got != sizeof kib[0] && got != sizeof kib) {
    snprintf(why, why_size, "unexpected reply of %zu bytes", got);
    return 0;
  }
  cl_ulong free_bytes = 0, largest = 0;
  if (!clql_mul_u64(kib[0], 1024, &free_bytes) ||
      (got == sizeof kib && !clql_mul_u64(kib[1], 1024, &largest))) {
    snprintf(why, why_size, "KiB value overflows");
    return 0;
  }
  r->source = CLQL_MEM_SOURCE_AMD_EXT;
  r->free = free_bytes;
  r->largest_free_block = largest;
  r->measured = 1;
  return 1;
}

const clql_probe_source clql_probe_source_amd_ext = {"amd-ext", amd_run, -1, 0};
