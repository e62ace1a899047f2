/* clql-check --model: every layer of a model on one context, a forward of B
 * tokens through each in turn, each output against the reference, and what
 * the context held against its budget. */
#include "check_model.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One entry of the model (count layers of one shape): its random weights,
 * packed once and uploaded for each layer, its input and its reference. */
typedef struct {
  clql_layer_shape shape;
  int8_t *t;
  float *scales, *x, *ref;
  clql_packed packed;
} entry;

static void entry_free(entry *e) {
  free(e->t), free(e->scales), free(e->x), free(e->ref);
  free(e->packed.weights), free(e->packed.scales);
}

static clql_status entry_make(entry *e, const clql_layer_shape *shape, uint64_t batch,
                              float (*uniform)(float, float)) {
  memset(e, 0, sizeof *e);
  e->shape = *shape;
  const uint64_t n = shape->n, k = shape->k;
  clql_weight_bytes wb;
  clql_status st = clql_layout_weight_bytes(shape, &wb);
  if (st != CLQL_SUCCESS) return st;
  e->t = malloc(n * k);
  e->scales = malloc(n * sizeof *e->scales);
  e->x = malloc(batch * k * sizeof *e->x);
  e->ref = malloc(batch * n * sizeof *e->ref);
  e->packed.shape = *shape;
  e->packed.weights = malloc(wb.weights);
  e->packed.weights_bytes = wb.weights;
  e->packed.scales = malloc(wb.scales);
  e->packed.scales_bytes = wb.scales;
  if (!e->t || !e->scales || !e->x || !e->ref || !e->packed.weights || !e->packed.scales)
    return CLQL_ERR_OUT_OF_HOST_MEMORY;
  for (uint64_t i = 0; i < n * k; i++) e->t[i] = (int8_t)((int)uniform(0.0f, 3.0f) - 1);
  for (uint64_t i = 0; i < n; i++) e->scales[i] = uniform(0.5f, 1.5f);
  for (uint64_t i = 0; i < batch * k; i++) e->x[i] = uniform(-4.0f, 4.0f);
  st = clql_pack_ternary(&e->packed, e->t, n * k, e->scales, n);
  if (st == CLQL_SUCCESS) st = clql_ref_forward(shape, e->t, e->scales, e->x, batch, e->ref);
  return st;
}

static void print_json(const check_model_args *a, const check_model_result *r) {
  json_t *o = json_object();
  json_object_set_new(o, "model", tool_json_string(a->model));
  json_object_set_new(o, "qtype", json_string(clql_qtype_name(a->qtype)));
  json_object_set_new(o, "batch", json_integer((json_int_t)a->batch));
  json_object_set_new(o, "budget_bytes", json_integer((json_int_t)r->budget_bytes));
  json_object_set_new(o, "held_bytes", json_integer((json_int_t)r->held_bytes));
  json_object_set_new(o, "resident_bytes", json_integer((json_int_t)r->resident_bytes));
  json_object_set_new(o, "workspace_bytes", json_integer((json_int_t)r->workspace_bytes));
  json_object_set_new(o, "model_workspace_bytes",
                      json_integer((json_int_t)r->model_workspace_bytes));
  json_object_set_new(o, "exact", json_boolean(r->exact));
  json_object_set_new(o, "fits", json_boolean(r->fits));
  json_object_set_new(o, "layers", json_integer((json_int_t)r->layers));
  json_object_set_new(o, "chunk_batch", json_integer((json_int_t)r->chunk_batch));
  json_object_set_new(o, "limited_by",
                      r->chunk_batch ? json_string(clql_limited_by_name(r->limited_by)) : json_null());
  json_object_set_new(o, "seed", json_integer((json_int_t)a->seed));
  char *text = json_dumps(o, TOOL_JSON_FLAGS);
  if (text) puts(text);
  free(text);
  json_decref(o);
}

static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }

/* Record what the context holds now; 0 when it holds more than its budget. */
static int account(clql_context *ctx, check_model_result *r) {
  clql_context_memory m;
  if (clql_context_get_memory(ctx, &m) != CLQL_SUCCESS) return 0;
  r->budget_bytes = m.budget.bytes;
  if (m.held > r->held_bytes) r->held_bytes = m.held;
  r->resident_bytes = m.resident;
  if (m.workspace) {
    r->workspace_bytes = m.workspace;
    r->chunk_batch = m.batch;
    r->limited_by = m.limited_by;
    r->ws_flags = m.workspace_flags;
  }
  return m.held <= m.budget.bytes;
}

