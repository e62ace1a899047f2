#include "args.h"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tool.h"

/* A usage error, "<tool>: <what>[ '<arg>'][: <why>]", the argument made
 * printable; then (when not NULL) asks for the usage too. */
static int usage_error(tool_then *then, const char *tool, const char *what, const char *arg,
                       const char *why) {
  fprintf(tool_err(), "%s: %s", tool, what);
  if (arg) fprintf(tool_err(), " '%s'", tool_text(arg));
  if (why) fprintf(tool_err(), ": %s", why);
  fprintf(tool_err(), "\n");
  if (then) *then = TOOL_SHOW_USAGE;
  return TOOL_EXIT_USAGE;
}

/* getopt_long's errors, said the same way by every tool. */
static int getopt_error(tool_then *then, const char *tool, int c, char **argv) {
  if (c == ':') {
    fprintf(tool_err(), "%s: option '%s' needs a value\n", tool, tool_text(argv[optind - 1]));
    return TOOL_EXIT_USAGE;
  }
  return usage_error(then, tool, "unknown option", argv[optind - 1], NULL);
}

/* getopt_long from the first argument again, quiet (the parsers say what
 * is wrong): glibc starts over when optind is 0, so a second parse in one
 * process (the fuzz target) gives the same result. */
static void getopt_restart(void) {
  opterr = 0;
  optind = 0;
}

/* ---- the inference plan's options (clql-probe, clql-gguf) ---- */

enum { OPT_CTX = 256, OPT_SEQ, OPT_KV, OPT_PLAN, OPT_QTYPE, OPT_BATCH, OPT_CSV, OPT_PLOT,
       OPT_SPLIT };

#define INFERENCE_LONGOPTS                                                                        \
  {"ctx", required_argument, NULL, OPT_CTX}, {"sequences", required_argument, NULL, OPT_SEQ},     \
      {"kv-type", required_argument, NULL, OPT_KV}

/* 1 when c was one of them (and is now in a). */
static int inference_opt(int c, inference_args *a) {
  const char **to = c == OPT_CTX ? &a->ctx : c == OPT_SEQ ? &a->sequences
                  : c == OPT_KV  ? &a->kv_type : NULL;
  if (to) *to = optarg;
  return to != NULL;
}

static int inference_given(const inference_args *a) {
  return a->ctx || a->sequences || a->kv_type;
}

/* ---- clql-probe ---- */

/* FILE[:ID]: a path that exists as given is the whole file (paths may hold
 * colons); otherwise the text after the last colon is the record id. */
static int split_profile_arg(const char *arg, probe_args *o) {
  o->profile_file = strdup(arg);
  if (!o->profile_file) return 0;
  struct stat sb;
  char *colon = strrchr(o->profile_file, ':');
  if (stat(arg, &sb) != 0 && colon) {
    *colon = '\0';
    o->profile_id = colon[1] ? colon + 1 : NULL;
  }
  return 1;
}

