/* The budget knobs of the environment, parsed strictly: a value is either
 * taken whole or reported and ignored, never half-parsed (no strtoull, which
 * accepts "-1" and wraps, and no strtod, whose decimal point follows the
 * locale). README "Budget and plans" documents the grammar. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* [*b, *e): text without surrounding white space; 0 ("empty") when nothing is left. */
static int trim(const char *text, const char **b, const char **e, const char **why) {
  const char *s = text, *t = text + strlen(text);
  while (s < t && is_space(*s)) s++;
  while (t > s && is_space(t[-1])) t--;
  *b = s;
  *e = t;
  if (s == t) *why = "empty";
  return s < t;
}

/* Leading decimal digits of [s, e) into *v; returns the end of the digits. */
static const char *digits_u64(const char *s, const char *e, uint64_t *v, int *overflow) {
  *v = 0;
  *overflow = 0;
  for (; s < e && is_digit(*s); s++)
    if (!clql_mul_u64(*v, 10, v) || !clql_add_u64(*v, (uint64_t)(*s - '0'), v)) *overflow = 1;
  return s;
}

/* [s, e) equals word, ignoring case. */
static int word_is(const char *s, const char *e, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(e - s) != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (lower(s[i]) != word[i]) return 0;
  return 1;
}

int clql_parse_u64_span(const char *b, const char *e, uint64_t *out, const char **why) {
  if (b == e || !is_digit(*b)) {
    *why = b != e && *b == '-' ? "negative" : "not a whole number";
    return 0;
  }
  uint64_t v;
  int overflow;
  const char *p = digits_u64(b, e, &v, &overflow);
  if (p != e) {
    *why = "not a whole number";
    return 0;
  }
  if (overflow) {
    *why = "too large for 64 bits";
    return 0;
  }
  *out = v;
  return 1;
}

int clql_parse_u64(const char *text, uint64_t *out, const char **why) {
  const char *b, *e;
  return trim(text, &b, &e, why) && clql_parse_u64_span(b, e, out, why);
}

static int parse_bytes_range(const char *b, const char *e, uint64_t *out, const char **why) {
  static const struct {
    const char *unit;
    unsigned shift;
  } units[] = {{"", 0},    {"k", 10},   {"m", 20},   {"g", 30},   {"t", 40},
               {"kib", 10}, {"mib", 20}, {"gib", 30}, {"tib", 40}};
  if (b == e || !is_digit(*b)) {
    *why = b != e && *b == '-' ? "negative" : "not a size (digits, then K, M, G, T, KiB, MiB, GiB or TiB)";
    return 0;
  }
  uint64_t v;
  int overflow;
  const char *u = digits_u64(b, e, &v, &overflow);
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (!word_is(u, e, units[i].unit)) continue;
    if (overflow || (units[i].shift && v > (UINT64_MAX >> units[i].shift))) {
      *why = "too large for 64 bits";
      return 0;
    }
    *out = v << units[i].shift;
    return 1;
  }
  if (word_is(u, e, "kb") || word_is(u, e, "mb") || word_is(u, e, "gb") || word_is(u, e, "tb"))
    *why = "ambiguous unit (KB, MB, GB, TB): write K or KiB (both 1024-based)";
  else if (u < e && *u == '.')
    *why = "not a whole number (write 1536M, not 1.5G)";
  else
    *why = "unknown unit (use K, M, G, T, KiB, MiB, GiB or TiB)";
  return 0;
}

int clql_parse_bytes(const char *text, uint64_t *out, const char **why) {
  const char *b, *e;
  return trim(text, &b, &e, why) && parse_bytes_range(b, e, out, why);
}

/* D+ or D+.D* or .D+ with at most 19 digits, as mantissa / 10^decimals. */
static int parse_decimal_range(const char *b, const char *e, double *out, const char **why) {
  uint64_t mantissa = 0;
  int digits = 0, decimals = 0, point = 0;
  for (const char *p = b; p < e; p++) {
    if (*p == '.' && !point) {
      point = 1;
    } else if (is_digit(*p)) {
      if (++digits > 19) {
        *why = "too many digits";
        return 0;
      }
      mantissa = mantissa * 10 + (uint64_t)(*p - '0');
      decimals += point;
    } else {
      *why = *p == '-' ? "negative" : "not a decimal number";
      return 0;
    }
  }
  if (digits == 0) {
    *why = "not a decimal number";
    return 0;
  }
  double scale = 1.0;
  for (int i = 0; i < decimals; i++) scale *= 10.0; /* exact up to 10^19 */
  *out = (double)mantissa / scale;
  return 1;
}

int clql_parse_decimal(const char *text, double *out, const char **why) {
  const char *b, *e;
  return trim(text, &b, &e, why) && parse_decimal_range(b, e, out, why);
}

