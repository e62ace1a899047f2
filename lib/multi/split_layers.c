/* Split layers and models over a device set (include/clql/multi.h): each
 * device holds clql_layers of its rows or its layers, planned from what it
 * really holds, and a forward pass runs every device at once, one thread
 * per device, each using only its own context. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

#define STAGED (CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT)

/* What a device holds, shared by the layers on it (whose context shares
 * one workspace among them). */
typedef struct {
  clql_split_device_stats s;
} device_state;

/* One device's rows [begin, end) of a layer; layer NULL when it has none. */
typedef struct {
  clql_layer *layer;
  uint64_t begin, end;
} slice;

struct clql_split_layer {
  clql_device_set *set;
  clql_layer_shape shape;
  size_t devices;
  slice *slices;
  device_state *dev; /* per device; the model's when the layer is part of one */
  int owns_dev;
};

struct clql_split_model {
  clql_device_set *set;
  clql_split_mode mode;
  size_t count, devices;
  clql_layer_shape *shape;  /* per layer */
  clql_split_layer **split; /* rows mode: per layer */
  clql_layer **layer;       /* layers mode: per layer */
  size_t *owner;            /* layers mode: the device of each layer */
  device_state *dev;        /* per device */
};

/* ---- checks ---- */

static clql_status check_weights(const clql_ternary_weights *w, size_t index) {
  if (!w) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "weights are NULL");
  if (!w->t || !w->scales)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer %zu: t and scales are required", index);
  clql_weight_bytes wb;
  clql_status st = clql_layout_weight_bytes(&w->shape, &wb); /* checks the shape */
  if (st != CLQL_SUCCESS) return st;
  uint64_t nk, scales;
  if (!clql_mul_u64(w->shape.n, w->shape.k, &nk) || nk != w->t_count)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer %zu: %llu weights for %llux%llu", index,
                     (unsigned long long)w->t_count, (unsigned long long)w->shape.n,
                     (unsigned long long)w->shape.k);
  if ((st = clql_scale_count(&w->shape, &scales)) != CLQL_SUCCESS) return st;
  if (scales != w->scale_count)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer %zu: %llu scales; the shape has %llu", index,
                     (unsigned long long)w->scale_count, (unsigned long long)scales);
  return CLQL_SUCCESS;
}

/* The parts' row shares (rows) or layer runs must follow one another from 0
 * to total. */
static clql_status check_cover(const clql_split_part *parts, size_t count, int rows,
                               uint64_t total) {
  uint64_t at = 0;
  for (size_t d = 0; d < count; d++) {
    const uint64_t b = rows ? parts[d].share_begin : parts[d].layer_begin;
    const uint64_t e = rows ? parts[d].share_end : parts[d].layer_end;
    if (b != at || e < b || e > total)
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                       "part %zu: %s [%llu, %llu) does not follow on at %llu", d,
                       rows ? "share" : "layers", (unsigned long long)b, (unsigned long long)e,
                       (unsigned long long)at);
    at = e;
  }
  if (at != total)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "the parts cover %llu of %llu %s",
                     (unsigned long long)at, (unsigned long long)total,
                     rows ? "units of the rows: not a rows split" : "layers");
  return CLQL_SUCCESS;
}

static clql_status check_row_parts(const clql_split_part *parts, size_t count, size_t devices) {
  if (!parts) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "parts are NULL");
  if (count != devices)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "%zu parts for a set of %zu devices", count,
                     devices);
  return check_cover(parts, count, 1, CLQL_SPLIT_UNITS);
}

/* ---- planning what a device holds ---- */

/* Plan the layers `sub` (m of them) that device d holds; its batch is the
 * chunk size of its passes. A part that does not fit names the device. */
