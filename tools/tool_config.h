/* clql's configuration as every tool reads it: once, from the environment,
 * before anything else. A bad value is a usage error: the tool prints the
 * variable, the value and the reason, and exits 2. */
#ifndef CLQL_TOOL_CONFIG_H
#define CLQL_TOOL_CONFIG_H

#include <stdint.h>
#include <clql.h>

#define TOOL_EXIT_CONFIG 2

extern clql_config *tool_config;         /* NULL until tool_config_read succeeds */
extern clql_budget_options tool_budget; /* its budget knobs, for the planners */

/* 0, or TOOL_EXIT_CONFIG after printing "<tool>: <detail>" on stderr. */
int tool_config_read(const char *tool);
/* Set knob to a value given by option, in the knob's grammar (the budget
 * options follow); 0, or TOOL_EXIT_CONFIG after a message naming the
 * option. */
int tool_config_set(const char *tool, const char *option, const char *knob, const char *value);
/* 1 when the configuration sets CLQL_LOG. */
int tool_config_sets_log(void);
void tool_config_free(void);

/* A whole number >= 1 in decimal digits only (--batch): 1 with *out, else 0. */
int tool_parse_count(const char *s, uint64_t *out);

#endif /* CLQL_TOOL_CONFIG_H */
