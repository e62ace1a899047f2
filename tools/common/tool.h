/* What every clql tool shares: the exit codes (exit_codes.h), clql's
 * configuration read once, text made safe for a terminal, and the choice of
 * the one device a single-device tool runs on. */
#ifndef CLQL_TOOL_H
#define CLQL_TOOL_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <clql.h>
#include "exit_codes.h"

/* Where the tools' own messages go (usage and configuration errors): stderr,
 * unless tool_messages is set (the fuzz target keeps them to check them). */
extern FILE *tool_messages;
FILE *tool_err(void);

/* ---- configuration ----
 * Read once, from the environment, before anything else. A bad value is a
 * usage error: the tool prints the variable, the value and the reason, and
 * exits 2. */
#define TOOL_EXIT_CONFIG TOOL_EXIT_USAGE

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

/* xorshift64*: the tools' random weights and inputs, reproducible from a
 * seed (0 is taken as 1). Not for threads. */
void tool_rand_seed(uint64_t seed);
uint64_t tool_rand(void);
/* Uniform in [lo, hi), 24 random bits. */
float tool_uniform(float lo, float hi);

/* A whole number >= 1 in decimal digits only (--batch, --repeats, shapes):
 * 1 with *out, else 0. */
int tool_parse_count(const char *s, uint64_t *out);

/* The layers (qtype q) of a preset or, when no preset has that name, of a
 * model file, given to option: a malloc'd array whose weights' sum does not
 * overflow. 0, or the exit code after a message (2: no such preset or file,
 * a file that does not parse). */
int tool_model_load(const char *tool, const char *option, const char *model, clql_qtype q,
                    clql_model_layer **out, size_t *count);

/* ---- failures ---- */
/* The exit code of a failed library call (exit_codes.h). Statuses about a
 * file are the caller's to map: an option's file is a usage error (2),
 * clql-gguf's FILE is 3. */
int tool_exit_for(clql_status st);
/* "<tool>: <status message>: <detail>" on stderr; tool_exit_for(st). */
int tool_fail(const char *tool, clql_status st);

/* ---- text for a terminal ----
 * Every string a tool did not write itself (names and versions from devices
 * and drivers, profile records, names from files, the user's arguments)
 * passes through clql_printable before it is printed. */
#define TOOL_TEXT_MAX 1024
/* s made safe, in one of TOOL_TEXT_SLOTS rotating buffers (the tools are
 * single-threaded): a printf may take that many; longer text is cut. */
#define TOOL_TEXT_SLOTS 8
const char *tool_text(const char *s);
/* A JSON string of s. jansson escapes every control when the output is
 * dumped with TOOL_JSON_FLAGS; bytes outside UTF-8, which it refuses,
 * become '?'. */
json_t *tool_json_string(const char *s);
#define TOOL_JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)
/* s for a gnuplot string literal in single or double quotes: quotes,
 * backslashes, backquotes, '$' and controls become '_'. */
void tool_gnuplot_text(const char *s, char *buf, size_t size);

/* ---- one device ----
 * -d of a tool that runs on one device (clql-check, clql-bench): the
 * selector is resolved as clql-probe resolves it (a malformed selector or
 * list, an item matching nothing, two items choosing one device are
 * refused), and a list of several devices is refused too. NULL: the
 * library's choice (CLQL_DEVICE's first item, else the default). 0, or the
 * exit code after a message. */
int tool_one_device(const char *tool, const char *selector);

#endif /* CLQL_TOOL_H */