static clql_status plan_device(const clql_device_set *set, size_t d, const clql_model_layer *sub,
                               size_t m, device_state *out) {
  const clql_device_info *info = clql_device_set_info(set, d);
  const clql_budget_options *opts = clql_device_set_opts(set, d);
  out->s.batch = 0;
  if (m == 0) return clql_budget_compute(&info->memory, opts, &out->s.budget);
  clql_model_plan p;
  clql_status st = clql_plan_model(&info->memory, opts, sub, m, 0, STAGED, &p);
  if (st != CLQL_SUCCESS) return st;
  out->s.budget = p.budget;
  if (!p.fits && p.limited_by == CLQL_LIMITED_BY_MAX_ALLOC)
    return clql_fail(CLQL_ERR_DOES_NOT_FIT,
                     "device %zu (%s): a buffer of %llu bytes exceeds its max_alloc of %llu", d,
                     clql_device_set_label(set, d), (unsigned long long)p.largest.bytes,
                     (unsigned long long)p.budget.max_alloc);
  if (!p.fits)
    return clql_fail(CLQL_ERR_DOES_NOT_FIT,
                     "device %zu (%s): weights %llu + workspace %llu bytes at batch 1 exceed its "
                     "budget of %llu bytes by %llu",
                     d, clql_device_set_label(set, d), (unsigned long long)p.weight_bytes,
                     (unsigned long long)p.workspace.total, (unsigned long long)p.budget.bytes,
                     (unsigned long long)p.over_budget_bytes);
  out->s.batch = p.batch;
  return CLQL_SUCCESS;
}

static void sub_layer(clql_model_layer *out, const clql_layer_shape *shape, uint64_t rows,
                      size_t index) {
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "layer %zu", index);
  out->shape = *shape;
  out->shape.n = rows;
  out->count = 1;
}

/* ---- building ---- */

/* Rows [b, e) of w as a layer on device d of the set. */
static clql_status make_slice(clql_device_set *set, size_t d, const clql_ternary_weights *w,
                              uint64_t b, uint64_t e, clql_layer **out) {
  clql_layer_shape sub = w->shape;
  sub.n = e - b;
  clql_weight_bytes wb;
  uint64_t scales;
  clql_status st = clql_layout_weight_bytes(&sub, &wb);
  if (st == CLQL_SUCCESS) st = clql_scale_count(&sub, &scales);
  if (st != CLQL_SUCCESS) return st;
  /* Host scales are row-major: a row's groups follow one another. */
  const float *s =
      w->scales + (w->shape.group_size == CLQL_GROUP_TENSOR ? 0 : b * (scales / sub.n));
  clql_packed p = {sub, clql_malloc(wb.weights), wb.weights, clql_malloc(wb.scales), wb.scales};
  if (!p.weights || !p.scales) st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "packing a slice");
  if (st == CLQL_SUCCESS)
    st = clql_pack_ternary(&p, w->t + b * w->shape.k, sub.n * sub.k, s, scales);
  if (st == CLQL_SUCCESS)
    st = clql_layer_create(clql_device_set_context(set, d), &p, clql_device_set_opts(set, d), out);
  clql_free(p.weights);
  clql_free(p.scales);
  if (st != CLQL_SUCCESS) {
    char why[512];
    clql_strlcpy(why, clql_last_error_detail(), sizeof why);
    return clql_fail(st, "device %zu (%s), rows %llu to %llu: %s", d, clql_device_set_label(set, d),
                     (unsigned long long)b, (unsigned long long)e, why);
  }
  return CLQL_SUCCESS;
}

static void add_resident(device_state *dev, const clql_layer *layer) {
  clql_layer_stats ls;
  if (clql_layer_get_stats(layer, &ls) == CLQL_SUCCESS) dev->s.resident_bytes += ls.resident_bytes;
  dev->s.layers++;
}

void clql_split_layer_destroy(clql_split_layer *layer) {
  if (!layer) return;
  for (size_t d = 0; layer->slices && d < layer->devices; d++)
    clql_layer_destroy(layer->slices[d].layer);
  clql_free(layer->slices);
  if (layer->owns_dev) clql_free(layer->dev);
  clql_free(layer);
}

