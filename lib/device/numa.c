/* NUMA locality of PCI devices: the node and CPU list from the device's
 * sysfs directory, the node's memory from hwloc. hwloc runs without I/O
 * discovery and with its OpenCL component blacklisted, which would
 * otherwise re-enter the ICD loader from inside clql. */
#include <hwloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../internal.h"
#include "../../probes/probe.h"

/* A decimal int, possibly negative ("-1": no node), then whitespace: 1 read,
 * 0 absent or garbage, -1 out of host memory. */
static int read_int_file(const char *path, long *out) {
  char *text;
  int got = clql_read_text_file(path, 64, &text);
  if (got <= 0) return got;
  char *end = NULL;
  long v = strtol(text, &end, 10);
  int ok = end != text && strspn(end, " \t\n") == strlen(end);
  clql_free(text);
  if (ok) *out = v;
  return ok;
}

/* Node memory and, when sysfs gave none, its CPU list; node -1 means the
 * only node of a one-node machine. Returns the node, or -1 if unknown. */
static long from_hwloc(long node, clql_numa_info *out) {
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) != 0) return node;
  hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "opencl");
  hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
  if (hwloc_topology_load(topo) == 0) {
    hwloc_obj_t obj = NULL;
    if (node >= 0 && node <= INT_MAX)
      obj = hwloc_get_numanode_obj_by_os_index(topo, (unsigned)node);
    else if (hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) == 1)
      obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, 0);
    if (obj) {
      node = (long)obj->os_index;
      out->memory = obj->attr->numanode.local_memory;
      if (!out->cpuset[0] && obj->cpuset)
        hwloc_bitmap_list_snprintf(out->cpuset, sizeof out->cpuset, obj->cpuset);
    }
  }
  hwloc_topology_destroy(topo);
  return node;
}

clql_status clql_pci_numa(const clql_pci_address *pci, clql_numa_info *out) {
  if (!pci || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "pci or out is NULL");
  char bdf[32], dir[PATH_MAX], path[PATH_MAX + 32];
  clql_format_bdf(pci, bdf, sizeof bdf);
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  int fits = clql_path(dir, sizeof dir, "%s/bus/pci/devices/%s",
                       clql_config_path(&cfg, CLQL_KNOB_SYSFS_ROOT, "/sys"), bdf);
  clql_config_clear(&cfg);
  if (!fits) return clql_fail(CLQL_ERR_NOT_FOUND, "CLQL_SYSFS_ROOT is too long");
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return clql_fail(CLQL_ERR_NOT_FOUND, "no PCI device %s in sysfs", bdf);
  clql_numa_info info = {.node = -1};
  long node = -1;
  snprintf(path, sizeof path, "%s/numa_node", dir);
  int got = read_int_file(path, &node);
  if (got < 0) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "reading %s", path);
  if (!got || node < -1) node = -1;
  snprintf(path, sizeof path, "%s/local_cpulist", dir);
  char *cpus;
  if (clql_read_text_file(path, sizeof info.cpuset - 1, &cpus) < 0)
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "reading %s", path);
  if (cpus) {
    cpus[strcspn(cpus, "\n")] = '\0';
    clql_strlcpy(info.cpuset, cpus, sizeof info.cpuset);
    clql_free(cpus);
  }
  node = from_hwloc(node, &info);
  if (node < 0 || node > INT_MAX)
    return clql_fail(CLQL_ERR_NOT_FOUND, "NUMA node of %s unknown", bdf);
  info.node = (int)node;
  *out = info;
  return CLQL_SUCCESS;
}