int check_model_run(clql_context *ctx, const check_model_args *a, const clql_model_layer *model,
                    size_t count, float (*uniform)(float, float)) {
  check_model_result r;
  memset(&r, 0, sizeof r);
  r.fits = 1;
  entry *e = calloc(count, sizeof *e);
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++) total += model[i].count; /* the model's own check bounds it */
  clql_layer **layers = calloc(total ? total : 1, sizeof *layers);
  int rc = TOOL_EXIT_INTERNAL, within = 1;
  clql_status st = e && layers ? CLQL_SUCCESS : CLQL_ERR_OUT_OF_HOST_MEMORY;
  for (size_t i = 0; st == CLQL_SUCCESS && i < count; i++)
    st = entry_make(&e[i], &model[i].shape, a->batch, uniform);
  if (st != CLQL_SUCCESS) {
    fprintf(stderr, "clql-check: preparing the model: %s: %s\n", clql_status_message(st),
            clql_last_error_detail());
    rc = tool_exit_for(st);
    goto done;
  }
  /* Every layer on the context; the ledger refuses what does not fit. */
  size_t made = 0;
  for (size_t i = 0; st == CLQL_SUCCESS && i < count; i++)
    for (uint64_t c = 0; st == CLQL_SUCCESS && c < model[i].count; c++) {
      st = clql_layer_create(ctx, &e[i].packed, NULL, &layers[made]);
      if (st == CLQL_SUCCESS) made++;
      within &= account(ctx, &r);
    }
  r.layers = made;
  /* A forward of the batch through each layer in turn, as a model runs. */
  float *y = NULL;
  uint64_t ymax = 0;
  for (size_t i = 0; i < count; i++)
    if (model[i].shape.n > ymax) ymax = model[i].shape.n;
  if (st == CLQL_SUCCESS && !(y = malloc(a->batch * ymax * sizeof *y)))
    st = CLQL_ERR_OUT_OF_HOST_MEMORY;
  uint64_t differ = 0, outputs = 0;
  size_t li = 0;
  for (size_t i = 0; st == CLQL_SUCCESS && i < count; i++)
    for (uint64_t c = 0; st == CLQL_SUCCESS && c < model[i].count; c++, li++) {
      const uint64_t ny = a->batch * model[i].shape.n;
      memset(y, 0xff, ny * sizeof *y); /* NaN: every output must be written */
      st = clql_layer_forward(layers[li], e[i].x, a->batch, y);
      within &= account(ctx, &r);
      for (uint64_t j = 0; st == CLQL_SUCCESS && j < ny; j++)
        differ += memcmp(&y[j], &e[i].ref[j], sizeof *y) != 0;
      outputs += ny;
    }
  free(y);
  if (r.chunk_batch) {
    clql_workspace_bytes ws;
    if (clql_model_workspace_bytes(model, count, r.chunk_batch, r.ws_flags, &ws) == CLQL_SUCCESS)
      r.model_workspace_bytes = ws.total;
  }
  r.fits = st != CLQL_ERR_DOES_NOT_FIT;
  r.exact = st == CLQL_SUCCESS && differ == 0 && within &&
            r.workspace_bytes == r.model_workspace_bytes;
  if (a->json) print_json(a, &r);
  else
    printf("model %s (%s, %zu of %llu layers) batch %llu: %s (%llu of %llu outputs differ from "
           "the reference); held at most %.2f of a budget of %.2f MiB: weights %.2f, workspace "
           "%.2f (chunks of %llu tokens, limited by %s; the model's workspace at that batch: "
           "%.2f)\n",
           tool_text(a->model), clql_qtype_name(a->qtype), made, (unsigned long long)total,
           (unsigned long long)a->batch,
           !r.fits                 ? "DOES NOT FIT"
           : st != CLQL_SUCCESS    ? "COULD NOT RUN"
           : r.exact               ? "OK"
                                   : "FAIL",
           (unsigned long long)differ,
           (unsigned long long)outputs, mib(r.held_bytes), mib(r.budget_bytes),
           mib(r.resident_bytes), mib(r.workspace_bytes), (unsigned long long)r.chunk_batch,
           r.chunk_batch ? clql_limited_by_name(r.limited_by) : "-",
           mib(r.model_workspace_bytes));
  if (st == CLQL_ERR_DOES_NOT_FIT) {
    fprintf(stderr, "clql-check: %s does not fit the budget: %s\n", tool_text(a->model),
            clql_last_error_detail());
    rc = TOOL_EXIT_DOES_NOT_FIT;
  } else if (st != CLQL_SUCCESS) { /* the device failed, or the host ran out of memory */
    fprintf(stderr, "clql-check: %s: %s: %s\n", tool_text(a->model), clql_status_message(st),
            clql_last_error_detail());
    rc = tool_exit_for(st);
  } else {
    if (!within) fprintf(stderr, "clql-check: the context held more than its budget\n");
    rc = r.exact ? TOOL_EXIT_OK : TOOL_EXIT_DIFFERS;
  }
done:
  for (uint64_t i = 0; layers && i < total; i++) clql_layer_destroy(layers[i]);
  for (size_t i = 0; e && i < count; i++) entry_free(&e[i]);
  free(layers);
  free(e);
  return rc;
}
