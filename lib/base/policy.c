/* CLQL_MEM_SOURCE: which sources of the chain may run (parsed for
 * config.c; names ignore case). The base layer knows the chain's names, not
 * the probes themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config.h"

#define ALL_SOURCES ((1u << CLQL_PROBE_SOURCE_COUNT) - 1)

const char *const clql_probe_source_names[CLQL_PROBE_SOURCE_COUNT] = {"amd-ext", "nvml",
                                                                     "level-zero", "sysfs", "host"};

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
    if (strlen(aliases[a].alias) == len && strncasecmp(name, aliases[a].alias, len) == 0) {
      name = aliases[a].name;
      len = strlen(name);
      break;
    }
  }
  for (int i = 0; i < CLQL_PROBE_SOURCE_COUNT; i++) {
    const char *s = clql_probe_source_names[i];
    if (strlen(s) == len && strncasecmp(name, s, len) == 0) return i;
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
  if (len == 0 || (len == 4 && strncasecmp(p, "auto", 4) == 0)) {
    *out = (clql_source_policy){ALL_SOURCES, 0};
    return 1;
  }
  if (len == 4 && strncasecmp(p, "none", 4) == 0) {
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
    if (i < 0 && ((q - p == 4 && strncasecmp(p, "none", 4) == 0) ||
                  (q - p == 4 && strncasecmp(p, "auto", 4) == 0))) {
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