int probe_args_parse(int argc, char **argv, probe_args *o) {
  static const struct option longopts[] = {{"device", required_argument, NULL, 'd'},
                                           {"list", no_argument, NULL, 'l'},
                                           {"profile", required_argument, NULL, 'p'},
                                           {"verbose", no_argument, NULL, 'v'},
                                           {"json", no_argument, NULL, 'j'},
                                           {"plan", required_argument, NULL, OPT_PLAN},
                                           {"qtype", required_argument, NULL, OPT_QTYPE},
                                           {"batch", required_argument, NULL, OPT_BATCH},
                                           {"csv", no_argument, NULL, OPT_CSV},
                                           {"plot", required_argument, NULL, OPT_PLOT},
                                           {"split", required_argument, NULL, OPT_SPLIT},
                                           INFERENCE_LONGOPTS,
                                           {"help", no_argument, NULL, 'h'},
                                           {"version", no_argument, NULL, 'V'},
                                           {NULL, 0, NULL, 0}};
  const char *tool = "clql-probe";
  memset(o, 0, sizeof *o);
  int c;
  getopt_restart();
  while ((c = getopt_long(argc, argv, ":d:lvhV", longopts, NULL)) != -1) {
    switch (c) {
    case 'd':
      if (o->nselectors == PROBE_MAX_SELECTORS)
        return usage_error(NULL, tool, "too many --device options", NULL, NULL);
      o->selectors[o->nselectors++] = optarg;
      break;
    case 'l': o->list = 1; break;
    case 'v': o->verbose = 1; break;
    case 'p':
      if (o->profile_file) return usage_error(NULL, tool, "--profile given twice", NULL, NULL);
      if (!split_profile_arg(optarg, o)) return TOOL_EXIT_INTERNAL;
      break;
    case 'j': o->json = 1; break;
    case OPT_PLAN: o->plan = optarg; break;
    case OPT_QTYPE: o->qtype = optarg; break;
    case OPT_BATCH: o->batch = optarg; break;
    case OPT_CSV: o->csv = 1; break;
    case OPT_PLOT: o->plot = optarg; break;
    case OPT_SPLIT: o->split = optarg; break;
    case 'h': o->then = TOOL_SHOW_HELP; return TOOL_EXIT_OK;
    case 'V': o->then = TOOL_SHOW_VERSION; return TOOL_EXIT_OK;
    default:
      if (!inference_opt(c, &o->inference)) return getopt_error(&o->then, tool, c, argv);
    }
  }
  if (optind < argc) return usage_error(NULL, tool, "unexpected argument", argv[optind], NULL);
  if (o->profile_file && o->nselectors)
    return usage_error(NULL, tool, "--device and --profile exclude each other", NULL, NULL);
  if (!o->plan && (o->qtype || o->batch || o->csv || o->plot || inference_given(&o->inference)))
    return usage_error(NULL, tool,
                       "--qtype, --batch, --csv, --plot, --ctx, --sequences and --kv-type need "
                       "--plan",
                       NULL, NULL);
  if (o->plan && o->list)
    return usage_error(NULL, tool, "--plan and --list exclude each other", NULL, NULL);
  if (o->csv && o->json)
    return usage_error(NULL, tool, "--csv and --json exclude each other", NULL, NULL);
  if (o->split && (!o->plan || o->csv))
    return usage_error(NULL, tool, "--split needs --plan, and not --csv", NULL, NULL);
  return TOOL_EXIT_OK;
}

void probe_args_free(probe_args *o) {
  free(o->profile_file);
  o->profile_file = NULL;
}

/* ---- clql-gguf ---- */

int gguf_args_parse(int argc, char **argv, gguf_args *o) {
  static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                           {"plan", no_argument, NULL, 'p'},
                                           {"verify", no_argument, NULL, 'v'},
                                           {"limit", required_argument, NULL, 'l'},
                                           INFERENCE_LONGOPTS,
                                           {"help", no_argument, NULL, 'h'},
                                           {"version", no_argument, NULL, 'V'},
                                           {NULL, 0, NULL, 0}};
  const char *tool = "clql-gguf";
  memset(o, 0, sizeof *o);
  int c;
  getopt_restart();
  while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'j': o->json = 1; break;
    case 'p': o->plan = 1; break;
    case 'v': o->verify = 1; break;
    case 'l':
      o->limit = optarg; /* checked as CLQL_MEM_LIMIT is, once the configuration is read */
      break;
    case 'h': o->then = TOOL_SHOW_HELP; return TOOL_EXIT_OK;
    case 'V': o->then = TOOL_SHOW_VERSION; return TOOL_EXIT_OK;
    default:
      if (!inference_opt(c, &o->inference)) return getopt_error(&o->then, tool, c, argv);
    }
  }
  if (optind + 1 != argc)
    return usage_error(&o->then, tool, optind == argc ? "no FILE given" : "one FILE only", NULL,
                       NULL);
  o->path = argv[optind];
  if (!o->plan && inference_given(&o->inference))
    return usage_error(NULL, tool, "--ctx, --sequences and --kv-type need --plan", NULL, NULL);
  return TOOL_EXIT_OK;
}

