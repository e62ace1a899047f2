/* libFuzzer target for the configuration's parsers: the number, size,
 * decimal and reserve grammars of CLQL_MEM_LIMIT & co. (lib/base/numbers.c),
 * CLQL_MEM_SOURCE (lib/base/policy.c), and the knobs through the environment
 * and through clql_config_set into a configuration and a budget. The first byte picks the parser; the rest is
 * the text (cut at a NUL, as the environment would). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../lib/internal.h"
#include "../../probes/probe.h"
#include "fuzz.h"


static const char *const knobs[] = {"CLQL_MEM_FRACTION", "CLQL_MEM_LIMIT", "CLQL_MEM_RESERVE",
                                    "CLQL_MAX_BATCH",    "CLQL_LOG",       "CLQL_KERNELS",
                                    "CLQL_SPLIT",        "CLQL_MEM_SOURCE", "CLQL_PROBE_TTL_MS",
                                    "CLQL_DEVICE"};
#define NKNOBS (sizeof knobs / sizeof knobs[0])

/* The variables from lines of text; the configuration from them, which
 * succeeds exactly when no problem is listed, and whose values the API
 * accepts the same way; a budget from it. */
static void environment(char *text) {
  char *line = text, *values[NKNOBS] = {0};
  for (size_t i = 0; i < NKNOBS; i++) {
    char *end = line ? strchr(line, '\n') : NULL;
    if (end) *end = '\0';
    values[i] = line;
    if (line) setenv(knobs[i], line, 1);
    else unsetenv(knobs[i]);
    line = end ? end + 1 : NULL;
  }
  size_t n = 0;
  EXPECT(clql_env_problems(NULL, 0, &n) == CLQL_SUCCESS && n <= NKNOBS);
  clql_env_problem p[NKNOBS];
  EXPECT(clql_env_problems(p, NKNOBS, &n) == CLQL_SUCCESS);
  for (size_t i = 0; i < n; i++) EXPECT(p[i].reason && memchr(p[i].value, 0, sizeof p[i].value));
  clql_config *c = NULL, *api = NULL;
  clql_status st = clql_config_from_env(&c);
  EXPECT((st == CLQL_SUCCESS) == (n == 0));
  EXPECT(st == CLQL_SUCCESS || st == CLQL_ERR_INVALID_CONFIG);
  EXPECT(clql_config_create(&api) == CLQL_SUCCESS);
  size_t refused = 0;
  for (size_t i = 0; i < NKNOBS; i++) {
    if (!values[i]) continue;
    clql_status sa = clql_config_set(api, knobs[i], values[i]);
    EXPECT(sa == CLQL_SUCCESS || sa == CLQL_ERR_INVALID_CONFIG);
    refused += sa != CLQL_SUCCESS;
  }
  EXPECT(refused == n);
  for (size_t i = 0; i < NKNOBS; i++) unsetenv(knobs[i]);
  const clql_memory_report mem = {.total = 1ull << 34, .max_alloc = 1ull << 32,
                                  .free = 1ull << 33, .free_known = 1};
  clql_budget_options o;
  clql_budget b;
  if (c && clql_config_budget(c, &o) == CLQL_SUCCESS &&
      clql_budget_compute(&mem, &o, &b) == CLQL_SUCCESS) {
    EXPECT(b.bytes <= mem.total && b.reserve <= UINT64_MAX && b.max_batch >= 1);
    EXPECT(b.fraction > 0.0 && b.fraction <= 1.0);
  }
  clql_config_destroy(c);
  clql_config_destroy(api);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  char *text = malloc(size);
  if (!text) return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  uint64_t u = 0, again = 0;
  double d = -1.0;
  int pct = -1;
  const char *why = NULL;
  switch (data[0] % 6) {
  case 0:
    if (clql_parse_u64(text, &u, &why)) { /* prints back to the same number */
      char buf[32];
      snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
      EXPECT(clql_parse_u64(buf, &again, &why) && again == u);
    } else {
      EXPECT(why && *why);
    }
    break;
  case 1:
    if (!clql_parse_bytes(text, &u, &why)) EXPECT(why && *why);
    break;
  case 2:
    if (clql_parse_decimal(text, &d, &why)) EXPECT(d >= 0.0 && isfinite(d));
    else EXPECT(why && *why);
    break;
  case 3:
    if (clql_parse_reserve(text, &u, &d, &pct, &why))
      EXPECT(pct == 0 || (pct == 1 && d >= 0.0 && d <= 100.0));
    else
      EXPECT(why && *why);
    break;
  case 4: {
    clql_source_policy pol = {0xdead, 0xbeef};
    char reason[160] = "";
    const unsigned all = (1u << CLQL_PROBE_SOURCE_COUNT) - 1;
    if (clql_source_policy_parse(text, &pol, reason, sizeof reason))
      EXPECT((pol.allowed & ~all) == 0 && (pol.named & ~pol.allowed) == 0);
    else
      EXPECT(reason[0] && pol.allowed == 0xdead && pol.named == 0xbeef);
    break;
  }
  default: environment(text); break;
  }
  free(text);
  return 0;
}
