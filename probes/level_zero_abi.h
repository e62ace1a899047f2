/* The few Level Zero (core and Sysman) types the level-zero source uses,
 * laid out as in ze_api.h / zes_api.h (loader 1.8 and later), so no SDK
 * headers are needed. Shared with the stand-in loader of the tests. */
#ifndef CLQL_LEVEL_ZERO_ABI_H
#define CLQL_LEVEL_ZERO_ABI_H

#include <stdint.h>

typedef uint32_t clql_ze_result; /* ze_result_t; 0 is ZE_RESULT_SUCCESS */
typedef struct clql_ze_driver_st *clql_ze_driver;
typedef struct clql_ze_device_st *clql_ze_device;
typedef struct clql_zes_mem_st *clql_zes_mem;

#define CLQL_ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES 0x3
#define CLQL_ZES_STRUCTURE_TYPE_PCI_PROPERTIES 0x2
#define CLQL_ZES_STRUCTURE_TYPE_MEM_PROPERTIES 0xb
#define CLQL_ZES_STRUCTURE_TYPE_MEM_STATE 0x1e
#define CLQL_ZES_MEM_LOC_SYSTEM 0
#define CLQL_ZES_MEM_LOC_DEVICE 1

typedef struct { /* ze_device_properties_t */
  uint32_t stype;
  void *pNext;
  uint32_t type, vendorId, deviceId, flags, subdeviceId, coreClockRate;
  uint64_t maxMemAllocSize;
  uint32_t maxHardwareContexts, maxCommandQueuePriority, numThreadsPerEU, physicalEUSimdWidth;
  uint32_t numEUsPerSubslice, numSubslicesPerSlice, numSlices;
  uint64_t timerResolution;
  uint32_t timestampValidBits, kernelTimestampValidBits;
  uint8_t uuid[16];
  char name[256];
} clql_ze_device_properties;

typedef struct { /* zes_pci_properties_t */
  uint32_t stype;
  void *pNext;
  uint32_t domain, bus, device, function; /* zes_pci_address_t */
  int32_t gen, width;                     /* zes_pci_speed_t */
  int64_t maxBandwidth;
  uint8_t haveBandwidthCounters, havePacketCounters, haveReplayCounters;
} clql_zes_pci_properties;

typedef struct { /* zes_mem_properties_t */
  uint32_t stype;
  void *pNext;
  uint32_t type;
  uint8_t onSubdevice;
  uint32_t subdeviceId;
  uint32_t location;
  uint64_t physicalSize;
  int32_t busWidth, numChannels;
} clql_zes_mem_properties;

typedef struct { /* zes_mem_state_t */
  uint32_t stype;
  const void *pNext;
  uint32_t health;
  uint64_t free, size;
} clql_zes_mem_state;

#endif /* CLQL_LEVEL_ZERO_ABI_H */