/* ---- the tools with a few options: clql-check, clql-mpi-probe ---- */

/* An option that takes a value: --name (or its short alias) VALUE. */
typedef struct {
  const char *name, *alias;
  const char **value;
} value_option;

/* The options in opts, --json (sets *json) and -h / --help (*then). */
static int parse_few(const char *tool, int argc, char **argv, const value_option *opts,
                     size_t nopts, int *json, tool_then *then) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char **value = NULL;
    for (size_t k = 0; k < nopts && !value; k++)
      if (strcmp(arg, opts[k].name) == 0 || (opts[k].alias && strcmp(arg, opts[k].alias) == 0))
        value = opts[k].value;
    if (value) {
      if (i + 1 >= argc) {
        fprintf(tool_err(), "%s: option '%s' needs a value\n", tool, tool_text(arg));
        return TOOL_EXIT_USAGE;
      }
      *value = argv[++i];
    } else if (strcmp(arg, "--json") == 0) {
      *json = 1;
    } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      *then = TOOL_SHOW_HELP;
      return TOOL_EXIT_OK;
    } else {
      return usage_error(NULL, tool, "unknown argument", arg, NULL);
    }
  }
  return TOOL_EXIT_OK;
}

int check_args_parse(int argc, char **argv, check_args *o) {
  const char *tool = "clql-check", *qtype = NULL, *batch = NULL;
  memset(o, 0, sizeof *o);
  o->qtype = CLQL_QTYPE_I2S;
  o->batch = 1;
  const value_option opts[] = {{"--device", "-d", &o->selector},
                               {"--model", NULL, &o->model},
                               {"--qtype", NULL, &qtype},
                               {"--batch", NULL, &batch}};
  int rc = parse_few(tool, argc, argv, opts, 4, &o->json, &o->then);
  if (rc != TOOL_EXIT_OK || o->then == TOOL_SHOW_HELP) return rc;
  if (!o->model && (qtype || batch || o->json))
    return usage_error(NULL, tool, "--qtype, --batch and --json need --model", NULL, NULL);
  if (qtype && clql_qtype_parse(qtype, &o->qtype) != CLQL_SUCCESS)
    return usage_error(NULL, tool, "--qtype", qtype, "not I2S, TL1 or TL2");
  if (batch && !tool_parse_count(batch, &o->batch))
    return usage_error(NULL, tool, "--batch", batch, "not a whole number >= 1");
  return TOOL_EXIT_OK;
}

/* ---- clql-bench ---- */

/* NxKxB: three whole numbers in decimal digits (no sign, space or suffix). */
static int parse_shape(const char *text, bench_shape *s) {
  char part[3][24];
  const char *p = text;
  for (int i = 0; i < 3; i++) {
    const char *x = i < 2 ? strchr(p, 'x') : p + strlen(p);
    if (!x || (size_t)(x - p) >= sizeof part[i]) return 0;
    memcpy(part[i], p, (size_t)(x - p));
    part[i][x - p] = '\0';
    p = x + (i < 2);
  }
  uint64_t n, k, b;
  if (!tool_parse_count(part[0], &n) || !tool_parse_count(part[1], &k) ||
      !tool_parse_count(part[2], &b))
    return 0;
  if (n > (1ull << 31) || k > (1ull << 31) || b > (1ull << 20)) return 0;
  s->n = n, s->k = k, s->b = b;
  return 1;
}