/* The slices of w on every device that holds rows of it; dev is per device. */
static clql_status split_build(clql_device_set *set, const clql_split_part *parts,
                               const clql_ternary_weights *w, device_state *dev, int owns_dev,
                               clql_split_layer **out) {
  const size_t devices = clql_device_set_count(set);
  clql_split_layer *L = clql_calloc(1, sizeof *L);
  if (L) L->slices = clql_calloc(devices, sizeof *L->slices);
  if (!L || !L->slices) {
    if (owns_dev) clql_free(dev);
    clql_split_layer_destroy(L);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split layer");
  }
  L->set = set;
  L->shape = w->shape;
  L->devices = devices;
  L->dev = dev;
  L->owns_dev = owns_dev;
  clql_status st = CLQL_SUCCESS;
  for (size_t d = 0; st == CLQL_SUCCESS && d < devices; d++) {
    slice *s = &L->slices[d];
    st = clql_split_rows(w->shape.n, &parts[d], &s->begin, &s->end);
    if (st == CLQL_SUCCESS && s->end > s->begin)
      st = make_slice(set, d, w, s->begin, s->end, &s->layer);
    if (st == CLQL_SUCCESS && s->layer) add_resident(&dev[d], s->layer);
  }
  if (st != CLQL_SUCCESS) {
    clql_split_layer_destroy(L);
    return st;
  }
  *out = L;
  return CLQL_SUCCESS;
}

clql_status clql_split_layer_create(clql_device_set *set, const clql_split_part *parts,
                                    size_t count, const clql_ternary_weights *weights,
                                    clql_split_layer **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!set) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "device set is NULL");
  const size_t devices = clql_device_set_count(set);
  clql_status st = check_row_parts(parts, count, devices);
  if (st == CLQL_SUCCESS) st = check_weights(weights, 0);
  if (st != CLQL_SUCCESS) return st;
  device_state *dev = clql_calloc(devices, sizeof *dev);
  if (!dev) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split layer");
  for (size_t d = 0; st == CLQL_SUCCESS && d < devices; d++) {
    uint64_t b = 0, e = 0;
    clql_model_layer sub;
    st = clql_split_rows(weights->shape.n, &parts[d], &b, &e);
    sub_layer(&sub, &weights->shape, e - b, 0);
    if (st == CLQL_SUCCESS) st = plan_device(set, d, &sub, e > b, &dev[d]);
    dev[d].s.row_begin = b;
    dev[d].s.row_end = e;
  }
  if (st != CLQL_SUCCESS) {
    clql_free(dev);
    return st;
  }
  return split_build(set, parts, weights, dev, 1, out);
}

/* ---- running ---- */

/* One device's work in a pass: x[batch][k] through layer into columns
 * [col, col + rows) of y[batch][n]. */
typedef struct {
  clql_device_set *set;
  size_t device;
  clql_layer *layer;
  device_state *dev;
  const float *x;
  float *y;
  uint64_t batch, k, n, col, rows;
  clql_status status;
  char detail[512];
} job;

static void run_job(job *j) {
  const uint64_t chunk = j->batch < j->dev->s.batch ? j->batch : j->dev->s.batch;
  const int direct = j->rows == j->n; /* whole rows: chunks go straight into y */
  float *tmp = direct ? NULL : clql_malloc((size_t)(chunk * j->rows) * sizeof *tmp);
  clql_status st =
      direct || tmp ? CLQL_SUCCESS : clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "output of a chunk");
  for (uint64_t off = 0; st == CLQL_SUCCESS && off < j->batch;) {
    const uint64_t nb = j->batch - off < chunk ? j->batch - off : chunk;
    st = clql_layer_forward(j->layer, j->x + off * j->k, nb, direct ? j->y + off * j->n : tmp);
    for (uint64_t b = 0; st == CLQL_SUCCESS && !direct && b < nb; b++)
      memcpy(j->y + (off + b) * j->n + j->col, tmp + b * j->rows, (size_t)j->rows * sizeof *tmp);
    off += nb;
  }
  clql_layer_stats ls;
  if (clql_layer_get_stats(j->layer, &ls) == CLQL_SUCCESS &&
      ls.workspace_allocated > j->dev->s.workspace_peak_bytes)
    j->dev->s.workspace_peak_bytes = ls.workspace_allocated;
  clql_free(tmp);
  j->status = st;
  if (st != CLQL_SUCCESS) clql_strlcpy(j->detail, clql_last_error_detail(), sizeof j->detail);
}

static void *job_thread(void *arg) {
  run_job(arg);
  return NULL;
}

