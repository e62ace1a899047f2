/* clql_config: every knob clql reads, parsed strictly in one grammar
 * (include/clql/config.h). read_env() is the only place the library reads
 * the environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "../internal.h"

#define ALL_SOURCES ((1u << CLQL_PROBE_SOURCE_COUNT) - 1)
#define DEFAULT_TTL_MS 1000UL
#define MAX_TTL_MS 86400000UL /* a day; longer is surely a typo */

/* How a knob's value is read. */
typedef enum {
  KIND_FRACTION, /* decimal in (0, 1] */
  KIND_LIMIT,    /* a size >= 1 */
  KIND_RESERVE,  /* a size or a percentage */
  KIND_BATCH,    /* a whole number >= 1 */
  KIND_SOURCES,  /* CLQL_MEM_SOURCE */
  KIND_TTL,      /* milliseconds 0..MAX_TTL_MS */
  KIND_KERNELS,  /* portable | ksplit (split) | avx2 | avx512 | vnni */
  KIND_LOG,      /* off | error | warn | info | debug */
  KIND_SPLIT,    /* rows | layers */
  KIND_FLAG,     /* 1 | 0 | true | false | yes | no | on | off */
  KIND_CMDBUF,   /* auto | on | off */
  KIND_WAIT,     /* auto | block | poll */
  KIND_SELECTOR, /* a device selector list */
  KIND_PATH      /* a file, directory or library: not from a setuid environment */
} knob_kind;

static const struct {
  const char *name;
  knob_kind kind;
} knobs[CLQL_KNOB_COUNT] = {
    [CLQL_KNOB_MEM_FRACTION] = {"CLQL_MEM_FRACTION", KIND_FRACTION},
    [CLQL_KNOB_MEM_LIMIT] = {"CLQL_MEM_LIMIT", KIND_LIMIT},
    [CLQL_KNOB_MEM_RESERVE] = {"CLQL_MEM_RESERVE", KIND_RESERVE},
    [CLQL_KNOB_MAX_BATCH] = {"CLQL_MAX_BATCH", KIND_BATCH},
    [CLQL_KNOB_MEM_SOURCE] = {"CLQL_MEM_SOURCE", KIND_SOURCES},
    [CLQL_KNOB_PROBE_TTL_MS] = {"CLQL_PROBE_TTL_MS", KIND_TTL},
    [CLQL_KNOB_KERNELS] = {"CLQL_KERNELS", KIND_KERNELS},
    [CLQL_KNOB_LOG] = {"CLQL_LOG", KIND_LOG},
    [CLQL_KNOB_SPLIT] = {"CLQL_SPLIT", KIND_SPLIT},
    [CLQL_KNOB_LEVEL_ZERO] = {"CLQL_LEVEL_ZERO", KIND_FLAG},
    [CLQL_KNOB_PROFILE_MEASURE] = {"CLQL_PROFILE_MEASURE", KIND_FLAG},
    [CLQL_KNOB_DEVICE] = {"CLQL_DEVICE", KIND_SELECTOR},
    [CLQL_KNOB_KERNEL_DIR] = {"CLQL_KERNEL_DIR", KIND_PATH},
    [CLQL_KNOB_PROC_ROOT] = {"CLQL_PROC_ROOT", KIND_PATH},
    [CLQL_KNOB_SYSFS_ROOT] = {"CLQL_SYSFS_ROOT", KIND_PATH},
    [CLQL_KNOB_NVML_LIBRARY] = {"CLQL_NVML_LIBRARY", KIND_PATH},
    [CLQL_KNOB_LEVEL_ZERO_LIBRARY] = {"CLQL_LEVEL_ZERO_LIBRARY", KIND_PATH},
    [CLQL_KNOB_COMMAND_BUFFER] = {"CLQL_COMMAND_BUFFER", KIND_CMDBUF},
    [CLQL_KNOB_WAIT] = {"CLQL_WAIT", KIND_WAIT},
};

