/* libFuzzer target for the tools' command lines (tools/common/args.c, what
 * clql-probe, clql-gguf, clql-check, clql-bench and clql-mpi-probe parse before anything
 * else): the first byte chooses the tool, the rest is its arguments,
 * separated by NUL bytes. Promises: a result of 0 or a usage error (2) with
 * a message, never a control byte in a message (arguments are echoed through
 * clql_printable), the same result when parsed again, and options that hold
 * together when the parse succeeds; clql-gguf's --limit in CLQL_MEM_LIMIT's
 * grammar, byte for byte what the library's size parser accepts. */
#define _GNU_SOURCE /* open_memstream */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../lib/internal.h"
#include "../../tools/common/args.h"
#include "../../tools/common/tool.h"
#include "fuzz.h"

#define MAX_ARGS 32

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  EXPECT(tool_config_read("fuzz_cli") == 0); /* --limit is set on it */
  return 0;
}

/* Messages a parse wrote: printable as they are (lines kept). */
static void expect_printable(const char *text) {
  char *copy = strdup(text);
  EXPECT(copy != NULL);
  clql_printable(text, copy, strlen(text) + 1, CLQL_PRINTABLE_KEEP_LINES);
  EXPECT(strcmp(copy, text) == 0);
  free(copy);
}

static int parse(unsigned tool, int argc, char **argv, void *out) {
  switch (tool) {
  case 0: return probe_args_parse(argc, argv, out);
  case 1: return gguf_args_parse(argc, argv, out);
  case 2: return check_args_parse(argc, argv, out);
  case 3: return bench_args_parse(argc, argv, out);
  default: return mpi_probe_args_parse(argc, argv, out);
  }
}

static void check_probe(const probe_args *o) {
  EXPECT(o->nselectors >= 0 && o->nselectors <= PROBE_MAX_SELECTORS);
  EXPECT(!(o->csv && o->json) && !(o->plan && o->list));
  if (o->qtype || o->batch || o->csv || o->plot) EXPECT(o->plan);
  if (o->split) EXPECT(o->plan && !o->csv);
  if (o->profile_file) EXPECT(o->nselectors == 0);
}

/* --limit: accepted exactly when CLQL_MEM_LIMIT's grammar accepts it. */
static void check_limit(const char *limit) {
  char *msg = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&msg, &len);
  EXPECT(m != NULL);
  tool_messages = m;
  int rc = tool_config_set("fuzz_cli", "--limit", "CLQL_MEM_LIMIT", limit);
  tool_messages = NULL;
  fclose(m);
  uint64_t bytes = 0;
  const char *why = NULL;
  size_t blank = strspn(limit, " \t\n\v\f\r");
  if (limit[blank] == '\0') { /* an empty value leaves the knob unset */
    EXPECT(rc == 0 && !(tool_budget.set & CLQL_BUDGET_LIMIT));
  } else if (clql_parse_bytes(limit, &bytes, &why) && bytes >= 1) {
    EXPECT(rc == 0 && (tool_budget.set & CLQL_BUDGET_LIMIT) && tool_budget.limit == bytes);
  } else {
    EXPECT(rc == TOOL_EXIT_USAGE && len > 0);
    expect_printable(msg);
  }
  free(msg);
  EXPECT(tool_config_set("fuzz_cli", "--limit", "CLQL_MEM_LIMIT", "") == 0);
}

static void check_bench(const bench_args *o) {
  EXPECT(o->repeats >= 10 && o->repeats <= 100000);
  EXPECT(o->nshapes >= 1 && o->nshapes <= BENCH_MAX_SHAPES);
  for (int i = 0; i < o->nshapes; i++)
    EXPECT(o->shapes[i].n >= 1 && o->shapes[i].k >= 1 && o->shapes[i].b >= 1 &&
           o->shapes[i].n <= (1ull << 31) && o->shapes[i].k <= (1ull << 31) &&
           o->shapes[i].b <= (1ull << 20));
  EXPECT(o->qtypes && o->qtypes < (1u << CLQL_QTYPE_COUNT_) && !(o->json && o->csv));
  EXPECT(!o->plot || !strchr(o->plot, '\''));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"clql-probe", "clql-gguf", "clql-check", "clql-bench",
                                      "clql-mpi-probe"};
  if (size < 1 || size > 4096) return 0;
  unsigned tool = data[0] % 5;
  /* the arguments: NUL-separated pieces of the rest, in two arrays, as
   * getopt permutes the first one it parses */
  char *text = malloc(size);
  EXPECT(text != NULL);
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  char *argv[2][MAX_ARGS + 2];
  int argc = 1;
  argv[0][0] = argv[1][0] = (char *)names[tool];
  for (char *p = text; p < text + size - 1 && argc <= MAX_ARGS; p += strlen(p) + 1)
    argv[0][argc] = argv[1][argc] = p, argc++;
  argv[0][argc] = argv[1][argc] = NULL;

  union {
    probe_args probe;
    gguf_args gguf;
    check_args check;
    bench_args bench;
    mpi_probe_args mpi;
  } o[2];
  int rc[2];
  for (int run = 0; run < 2; run++) {
    char *msg = NULL;
    size_t len = 0;
    tool_messages = open_memstream(&msg, &len);
    EXPECT(tool_messages != NULL);
    rc[run] = parse(tool, argc, argv[run], &o[run]);
    fclose(tool_messages);
    tool_messages = NULL;
    EXPECT(rc[run] == TOOL_EXIT_OK || rc[run] == TOOL_EXIT_USAGE || rc[run] == TOOL_EXIT_INTERNAL);
    EXPECT(rc[run] != TOOL_EXIT_USAGE || len > 0); /* a usage error says why */
    expect_printable(msg);
    free(msg);
  }
  EXPECT(rc[0] == rc[1]);
  if (rc[0] == TOOL_EXIT_OK) {
    switch (tool) {
    case 0:
      EXPECT(o[0].probe.then == o[1].probe.then && o[0].probe.nselectors == o[1].probe.nselectors);
      if (o[0].probe.then == TOOL_RUN) check_probe(&o[0].probe);
      break;
    case 1:
      EXPECT(o[0].gguf.then == o[1].gguf.then);
      if (o[0].gguf.then == TOOL_RUN) {
        EXPECT(o[0].gguf.path != NULL);
        if (o[0].gguf.limit) check_limit(o[0].gguf.limit);
      }
      break;
    case 2:
      EXPECT(o[0].check.then == o[1].check.then);
      if (o[0].check.then == TOOL_RUN) {
        EXPECT(o[0].check.batch >= 1 && o[0].check.qtype < CLQL_QTYPE_COUNT_);
        EXPECT(o[0].check.model || (!o[0].check.json && o[0].check.batch == 1));
      }
      break;
    case 3:
      EXPECT(o[0].bench.then == o[1].bench.then);
      if (o[0].bench.then == TOOL_RUN) check_bench(&o[0].bench);
      break;
    default:
      EXPECT(o[0].mpi.then == o[1].mpi.then && o[0].mpi.mode == o[1].mpi.mode);
      if (o[0].mpi.then == TOOL_RUN)
        EXPECT((o[0].mpi.mode == CLQL_SPLIT_ROWS || o[0].mpi.mode == CLQL_SPLIT_LAYERS) &&
               (o[0].mpi.model || o[0].mpi.mode == CLQL_SPLIT_ROWS));
      break;
    }
  }
  if (tool == 0) {
    probe_args_free(&o[0].probe);
    probe_args_free(&o[1].probe);
  }
  free(text);
  return 0;
}
