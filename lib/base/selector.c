/* The device-selection grammar shared by the library (CLQL_DEVICE) and the
 * tools (-d): "P:D", a flat index "N", or a case-insensitive name substring. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

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
  out->text = text; /* every kind keeps its text: messages quote it */
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

/* ---- selector lists: "0:0,1:0", "gfx1030, rtx" ---- */

static int same_selector(const clql_selector *a, const clql_selector *b) {
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case CLQL_SEL_PAIR: return a->platform == b->platform && a->device == b->device;
  case CLQL_SEL_INDEX: return a->index == b->index;
  case CLQL_SEL_NAME: return strcasecmp(a->text, b->text) == 0;
  default: return 1;
  }
}

void clql_selector_list_free(clql_selector_list *list) {
  if (!list) return;
  clql_free(list->text);
  clql_free(list->items);
  memset(list, 0, sizeof *list);
}

clql_status clql_selector_list_parse(const char *text, clql_selector_list *out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "selector list output is NULL");
  memset(out, 0, sizeof *out);
  size_t items = 1;
  for (const char *s = text ? text : ""; *s; s++) items += *s == ',';
  out->text = clql_strdup(text ? text : "");
  out->items = clql_calloc(items, sizeof *out->items);
  if (!out->text || !out->items) {
    clql_selector_list_free(out);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "selector list");
  }
  if (!text || !*text) { /* the default device */
    out->count = 1;
    return CLQL_SUCCESS;
  }
  /* Cut the copy at the commas; white space around an item is not part of it. */
  char *item = out->text;
  for (size_t i = 0; i < items; i++) {
    char *comma = strchr(item, ',');
    if (comma) *comma = '\0';
    item += strspn(item, " \t");
    size_t len = strlen(item);
    while (len && (item[len - 1] == ' ' || item[len - 1] == '\t')) item[--len] = '\0';
    clql_status st = len ? clql_selector_parse(item, &out->items[i])
                         : clql_fail(CLQL_ERR_BAD_SELECTOR, "item %zu is empty", i + 1);
    for (size_t j = 0; st == CLQL_SUCCESS && j < i; j++)
      if (same_selector(&out->items[j], &out->items[i]))
        st = clql_fail(CLQL_ERR_BAD_SELECTOR, "item %zu ('%s') repeats item %zu", i + 1, item,
                       j + 1);
    if (st != CLQL_SUCCESS) {
      char why[256];
      clql_strlcpy(why, clql_last_error_detail(), sizeof why);
      clql_selector_list_free(out);
      return items == 1 ? clql_fail(st, "%s", why)
                        : clql_fail(st, "device selector list '%s': %s", text, why);
    }
    out->count++;
    if (comma) item = comma + 1;
  }
  return CLQL_SUCCESS;
}
