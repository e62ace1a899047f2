/* clql-probe --plan over several devices at once: the model split across
 * every listed device (clql_plan_split), shown as a table and as the JSON
 * keys "split" and "split_plan". Works on clql_device_info arrays, live or
 * recorded, like probe_plan.h. */
#ifndef CLQL_PROBE_SPLIT_H
#define CLQL_PROBE_SPLIT_H

#include <jansson.h>
#include <stdio.h>
#include <clql.h>
#include "probe_plan.h"

typedef struct probe_split {
  clql_split_mode mode;
  clql_split_part *parts; /* one per device */
  clql_split_plan plan;
  clql_status status; /* of clql_plan_split */
  char error[320];
} probe_split;

/* The mode of --split (arg, NULL when not given), else of $CLQL_SPLIT (a bad
 * value is noted on stderr and ignored), else rows. Returns 0, or 2 for a
 * bad --split. */
int probe_split_mode(const char *arg, clql_split_mode *mode);

/* Plan p's model (in p's qtype) over devs; returns 0, or 255 when out of memory. */
int probe_split_compute(const probe_plan *p, clql_split_mode mode, const clql_device_info *devs,
                        size_t n, probe_split *out);
void probe_split_free(probe_split *s);

void probe_split_table(const probe_plan *p, const probe_split *s, const clql_device_info *devs,
                       size_t n, FILE *out);
/* Set "split" (one object per device) and "split_plan" on root. */
void probe_split_json(const probe_plan *p, const probe_split *s, const clql_device_info *devs,
                      size_t n, json_t *root);

#endif /* CLQL_PROBE_SPLIT_H */