/* Run the jobs at once, the last one on this thread; where a thread cannot
 * be started its job runs here afterwards. The first failure (in device
 * order) is the pass's status. */
static clql_status run_jobs(job *jobs, size_t n) {
  if (n == 0) return CLQL_SUCCESS;
  pthread_t *threads = n > 1 ? clql_calloc(n - 1, sizeof *threads) : NULL;
  int *started = n > 1 ? clql_calloc(n - 1, sizeof *started) : NULL;
  for (size_t i = 0; threads && started && i + 1 < n; i++)
    started[i] = pthread_create(&threads[i], NULL, job_thread, &jobs[i]) == 0;
  run_job(&jobs[n - 1]);
  for (size_t i = 0; i + 1 < n; i++) {
    if (started && started[i])
      pthread_join(threads[i], NULL);
    else
      run_job(&jobs[i]);
  }
  clql_free(threads);
  clql_free(started);
  for (size_t i = 0; i < n; i++)
    if (jobs[i].status != CLQL_SUCCESS)
      return clql_fail(jobs[i].status, "device %zu (%s): %s", jobs[i].device,
                       clql_device_set_label(jobs[i].set, jobs[i].device), jobs[i].detail);
  return CLQL_SUCCESS;
}

static clql_status check_pass(const clql_layer_shape *s, const float *x, uint64_t batch,
                              const float *y) {
  if (!x || !y) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "x and y are required");
  if (batch == 0) return clql_fail(CLQL_ERR_INVALID_SHAPE, "batch must be at least 1");
  uint64_t xb, yb;
  if (!clql_mul_u64(batch, s->k, &xb) || !clql_mul_u64(xb, sizeof(float), &xb) ||
      !clql_mul_u64(batch, s->n, &yb) || !clql_mul_u64(yb, sizeof(float), &yb) ||
      !clql_to_size(xb, &(size_t){0}) || !clql_to_size(yb, &(size_t){0}))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "batch %llu", (unsigned long long)batch);
  return CLQL_SUCCESS;
}

static job job_for(clql_device_set *set, size_t d, clql_layer *layer, device_state *dev,
                   const clql_layer_shape *shape, uint64_t col, uint64_t rows, const float *x,
                   uint64_t batch, float *y) {
  job j;
  memset(&j, 0, sizeof j);
  j.set = set;
  j.device = d;
  j.layer = layer;
  j.dev = dev;
  j.x = x;
  j.y = y;
  j.batch = batch;
  j.k = shape->k;
  j.n = shape->n;
  j.col = col;
  j.rows = rows;
  return j;
}

clql_status clql_split_layer_forward(clql_split_layer *layer, const float *x, uint64_t batch,
                                     float *y) {
  if (!layer) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer is NULL");
  clql_status st = check_pass(&layer->shape, x, batch, y);
  if (st != CLQL_SUCCESS) return st;
  job *jobs = clql_calloc(layer->devices, sizeof *jobs);
  if (!jobs) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split pass");
  size_t n = 0;
  for (size_t d = 0; d < layer->devices; d++) {
    const slice *s = &layer->slices[d];
    if (s->layer)
      jobs[n++] = job_for(layer->set, d, s->layer, &layer->dev[d], &layer->shape, s->begin,
                          s->end - s->begin, x, batch, y);
  }
  st = run_jobs(jobs, n);
  clql_free(jobs);
  return st;
}

static clql_status device_stats(const device_state *dev, size_t devices, size_t d,
                                clql_split_device_stats *out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  if (d >= devices)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "device %zu of a set of %zu", d, devices);
  *out = dev[d].s;
  return CLQL_SUCCESS;
}

clql_status clql_split_layer_device_stats(const clql_split_layer *layer, size_t device,
                                          clql_split_device_stats *out) {
  if (!layer) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer is NULL");
  return device_stats(layer->dev, layer->devices, device, out);
}

/* ---- models ---- */

void clql_split_model_destroy(clql_split_model *model) {
  if (!model) return;
  for (size_t i = 0; model->split && i < model->count; i++)
    clql_split_layer_destroy(model->split[i]);
  for (size_t i = 0; model->layer && i < model->count; i++) clql_layer_destroy(model->layer[i]);
  clql_free(model->split);
  clql_free(model->layer);
  clql_free(model->owner);
  clql_free(model->shape);
  clql_free(model->dev);
  clql_free(model);
}

