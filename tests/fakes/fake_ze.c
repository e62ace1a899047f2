/* A stand-in libze_loader.so.1 for the tests: one driver with one device
 * (CLQL_LEVEL_ZERO_LIBRARY points clql at it). Answers from the environment:
 *
 *   FAKE_ZE_UUID     the device UUID, 8-4-4-4-12 hex
 *   FAKE_ZE_PCI      its PCI address "dddd:bb:dd.f"
 *   FAKE_ZE_MODULES  memory modules "device:FREE,system:FREE,..." (bytes)
 *   FAKE_ZE_FAIL     "function:code": that call fails with that ze_result_t
 *
 * Like the real loader, Sysman calls fail unless ZES_ENABLE_SYSMAN=1 was in
 * the environment when zeInit ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../probes/level_zero_abi.h"

#define EXPORT __attribute__((visibility("default")))
#define ZE_RESULT_ERROR_UNINITIALIZED 0x78000001u
#define ZE_RESULT_ERROR_INVALID_ARGUMENT 0x78000004u
#define MAX_MODULES 8

static struct clql_ze_driver_st {
  int unused;
} the_driver;
static struct clql_ze_device_st {
  int unused;
} the_device;
static struct clql_zes_mem_st {
  int index;
} modules[MAX_MODULES];
static int initialised, sysman;

static clql_ze_result injected(const char *name) {
  const char *spec = getenv("FAKE_ZE_FAIL");
  size_t n = strlen(name);
  if (spec && strncmp(spec, name, n) == 0 && spec[n] == ':')
    return (clql_ze_result)strtoul(spec + n + 1, NULL, 0);
  return 0;
}

/* Module i's location and free bytes; 0 when there is no module i. */
static int module(int i, uint32_t *location, uint64_t *free_bytes) {
  const char *p = getenv("FAKE_ZE_MODULES");
  for (int k = 0; p && *p; k++) {
    char kind[16] = "";
    unsigned long long v = 0;
    if (sscanf(p, "%15[a-z]:%llu", kind, &v) != 2) return 0;
    if (k == i) {
      *location = strcmp(kind, "device") == 0 ? CLQL_ZES_MEM_LOC_DEVICE : CLQL_ZES_MEM_LOC_SYSTEM;
      *free_bytes = v;
      return 1;
    }
    p = strchr(p, ',');
    if (p) p++;
  }
  return 0;
}

EXPORT clql_ze_result zeInit(uint32_t flags) {
  clql_ze_result rc = injected("zeInit");
  if (rc) return rc;
  const char *s = getenv("ZES_ENABLE_SYSMAN");
  sysman = s && strcmp(s, "1") == 0;
  initialised = flags == 0;
  return initialised ? 0 : ZE_RESULT_ERROR_INVALID_ARGUMENT;
}

EXPORT clql_ze_result zeDriverGet(uint32_t *count, clql_ze_driver *drivers) {
  if (!initialised) return ZE_RESULT_ERROR_UNINITIALIZED;
  if (drivers && *count >= 1) drivers[0] = &the_driver;
  *count = 1;
  return 0;
}

EXPORT clql_ze_result zeDeviceGet(clql_ze_driver driver, uint32_t *count, clql_ze_device *devices) {
  if (driver != &the_driver) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
  if (devices && *count >= 1) devices[0] = &the_device;
  *count = 1;
  return 0;
}

EXPORT clql_ze_result zeDeviceGetProperties(clql_ze_device device, clql_ze_device_properties *p) {
  if (device != &the_device || p->stype != CLQL_ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES)
    return ZE_RESULT_ERROR_INVALID_ARGUMENT;
  const char *u = getenv("FAKE_ZE_UUID");
  memset(p->uuid, 0, sizeof p->uuid);
  for (size_t k = 0; u && *u && k < sizeof p->uuid;) {
    unsigned byte;
    if (*u == '-') {
      u++;
      continue;
    }
    if (sscanf(u, "%2x", &byte) != 1) break;
    p->uuid[k++] = (uint8_t)byte;
    u += 2;
  }
  snprintf(p->name, sizeof p->name, "Fake Level Zero GPU");
  return 0;
}

EXPORT clql_ze_result zesDevicePciGetProperties(clql_ze_device device, clql_zes_pci_properties *p) {
  const char *pci = getenv("FAKE_ZE_PCI");
  if (device != &the_device || p->stype != CLQL_ZES_STRUCTURE_TYPE_PCI_PROPERTIES || !sysman)
    return ZE_RESULT_ERROR_UNINITIALIZED;
  if (!pci || sscanf(pci, "%x:%x:%x.%x", &p->domain, &p->bus, &p->device, &p->function) != 4)
    return ZE_RESULT_ERROR_INVALID_ARGUMENT;
  return 0;
}

EXPORT clql_ze_result zesDeviceEnumMemoryModules(clql_ze_device device, uint32_t *count,
                                                 clql_zes_mem *out) {
  if (device != &the_device || !sysman) return ZE_RESULT_ERROR_UNINITIALIZED;
  uint32_t location;
  uint64_t free_bytes;
  uint32_t n = 0;
  while (n < MAX_MODULES && module((int)n, &location, &free_bytes)) n++;
  for (uint32_t i = 0; out && i < n && i < *count; i++) {
    modules[i].index = (int)i;
    out[i] = &modules[i];
  }
  *count = n;
  return 0;
}

EXPORT clql_ze_result zesMemoryGetProperties(clql_zes_mem mem, clql_zes_mem_properties *p) {
  uint64_t free_bytes;
  if (p->stype != CLQL_ZES_STRUCTURE_TYPE_MEM_PROPERTIES || !module(mem->index, &p->location, &free_bytes))
    return ZE_RESULT_ERROR_INVALID_ARGUMENT;
  return 0;
}

EXPORT clql_ze_result zesMemoryGetState(clql_zes_mem mem, clql_zes_mem_state *s) {
  clql_ze_result rc = injected("zesMemoryGetState");
  if (rc) return rc;
  uint32_t location;
  if (s->stype != CLQL_ZES_STRUCTURE_TYPE_MEM_STATE || !module(mem->index, &location, &s->free))
    return ZE_RESULT_ERROR_INVALID_ARGUMENT;
  s->size = s->free;
  return 0;
}