/* The budget bits each budget knob owns. */
static unsigned budget_bits(clql_knob k) {
  switch (k) {
  case CLQL_KNOB_MEM_FRACTION: return CLQL_BUDGET_FRACTION;
  case CLQL_KNOB_MEM_LIMIT: return CLQL_BUDGET_LIMIT;
  case CLQL_KNOB_MEM_RESERVE: return CLQL_BUDGET_RESERVE_BYTES | CLQL_BUDGET_RESERVE_PERCENT;
  case CLQL_KNOB_MAX_BATCH: return CLQL_BUDGET_MAX_BATCH;
  default: return 0;
  }
}

static const clql_config defaults = {
    .probe_ttl_ms = DEFAULT_TTL_MS,
    .sources_allowed = ALL_SOURCES,
    .kernels = CLQL_KERNELS_AUTO,
    .log_level = CLQL_LOG_OFF,
    .split = CLQL_SPLIT_ROWS,
};

const clql_config *clql_config_default(void) { return &defaults; }

const char *clql_config_text(const clql_config *c, clql_knob k) {
  return (c ? c : &defaults)->value[k];
}

const char *clql_config_path(const clql_config *cfg, clql_knob k, const char *fallback) {
  const char *v = clql_config_text(cfg, k);
  return v ? v : fallback;
}

