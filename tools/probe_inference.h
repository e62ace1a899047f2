/* The inference plan as clql-probe and clql-gguf print it (--ctx,
 * --sequences, --kv-type with --plan): a table per device and an
 * "inference" object per device in JSON; over several devices, the layers
 * split. */
#ifndef CLQL_PROBE_INFERENCE_H
#define CLQL_PROBE_INFERENCE_H

#include <jansson.h>
#include <stdio.h>
#include <clql.h>

typedef struct probe_inference {
  const char *tool;
  clql_model *model; /* owned */
  clql_inference_request request;
  int active;        /* --ctx or --sequences was given */
} probe_inference;

/* Parse the options (NULL when not given; all NULL: inactive). 0, or the
 * exit code (2) after a message. The caller sets model when active. */
int probe_inference_init(probe_inference *pi, const char *tool, const char *ctx,
                         const char *sequences, const char *kv_type);
void probe_inference_free(probe_inference *pi);

/* The plan of device d as the JSON "inference" object (NULL: out of memory). */
json_t *probe_inference_json(const probe_inference *pi, const clql_device_info *d);
/* One line per device, and why a plan does not fit. */
void probe_inference_table(const probe_inference *pi, const clql_device_info *devs, size_t n,
                           FILE *out);
/* The layers split over devs: "inference_split" JSON, and its table. */
json_t *probe_inference_split_json(const probe_inference *pi, const clql_device_info *devs,
                                   size_t n);
void probe_inference_split_table(const probe_inference *pi, const clql_device_info *devs,
                                 size_t n, FILE *out);

#endif /* CLQL_PROBE_INFERENCE_H */
