/* CLQL_MEM_SOURCE: which sources of the chain may run. Invalid values are
 * reported once, by variable name, and ignored entirely. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

#define ALL_SOURCES ((1u << CLQL_PROBE_SOURCE_COUNT) - 1)

/* Other spellings users reach for: the report's name of a source, and the
 * names of memory-reference section 8.4. */
static const struct {
  const char *alias, *name;
} aliases[] = {{"amd", "amd-ext"},
               {"levelzero", "level-zero"},
               {"sysfs-amdgpu", "sysfs"},
               {"host-meminfo", "host"}};

static int source_index(const char *name, size_t len) {
  for (size_t a = 0; a < sizeof aliases / sizeof aliases[0]; a++) {
    if (strlen(aliases[a].alias) == len && strncmp(name, aliases[a].alias, len) == 0) {
      name = aliases[a].name;
      len = strlen(name);
      break;
    }
  }
  for (int i = 0; i < CLQL_PROBE_SOURCE_COUNT; i++) {
    const char *s = clql_probe_sources[i]->name;
    if (strlen(s) == len && strncmp(name, s, len) == 0) return i;
  }
  return -1;
}

int clql_source_policy_parse(const char *text, clql_source_policy *out, char *why,
                             size_t why_size) {
  const char *ws = " \t";
  size_t skip = strspn(text, ws), len = strlen(text);
  while (len > skip && strchr(ws, text[len - 1])) len--;
  const char *p = text + skip;
  len -= skip;
  if (len == 0 || (len == 4 && strncmp(p, "auto", 4) == 0)) {
    *out = (clql_source_policy){ALL_SOURCES, 0};
    return 1;
  }
  if (len == 4 && strncmp(p, "none", 4) == 0) {
    *out = (clql_source_policy){0, 0};
    return 1;
  }
  unsigned listed = 0;
  int excluding = -1; /* unknown until the first name */
  for (const char *end = p + len; p <= end;) {
    const char *comma = memchr(p, ',', (size_t)(end - p));
    const char *stop = comma ? comma : end;
    while (p < stop && strchr(ws, *p)) p++;
    const char *q = stop;
    while (q > p && strchr(ws, q[-1])) q--;
    int minus = p < q && *p == '-';
    if (minus) p++;
    if (p == q) {
      snprintf(why, why_size, "empty source name");
      return 0;
    }
    int i = source_index(p, (size_t)(q - p));
    if (i < 0 && ((q - p == 4 && strncmp(p, "none", 4) == 0) ||
                  (q - p == 4 && strncmp(p, "auto", 4) == 0))) {
      snprintf(why, why_size, "'none' and 'auto' must stand alone");
      return 0;
    }
    if (i < 0) {
      snprintf(why, why_size,
               "unknown source '%.*s' (known: amd-ext, nvml, level-zero, sysfs, host, none)",
               (int)(q - p), p);
      return 0;
    }
    if (excluding >= 0 && excluding != minus) {
      snprintf(why, why_size, "mixes forced and excluded (-name) sources");
      return 0;
    }
    excluding = minus;
    listed |= 1u << i;
    if (!comma) break;
    p = comma + 1;
  }
  *out = excluding ? (clql_source_policy){ALL_SOURCES & ~listed, 0}
                   : (clql_source_policy){listed, listed};
  return 1;
}

clql_source_policy clql_source_policy_current(void) {
  clql_source_policy policy = {ALL_SOURCES, 0};
  const char *v = getenv("CLQL_MEM_SOURCE");
  char why[160];
  if (v && !clql_source_policy_parse(v, &policy, why, sizeof why))
    clql_warn_env_once("CLQL_MEM_SOURCE", v, why);
  return policy;
}

/* Each distinct bad value is reported once; a small bounded memory, since a
 * process sees few distinct values. */
#define WARNED_MAX 32
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static char *warned[WARNED_MAX];
static size_t warned_count;

void clql_warn_env_once(const char *var, const char *value, const char *why) {
  size_t n = strlen(var) + strlen(value) + 2;
  char *key = clql_malloc(n);
  if (key) snprintf(key, n, "%s=%s", var, value);
  int seen = 0;
  pthread_mutex_lock(&warned_lock);
  for (size_t i = 0; key && i < warned_count && !seen; i++) seen = strcmp(warned[i], key) == 0;
  if (!seen && key && warned_count < WARNED_MAX) {
    warned[warned_count++] = key;
    key = NULL;
  }
  pthread_mutex_unlock(&warned_lock);
  clql_free(key);
  if (!seen) clql_log(CLQL_LOG_WARN, "%s='%s' ignored: %s", var, value, why);
}

__attribute__((destructor)) static void forget_warnings(void) {
  for (size_t i = 0; i < warned_count; i++) clql_free(warned[i]);
  warned_count = 0;
}

int clql_env_flag(const char *var) {
  static const char *const on[] = {"1", "true", "yes", "on"};
  static const char *const off[] = {"", "0", "false", "no", "off"};
  const char *v = getenv(var);
  if (!v) return 0;
  for (size_t i = 0; i < sizeof on / sizeof on[0]; i++)
    if (strcmp(v, on[i]) == 0) return 1;
  for (size_t i = 0; i < sizeof off / sizeof off[0]; i++)
    if (strcmp(v, off[i]) == 0) return 0;
  clql_warn_env_once(var, v, "expected 1 or 0");
  return 0;
}