static int knob_index(const char *name) {
  for (int i = 0; name && i < CLQL_KNOB_COUNT; i++)
    if (strcmp(knobs[i].name, name) == 0) return i;
  return -1;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A trimmed copy of value; "" when nothing is left. NULL out of memory. */
static char *trimmed(const char *value) {
  const char *b = value, *e = value + strlen(value);
  while (b < e && is_space(*b)) b++;
  while (e > b && is_space(e[-1])) e--;
  char *s = clql_malloc((size_t)(e - b) + 1);
  if (s) {
    memcpy(s, b, (size_t)(e - b));
    s[e - b] = '\0';
  }
  return s;
}

/* Index of word in names (case-insensitive), or -1. */
static int word_index(const char *word, const char *const *names, int count) {
  for (int i = 0; i < count; i++)
    if (names[i] && strcasecmp(word, names[i]) == 0) return i;
  return -1;
}

int clql_budget_options_valid(const clql_budget_options *o, unsigned bits, const char **why) {
  bits &= o->set;
  if ((bits & CLQL_BUDGET_FRACTION) && !(o->fraction > 0.0 && o->fraction <= 1.0)) {
    *why = "fraction not in (0, 1]";
    return 0;
  }
  if ((bits & CLQL_BUDGET_LIMIT) && o->limit == 0) {
    *why = "a limit of 0 bytes (unset the knob for no limit)";
    return 0;
  }
  if ((bits & CLQL_BUDGET_RESERVE_PERCENT) &&
      !(o->reserve_percent >= 0.0 && o->reserve_percent <= 100.0)) {
    *why = "reserve percentage not in [0, 100]";
    return 0;
  }
  if ((bits & CLQL_BUDGET_MAX_BATCH) && o->max_batch == 0) {
    *why = "a batch cap of 0 (must be at least 1)";
    return 0;
  }
  return 1;
}

/* The words of the word kinds, in their kind's order (KIND_KERNELS first);
 * a word's index is its value (a flag's: index % 2). */
typedef struct {
  const char *const *names;
  int count;
  const char *why;
} word_list;
/* the last, "split", is the K-split kernels' first name, still accepted */
#define KERNELS_SPLIT_WORD (CLQL_KERNELS_VNNI + 1)
static const char *const kernel_names[] = {[CLQL_KERNELS_AUTO] = "auto",
                                           [CLQL_KERNELS_PORTABLE] = "portable",
                                           [CLQL_KERNELS_KSPLIT] = "ksplit",
                                           [CLQL_KERNELS_AVX2] = "avx2",
                                           [CLQL_KERNELS_AVX512] = "avx512",
                                           [CLQL_KERNELS_VNNI] = "vnni",
                                           [KERNELS_SPLIT_WORD] = "split"};
static const char *const log_names[] = {"off", "error", "warn", "info", "debug"};
static const char *const split_names[] = {"rows", "layers"};
static const char *const flag_names[] = {"0", "1", "false", "true", "no", "yes", "off", "on"};
static const char *const cmdbuf_names[] = {[CLQL_CMDBUF_AUTO] = "auto", [CLQL_CMDBUF_ON] = "on",
                                           [CLQL_CMDBUF_OFF] = "off"};
static const char *const wait_names[] = {[CLQL_WAIT_AUTO] = "auto", [CLQL_WAIT_BLOCK] = "block",
                                         [CLQL_WAIT_POLL] = "poll"};
static const word_list words[] = {
    {kernel_names, 7, "not auto, portable, ksplit (or split), avx2, avx512 or vnni"},
    {log_names, 5, "not off, error, warn, info or debug"},
    {split_names, 2, "not rows or layers"},
    {flag_names, 8, "not 1, 0, true, false, yes, no, on or off"},
    {cmdbuf_names, 3, "not auto, on or off"},
    {wait_names, 3, "not auto, block or poll"},
};

/* Parse `text` (trimmed, non-empty) as knob k into c. 0 with *why (static
 * or in why_buf) on a bad value; c is then untouched for this knob. */
static int parse(clql_config *c, clql_knob k, const char *text, const char **why,
                 char *why_buf, size_t why_size) {
  clql_budget_options o = c->budget;
  switch (knobs[k].kind) {
  case KIND_FRACTION:
    if (!clql_parse_decimal(text, &o.fraction, why)) return 0;
    o.set |= CLQL_BUDGET_FRACTION;
    break;
  case KIND_LIMIT:
    if (!clql_parse_bytes(text, &o.limit, why)) return 0;
    o.set |= CLQL_BUDGET_LIMIT;
    break;
  case KIND_RESERVE: {
    int pct = 0;
    if (!clql_parse_reserve(text, &o.reserve_bytes, &o.reserve_percent, &pct, why)) return 0;
    o.set &= ~(CLQL_BUDGET_RESERVE_BYTES | CLQL_BUDGET_RESERVE_PERCENT);
    o.set |= pct ? CLQL_BUDGET_RESERVE_PERCENT : CLQL_BUDGET_RESERVE_BYTES;
    break;
  }
  case KIND_BATCH:
    if (!clql_parse_u64(text, &o.max_batch, why)) return 0;
    o.set |= CLQL_BUDGET_MAX_BATCH;
    break;
  case KIND_SOURCES: {
    clql_source_policy p;
    if (!clql_source_policy_parse(text, &p, why_buf, why_size)) {
      *why = why_buf;
      return 0;
    }
    c->sources_allowed = p.allowed;
    c->sources_named = p.named;
    return 1;
  }
  case KIND_TTL: {
    uint64_t ms;
    if (!clql_parse_u64(text, &ms, why)) return 0;
    if (ms > MAX_TTL_MS) {
      *why = "more than a day (86400000 ms)";
      return 0;
    }
    c->probe_ttl_ms = (unsigned long)ms;
    return 1;
  }
  case KIND_KERNELS:
  case KIND_LOG:
  case KIND_SPLIT:
  case KIND_FLAG:
  case KIND_CMDBUF:
  case KIND_WAIT: {
    const word_list *w = &words[knobs[k].kind - KIND_KERNELS];
    int i = word_index(text, w->names, w->count);
    if (i < 0) {
      *why = w->why;
      return 0;
    }
    if (k == CLQL_KNOB_KERNELS)
      c->kernels = i == KERNELS_SPLIT_WORD ? CLQL_KERNELS_KSPLIT : (clql_kernels_choice)i;
    else if (k == CLQL_KNOB_LOG) c->log_level = (clql_log_level)i;
    else if (k == CLQL_KNOB_SPLIT) c->split = (clql_split_mode)i;
    else if (k == CLQL_KNOB_COMMAND_BUFFER) c->command_buffer = (clql_cmdbuf_choice)i;
    else if (k == CLQL_KNOB_WAIT) c->wait = (clql_wait_choice)i;
    else if (k == CLQL_KNOB_LEVEL_ZERO) c->level_zero = i % 2;
    else c->profile_measure = i % 2;
    return 1;
  }
  case KIND_SELECTOR: {
    clql_selector_list list;
    if (clql_selector_list_parse(text, &list) != CLQL_SUCCESS) {
      clql_strlcpy(why_buf, clql_last_error_detail(), why_size);
      *why = why_buf;
      return 0;
    }
    clql_selector_list_free(&list);
    return 1;
  }
  case KIND_PATH:
    return 1;
  }
  /* the budget knobs: checked as clql_budget_compute checks options */
  if (!clql_budget_options_valid(&o, budget_bits(k), why)) return 0;
  c->budget = o;
  return 1;
}

/* Reset knob k to its default. */
static void unset(clql_config *c, clql_knob k) {
  clql_free(c->value[k]);
  c->value[k] = NULL;
  c->from_env &= ~(1u << k);
  switch (knobs[k].kind) {
  case KIND_FRACTION:
  case KIND_LIMIT:
  case KIND_RESERVE:
  case KIND_BATCH:
    c->budget.set &= ~budget_bits(k);
    c->budget.from_env &= ~budget_bits(k);
    break;
  case KIND_SOURCES:
    c->sources_allowed = defaults.sources_allowed;
    c->sources_named = 0;
    break;
  case KIND_TTL: c->probe_ttl_ms = defaults.probe_ttl_ms; break;
  case KIND_KERNELS: c->kernels = defaults.kernels; break;
  case KIND_LOG: c->log_level = defaults.log_level; break;
  case KIND_SPLIT: c->split = defaults.split; break;
  case KIND_CMDBUF: c->command_buffer = defaults.command_buffer; break;
  case KIND_WAIT: c->wait = defaults.wait; break;
  case KIND_FLAG:
    if (k == CLQL_KNOB_LEVEL_ZERO) c->level_zero = 0;
    else c->profile_measure = 0;
    break;
  default: break;
  }
}

/* A printable copy of value for messages: control bytes as '?', cut at 64. */
static void shown(char *dst, size_t size, const char *value) {
  size_t n = strlen(value), i;
  for (i = 0; i < n && i + 1 < size; i++) {
    unsigned char ch = (unsigned char)value[i];
    dst[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
  }
  dst[i] = '\0';
  if (i < n && size > 4) memcpy(dst + size - 4, "...", 4);
}

/* Set knob k from value (NULL or blank: unset); from_env marks its origin. */
static clql_status set_knob(clql_config *c, clql_knob k, const char *value, int from_env) {
  char *t = value ? trimmed(value) : NULL;
  if (value && !t) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "configuration value");
  if (!t || !*t) {
    clql_free(t);
    unset(c, k);
    return CLQL_SUCCESS;
  }
  clql_config tmp = *c; /* parse into a copy: a bad value changes nothing */
  const char *why = "invalid";
  char why_buf[256] = "";
  if (!parse(&tmp, k, t, &why, why_buf, sizeof why_buf)) {
    char v[CLQL_ENV_VALUE_MAX];
    shown(v, sizeof v, value);
    clql_free(t);
    return clql_fail(CLQL_ERR_INVALID_CONFIG, "%s='%s': %s", knobs[k].name, v, why);
  }
  tmp.value[k] = t;
  clql_free(c->value[k]);
  *c = tmp;
  if (from_env) {
    c->from_env |= 1u << k;
    c->budget.from_env |= budget_bits(k) & c->budget.set;
  } else {
    c->from_env &= ~(1u << k);
    c->budget.from_env &= ~budget_bits(k);
  }
  return CLQL_SUCCESS;
}

/* The library's one reader of the environment. Paths are not taken from the environment
 * of a setuid or setgid process. */
static const char *read_env(const char *name, int is_path) {
  if (is_path && (getuid() != geteuid() || getgid() != getegid())) return NULL;
  return getenv(name);
}

int clql_env_pocl_affinity(void) {
  const char *v = read_env("POCL_AFFINITY", 0);
  return v && v[0] == '1'; /* PoCL's own reading of a boolean option */
}

void clql_config_clear(clql_config *c) {
  for (int k = 0; k < CLQL_KNOB_COUNT; k++) clql_free(c->value[k]);
  *c = defaults;
}

clql_status clql_config_init_env(clql_config *c) {
  *c = defaults;
  const char *zes = read_env("ZES_ENABLE_SYSMAN", 0);
  c->zes_sysman = zes && *zes;
  for (int k = 0; k < CLQL_KNOB_COUNT; k++) {
    const char *v = read_env(knobs[k].name, knobs[k].kind == KIND_PATH);
    clql_status st = v ? set_knob(c, (clql_knob)k, v, 1) : CLQL_SUCCESS;
    if (st != CLQL_SUCCESS) {
      clql_config_clear(c);
      return st;
    }
  }
  clql_log_apply(c, 1);
  return CLQL_SUCCESS;
}

clql_status clql_config_init_copy(clql_config *c, const clql_config *from) {
  *c = *from;
  memset(c->value, 0, sizeof c->value);
  for (int k = 0; k < CLQL_KNOB_COUNT; k++) {
    if (!from->value[k]) continue;
    if (!(c->value[k] = clql_strdup(from->value[k]))) {
      clql_config_clear(c);
      return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "configuration copy");
    }
  }
  return CLQL_SUCCESS;
}

