/* libFuzzer target for device-profile records (lib/device/profile.c, the format of
 * devices.json): parse any bytes as JSON records, answer every query a record
 * can answer under the OpenCL size-query protocol, and run each record
 * through the probe chain as clql_profile_devices does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../lib/internal.h"
#include "../../lib/device/profile.h"
#include "../../probes/probe.h"
#include "fuzz.h"


static const cl_device_info params[] = {
    CL_DEVICE_NAME, CLQL_CL_DEVICE_BOARD_NAME_AMD, CL_DEVICE_VENDOR, CL_DEVICE_VERSION,
    CL_DRIVER_VERSION, CL_DEVICE_TYPE, CL_DEVICE_VENDOR_ID, CL_DEVICE_GLOBAL_MEM_SIZE,
    CL_DEVICE_MAX_MEM_ALLOC_SIZE, CL_DEVICE_LOCAL_MEM_SIZE, CL_DEVICE_MAX_COMPUTE_UNITS,
    CL_DEVICE_HOST_UNIFIED_MEMORY, CLQL_CL_DEVICE_INTEGRATED_MEMORY_NV, CL_DEVICE_EXTENSIONS,
    CLQL_CL_DEVICE_GLOBAL_FREE_MEMORY_AMD, CLQL_CL_DEVICE_UUID_KHR, CLQL_CL_DEVICE_PCI_BUS_INFO_KHR,
    CLQL_CL_DEVICE_TOPOLOGY_AMD, CLQL_CL_DEVICE_PCI_BUS_ID_NV, CLQL_CL_DEVICE_PCI_SLOT_ID_NV,
    CLQL_CL_DEVICE_PCI_DOMAIN_ID_NV};

/* The size query, then the value into a buffer of exactly that size (and
 * one byte short, which must be refused), with guard bytes after it. */
static void query(const clql_profile_record *r, cl_device_info p, const char *base) {
  size_t need = 0, got = 0;
  cl_int err = CL_SUCCESS;
  if (!clql_profile_device_info(r, base, p, 0, NULL, &need, &err) || err != CL_SUCCESS) return;
  EXPECT(need > 0 && need < (1u << 20));
  unsigned char *buf = malloc(need + 8);
  EXPECT(buf != NULL);
  memset(buf, 0xa5, need + 8);
  EXPECT(clql_profile_device_info(r, base, p, need, buf, &got, &err) == 1);
  if (err == CL_SUCCESS) {
    /* AMD's free memory answers one value to a smaller buffer, as ROCm does. */
    EXPECT(got == need || (p == CLQL_CL_DEVICE_GLOBAL_FREE_MEMORY_AMD && got <= need));
    for (size_t i = need; i < need + 8; i++) EXPECT(buf[i] == 0xa5);
    if (p == CL_DEVICE_NAME || p == CL_DEVICE_EXTENSIONS) EXPECT(buf[need - 1] == '\0');
  }
  if (need > 1 && p != CLQL_CL_DEVICE_GLOBAL_FREE_MEMORY_AMD &&
      clql_profile_device_info(r, base, p, need - 1, buf, NULL, &err))
    EXPECT(err != CL_SUCCESS);
  free(buf);
}

static cl_int record_query(const clql_probe_target *t, cl_device_info param, size_t size,
                           void *value, size_t *size_ret) {
  cl_int err = CL_INVALID_VALUE;
  if (clql_profile_device_info(t->query_data, NULL, param, size, value, size_ret, &err)) return err;
  return CL_INVALID_VALUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  clql_profile_set *set = (clql_profile_set *)1;
  char detail[512] = "";
  clql_status st = clql_profile_load_memory(data, size, "fuzz", &set, detail, sizeof detail);
  if (st != CLQL_SUCCESS) {
    EXPECT(set == NULL && detail[0]);
    return 0;
  }
  for (size_t i = 0; i < set->count; i++) {
    const clql_profile_record *r = &set->records[i];
    EXPECT(r->id && r->id[0] && clql_profile_find(set, r->id) == r);
    for (size_t p = 0; p < sizeof params / sizeof params[0]; p++) {
      query(r, params[p], NULL);
      query(r, params[p], "cl_khr_fp64 cl_amd_device_attribute_query cl_khr_pci_bus_info");
    }
    char *ext = clql_profile_extensions(r, "cl_khr_icd");
    if (ext) {
      for (size_t f = 0; f < r->flag_count; f++)
        if (!r->flags[f].on) EXPECT(!clql_has_extension(ext, r->flags[f].name));
      clql_free(ext);
    }
    /* The report clql_profile_devices makes of it. */
    clql_probe_target t;
    clql_device_info info;
    memset(&info, 0, sizeof info);
    if (clql_probe_target_init(&t, record_query, r, 0) == CLQL_SUCCESS) {
      t.recorded = 1;
      if (clql_device_fill_target(&t, &info) == CLQL_SUCCESS &&
          clql_probe_run(&t, &info.memory, NULL, NULL) == CLQL_SUCCESS && info.memory.total)
        EXPECT(info.memory.free <= info.memory.total);
    }
    clql_probe_target_release(&t);
  }
  clql_profile_free(set);
  return 0;
}