/* Each device's share of a rows model planned as one, then every layer split. */
static clql_status build_rows(clql_split_model *m, const clql_split_part *parts,
                              const clql_ternary_weights *layers, clql_model_layer *sub) {
  clql_status st = CLQL_SUCCESS;
  for (size_t d = 0; st == CLQL_SUCCESS && d < m->devices; d++) {
    size_t held = 0;
    for (size_t i = 0; st == CLQL_SUCCESS && i < m->count; i++) {
      uint64_t b, e;
      st = clql_split_rows(layers[i].shape.n, &parts[d], &b, &e);
      if (st == CLQL_SUCCESS && e > b) sub_layer(&sub[held++], &layers[i].shape, e - b, i);
    }
    if (st == CLQL_SUCCESS) st = plan_device(m->set, d, sub, held, &m->dev[d]);
  }
  if (st == CLQL_SUCCESS && !(m->split = clql_calloc(m->count, sizeof *m->split)))
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split model");
  for (size_t i = 0; st == CLQL_SUCCESS && i < m->count; i++)
    st = split_build(m->set, parts, &layers[i], m->dev, 0, &m->split[i]);
  return st;
}

/* Each device's run of layers planned, then every layer on its device. */
static clql_status build_layers(clql_split_model *m, const clql_split_part *parts,
                                const clql_ternary_weights *layers, clql_model_layer *sub) {
  clql_status st = check_cover(parts, m->devices, 0, m->count);
  for (size_t d = 0; st == CLQL_SUCCESS && d < m->devices; d++) {
    size_t held = 0;
    for (uint64_t i = parts[d].layer_begin; i < parts[d].layer_end; i++) {
      sub_layer(&sub[held++], &layers[i].shape, layers[i].shape.n, (size_t)i);
      m->owner[i] = d;
    }
    st = plan_device(m->set, d, sub, held, &m->dev[d]);
    m->dev[d].s.layer_begin = parts[d].layer_begin;
    m->dev[d].s.layer_end = parts[d].layer_end;
  }
  if (st == CLQL_SUCCESS && !(m->layer = clql_calloc(m->count, sizeof *m->layer)))
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split model");
  for (size_t i = 0; st == CLQL_SUCCESS && i < m->count; i++) {
    /* The whole layer is the device's one slice. */
    st = make_slice(m->set, m->owner[i], &layers[i], 0, layers[i].shape.n, &m->layer[i]);
    if (st == CLQL_SUCCESS) add_resident(&m->dev[m->owner[i]], m->layer[i]);
  }
  return st;
}

clql_status clql_split_model_create(clql_device_set *set, const clql_split_plan *plan,
                                    const clql_split_part *parts,
                                    const clql_ternary_weights *layers, size_t count,
                                    clql_split_model **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!set || !plan || !parts || !layers || count == 0)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "set, plan, parts and layers are required");
  const size_t devices = clql_device_set_count(set);
  if (plan->devices != devices)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "a plan for %zu devices; the set has %zu",
                     plan->devices, devices);
  if (plan->mode != CLQL_SPLIT_ROWS && plan->mode != CLQL_SPLIT_LAYERS)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "split mode %d", (int)plan->mode);
  if (plan->mode == CLQL_SPLIT_LAYERS && plan->layers != count)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "a plan of %llu layers for %zu layers",
                     (unsigned long long)plan->layers, count);
  clql_status st =
      plan->mode == CLQL_SPLIT_ROWS ? check_row_parts(parts, devices, devices) : CLQL_SUCCESS;
  for (size_t i = 0; st == CLQL_SUCCESS && i < count; i++) st = check_weights(&layers[i], i);
  if (st != CLQL_SUCCESS) return st;
  clql_split_model *m = clql_calloc(1, sizeof *m);
  clql_model_layer *sub = clql_calloc(count, sizeof *sub);
  if (m) {
    m->set = set;
    m->mode = plan->mode;
    m->count = count;
    m->devices = devices;
    m->shape = clql_calloc(count, sizeof *m->shape);
    m->owner = clql_calloc(count, sizeof *m->owner);
    m->dev = clql_calloc(devices, sizeof *m->dev);
  }
  if (!m || !sub || !m->shape || !m->owner || !m->dev)
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split model");
  for (size_t i = 0; st == CLQL_SUCCESS && i < count; i++) m->shape[i] = layers[i].shape;
  if (st == CLQL_SUCCESS)
    st = m->mode == CLQL_SPLIT_ROWS ? build_rows(m, parts, layers, sub)
                                    : build_layers(m, parts, layers, sub);
  clql_free(sub);
  if (st != CLQL_SUCCESS) {
    clql_split_model_destroy(m);
    return st;
  }
  *out = m;
  return CLQL_SUCCESS;
}