clql_status clql_config_resolve(const clql_config *given, clql_config *out) {
  if (!given) return clql_config_init_env(out);
  clql_status st = clql_config_init_copy(out, given);
  if (st == CLQL_SUCCESS) clql_log_apply(out, 0);
  return st;
}

clql_status clql_config_create(clql_config **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = clql_malloc(sizeof **out);
  if (!*out) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "configuration");
  **out = defaults;
  return CLQL_SUCCESS;
}

clql_status clql_config_from_env(clql_config **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  clql_config *c = clql_malloc(sizeof *c);
  if (!c) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "configuration");
  clql_status st = clql_config_init_env(c);
  if (st != CLQL_SUCCESS) {
    clql_free(c);
    return st;
  }
  *out = c;
  return CLQL_SUCCESS;
}

clql_status clql_config_copy(const clql_config *config, clql_config **out) {
  if (!config || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "config or out is NULL");
  *out = NULL;
  clql_config *c = clql_malloc(sizeof *c);
  if (!c) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "configuration");
  clql_status st = clql_config_init_copy(c, config);
  if (st != CLQL_SUCCESS) {
    clql_free(c);
    return st;
  }
  *out = c;
  return CLQL_SUCCESS;
}

void clql_config_destroy(clql_config *config) {
  if (!config) return;
  clql_config_clear(config);
  clql_free(config);
}

