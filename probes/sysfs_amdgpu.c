/* amdgpu's VRAM counters in the PCI device directory:
 * free = mem_info_vram_total - mem_info_vram_used (decimal bytes, used by
 * all processes and the kernel); on an APU (a device sharing host memory)
 * the GTT's free bytes (mem_info_gtt_total - mem_info_gtt_used) count too,
 * since buffers beyond the VRAM carve-out live there. Trusted only when the
 * device's driver is amdgpu. Root: CLQL_SYSFS_ROOT (default /sys). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "probe.h"

static int sysfs_run(const clql_probe_target *t, clql_probe_result *r, char *why,
                     size_t why_size) {
  if (!(t->type & CL_DEVICE_TYPE_GPU)) {
    snprintf(why, why_size, "not a GPU");
    return 0;
  }
  if (!t->has_pci) {
    snprintf(why, why_size, "no PCI address");
    return 0;
  }
  char bdf[32], dir[PATH_MAX], path[PATH_MAX + 32], link[PATH_MAX];
  clql_format_bdf(&t->pci, bdf, sizeof bdf);
  if (!clql_path(dir, sizeof dir, "%s/bus/pci/devices/%s",
                 clql_config_path(t->config, CLQL_KNOB_SYSFS_ROOT, "/sys"), bdf)) {
    snprintf(why, why_size, "CLQL_SYSFS_ROOT is too long");
    return 0;
  }
  snprintf(path, sizeof path, "%s/driver", dir);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n < 0) {
    snprintf(why, why_size, "%s has no driver link", bdf);
    return 0;
  }
  link[n] = '\0';
  const char *driver = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
  if (strcmp(driver, "amdgpu") != 0) {
    snprintf(why, why_size, "%s driver is %s, not amdgpu", bdf, driver);
    return 0;
  }
  cl_ulong total = 0, used = 0;
  snprintf(path, sizeof path, "%s/mem_info_vram_total", dir);
  int got_total = clql_read_u64_file(path, &total);
  snprintf(path, sizeof path, "%s/mem_info_vram_used", dir);
  int got_used = got_total == 1 ? clql_read_u64_file(path, &used) : 0;
  if (got_total < 0 || got_used < 0) {
    snprintf(why, why_size, "%s: out of host memory reading the VRAM counters", bdf);
    return -1;
  }
  if (got_total != 1 || got_used != 1) {
    snprintf(why, why_size, "%s: mem_info_vram_total/used missing or not a number", bdf);
    return 0;
  }
  if (used > total) {
    snprintf(why, why_size, "%s: VRAM used %llu exceeds total %llu", bdf,
             (unsigned long long)used, (unsigned long long)total);
    return 0;
  }
  r->source = CLQL_MEM_SOURCE_SYSFS_AMDGPU;
  r->free = total - used;
  r->measured = 1;
  if (!t->host_unified_memory) return 1;
  cl_ulong gtt_total = 0, gtt_used = 0;
  snprintf(path, sizeof path, "%s/mem_info_gtt_total", dir);
  got_total = clql_read_u64_file(path, &gtt_total);
  snprintf(path, sizeof path, "%s/mem_info_gtt_used", dir);
  got_used = got_total == 1 ? clql_read_u64_file(path, &gtt_used) : 0;
  if (got_total < 0 || got_used < 0) {
    snprintf(why, why_size, "%s: out of host memory reading the GTT counters", bdf);
    return -1;
  }
  /* absent or inconsistent GTT counters: the VRAM figure alone */
  if (got_total == 1 && got_used == 1 && gtt_used <= gtt_total &&
      clql_add_u64(r->free, gtt_total - gtt_used, &r->free))
    r->bounds |= CLQL_FREE_WITH_GTT;
  return 1;
}

const clql_probe_source clql_probe_source_sysfs_amdgpu = {"sysfs", sysfs_run, -1, 1};
