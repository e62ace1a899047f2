/* Intel: Level Zero Sysman, loaded with dlopen from $CLQL_LEVEL_ZERO_LIBRARY
 * or libze_loader.so.1. Opt-in (CLQL_LEVEL_ZERO=1, or CLQL_MEM_SOURCE naming
 * it) because Sysman needs ZES_ENABLE_SYSMAN=1 in the process environment
 * before zeInit, which clql then sets unless the user set it. The OpenCL
 * device is matched by UUID (NEO builds the same UUID for both APIs), else by
 * PCI address; free = the sum over device-local memory modules. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "level_zero_abi.h"
#include "probe.h"

static struct {
  void *lib;
  clql_ze_result (*init)(uint32_t);
  clql_ze_result (*driver_get)(uint32_t *, clql_ze_driver *);
  clql_ze_result (*device_get)(clql_ze_driver, uint32_t *, clql_ze_device *);
  clql_ze_result (*device_properties)(clql_ze_device, clql_ze_device_properties *);
  clql_ze_result (*pci_properties)(clql_ze_device, clql_zes_pci_properties *);
  clql_ze_result (*enum_memory)(clql_ze_device, uint32_t *, clql_zes_mem *);
  clql_ze_result (*memory_properties)(clql_zes_mem, clql_zes_mem_properties *);
  clql_ze_result (*memory_state)(clql_zes_mem, clql_zes_mem_state *);
  int ready;
  char failure[192];
} ze;
static pthread_mutex_t ze_lock = PTHREAD_MUTEX_INITIALIZER;
static int ze_tried; /* loaded once per process, from the first probe's path */

static void ze_close(void) {
  if (ze.lib) dlclose(ze.lib);
  ze.lib = NULL;
}

static void ze_load(const char *path, int user_sysman) {
  ze.lib = clql_probe_dlopen(path, ze.failure, sizeof ze.failure);
  if (!ze.lib) return;
  const struct {
    const char *name;
    void *fn;
  } symbols[] = {{"zeInit", &ze.init},
                 {"zeDriverGet", &ze.driver_get},
                 {"zeDeviceGet", &ze.device_get},
                 {"zeDeviceGetProperties", &ze.device_properties},
                 {"zesDevicePciGetProperties", &ze.pci_properties},
                 {"zesDeviceEnumMemoryModules", &ze.enum_memory},
                 {"zesMemoryGetProperties", &ze.memory_properties},
                 {"zesMemoryGetState", &ze.memory_state}};
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
    if (!clql_dl_symbol(ze.lib, symbols[i].name, symbols[i].fn)) {
      snprintf(ze.failure, sizeof ze.failure, "the Level Zero loader lacks %s", symbols[i].name);
      ze_close();
      return;
    }
  }
  /* zesInit is newer than Debian 12's loader; the older way is this
   * variable, read by zeInit. A user's own non-empty setting is kept. */
  if (!user_sysman) setenv("ZES_ENABLE_SYSMAN", "1", 1);
  clql_ze_result rc = ze.init(0);
  if (rc != 0) {
    snprintf(ze.failure, sizeof ze.failure, "zeInit: error 0x%x", (unsigned)rc);
    ze_close();
    return;
  }
  ze.ready = 1;
}

__attribute__((destructor)) static void ze_unload(void) {
  ze.ready = 0;
  ze_close();
}

/* Count-then-fill enumeration into a malloc'd array; NULL on failure, with
 * *oom set when that was for lack of host memory. */
static void *enumerate(clql_ze_result (*get)(void *, uint32_t *, void *), void *parent,
                       uint32_t *count, int *oom) {
  *count = 0;
  if (get(parent, count, NULL) != 0 || *count == 0) return NULL;
  void **items = clql_calloc(*count, sizeof *items);
  if (!items) *oom = 1;
  if (items && get(parent, count, items) != 0) {
    clql_free(items);
    items = NULL;
  }
  if (!items) *count = 0;
  return items;
}

/* Adapters giving the three enumerations one shape. */
static clql_ze_result get_drivers(void *unused, uint32_t *n, void *out) {
  (void)unused;
  return ze.driver_get(n, out);
}
static clql_ze_result get_devices(void *driver, uint32_t *n, void *out) {
  return ze.device_get(driver, n, out);
}
static clql_ze_result get_modules(void *device, uint32_t *n, void *out) {
  return ze.enum_memory(device, n, out);
}

