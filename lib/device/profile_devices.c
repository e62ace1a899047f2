/* Reports of recorded devices: the probe chain run on a target whose
 * queries the record answers (lib/device/profile.c), as the profile layer answers
 * them for a live device. */
#include <string.h>
#include "../internal.h"
#include "profile.h"
#include "../../probes/probe.h"

static cl_int record_query(const clql_probe_target *t, cl_device_info param, size_t size,
                           void *value, size_t *size_ret) {
  cl_int err = CL_INVALID_VALUE;
  if (clql_profile_device_info(t->query_data, NULL, param, size, value, size_ret, &err)) return err;
  return CL_INVALID_VALUE; /* nothing underneath a record */
}

static clql_status load(const char *path, clql_profile_set **set) {
  char detail[512];
  clql_status st = clql_profile_load(path, set, detail, sizeof detail);
  return st == CLQL_SUCCESS ? st : clql_fail(st, "%s", detail);
}

static clql_status find(const clql_profile_set *set, const char *path, const char *id,
                        const clql_profile_record **out) {
  *out = clql_profile_find(set, id);
  return *out ? CLQL_SUCCESS : clql_fail(CLQL_ERR_NOT_FOUND, "%s: no record with id '%s'", path, id);
}

static clql_status report(const clql_profile_record *r, const clql_config *cfg,
                          clql_device_info *out, clql_mem_trace_fn trace, void *user) {
  memset(out, 0, sizeof *out);
  clql_probe_target t;
  clql_status st = clql_probe_target_init(&t, record_query, r, 0);
  /* A record is not a device of this machine, unless the caller asks to
   * simulate it here (tests do, with fake /proc trees and stand-in vendor
   * libraries). */
  t.recorded = !cfg->profile_measure;
  t.config = cfg;
  if (r->has_host_available) t.recorded_host_available = r->host_available;
  if (st == CLQL_SUCCESS) st = clql_device_fill_target(&t, out);
  if (st == CLQL_SUCCESS) st = clql_probe_run(&t, &out->memory, trace, user);
  clql_probe_target_release(&t);
  if (!out->name[0] && r->board_name) clql_strlcpy(out->name, r->board_name, sizeof out->name);
  if (r->platform_name)
    clql_strlcpy(out->platform_name, r->platform_name, sizeof out->platform_name);
  clql_strlcpy(out->profile_id, r->id, sizeof out->profile_id);
  return st;
}

clql_status clql_profile_devices(const char *path, const char *id, clql_device_info *devices,
                                 size_t capacity, size_t *count) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  if (!devices && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "devices is NULL");
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  clql_profile_set *set = NULL;
  st = load(path, &set);
  if (st != CLQL_SUCCESS) {
    clql_config_clear(&cfg);
    return st;
  }
  const clql_profile_record *only = NULL;
  if (id && *id) st = find(set, path, id, &only);
  size_t n = only ? 1 : set->count;
  for (size_t i = 0; st == CLQL_SUCCESS && devices && i < n && i < capacity; i++) {
    const clql_profile_record *r = only ? only : &set->records[i];
    st = report(r, &cfg, &devices[i], NULL, NULL);
    devices[i].index = (unsigned)i;
    devices[i].device_index = (unsigned)(r - set->records);
  }
  clql_profile_free(set);
  clql_config_clear(&cfg);
  if (st != CLQL_SUCCESS) return st;
  *count = n;
  if (devices && capacity < n)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu records, room for %zu", n, capacity);
  return CLQL_SUCCESS;
}

clql_status clql_profile_memory_trace(const char *path, const char *id, clql_memory_report *out,
                                      clql_mem_trace_fn trace, void *user) {
  if (!id || !*id || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "id or report is NULL");
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  clql_profile_set *set = NULL;
  st = load(path, &set);
  const clql_profile_record *r = NULL;
  if (st == CLQL_SUCCESS) st = find(set, path, id, &r);
  clql_device_info info;
  if (st == CLQL_SUCCESS) st = report(r, &cfg, &info, trace, user);
  if (st == CLQL_SUCCESS) *out = info.memory;
  clql_profile_free(set);
  clql_config_clear(&cfg);
  return st;
}
