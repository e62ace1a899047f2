/* Memory reports of live devices, cached per device for CLQL_PROBE_TTL_MS:
 * free memory changes, but a forward pass must not pay for a vendor-library
 * round trip each time. clql_device_memory is the cached path,
 * clql_device_memory_refresh the uncached one. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../internal.h"
#include "../../probes/probe.h"

#define DEFAULT_TTL_MS 1000UL
#define MAX_TTL_MS 86400000UL /* a day; longer is surely a typo */

typedef struct {
  cl_device_id device;
  unsigned long long stamp_ms;
  clql_memory_report report;
} cache_entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_entry *cache;
static size_t cache_count, cache_capacity;

static unsigned long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)ts.tv_nsec / 1000000ULL;
}

/* Index of device in the cache, or cache_count. Called with the lock held. */
static size_t find(cl_device_id device) {
  size_t i = 0;
  while (i < cache_count && cache[i].device != device) i++;
  return i;
}

static int cache_get(cl_device_id device, unsigned long ttl, clql_memory_report *out) {
  int hit = 0;
  pthread_mutex_lock(&cache_lock);
  size_t i = find(device);
  if (i < cache_count && now_ms() - cache[i].stamp_ms < ttl) {
    *out = cache[i].report;
    hit = 1;
  }
  pthread_mutex_unlock(&cache_lock);
  return hit;
}

/* Best effort: without memory for the entry the report is simply not kept. */
static void cache_put(cl_device_id device, const clql_memory_report *report) {
  pthread_mutex_lock(&cache_lock);
  size_t i = find(device);
  if (i == cache_count && cache_count == cache_capacity) {
    size_t cap = cache_capacity ? cache_capacity * 2 : 8;
    cache_entry *grown = clql_realloc(cache, cap * sizeof *grown);
    if (grown) {
      cache = grown;
      cache_capacity = cap;
    }
  }
  if (i < cache_capacity) {
    cache[i] = (cache_entry){device, now_ms(), *report};
    if (i == cache_count) cache_count++;
  }
  pthread_mutex_unlock(&cache_lock);
}

__attribute__((destructor)) static void cache_free(void) {
  clql_free(cache);
  cache = NULL;
  cache_count = cache_capacity = 0;
}

clql_status clql_memory_cached(const clql_probe_target *t, cl_device_id device,
                               clql_memory_report *out) {
  unsigned long ttl = t->config->probe_ttl_ms;
  if (ttl && cache_get(device, ttl, out)) return CLQL_SUCCESS;
  clql_status st = clql_probe_run(t, out, NULL, NULL);
  if (st == CLQL_SUCCESS && ttl) cache_put(device, out);
  return st;
}

clql_status clql_device_memory_with(cl_device_id device, const clql_config *cfg, int cached,
                                    clql_memory_report *out, clql_mem_trace_fn trace,
                                    void *user) {
  if (cached && cfg->probe_ttl_ms && cache_get(device, cfg->probe_ttl_ms, out))
    return CLQL_SUCCESS;
  clql_probe_target target;
  clql_status st = clql_probe_target_from_device(device, &target);
  target.config = cfg;
  if (st == CLQL_SUCCESS) st = clql_probe_run(&target, out, trace, user);
  if (st == CLQL_SUCCESS && cfg->probe_ttl_ms) cache_put(device, out);
  clql_probe_target_release(&target);
  return st;
}

/* The public calls have no configuration: each reads the environment once. */
static clql_status from_env(cl_device_id device, int cached, clql_memory_report *out,
                            clql_mem_trace_fn trace, void *user) {
  if (!device || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "device or report is NULL");
  clql_config cfg;
  clql_status st = clql_config_init_env(&cfg);
  if (st != CLQL_SUCCESS) return st;
  st = clql_device_memory_with(device, &cfg, cached, out, trace, user);
  clql_config_clear(&cfg);
  return st;
}

clql_status clql_device_memory(cl_device_id device, clql_memory_report *out) {
  return from_env(device, 1, out, NULL, NULL);
}

clql_status clql_device_memory_refresh(cl_device_id device, clql_memory_report *out) {
  return from_env(device, 0, out, NULL, NULL);
}

clql_status clql_device_memory_trace(cl_device_id device, clql_memory_report *out,
                                     clql_mem_trace_fn trace, void *user) {
  return from_env(device, 0, out, trace, user);
}