int clql_parse_reserve(const char *text, uint64_t *bytes, double *percent, int *is_percent,
                       const char **why) {
  const char *b, *e;
  if (!trim(text, &b, &e, why)) return 0;
  if (e[-1] != '%') {
    if (!parse_bytes_range(b, e, bytes, why)) return 0;
    *is_percent = 0;
    return 1;
  }
  double p;
  if (!parse_decimal_range(b, e - 1, &p, why)) return 0;
  if (p > 100.0) {
    *why = "a percentage above 100%";
    return 0;
  }
  *is_percent = 1;
  *percent = p;
  return 1;
}

/* ---- the four variables ---- */

enum { KNOB_FRACTION, KNOB_LIMIT, KNOB_RESERVE, KNOB_MAX_BATCH, KNOB_COUNT };
static const char *const knob_names[KNOB_COUNT] = {"CLQL_MEM_FRACTION", "CLQL_MEM_LIMIT",
                                                   "CLQL_MEM_RESERVE", "CLQL_MAX_BATCH"};
/* The clql_budget_options bits each variable can set. */
static const unsigned knob_bits[KNOB_COUNT] = {
    CLQL_BUDGET_FRACTION, CLQL_BUDGET_LIMIT,
    CLQL_BUDGET_RESERVE_BYTES | CLQL_BUDGET_RESERVE_PERCENT, CLQL_BUDGET_MAX_BATCH};

/* Parse one variable's value into *o; on failure *why says why and o is untouched. */
static int parse_knob(int knob, const char *value, clql_budget_options *o, const char **why) {
  clql_budget_options t = *o;
  switch (knob) {
  case KNOB_FRACTION:
    if (!clql_parse_decimal(value, &t.fraction, why)) return 0;
    if (!(t.fraction > 0.0 && t.fraction <= 1.0)) {
      *why = "not in (0, 1]";
      return 0;
    }
    t.set |= CLQL_BUDGET_FRACTION;
    break;
  case KNOB_LIMIT:
    if (!clql_parse_bytes(value, &t.limit, why)) return 0;
    if (t.limit == 0) {
      *why = "0 is no limit (unset the variable for none)";
      return 0;
    }
    t.set |= CLQL_BUDGET_LIMIT;
    break;
  case KNOB_RESERVE: {
    int pct = 0;
    if (!clql_parse_reserve(value, &t.reserve_bytes, &t.reserve_percent, &pct, why)) return 0;
    t.set |= pct ? CLQL_BUDGET_RESERVE_PERCENT : CLQL_BUDGET_RESERVE_BYTES;
    break;
  }
  default:
    if (!clql_parse_u64(value, &t.max_batch, why)) return 0;
    if (t.max_batch == 0) {
      *why = "must be at least 1";
      return 0;
    }
    t.set |= CLQL_BUDGET_MAX_BATCH;
    break;
  }
  *o = t;
  return 1;
}

/* A printable copy of value in dst: control bytes become '?', a cut ends in "...". */
static void copy_value(char *dst, size_t size, const char *value) {
  size_t n = strlen(value), i;
  for (i = 0; i < n && i + 1 < size; i++) {
    unsigned char c = (unsigned char)value[i];
    dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  dst[i] = '\0';
  if (i < n && size > 4) memcpy(dst + size - 4, "...", 4);
}

void clql_env_budget_options(unsigned skip, clql_budget_options *out) {
  clql_budget_options o;
  memset(&o, 0, sizeof o);
  for (int k = 0; k < KNOB_COUNT; k++) {
    if (skip & knob_bits[k]) continue; /* the API set it: the variable is not used */
    const char *value = getenv(knob_names[k]);
    const char *why = NULL;
    if (!value || parse_knob(k, value, &o, &why)) continue;
    char shown[CLQL_ENV_VALUE_MAX];
    copy_value(shown, sizeof shown, value);
    clql_log(CLQL_LOG_WARN, "ignoring %s='%s': %s", knob_names[k], shown, why);
  }
  *out = o;
}

clql_status clql_env_problems(clql_env_problem *problems, size_t capacity, size_t *count) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  if (!problems && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "problems is NULL");
  size_t n = 0;
  clql_budget_options scratch;
  memset(&scratch, 0, sizeof scratch);
  for (int k = 0; k < KNOB_COUNT; k++) {
    const char *value = getenv(knob_names[k]);
    const char *why = NULL;
    if (!value || parse_knob(k, value, &scratch, &why)) continue;
    if (problems && n < capacity) {
      problems[n].variable = knob_names[k];
      copy_value(problems[n].value, sizeof problems[n].value, value);
      problems[n].reason = why;
    }
    n++;
  }
  *count = n;
  if (problems && n > capacity)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu environment problems, room for %zu", n,
                     capacity);
  return CLQL_SUCCESS;
}
