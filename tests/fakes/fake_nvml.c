/* A stand-in libnvidia-ml.so.1 for the tests, loaded by clql through its
 * ordinary dlopen path (CLQL_NVML_LIBRARY or the library search path). It
 * knows one GPU and answers from the environment, read at every call:
 *
 *   FAKE_NVML_PCI    its PCI bus id, any form NVML accepts ("0000:1a:00.0")
 *   FAKE_NVML_UUID   its UUID string ("GPU-20410a11-...")
 *   FAKE_NVML_FREE, FAKE_NVML_TOTAL   memory in bytes
 *   FAKE_NVML_FAIL   "function:code[,function:code...]": those calls fail
 *                    with that nvmlReturn_t ("nvmlDeviceGetMemoryInfo" also
 *                    matches its _v2)
 *   FAKE_NVML_LOG    a file each call appends its name to
 *
 * Built twice: with nvmlDeviceGetMemoryInfo_v2, and without it
 * (FAKE_NVML_NO_V2) like drivers older than the v2 struct. Layouts and
 * codes as in nvml.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXPORT __attribute__((visibility("default")))

enum {
  NVML_SUCCESS = 0,
  NVML_ERROR_UNINITIALIZED = 1,
  NVML_ERROR_INVALID_ARGUMENT = 2,
  NVML_ERROR_NOT_FOUND = 6,
  NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25
};

typedef struct {
  unsigned long long total, free, used;
} memory_v1;
typedef struct {
  unsigned int version;
  unsigned long long total, reserved, free, used;
} memory_v2;

static struct fake_device {
  int unused;
} the_device;
static int initialised;

static void log_call(const char *name) {
  const char *path = getenv("FAKE_NVML_LOG");
  FILE *f = path && *path ? fopen(path, "a") : NULL;
  if (!f) return;
  fprintf(f, "%s\n", name);
  fclose(f);
}

/* The code FAKE_NVML_FAIL gives this call, or NVML_SUCCESS. */
static int injected(const char *name) {
  const char *spec = getenv("FAKE_NVML_FAIL");
  size_t len = strlen(name);
  for (const char *p = spec; p && *p;) {
    const char *colon = strchr(p, ':');
    if (!colon) break;
    size_t n = (size_t)(colon - p);
    int match = (n == len && strncmp(p, name, n) == 0) ||
                (n + 3 == len && strncmp(p, name, n) == 0 && strcmp(name + n, "_v2") == 0);
    if (match) return atoi(colon + 1);
    p = strchr(colon, ',');
    if (p) p++;
  }
  return NVML_SUCCESS;
}

static int enter(const char *name, int needs_init) {
  log_call(name);
  int code = injected(name);
  if (code) return code;
  return needs_init && !initialised ? NVML_ERROR_UNINITIALIZED : NVML_SUCCESS;
}

static unsigned long long env_u64(const char *name) {
  const char *v = getenv(name);
  return v ? strtoull(v, NULL, 10) : 0;
}

/* "domain:bus:device.function", "domain:bus:device" or "bus:device.function". */
static int parse_bus_id(const char *s, unsigned v[4]) {
  char tail;
  if (sscanf(s, "%x:%x:%x.%x%c", &v[0], &v[1], &v[2], &v[3], &tail) == 4) return 1;
  v[3] = 0;
  if (sscanf(s, "%x:%x:%x%c", &v[0], &v[1], &v[2], &tail) == 3) return 1;
  v[0] = 0;
  return sscanf(s, "%x:%x.%x%c", &v[1], &v[2], &v[3], &tail) == 3;
}

EXPORT int nvmlInit_v2(void) {
  int rc = enter("nvmlInit_v2", 0);
  if (rc == NVML_SUCCESS) initialised++;
  return rc;
}

EXPORT int nvmlShutdown(void) {
  int rc = enter("nvmlShutdown", 1);
  if (rc == NVML_SUCCESS) initialised--;
  return rc;
}

EXPORT const char *nvmlErrorString(int rc) {
  switch (rc) {
  case 0: return "Success";
  case 1: return "Uninitialized";
  case 2: return "Invalid Argument";
  case 3: return "Not Supported";
  case 4: return "Insufficient Permissions";
  case 6: return "Not Found";
  case 9: return "Driver Not Loaded";
  case 12: return "NVML Shared Library Not Found";
  case 13: return "Function Not Found";
  case 15: return "GPU is lost";
  case 17: return "Operating System Call Failed";
  case 18: return "RM has detected an NVML/RM version mismatch.";
  case 25: return "Argument version mismatch";
  default: return "Unknown Error";
  }
}

EXPORT int nvmlDeviceGetHandleByPciBusId_v2(const char *bus_id, struct fake_device **device) {
  int rc = enter("nvmlDeviceGetHandleByPciBusId_v2", 1);
  if (rc) return rc;
  unsigned want[4], got[4];
  const char *mine = getenv("FAKE_NVML_PCI");
  if (!bus_id || !device || !parse_bus_id(bus_id, got)) return NVML_ERROR_INVALID_ARGUMENT;
  if (!mine || !parse_bus_id(mine, want) || memcmp(want, got, sizeof want) != 0)
    return NVML_ERROR_NOT_FOUND;
  *device = &the_device;
  return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetHandleByUUID(const char *uuid, struct fake_device **device) {
  int rc = enter("nvmlDeviceGetHandleByUUID", 1);
  if (rc) return rc;
  const char *mine = getenv("FAKE_NVML_UUID");
  if (!uuid || !device) return NVML_ERROR_INVALID_ARGUMENT;
  if (!mine || strcasecmp(mine, uuid) != 0) return NVML_ERROR_NOT_FOUND;
  *device = &the_device;
  return NVML_SUCCESS;
}

static int check_device(const struct fake_device *device, const void *out) {
  return device == &the_device && out ? NVML_SUCCESS : NVML_ERROR_INVALID_ARGUMENT;
}

EXPORT int nvmlDeviceGetMemoryInfo(struct fake_device *device, memory_v1 *out) {
  int rc = enter("nvmlDeviceGetMemoryInfo", 1);
  if (rc || (rc = check_device(device, out))) return rc;
  out->total = env_u64("FAKE_NVML_TOTAL");
  out->free = env_u64("FAKE_NVML_FREE");
  out->used = out->total > out->free ? out->total - out->free : 0;
  return NVML_SUCCESS;
}

#ifndef FAKE_NVML_NO_V2
EXPORT int nvmlDeviceGetMemoryInfo_v2(struct fake_device *device, memory_v2 *out) {
  int rc = enter("nvmlDeviceGetMemoryInfo_v2", 1);
  if (rc || (rc = check_device(device, out))) return rc;
  /* nvmlMemory_v2 as nvml.h defines it on LP64. */
  if (out->version != 0x02000028u) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  out->total = env_u64("FAKE_NVML_TOTAL");
  out->free = env_u64("FAKE_NVML_FREE");
  out->reserved = 0;
  out->used = out->total > out->free ? out->total - out->free : 0;
  return NVML_SUCCESS;
}
#endif
