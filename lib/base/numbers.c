/* The one grammar of numbers and sizes for every knob (config.c) and tool
 * option, parsed strictly: a value is taken whole or refused, never
 * half-parsed (no strtoull, which accepts "-1" and wraps, and no strtod,
 * whose decimal point follows the locale). docs/configuration.md documents
 * it. */
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

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
