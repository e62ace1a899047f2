/* Where a PCI device sits in the machine: its NUMA node, the CPUs near it
 * and that node's memory, for binding host threads and host buffers. */
#ifndef CLQL_NUMA_H
#define CLQL_NUMA_H

#include <clql/cl.h>
#include <clql/device.h>
#include <clql/export.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_numa_info {
  int node;                   /**< OS index of the NUMA node nearest the device */
  char cpuset[CLQL_NAME_MAX]; /**< CPUs near the device, a Linux CPU list ("0-15,32-47") */
  cl_ulong memory;            /**< that node's memory in bytes; 0 when hwloc cannot tell */
} clql_numa_info;

/**
 * The NUMA locality of the PCI device at pci (clql_device_info.pci), from
 * sysfs ($CLQL_SYSFS_ROOT, default /sys) and hwloc, whose OpenCL component
 * clql never loads. A device without a node of its own on a one-node machine
 * belongs to that node. CLQL_ERR_NOT_FOUND when the device is not in sysfs
 * or its node cannot be told. Costs one hwloc topology load.
 */
CLQL_API clql_status clql_pci_numa(const clql_pci_address *pci, clql_numa_info *out);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_NUMA_H */
