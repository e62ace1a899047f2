/* OpenCL vendor-extension constants and the layouts of their answers, for
 * the probes, the device profiles and the profile loader layer. Nothing
 * but the OpenCL types: part of the base layer; never installed. */
#ifndef CLQL_LIB_CL_VENDOR_H
#define CLQL_LIB_CL_VENDOR_H

#include <clql/cl.h>

/* Vendor queries the records can answer (cl_ext.h names, defined here so
 * that older headers do not matter). */
#define CLQL_CL_DEVICE_PCI_BUS_INFO_KHR 0x410F
#define CLQL_CL_DEVICE_UUID_KHR 0x106A
#define CLQL_CL_DEVICE_TOPOLOGY_AMD 0x4037
#define CLQL_CL_DEVICE_BOARD_NAME_AMD 0x4038
#define CLQL_CL_DEVICE_GLOBAL_FREE_MEMORY_AMD 0x4039
#define CLQL_CL_DEVICE_TOPOLOGY_TYPE_PCIE_AMD 1
#define CLQL_CL_DEVICE_INTEGRATED_MEMORY_NV 0x4006
#define CLQL_CL_DEVICE_PCI_BUS_ID_NV 0x4008
#define CLQL_CL_DEVICE_PCI_SLOT_ID_NV 0x4009
#define CLQL_CL_DEVICE_PCI_DOMAIN_ID_NV 0x400A
#define CLQL_UUID_SIZE 16

/* cl_device_topology_amd: the signed cl_char fields are why readers cast
 * through unsigned char. */
typedef union {
  struct {
    cl_uint type;
    cl_uint data[5];
  } raw;
  struct {
    cl_uint type;
    cl_char unused[17];
    cl_char bus;
    cl_char device;
    cl_char function;
  } pcie;
} clql_cl_topology_amd;

typedef struct {
  cl_uint domain, bus, device, function;
} clql_cl_pci_bus_info_khr;

#endif /* CLQL_LIB_CL_VENDOR_H */