clql_status clql_config_set(clql_config *config, const char *name, const char *value) {
  if (!config) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "config is NULL");
  int k = knob_index(name);
  if (k < 0) {
    char v[CLQL_ENV_VALUE_MAX];
    shown(v, sizeof v, name ? name : "(null)");
    return clql_fail(CLQL_ERR_INVALID_CONFIG, "'%s' is not a clql knob (clql_config_names)", v);
  }
  return set_knob(config, (clql_knob)k, value, 0);
}

clql_status clql_config_get(const clql_config *config, const char *name, char *value,
                            size_t capacity, size_t *length) {
  if (!config || !length) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "config or length is NULL");
  if (!value && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "value is NULL");
  int k = knob_index(name);
  if (k < 0) return clql_fail(CLQL_ERR_INVALID_CONFIG, "not a clql knob");
  const char *v = config->value[k] ? config->value[k] : "";
  *length = strlen(v);
  if (!value) return CLQL_SUCCESS;
  if (capacity <= *length)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%s: %zu bytes needed", knobs[k].name, *length + 1);
  memcpy(value, v, *length + 1);
  return CLQL_SUCCESS;
}

clql_status clql_config_names(const char **names, size_t capacity, size_t *count) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  if (!names && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "names is NULL");
  *count = CLQL_KNOB_COUNT;
  if (!names) return CLQL_SUCCESS;
  for (size_t i = 0; i < capacity && i < CLQL_KNOB_COUNT; i++) names[i] = knobs[i].name;
  if (capacity < CLQL_KNOB_COUNT)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%d knobs, room for %zu", CLQL_KNOB_COUNT,
                     capacity);
  return CLQL_SUCCESS;
}

