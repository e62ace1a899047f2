/* The device-selection grammar shared by the library (CLQL_DEVICE) and the
 * tools (-d): "P:D", a flat index "N", or a case-insensitive name substring. */
#include <limits.h>
#include <string.h>
#include "internal.h"

/* Parse a run of decimal digits [s, end) into *out; 0 on empty or overflow. */
static int parse_index(const char *s, const char *end, unsigned *out) {
  if (s == end) return 0;
  unsigned long v = 0;
  for (; s < end; s++) {
    if (*s < '0' || *s > '9') return 0;
    v = v * 10 + (unsigned long)(*s - '0');
    if (v > UINT_MAX) return 0;
  }
  *out = (unsigned)v;
  return 1;
}

clql_status clql_selector_parse(const char *text, clql_selector *out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "selector output is NULL");
  memset(out, 0, sizeof *out);
  if (!text || !*text) {
    out->kind = CLQL_SEL_DEFAULT;
    return CLQL_SUCCESS;
  }
  /* Strings made only of digits, ':' and sign characters must be exact
   * indices; anything else ("1:", ":2", "-1", "1:2:3") is a typo, not a name. */
  size_t len = strlen(text);
  if (strspn(text, "0123456789:+-") == len) {
    const char *colon = strchr(text, ':');
    if (!colon && parse_index(text, text + len, &out->index)) {
      out->kind = CLQL_SEL_INDEX;
      return CLQL_SUCCESS;
    }
    if (colon && parse_index(text, colon, &out->platform) &&
        parse_index(colon + 1, text + len, &out->device)) {
      out->kind = CLQL_SEL_PAIR;
      return CLQL_SUCCESS;
    }
    return clql_fail(CLQL_ERR_BAD_SELECTOR,
                     "device selector '%s' is not P:D, an index, or a name", text);
  }
  if (strspn(text, " \t") == len)
    return clql_fail(CLQL_ERR_BAD_SELECTOR, "device selector is blank");
  out->kind = CLQL_SEL_NAME;
  out->text = text;
  return CLQL_SUCCESS;
}

long clql_selector_match(const clql_selector *sel, const clql_device_info *devs, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const clql_device_info *d = &devs[i];
    switch (sel->kind) {
    case CLQL_SEL_DEFAULT:
      if (d->type & CL_DEVICE_TYPE_GPU) return (long)i;
      break;
    case CLQL_SEL_PAIR:
      if (d->platform_index == sel->platform && d->device_index == sel->device) return (long)i;
      break;
    case CLQL_SEL_INDEX:
      if (d->index == sel->index) return (long)i;
      break;
    case CLQL_SEL_NAME:
      if (clql_contains_nocase(d->name, sel->text) || clql_contains_nocase(d->vendor, sel->text) ||
          clql_contains_nocase(d->platform_name, sel->text))
        return (long)i;
      break;
    }
  }
  if (sel->kind == CLQL_SEL_DEFAULT && count > 0) return 0;
  return -1;
}