static clql_status model_layer_pass(clql_split_model *m, size_t i, const float *x, uint64_t batch,
                                    float *y) {
  if (m->mode == CLQL_SPLIT_ROWS) return clql_split_layer_forward(m->split[i], x, batch, y);
  const size_t d = m->owner[i];
  job j = job_for(m->set, d, m->layer[i], &m->dev[d], &m->shape[i], 0, m->shape[i].n, x, batch, y);
  return run_jobs(&j, 1);
}

clql_status clql_split_model_forward_layer(clql_split_model *model, size_t index, const float *x,
                                           uint64_t batch, float *y) {
  if (!model) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model is NULL");
  if (index >= model->count)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer %zu of %zu", index, model->count);
  clql_status st = check_pass(&model->shape[index], x, batch, y);
  if (st != CLQL_SUCCESS) return st;
  return model_layer_pass(model, index, x, batch, y);
}

clql_status clql_split_model_forward(clql_split_model *model, const float *x, uint64_t batch,
                                     float *y) {
  if (!model) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model is NULL");
  uint64_t widest = 0; /* the largest activation between two layers */
  clql_status st = CLQL_SUCCESS;
  for (size_t i = 0; st == CLQL_SUCCESS && i < model->count; i++) {
    st = check_pass(&model->shape[i], x, batch, y);
    if (st == CLQL_SUCCESS && i + 1 < model->count) {
      if (model->shape[i].n != model->shape[i + 1].k)
        return clql_fail(CLQL_ERR_INVALID_SHAPE,
                         "layer %zu gives %llu values per token; layer %zu takes %llu", i,
                         (unsigned long long)model->shape[i].n, i + 1,
                         (unsigned long long)model->shape[i + 1].k);
      if (model->shape[i].n > widest) widest = model->shape[i].n;
    }
  }
  if (st != CLQL_SUCCESS) return st;
  float *buf[2] = {NULL, NULL};
  if (widest) { /* batch * widest floats fits size_t: check_pass checked each layer's y */
    buf[0] = clql_malloc((size_t)(batch * widest) * sizeof(float));
    buf[1] = clql_malloc((size_t)(batch * widest) * sizeof(float));
    if (!buf[0] || !buf[1]) st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "activations");
  }
  const float *in = x;
  for (size_t i = 0; st == CLQL_SUCCESS && i < model->count; i++) {
    float *to = i + 1 == model->count ? y : buf[i % 2];
    st = model_layer_pass(model, i, in, batch, to);
    if (st != CLQL_SUCCESS) {
      char why[600];
      clql_strlcpy(why, clql_last_error_detail(), sizeof why);
      st = clql_fail(st, "layer %zu: %s", i, why);
    }
    in = to;
  }
  clql_free(buf[0]);
  clql_free(buf[1]);
  return st;
}

clql_status clql_split_model_layer_device(const clql_split_model *model, size_t index,
                                          size_t *device) {
  if (!model || !device) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model or device is NULL");
  if (model->mode != CLQL_SPLIT_LAYERS)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "in rows mode every device runs every layer");
  if (index >= model->count)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer %zu of %zu", index, model->count);
  *device = model->owner[index];
  return CLQL_SUCCESS;
}

clql_status clql_split_model_device_stats(const clql_split_model *model, size_t device,
                                          clql_split_device_stats *out) {
  if (!model) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model is NULL");
  return device_stats(model->dev, model->devices, device, out);
}