clql_status clql_config_budget(const clql_config *config, clql_budget_options *out) {
  if (!config || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "config or out is NULL");
  *out = config->budget;
  return CLQL_SUCCESS;
}

/* The text a budget field would have as a variable's value. */
static void budget_text(const clql_budget_options *o, clql_knob k, char *buf, size_t size) {
  switch (k) {
  case CLQL_KNOB_MEM_FRACTION: snprintf(buf, size, "%.17g", o->fraction); break;
  case CLQL_KNOB_MEM_LIMIT: snprintf(buf, size, "%llu", (unsigned long long)o->limit); break;
  case CLQL_KNOB_MEM_RESERVE:
    if (o->set & CLQL_BUDGET_RESERVE_PERCENT)
      snprintf(buf, size, "%.17g%%", o->reserve_percent);
    else
      snprintf(buf, size, "%llu", (unsigned long long)o->reserve_bytes);
    break;
  default: snprintf(buf, size, "%llu", (unsigned long long)o->max_batch); break;
  }
}

clql_status clql_config_set_budget(clql_config *config, const clql_budget_options *opts) {
  if (!config || !opts) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "config or opts is NULL");
  const char *why = NULL;
  if (!clql_budget_options_valid(opts, opts->set, &why))
    return clql_fail(CLQL_ERR_INVALID_CONFIG, "budget options: %s", why);
  clql_config tmp;
  clql_status st = clql_config_init_copy(&tmp, config);
  for (int k = CLQL_KNOB_MEM_FRACTION; st == CLQL_SUCCESS && k <= CLQL_KNOB_MAX_BATCH; k++) {
    if (!(opts->set & budget_bits((clql_knob)k))) continue;
    char text[64];
    budget_text(opts, (clql_knob)k, text, sizeof text);
    st = set_knob(&tmp, (clql_knob)k, text, 0);
    /* keep the exact values: the text of a double may round */
    if (st == CLQL_SUCCESS && k == CLQL_KNOB_MEM_FRACTION) tmp.budget.fraction = opts->fraction;
    if (st == CLQL_SUCCESS && k == CLQL_KNOB_MEM_RESERVE &&
        (opts->set & CLQL_BUDGET_RESERVE_PERCENT))
      tmp.budget.reserve_percent = opts->reserve_percent;
  }
  if (st != CLQL_SUCCESS) {
    clql_config_clear(&tmp);
    return st;
  }
  clql_config_clear(config);
  *config = tmp;
  return CLQL_SUCCESS;
}

clql_status clql_env_problems(clql_env_problem *problems, size_t capacity, size_t *count) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  if (!problems && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "problems is NULL");
  size_t n = 0;
  clql_config scratch = defaults;
  for (int k = 0; k < CLQL_KNOB_COUNT; k++) {
    const char *value = read_env(knobs[k].name, knobs[k].kind == KIND_PATH);
    const char *why = NULL;
    char why_buf[256];
    char *t = value ? trimmed(value) : NULL;
    if (value && !t) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "environment value");
    int ok = !t || !*t || parse(&scratch, (clql_knob)k, t, &why, why_buf, sizeof why_buf);
    clql_free(t);
    if (ok) continue;
    if (problems && n < capacity) {
      problems[n].variable = knobs[k].name;
      shown(problems[n].value, sizeof problems[n].value, value);
      /* reasons written into why_buf are not static: keep the kind's own */
      problems[n].reason = why == why_buf ? "not valid (see clql_config_from_env)" : why;
    }
    n++;
  }
  *count = n;
  if (problems && n > capacity)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu environment problems, room for %zu", n,
                     capacity);
  return CLQL_SUCCESS;
}
