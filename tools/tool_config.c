#include "tool_config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

clql_config *tool_config;
clql_budget_options tool_budget;

int tool_config_read(const char *tool) {
  clql_status st = clql_config_from_env(&tool_config);
  if (st == CLQL_SUCCESS) st = clql_config_budget(tool_config, &tool_budget);
  if (st == CLQL_SUCCESS) {
    atexit(tool_config_free);
    return 0;
  }
  fprintf(stderr, "%s: %s: %s\n", tool, clql_status_message(st), clql_last_error_detail());
  return TOOL_EXIT_CONFIG;
}

int tool_config_set(const char *tool, const char *option, const char *knob, const char *value) {
  clql_status st = clql_config_set(tool_config, knob, value);
  if (st == CLQL_SUCCESS) st = clql_config_budget(tool_config, &tool_budget);
  if (st == CLQL_SUCCESS) return 0;
  fprintf(stderr, "%s: %s, read as %s: %s\n", tool, option, knob, clql_last_error_detail());
  return TOOL_EXIT_CONFIG;
}

int tool_config_sets_log(void) {
  size_t len = 0;
  return tool_config && clql_config_get(tool_config, "CLQL_LOG", NULL, 0, &len) == CLQL_SUCCESS &&
         len > 0;
}

void tool_config_free(void) {
  clql_config_destroy(tool_config);
  tool_config = NULL;
}

int tool_parse_count(const char *s, uint64_t *out) {
  uint64_t v = 0;
  if (!*s) return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return v >= 1;
}