int bench_args_parse(int argc, char **argv, bench_args *o) {
  static const struct option longopts[] = {
      {"device", required_argument, NULL, 'd'}, {"qtype", required_argument, NULL, 'q'},
      {"shape", required_argument, NULL, 's'},  {"repeats", required_argument, NULL, 'r'},
      {"quick", no_argument, NULL, 'Q'},        {"no-token", no_argument, NULL, 'T'},
      {"no-peers", no_argument, NULL, 'P'},     {"json", no_argument, NULL, 'j'},
      {"csv", no_argument, NULL, 'c'},          {"plot", required_argument, NULL, 'p'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
  const char *tool = "clql-bench";
  memset(o, 0, sizeof *o);
  o->repeats = 20;
  o->token = o->peers = 1;
  int c;
  getopt_restart();
  while ((c = getopt_long(argc, argv, ":d:q:s:r:h", longopts, NULL)) != -1) {
    clql_qtype q;
    uint64_t repeats;
    switch (c) {
    case 'd': o->selector = optarg; break;
    case 'q':
      if (clql_qtype_parse(optarg, &q) != CLQL_SUCCESS)
        return usage_error(NULL, tool, "unknown qtype", optarg, NULL);
      o->qtypes |= 1u << q;
      break;
    case 's':
      if (o->nshapes == BENCH_MAX_SHAPES || !parse_shape(optarg, &o->shapes[o->nshapes]))
        return usage_error(NULL, tool, "bad shape", optarg, "NxKxB, each >= 1");
      o->nshapes++;
      break;
    case 'r':
      if (!tool_parse_count(optarg, &repeats) || repeats < 10 || repeats > 100000)
        return usage_error(NULL, tool, "--repeats", optarg, "a number from 10 to 100000");
      o->repeats = (int)repeats;
      break;
    case 'Q': o->quick = 1; break;
    case 'T': o->token = 0; break;
    case 'P': o->peers = 0; break;
    case 'j': o->json = 1; break;
    case 'c': o->csv = 1; break;
    case 'p':
      if (strchr(optarg, '\'')) /* gnuplot reads it inside quotes */
        return usage_error(NULL, tool, "--plot", optarg, "a file name with ' is refused");
      o->plot = optarg;
      break;
    case 'h': o->then = TOOL_SHOW_HELP; return TOOL_EXIT_OK;
    default: return getopt_error(NULL, tool, c, argv);
    }
  }
  if (optind < argc || (o->json && o->csv))
    return usage_error(NULL, tool, "unexpected argument (or both --json and --csv)", NULL, NULL);
  if (!o->qtypes) o->qtypes = (1u << CLQL_QTYPE_COUNT_) - 1;
  if (!o->nshapes) {
    const bench_shape def[] = {{2560, 2560, 1}, {640, 2560, 1}, {6912, 2560, 1}, {2560, 6912, 1},
                               {2560, 6912, 128}};
    memcpy(o->shapes, def, sizeof def);
    o->nshapes = 5;
  }
  o->cold_bytes = o->quick ? 64ull << 20 : 512ull << 20;
  return TOOL_EXIT_OK;
}

/* ---- clql-mpi-probe ---- */

int mpi_probe_args_parse(int argc, char **argv, mpi_probe_args *o) {
  const char *tool = "clql-mpi-probe", *split = NULL;
  memset(o, 0, sizeof *o);
  o->mode = CLQL_SPLIT_ROWS;
  const value_option opts[] = {
      {"--device", "-d", &o->selector}, {"--plan", NULL, &o->model}, {"--split", NULL, &split}};
  int rc = parse_few(tool, argc, argv, opts, 3, &o->json, &o->then);
  if (rc != TOOL_EXIT_OK || o->then == TOOL_SHOW_HELP) return rc;
  if (split && clql_split_mode_parse(split, &o->mode) != CLQL_SUCCESS)
    return usage_error(NULL, tool, "--split", split, "not rows or layers");
  if (split && !o->model) return usage_error(NULL, tool, "--split needs --plan", NULL, NULL);
  return TOOL_EXIT_OK;
}
