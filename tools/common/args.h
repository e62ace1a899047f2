/* The command lines of the tools, parsed apart from everything else
 * they do: no output but the messages of a usage error (on tool_err()),
 * no exit(), nothing read but a stat of a --profile path. So the tools and
 * the fuzz target (tests/fuzz/fuzz_cli.c) run the same code.
 *
 * Each parser returns 0 or an exit code (TOOL_EXIT_USAGE after a message,
 * TOOL_EXIT_INTERNAL when out of memory), and sets `then` to what the tool
 * does next. Pointers in the options point into argv. */
#ifndef CLQL_TOOL_ARGS_H
#define CLQL_TOOL_ARGS_H

#include <stdint.h>
#include <stdio.h>
#include <clql.h>

typedef enum {
  TOOL_RUN,           /* do the work */
  TOOL_SHOW_HELP,     /* --help: usage on stdout, exit 0 */
  TOOL_SHOW_VERSION,  /* --version: the version on stdout, exit 0 */
  TOOL_SHOW_USAGE     /* after a usage error: usage on stderr too */
} tool_then;

/* The inference plan's options, with --plan (clql-probe and clql-gguf). */
typedef struct {
  const char *ctx, *sequences, *kv_type; /* --ctx, --sequences, --kv-type */
} inference_args;

/* ---- clql-probe ---- */
#define PROBE_MAX_SELECTORS 64
typedef struct {
  tool_then then;
  int json, list, verbose, csv;
  const char *selectors[PROBE_MAX_SELECTORS];
  int nselectors;
  char *profile_file; /* --profile FILE[:ID], split (malloc'd; probe_args_free) */
  const char *profile_id;
  const char *plan, *qtype, *batch, *plot; /* --plan MODEL and what goes with it */
  const char *split;                       /* --split rows|layers */
  inference_args inference;
} probe_args;
int probe_args_parse(int argc, char **argv, probe_args *o);
void probe_args_free(probe_args *o);

/* ---- clql-gguf ---- */
typedef struct {
  tool_then then;
  int json, plan, verify;
  const char *limit; /* --limit: CLQL_MEM_LIMIT for this run (NULL: none) */
  inference_args inference;
  const char *path;
} gguf_args;
int gguf_args_parse(int argc, char **argv, gguf_args *o);

/* ---- clql-check ---- */
typedef struct {
  tool_then then;
  const char *selector, *model;
  clql_qtype qtype; /* --qtype, I2S by default */
  uint64_t batch;   /* --batch, 1 by default */
  int json;
} check_args;
int check_args_parse(int argc, char **argv, check_args *o);

/* ---- clql-bench ---- */
#define BENCH_MAX_SHAPES 32
typedef struct {
  uint64_t n, k, b;
} bench_shape;
typedef struct {
  tool_then then;
  const char *selector, *plot;
  int json, csv, quick, repeats, token, peers;
  unsigned qtypes; /* bit per clql_qtype */
  bench_shape shapes[BENCH_MAX_SHAPES];
  int nshapes;
  uint64_t cold_bytes; /* weights cycled per configuration */
} bench_args;
int bench_args_parse(int argc, char **argv, bench_args *o);

/* ---- clql-mpi-probe (every rank parses the same arguments) ---- */
typedef struct {
  tool_then then;
  const char *selector, *model; /* -d, --plan */
  clql_split_mode mode;         /* --split, rows by default */
  int json;
} mpi_probe_args;
int mpi_probe_args_parse(int argc, char **argv, mpi_probe_args *o);

#endif /* CLQL_TOOL_ARGS_H */
