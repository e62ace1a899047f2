#include "tool.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

clql_config *tool_config;
clql_budget_options tool_budget;
FILE *tool_messages;

FILE *tool_err(void) { return tool_messages ? tool_messages : stderr; }

int tool_config_read(const char *tool) {
  clql_status st = clql_config_from_env(&tool_config);
  if (st == CLQL_SUCCESS) st = clql_config_budget(tool_config, &tool_budget);
  if (st == CLQL_SUCCESS) {
    atexit(tool_config_free);
    return 0;
  }
  fprintf(tool_err(), "%s: %s: %s\n", tool, clql_status_message(st), clql_last_error_detail());
  return TOOL_EXIT_CONFIG;
}

int tool_config_set(const char *tool, const char *option, const char *knob, const char *value) {
  clql_status st = clql_config_set(tool_config, knob, value);
  if (st == CLQL_SUCCESS) st = clql_config_budget(tool_config, &tool_budget);
  if (st == CLQL_SUCCESS) return 0;
  fprintf(tool_err(), "%s: %s, read as %s: %s\n", tool, option, knob, clql_last_error_detail());
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

int tool_exit_for(clql_status st) {
  switch (st) {
  case CLQL_SUCCESS: return TOOL_EXIT_OK;
  case CLQL_ERR_NO_PLATFORM: return TOOL_EXIT_NO_PLATFORM;
  case CLQL_ERR_NO_DEVICE:
  case CLQL_ERR_NOT_FOUND: return TOOL_EXIT_NO_DEVICE;
  case CLQL_ERR_BAD_SELECTOR:
  case CLQL_ERR_INVALID_CONFIG: return TOOL_EXIT_USAGE;
  case CLQL_ERR_DOES_NOT_FIT: return TOOL_EXIT_DOES_NOT_FIT;
  case CLQL_ERR_OUT_OF_HOST_MEMORY:
  case CLQL_ERR_INTERNAL:
  case CLQL_ERR_INVALID_ARGUMENT: return TOOL_EXIT_INTERNAL; /* the tool called clql wrongly */
  default: return TOOL_EXIT_DEVICE_FAILED; /* OpenCL errors, kernel builds, unsupported, ... */
  }
}

int tool_fail(const char *tool, clql_status st) {
  fprintf(tool_err(), "%s: %s: %s\n", tool, clql_status_message(st), clql_last_error_detail());
  return tool_exit_for(st);
}

const char *tool_text(const char *s) {
  static char slots[TOOL_TEXT_SLOTS][TOOL_TEXT_MAX];
  static unsigned next;
  char *buf = slots[next++ % TOOL_TEXT_SLOTS];
  clql_printable(s, buf, TOOL_TEXT_MAX, 0);
  return buf;
}

json_t *tool_json_string(const char *s) {
  json_t *j = json_string(s ? s : "");
  return j ? j : json_string(tool_text(s));
}

void tool_gnuplot_text(const char *s, char *buf, size_t size) {
  clql_printable(s, buf, size, 0);
  for (char *p = buf; *p; p++)
    if (strchr("\"\\`$'", *p)) *p = '_';
}

int tool_model_load(const char *tool, const char *option, const char *model, clql_qtype q,
                    clql_model_layer **out, size_t *count) {
  size_t n = 0;
  int preset = 1;
  clql_status st = clql_model_preset(model, q, NULL, 0, &n);
  if (st == CLQL_ERR_NOT_FOUND) {
    char presets[256];
    snprintf(presets, sizeof presets, "%s", clql_last_error_detail());
    preset = 0;
    st = clql_model_load(model, q, NULL, 0, &n);
    if (st == CLQL_ERR_IO) {
      fprintf(tool_err(), "%s: %s: %s, and no model file: %s\n", tool, option, presets,
              clql_last_error_detail());
      return TOOL_EXIT_USAGE;
    }
  }
  clql_model_layer *l = NULL;
  if (st == CLQL_SUCCESS && !(l = calloc(n, sizeof *l))) return TOOL_EXIT_INTERNAL;
  /* read again into the array (a file that changed meanwhile fails here) */
  if (st == CLQL_SUCCESS)
    st = preset ? clql_model_preset(model, q, l, n, &n) : clql_model_load(model, q, l, n, &n);
  uint64_t bytes;
  if (st == CLQL_SUCCESS) st = clql_model_weight_bytes(l, n, &bytes); /* counts overflow */
  if (st != CLQL_SUCCESS) {
    free(l);
    fprintf(tool_err(), "%s: %s '%s': %s\n", tool, option, tool_text(model),
            clql_last_error_detail());
    return st == CLQL_ERR_OUT_OF_HOST_MEMORY ? TOOL_EXIT_INTERNAL : TOOL_EXIT_USAGE;
  }
  *out = l;
  *count = n;
  return 0;
}

static uint64_t rand_state = 0x9e3779b97f4a7c15ull;

void tool_rand_seed(uint64_t seed) { rand_state = seed ? seed : 1; }

uint64_t tool_rand(void) {
  rand_state ^= rand_state >> 12, rand_state ^= rand_state << 25, rand_state ^= rand_state >> 27;
  return rand_state * 2685821657736338717ull;
}

float tool_uniform(float lo, float hi) {
  return lo + (hi - lo) * (float)((tool_rand() >> 40) * (1.0 / 16777216.0));
}
