/* clql-probe's planning output (--plan MODEL|FILE, --qtype, --batch, --csv,
 * --plot). Every function works on an array of clql_device_info, wherever
 * it came from, so enumerated devices and recorded profiles are planned and
 * printed the same way. */
#ifndef CLQL_PROBE_PLAN_H
#define CLQL_PROBE_PLAN_H

#include <jansson.h>
#include <stdio.h>
#include <clql.h>

typedef struct probe_plan {
  const char *model;        /* as given: a preset name or a file */
  clql_model_layer *layers; /* count entries per qtype: layers[qtype * count + i] */
  size_t count;
  uint64_t batch;           /* requested batch; 0 for the largest that fits */
  clql_qtype qtype;         /* the table's and the JSON "plan"'s qtype */
  unsigned qtypes;          /* bit per qtype in --csv and --plot: --qtype's, else all */
  unsigned ws_flags;        /* the workspace stages the float input and output */
} probe_plan;

/* Load MODEL (a preset name, else a model file) and parse --qtype and
 * --batch (NULL for the defaults: I2S, no request). Returns 0, or prints why
 * on stderr and returns the exit code (2). */
int probe_plan_init(probe_plan *p, const char *model, const char *qtype, const char *batch);
void probe_plan_free(probe_plan *p);


/* Add "plan" to each object of devices_json, a JSON array parallel to devs. */
void probe_plan_json(const probe_plan *p, const clql_device_info *devs, size_t n,
                     json_t *devices_json);
/* A readable table: one line per device, and why a model does not fit. */
void probe_plan_table(const probe_plan *p, const clql_device_info *devs, size_t n, FILE *out);
/* CSV: a header, then one row per device x qtype. */
void probe_plan_csv(const probe_plan *p, const clql_device_info *devs, size_t n, FILE *out);
/* Largest batch against device memory, a line per qtype, drawn by gnuplot
 * into file (.svg, .png, or .txt for text). Without gnuplot: a note on
 * stderr and 0. Returns the exit code. */
int probe_plan_plot(const probe_plan *p, const clql_device_info *devs, size_t n,
                    const char *file);

/* "weights ... + workspace ... at batch 1 exceed the budget ... by ..." */
void probe_over_budget_text(const clql_model_plan *mp, char *buf, size_t size);

#endif /* CLQL_PROBE_PLAN_H */