static int matches(clql_ze_device dev, const clql_probe_target *t, const unsigned char *uuid) {
  if (uuid) {
    clql_ze_device_properties p;
    memset(&p, 0, sizeof p);
    p.stype = CLQL_ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
    if (ze.device_properties(dev, &p) == 0 && memcmp(p.uuid, uuid, sizeof p.uuid) == 0) return 1;
  }
  if (t->has_pci) {
    clql_zes_pci_properties p;
    memset(&p, 0, sizeof p);
    p.stype = CLQL_ZES_STRUCTURE_TYPE_PCI_PROPERTIES;
    if (ze.pci_properties(dev, &p) == 0 && p.domain == t->pci.domain && p.bus == t->pci.bus &&
        p.device == t->pci.device && p.function == t->pci.function)
      return 1;
  }
  return 0;
}

static clql_ze_device find_device(const clql_probe_target *t, const unsigned char *uuid, int *oom) {
  uint32_t ndrivers = 0;
  clql_ze_driver *drivers = enumerate(get_drivers, NULL, &ndrivers, oom);
  clql_ze_device found = NULL;
  for (uint32_t d = 0; d < ndrivers && !found && !*oom; d++) {
    uint32_t ndevices = 0;
    clql_ze_device *devices = enumerate(get_devices, drivers[d], &ndevices, oom);
    for (uint32_t i = 0; i < ndevices && !found; i++)
      if (matches(devices[i], t, uuid)) found = devices[i];
    clql_free(devices);
  }
  clql_free(drivers);
  return found;
}

/* Sum of free over device-local modules; 0 modules found means unknown.
 * 1, 0, or -1 out of host memory. */
static int device_free(clql_ze_device dev, cl_ulong *sum, char *why, size_t why_size) {
  uint32_t n = 0, local = 0;
  int oom = 0;
  clql_zes_mem *modules = enumerate(get_modules, dev, &n, &oom);
  if (oom) {
    snprintf(why, why_size, "out of host memory listing the memory modules");
    return -1;
  }
  int ok = 1;
  *sum = 0;
  for (uint32_t i = 0; i < n && ok; i++) {
    clql_zes_mem_properties p;
    memset(&p, 0, sizeof p);
    p.stype = CLQL_ZES_STRUCTURE_TYPE_MEM_PROPERTIES;
    if (ze.memory_properties(modules[i], &p) != 0 || p.location != CLQL_ZES_MEM_LOC_DEVICE)
      continue;
    clql_zes_mem_state s;
    memset(&s, 0, sizeof s);
    s.stype = CLQL_ZES_STRUCTURE_TYPE_MEM_STATE;
    clql_ze_result rc = ze.memory_state(modules[i], &s);
    if (rc != 0) {
      snprintf(why, why_size, "zesMemoryGetState: error 0x%x", (unsigned)rc);
      ok = 0;
    } else if (!clql_add_u64(*sum, s.free, sum)) {
      snprintf(why, why_size, "free memory of the modules overflows");
      ok = 0;
    }
    local++;
  }
  clql_free(modules);
  if (ok && !local) {
    snprintf(why, why_size, "no device-local memory module (is ZES_ENABLE_SYSMAN honoured?)");
    ok = 0;
  }
  return ok;
}

static int level_zero_run(const clql_probe_target *t, clql_probe_result *r, char *why,
                          size_t why_size) {
  if (!(t->type & CL_DEVICE_TYPE_GPU)) {
    snprintf(why, why_size, "not a GPU");
    return 0;
  }
  unsigned char uuid[16];
  int has_uuid = clql_probe_uuid(t, uuid);
  if (has_uuid < 0) {
    snprintf(why, why_size, "device UUID query: out of resources");
    return -1;
  }
  if (!has_uuid && !t->has_pci) {
    snprintf(why, why_size, "no UUID or PCI address to match");
    return 0;
  }
  pthread_mutex_lock(&ze_lock);
  if (!ze_tried)
    ze_load(clql_config_path(t->config, CLQL_KNOB_LEVEL_ZERO_LIBRARY, "libze_loader.so.1"),
            t->config->zes_sysman);
  ze_tried = 1;
  pthread_mutex_unlock(&ze_lock);
  if (!ze.ready) {
    snprintf(why, why_size, "%s", ze.failure);
    return 0;
  }
  int oom = 0;
  clql_ze_device dev = find_device(t, has_uuid ? uuid : NULL, &oom);
  if (oom) {
    snprintf(why, why_size, "out of host memory listing Level Zero devices");
    return -1;
  }
  if (!dev) {
    snprintf(why, why_size, "no Level Zero device with this UUID or PCI address");
    return 0;
  }
  cl_ulong sum = 0;
  int got = device_free(dev, &sum, why, why_size);
  if (got <= 0) return got;
  r->source = CLQL_MEM_SOURCE_LEVEL_ZERO;
  r->free = sum;
  r->measured = 1;
  return 1;
}

const clql_probe_source clql_probe_source_level_zero = {"level-zero", level_zero_run,
                                                        CLQL_KNOB_LEVEL_ZERO, 1};
