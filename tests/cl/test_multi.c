/* Device sets on one machine: selector lists, sets over several contexts of
 * the PoCL device with different budgets, split layers and models in both
 * modes against the reference bit for bit, bad input, and every allocation
 * and enqueue of a split layer failed in turn (leaks: asan preset). */
#include <stdlib.h>
#include "../../lib/internal.h"
#include "multi_fixture.h"

const int clql_test_needs_device = 1;

#define MiB (1ull << 20)
#define MAXDEV 3

/* A set over `count` fresh contexts of the default device; ctxs receives them. */
static clql_device_set *wrapped_set(size_t count, clql_context **ctxs) {
  for (size_t i = 0; i < count; i++) CLQL_REQUIRE(clql_context_create(NULL, NULL, &ctxs[i]) == 0);
  clql_device_set *set = NULL;
  CLQL_REQUIRE(report(clql_device_set_wrap(ctxs, count, &set)));
  return set;
}

/* Two contexts with budget limits a and b. */
static clql_device_set *limited_pair(clql_context **ctxs, uint64_t a, uint64_t b) {
  clql_device_set *set = wrapped_set(2, ctxs);
  clql_budget_options oa = limit_of(a), ob = limit_of(b);
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 0, &oa), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 1, &ob), CLQL_SUCCESS);
  return set;
}

static void close_set(clql_device_set *set, clql_context **ctxs, size_t count) {
  clql_device_set_destroy(set);
  for (size_t i = 0; i < count; i++) clql_context_destroy(ctxs[i]);
}

static clql_model_layer model_layer(const clql_layer_shape *shape) {
  clql_model_layer l;
  memset(&l, 0, sizeof l);
  strcpy(l.name, "layer");
  l.shape = *shape;
  l.count = 1;
  return l;
}

/* h alone, planned over the set in rows mode. */
static void plan_rows(clql_device_set *set, const host_layer *h, clql_split_part *parts,
                      clql_split_plan *plan) {
  clql_model_layer ml = model_layer(&h->w.shape);
  CLQL_REQUIRE(report(clql_device_set_plan(set, &ml, 1, CLQL_SPLIT_ROWS, 0, parts,
                                           clql_device_set_count(set), plan)));
}

/* ---- sets ---- */

static void test_create_from_selectors(void) {
  clql_device_set *set = NULL;
  CLQL_REQUIRE(report(clql_device_set_create("0", &set)));
  CU_ASSERT_EQUAL(clql_device_set_count(set), 1);
  CU_ASSERT_STRING_EQUAL(clql_device_set_label(set, 0), "0:0");
  CU_ASSERT_PTR_NOT_NULL(clql_device_set_context(set, 0));
  CU_ASSERT_PTR_NULL(clql_device_set_context(set, 1));
  CU_ASSERT_STRING_EQUAL(clql_device_set_label(set, 1), "");
  const clql_device_info *info = clql_device_set_info(set, 0);
  CLQL_REQUIRE(info != NULL);
  CU_ASSERT_STRING_EQUAL(info->name,
                         clql_context_device_info(clql_device_set_context(set, 0))->name);
  clql_device_set_destroy(set);

  /* The default: every GPU, else every device. */
  size_t all = 0;
  CLQL_REQUIRE(clql_devices_get(NULL, 0, &all) == CLQL_SUCCESS);
  CLQL_REQUIRE(report(clql_device_set_create(NULL, &set)));
  CU_ASSERT(clql_device_set_count(set) >= 1 && clql_device_set_count(set) <= all);
  clql_device_set_destroy(set);

  /* The same choice without contexts: ask the size, then pass the buffer. */
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_device_set_select("0:0", NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 1);
  clql_device_info chosen[2];
  CU_ASSERT_EQUAL(clql_device_set_select("0:0", chosen, 2, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(chosen[0].index, 0);
  CU_ASSERT_EQUAL(clql_device_set_select("0:0", chosen, 0, NULL), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_select("0:0", NULL, 1, &n), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_select("0,0:0", chosen, 2, &n), CLQL_ERR_BAD_SELECTOR);

  /* The same device twice, by text or by two selectors; empty items; no match. */
  const char *dup[] = {"0,0:0", "0:0, 0:0", "0,,0", ",0", "0,"};
  for (size_t i = 0; i < sizeof dup / sizeof dup[0]; i++) {
    set = (clql_device_set *)1;
    CU_ASSERT_EQUAL(clql_device_set_create(dup[i], &set), CLQL_ERR_BAD_SELECTOR);
    CU_ASSERT_PTR_NULL(set);
  }
  CU_ASSERT(strstr(clql_last_error_detail(), "argument") != NULL);
  CU_ASSERT_EQUAL(clql_device_set_create("0,99", &set), CLQL_ERR_NO_DEVICE);
  CU_ASSERT(strstr(clql_last_error_detail(), "item 2") != NULL);
  CU_ASSERT_EQUAL(clql_device_set_create("0", NULL), CLQL_ERR_INVALID_ARGUMENT);

  /* CLQL_DEVICE holds a list; it is checked like the argument. */
  setenv("CLQL_DEVICE", "0:0,0", 1);
  CU_ASSERT_EQUAL(clql_device_set_create(NULL, &set), CLQL_ERR_BAD_SELECTOR);
  CU_ASSERT(strstr(clql_last_error_detail(), "CLQL_DEVICE") != NULL);
  setenv("CLQL_DEVICE", " 0:0 ", 1);
  CU_ASSERT(report(clql_device_set_create(NULL, &set)));
  CU_ASSERT_EQUAL(clql_device_set_count(set), 1);
  clql_device_set_destroy(set);
  unsetenv("CLQL_DEVICE");
}

static void test_single_select_takes_first(void) {
  clql_device_info d;
  /* Only the first item is resolved; the others are parsed. */
  CU_ASSERT(report(clql_device_select("0:0,7:7", &d)));
  CU_ASSERT_EQUAL(d.index, 0);
  CU_ASSERT_EQUAL(clql_device_select("0:0,,1", &d), CLQL_ERR_BAD_SELECTOR);
  CU_ASSERT_EQUAL(clql_device_select("7:7,0:0", &d), CLQL_ERR_NO_DEVICE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "no device matches '7:7'"));
  CU_ASSERT_EQUAL(clql_device_set_select("0:0,7", &d, 1, &(size_t){0}), CLQL_ERR_NO_DEVICE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "item 2 ('7') matches no device"));
  setenv("CLQL_DEVICE", "0,1:0", 1);
  clql_context *ctx = NULL;
  CU_ASSERT(report(clql_context_create(NULL, NULL, &ctx)));
  clql_context_destroy(ctx);
  unsetenv("CLQL_DEVICE");
}

static void test_wrap_and_knobs(void) {
  clql_context *ctxs[2];
  clql_device_set *set = wrapped_set(2, ctxs);
  CU_ASSERT_EQUAL(clql_device_set_count(set), 2);
  CU_ASSERT_PTR_EQUAL(clql_device_set_context(set, 1), ctxs[1]);
  CU_ASSERT_STRING_EQUAL(clql_device_set_label(set, 1), "0:0");

  clql_budget_options bad = {.set = CLQL_BUDGET_FRACTION, .fraction = 1.5};
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 0, &bad), CLQL_ERR_INVALID_CONFIG);
  clql_budget_options ok = limit_of(8 * MiB);
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 2, &ok), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_budget(NULL, 0, &ok), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 0, &ok), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 0, NULL), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_device_set_throughput(set, 0, -1), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_throughput(set, 0, NAN), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_throughput(set, 0, 2.5), CLQL_SUCCESS);

  clql_device_set *other = (clql_device_set *)1;
  clql_context *twice[2] = {ctxs[0], ctxs[0]};
  CU_ASSERT_EQUAL(clql_device_set_wrap(twice, 2, &other), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(other);
  clql_context *with_null[2] = {ctxs[0], NULL};
  CU_ASSERT_EQUAL(clql_device_set_wrap(with_null, 2, &other), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_wrap(ctxs, 0, &other), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_count(NULL), 0);
  clql_device_set_destroy(NULL);
  close_set(set, ctxs, 2);
}

static void test_partition_arguments(void) {
  clql_device_set *set = (clql_device_set *)1;
  unsigned one = 1, zero = 0, two[2] = {1, 1};
  CU_ASSERT_EQUAL(clql_device_set_partition(NULL, CLQL_PARTITION_EQUALLY, NULL, 1, &set),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(set);
  CU_ASSERT_EQUAL(clql_device_set_partition(NULL, CLQL_PARTITION_EQUALLY, two, 2, &set),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_partition(NULL, CLQL_PARTITION_BY_COUNTS, &zero, 1, &set),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_partition(NULL, (clql_partition)7, &one, 1, &set),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_set_partition("0,,1", CLQL_PARTITION_EQUALLY, &one, 1, &set),
                  CLQL_ERR_BAD_SELECTOR);
  /* More compute units than the device has: OpenCL's own error. */
  unsigned many = 1u << 20;
  clql_status st = clql_device_set_partition(NULL, CLQL_PARTITION_EQUALLY, &many, 1, &set);
  CU_ASSERT(st != CLQL_SUCCESS);
  CU_ASSERT_PTR_NULL(set);
}

static void test_split_mode_env(void) {
  clql_split_mode m = CLQL_SPLIT_ROWS;
  unsetenv("CLQL_SPLIT");
  CU_ASSERT_EQUAL(clql_split_mode_env(&m), CLQL_ERR_NOT_FOUND);
  setenv("CLQL_SPLIT", "", 1);
  CU_ASSERT_EQUAL(clql_split_mode_env(&m), CLQL_ERR_NOT_FOUND);
  setenv("CLQL_SPLIT", " Layers\t", 1);
  CU_ASSERT_EQUAL(clql_split_mode_env(&m), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(m, CLQL_SPLIT_LAYERS);
  setenv("CLQL_SPLIT", "ROWS", 1);
  CU_ASSERT_EQUAL(clql_split_mode_env(&m), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(m, CLQL_SPLIT_ROWS);
  setenv("CLQL_SPLIT", "   ", 1); /* blank: unset */
  CU_ASSERT_EQUAL(clql_split_mode_env(&m), CLQL_ERR_NOT_FOUND);
  const char *bad[] = {"cols", "rows,layers", "row", "rowsx", "layers layers"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    m = CLQL_SPLIT_LAYERS;
    setenv("CLQL_SPLIT", bad[i], 1);
    CU_ASSERT_EQUAL(clql_split_mode_env(&m), CLQL_ERR_INVALID_CONFIG);
    CU_ASSERT_EQUAL(m, CLQL_SPLIT_LAYERS); /* untouched */
    CU_ASSERT(strstr(clql_last_error_detail(), "CLQL_SPLIT") != NULL);
  }
  unsetenv("CLQL_SPLIT");
  CU_ASSERT_EQUAL(clql_split_mode_env(NULL), CLQL_ERR_INVALID_ARGUMENT);
}

/* ---- row-split layers ---- */

typedef struct {
  clql_qtype q;
  uint32_t group;
  uint64_t n, k;
} layer_case;

/* One layer over `count` contexts with the given limits (0: none) and
 * throughputs; forward of batch tokens equals the reference. */
static void split_layer_case(const layer_case *c, size_t count, const uint64_t *limits,
                             const double *throughput, const clql_budget_options *extra,
                             uint64_t batch) {
  clql_context *ctxs[MAXDEV];
  clql_device_set *set = wrapped_set(count, ctxs);
  clql_budget_options opts[MAXDEV];
  for (size_t d = 0; d < count; d++) {
    opts[d] = d == 1 && extra ? *extra : limit_of(limits[d]);
    if (!limits[d]) opts[d].set &= ~CLQL_BUDGET_LIMIT;
    CU_ASSERT_EQUAL(clql_device_set_budget(set, d, &opts[d]), CLQL_SUCCESS);
    if (throughput) CU_ASSERT_EQUAL(clql_device_set_throughput(set, d, throughput[d]), 0);
  }
  host_layer h;
  host_layer_make(&h, c->n, c->k, c->q, c->group);
  clql_split_part parts[MAXDEV];
  clql_split_plan plan;
  plan_rows(set, &h, parts, &plan);
  CU_ASSERT_TRUE(plan.fits);
  check_parts_fit(parts, count);
  clql_split_layer *layer = NULL;
  CLQL_REQUIRE(report(clql_split_layer_create(set, parts, count, &h.w, &layer)));
  float *x = fixture_input(batch, c->k, X_FLOAT), *y = fixture_poisoned(batch * c->n);
  CU_ASSERT(report(clql_split_layer_forward(layer, x, batch, y)));
  CU_ASSERT_EQUAL(reference_differs(&h, x, batch, y), 0);
  /* One token (the GEMV kernels) too. */
  float *y1 = fixture_poisoned(c->n);
  CU_ASSERT(report(clql_split_layer_forward(layer, x, 1, y1)));
  CU_ASSERT_EQUAL(reference_differs(&h, x, 1, y1), 0);
  uint64_t next = 0;
  for (size_t d = 0; d < count; d++) {
    clql_split_device_stats s;
    CU_ASSERT_EQUAL(clql_split_layer_device_stats(layer, d, &s), CLQL_SUCCESS);
    uint64_t b, e;
    CU_ASSERT_EQUAL(clql_split_rows(c->n, &parts[d], &b, &e), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(s.row_begin, b);
    CU_ASSERT_EQUAL(s.row_end, e);
    CU_ASSERT_EQUAL(s.row_begin, next);
    next = s.row_end;
    CU_ASSERT_EQUAL(s.layers, e > b);
    check_stats_fit(&s);
  }
  CU_ASSERT_EQUAL(next, c->n);
  clql_split_device_stats s;
  CU_ASSERT_EQUAL(clql_split_layer_device_stats(layer, count, &s), CLQL_ERR_INVALID_ARGUMENT);
  free(x), free(y), free(y1);
  clql_split_layer_destroy(layer);
  host_layer_free(&h);
  close_set(set, ctxs, count);
}

static void test_rows_every_qtype(void) {
  const layer_case cases[] = {
      {CLQL_QTYPE_I2S, CLQL_GROUP_ROW, 300, 520},
      {CLQL_QTYPE_TL1, CLQL_GROUP_TENSOR, 257, 256},
      {CLQL_QTYPE_TL2, CLQL_GROUP_ROW, 200, 300},
      {CLQL_QTYPE_I2S, 128, 130, 700},
      {CLQL_QTYPE_TL2, 192, 97, 400},
      {CLQL_QTYPE_TL1, 64, 64, 200},
  };
  const uint64_t limits[2] = {8 * MiB, 4 * MiB}; /* shares 2:1 */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    split_layer_case(&cases[i], 2, limits, NULL, NULL, 5);
}

static void test_rows_follow_budgets(void) {
  clql_context *ctxs[2];
  clql_device_set *set = limited_pair(ctxs, 4 * MiB, 12 * MiB);
  host_layer h;
  host_layer_make(&h, 4096, 256, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  clql_split_part parts[2];
  clql_split_plan plan;
  plan_rows(set, &h, parts, &plan);
  clql_split_layer *layer = NULL;
  CLQL_REQUIRE(report(clql_split_layer_create(set, parts, 2, &h.w, &layer)));
  clql_split_device_stats s0, s1;
  CU_ASSERT_EQUAL(clql_split_layer_device_stats(layer, 0, &s0), 0);
  CU_ASSERT_EQUAL(clql_split_layer_device_stats(layer, 1, &s1), 0);
  /* A quarter and three quarters of the rows, to the row alignment. */
  CU_ASSERT(s0.row_end > 1024 - 32 && s0.row_end < 1024 + 32);
  CU_ASSERT_EQUAL(s0.budget.bytes, 4 * MiB);
  CU_ASSERT_EQUAL(s1.budget.bytes, 12 * MiB);
  CU_ASSERT(s1.resident_bytes > 2 * s0.resident_bytes);
  expect_split_exact(layer, &h, 3, X_INT127);
  clql_split_layer_destroy(layer);
  host_layer_free(&h);
  close_set(set, ctxs, 2);
}

static void test_rows_throughput_and_chunks(void) {
  /* Three contexts, throughput 1:2:1; the middle one runs 2 tokens at a time. */
  const layer_case c = {CLQL_QTYPE_I2S, CLQL_GROUP_ROW, 333, 384};
  const uint64_t limits[3] = {0, 0, 0};
  const double tp[3] = {1, 2, 1};
  clql_budget_options cap = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 2};
  split_layer_case(&c, 3, limits, tp, &cap, 7);
}

/* ---- models ---- */

typedef struct {
  host_layer h[4];
  clql_ternary_weights w[4];
  size_t count;
} host_model;

/* A chain 256 -> 384 -> 200 -> 256 -> 96 in different qtypes. */
static void chain_make(host_model *m) {
  const uint64_t dims[5] = {256, 384, 200, 256, 96};
  const clql_qtype q[4] = {CLQL_QTYPE_I2S, CLQL_QTYPE_TL1, CLQL_QTYPE_TL2, CLQL_QTYPE_I2S};
  m->count = 4;
  for (size_t i = 0; i < 4; i++) {
    host_layer_make(&m->h[i], dims[i + 1], dims[i], q[i],
                    q[i] == CLQL_QTYPE_TL2 ? CLQL_GROUP_ROW : CLQL_GROUP_TENSOR);
    m->w[i] = m->h[i].w;
  }
}

static void chain_free(host_model *m) {
  for (size_t i = 0; i < m->count; i++) host_layer_free(&m->h[i]);
}

static void model_case(clql_split_mode mode) {
  clql_context *ctxs[2];
  clql_device_set *set = limited_pair(ctxs, 6 * MiB, 3 * MiB);
  host_model hm;
  chain_make(&hm);
  clql_model_layer ml[4];
  for (size_t i = 0; i < 4; i++) ml[i] = model_layer(&hm.w[i].shape);
  clql_split_part parts[2];
  clql_split_plan plan;
  CLQL_REQUIRE(report(clql_device_set_plan(set, ml, 4, mode, 0, parts, 2, &plan)));
  CU_ASSERT_TRUE(plan.fits);
  check_parts_fit(parts, 2);
  clql_split_model *model = NULL;
  CLQL_REQUIRE(report(clql_split_model_create(set, &plan, parts, hm.w, 4, &model)));
  const uint64_t batch = 6;
  float *x = fixture_input(batch, 256, X_FLOAT), *y = fixture_poisoned(batch * 96);
  CU_ASSERT(report(clql_split_model_forward(model, x, batch, y)));
  float *ref = reference_chain(hm.h, hm.count, x, batch);
  CU_ASSERT_EQUAL(fixture_differ(y, ref, batch * 96), 0);
  free(ref);
  /* Each layer alone. */
  for (size_t i = 0; i < 4; i++) {
    float *xi = fixture_input(batch, hm.w[i].shape.k, X_FLOAT);
    float *yi = fixture_poisoned(batch * hm.w[i].shape.n);
    CU_ASSERT(report(clql_split_model_forward_layer(model, i, xi, batch, yi)));
    CU_ASSERT_EQUAL(reference_differs(&hm.h[i], xi, batch, yi), 0);
    free(xi), free(yi);
  }
  uint64_t layers = 0;
  for (size_t d = 0; d < 2; d++) {
    clql_split_device_stats s;
    CU_ASSERT_EQUAL(clql_split_model_device_stats(model, d, &s), CLQL_SUCCESS);
    check_stats_fit(&s);
    layers += s.layers;
    if (mode == CLQL_SPLIT_LAYERS) {
      CU_ASSERT_EQUAL(s.layer_begin, parts[d].layer_begin);
      CU_ASSERT_EQUAL(s.layer_end, parts[d].layer_end);
      for (uint64_t i = s.layer_begin; i < s.layer_end; i++) {
        size_t dev = 99;
        CU_ASSERT_EQUAL(clql_split_model_layer_device(model, (size_t)i, &dev), CLQL_SUCCESS);
        CU_ASSERT_EQUAL(dev, d);
      }
    }
  }
  size_t dev;
  if (mode == CLQL_SPLIT_LAYERS) {
    CU_ASSERT_EQUAL(layers, 4);
    CU_ASSERT(parts[0].layer_end > 0 && parts[0].layer_end < 4); /* both devices hold layers */
    CU_ASSERT_EQUAL(clql_split_model_layer_device(model, 4, &dev), CLQL_ERR_INVALID_ARGUMENT);
  } else {
    CU_ASSERT_EQUAL(layers, 8); /* a slice of every layer on each device */
    CU_ASSERT_EQUAL(clql_split_model_layer_device(model, 0, &dev), CLQL_ERR_INVALID_ARGUMENT);
  }
  CU_ASSERT_EQUAL(clql_split_model_forward_layer(model, 4, x, 1, y), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_model_forward(model, x, 0, y), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_split_model_forward(model, NULL, 1, y), CLQL_ERR_INVALID_ARGUMENT);
  free(x), free(y);
  clql_split_model_destroy(model);
  chain_free(&hm);
  close_set(set, ctxs, 2);
}

static void test_model_layers(void) { model_case(CLQL_SPLIT_LAYERS); }
static void test_model_rows(void) { model_case(CLQL_SPLIT_ROWS); }

static void test_model_not_a_chain(void) {
  clql_context *ctxs[2];
  clql_device_set *set = wrapped_set(2, ctxs);
  host_layer h[2];
  host_layer_make(&h[0], 64, 128, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  host_layer_make(&h[1], 64, 128, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  clql_ternary_weights w[2] = {h[0].w, h[1].w};
  clql_model_layer ml[2] = {model_layer(&w[0].shape), model_layer(&w[1].shape)};
  clql_split_part parts[2];
  clql_split_plan plan;
  CLQL_REQUIRE(report(clql_device_set_plan(set, ml, 2, CLQL_SPLIT_LAYERS, 0, parts, 2, &plan)));
  clql_split_model *model = NULL;
  CLQL_REQUIRE(report(clql_split_model_create(set, &plan, parts, w, 2, &model)));
  float *x = fixture_input(2, 128, X_FLOAT), *y = fixture_poisoned(2 * 64);
  CU_ASSERT_EQUAL(clql_split_model_forward(model, x, 2, y), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT(report(clql_split_model_forward_layer(model, 1, x, 2, y)));
  CU_ASSERT_EQUAL(reference_differs(&h[1], x, 2, y), 0);
  free(x), free(y);
  clql_split_model_destroy(model);
  host_layer_free(&h[0]);
  host_layer_free(&h[1]);
  close_set(set, ctxs, 2);
}

/* ---- bad input ---- */

static void test_bad_input(void) {
  clql_context *ctxs[2];
  clql_device_set *set = wrapped_set(2, ctxs);
  host_layer h;
  host_layer_make(&h, 100, 256, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  clql_model_layer ml = model_layer(&h.w.shape);
  clql_split_part parts[2], lparts[2];
  clql_split_plan plan, lplan;
  CU_ASSERT_EQUAL(clql_device_set_plan(set, &ml, 1, CLQL_SPLIT_ROWS, 0, parts, 1, &plan),
                  CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_device_set_plan(NULL, &ml, 1, CLQL_SPLIT_ROWS, 0, parts, 2, &plan),
                  CLQL_ERR_INVALID_ARGUMENT);
  CLQL_REQUIRE(report(clql_device_set_plan(set, &ml, 1, CLQL_SPLIT_ROWS, 0, parts, 2, &plan)));
  CLQL_REQUIRE(report(clql_device_set_plan(set, &ml, 1, CLQL_SPLIT_LAYERS, 0, lparts, 2, &lplan)));
  clql_split_layer *layer = (clql_split_layer *)1;
  CU_ASSERT_EQUAL(clql_split_layer_create(NULL, parts, 2, &h.w, &layer), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(layer);
  CU_ASSERT_EQUAL(clql_split_layer_create(set, NULL, 2, &h.w, &layer), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_layer_create(set, parts, 1, &h.w, &layer), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_layer_create(set, parts, 2, NULL, &layer), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_layer_create(set, lparts, 2, &h.w, &layer), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT(strstr(clql_last_error_detail(), "rows split") != NULL);
  clql_split_part gap[2] = {parts[0], parts[1]};
  gap[1].share_begin += 1;
  CU_ASSERT_EQUAL(clql_split_layer_create(set, gap, 2, &h.w, &layer), CLQL_ERR_INVALID_ARGUMENT);
  /* Shapes, counts and values. */
  clql_ternary_weights w = h.w;
  w.t_count--;
  CU_ASSERT_EQUAL(clql_split_layer_create(set, parts, 2, &w, &layer), CLQL_ERR_INVALID_ARGUMENT);
  w = h.w;
  w.scale_count = 1;
  CU_ASSERT_EQUAL(clql_split_layer_create(set, parts, 2, &w, &layer), CLQL_ERR_INVALID_ARGUMENT);
  w = h.w;
  w.shape.qtype = (clql_qtype)9;
  CU_ASSERT(clql_split_layer_create(set, parts, 2, &w, &layer) != CLQL_SUCCESS);
  w = h.w;
  w.scales = NULL;
  CU_ASSERT_EQUAL(clql_split_layer_create(set, parts, 2, &w, &layer), CLQL_ERR_INVALID_ARGUMENT);
  h.t[h.w.t_count - 1] = 2; /* in the last device's rows: the first slice is made, then freed */
  CU_ASSERT_EQUAL(clql_split_layer_create(set, parts, 2, &h.w, &layer), CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT(strstr(clql_last_error_detail(), "device 1") != NULL);
  CU_ASSERT_PTR_NULL(layer);
  h.t[h.w.t_count - 1] = 1;
  /* A part that no longer fits its device: the budget shrank after planning. */
  clql_budget_options tiny = limit_of(4096);
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 1, &tiny), 0);
  CU_ASSERT_EQUAL(clql_split_layer_create(set, parts, 2, &h.w, &layer), CLQL_ERR_DOES_NOT_FIT);
  CU_ASSERT(strstr(clql_last_error_detail(), "device 1 (0:0)") != NULL);
  clql_split_model *model = (clql_split_model *)1;
  CU_ASSERT_EQUAL(clql_split_model_create(set, &plan, parts, &h.w, 1, &model),
                  CLQL_ERR_DOES_NOT_FIT);
  CU_ASSERT_PTR_NULL(model);
  /* A new plan leaves that device out. */
  CU_ASSERT_EQUAL(clql_device_set_plan(set, &ml, 1, CLQL_SPLIT_ROWS, 0, parts, 2, &plan), 0);
  CU_ASSERT_TRUE(plan.fits);
  CU_ASSERT_EQUAL(parts[1].share_begin, parts[1].share_end);
  CLQL_REQUIRE(report(clql_split_layer_create(set, parts, 2, &h.w, &layer)));
  float x1[256] = {0}, y1[100];
  CU_ASSERT(report(clql_split_layer_forward(layer, x1, 1, y1)));
  clql_split_layer_destroy(layer);
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 1, NULL), 0);
  CLQL_REQUIRE(report(clql_device_set_plan(set, &ml, 1, CLQL_SPLIT_ROWS, 0, parts, 2, &plan)));
  /* Models: the plan and parts must match the set and the layers. */
  clql_split_plan wrong = plan;
  wrong.devices = 3;
  CU_ASSERT_EQUAL(clql_split_model_create(set, &wrong, parts, &h.w, 1, &model),
                  CLQL_ERR_INVALID_ARGUMENT);
  wrong = lplan;
  wrong.layers = 2;
  CU_ASSERT_EQUAL(clql_split_model_create(set, &wrong, lparts, &h.w, 1, &model),
                  CLQL_ERR_INVALID_ARGUMENT);
  wrong = plan;
  wrong.mode = (clql_split_mode)5;
  CU_ASSERT_EQUAL(clql_split_model_create(set, &wrong, parts, &h.w, 1, &model),
                  CLQL_ERR_INVALID_ARGUMENT);
  clql_split_part lgap[2] = {lparts[0], lparts[1]};
  lgap[1].layer_end = 0;
  lgap[1].layer_begin = 0;
  CU_ASSERT_EQUAL(clql_split_model_create(set, &lplan, lgap, &h.w, 1, &model),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_model_create(set, &plan, parts, &h.w, 0, &model),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_model_create(set, &plan, parts, &h.w, 1, NULL),
                  CLQL_ERR_INVALID_ARGUMENT);
  /* Passes. */
  CLQL_REQUIRE(report(clql_split_layer_create(set, parts, 2, &h.w, &layer)));
  float x[256] = {0}, y[100];
  CU_ASSERT_EQUAL(clql_split_layer_forward(layer, NULL, 1, y), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_layer_forward(layer, x, 1, NULL), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_layer_forward(layer, x, 0, y), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_split_layer_forward(layer, x, UINT64_MAX / 8, y), CLQL_ERR_SIZE_OVERFLOW);
  CU_ASSERT_EQUAL(clql_split_layer_forward(NULL, x, 1, y), CLQL_ERR_INVALID_ARGUMENT);
  clql_split_device_stats s;
  CU_ASSERT_EQUAL(clql_split_layer_device_stats(layer, 0, NULL), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_split_layer_device_stats(NULL, 0, &s), CLQL_ERR_INVALID_ARGUMENT);
  clql_split_layer_destroy(layer);
  clql_split_layer_destroy(NULL);
  clql_split_model_destroy(NULL);
  host_layer_free(&h);
  close_set(set, ctxs, 2);
}

/* ---- every allocation and enqueue failed in turn ---- */

/* Both devices' threads count into one sequence: which call fails first
 * varies from run to run, the number of calls does not. */
static struct { int calls, fail_at; } faults;

static cl_int count_fault(void *user, clql_fault_site site, size_t bytes) {
  (void)user, (void)site, (void)bytes;
  return __atomic_add_fetch(&faults.calls, 1, __ATOMIC_SEQ_CST) == faults.fail_at
             ? CL_OUT_OF_HOST_MEMORY
             : CL_SUCCESS;
}

static void test_fault_sweep(void) {
  clql_context *ctxs[2];
  clql_device_set *set = wrapped_set(2, ctxs);
  for (size_t d = 0; d < 2; d++) {
    ctxs[d]->fault_hook = count_fault;
    clql_budget_options cap = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 2};
    CU_ASSERT_EQUAL(clql_device_set_budget(set, d, &cap), 0);
  }
  host_layer h;
  host_layer_make(&h, 96, 256, CLQL_QTYPE_TL1, CLQL_GROUP_ROW);
  clql_split_part parts[2];
  clql_split_plan plan;
  plan_rows(set, &h, parts, &plan);
  float *x = fixture_input(3, 256, X_FLOAT), *y = fixture_poisoned(3 * 96);
  int failures = 0, total = 0;
  for (int at = 1;; at++) {
    faults.calls = 0;
    faults.fail_at = at;
    clql_split_layer *layer = NULL;
    clql_status st = clql_split_layer_create(set, parts, 2, &h.w, &layer);
    if (st == CLQL_SUCCESS) st = clql_split_layer_forward(layer, x, 3, y);
    clql_split_layer_destroy(layer);
    if (faults.calls < at) { /* nothing failed: every call has had its turn */
      CU_ASSERT(report(st));
      total = at - 1;
      break;
    }
    CU_ASSERT_EQUAL(st, CL_OUT_OF_HOST_MEMORY);
    failures += st != CLQL_SUCCESS;
  }
  CU_ASSERT(total >= 8); /* weights, scales and workspace parts of both devices, kernels */
  CU_ASSERT_EQUAL(failures, total);
  /* A clean pass afterwards is still exact. */
  ctxs[0]->fault_hook = ctxs[1]->fault_hook = NULL;
  clql_split_layer *layer = NULL;
  CLQL_REQUIRE(report(clql_split_layer_create(set, parts, 2, &h.w, &layer)));
  expect_split_exact(layer, &h, 3, X_FLOAT);
  clql_split_layer_destroy(layer);
  free(x), free(y);
  host_layer_free(&h);
  close_set(set, ctxs, 2);
}

static CU_TestInfo set_tests[] = {{"create_from_selectors", test_create_from_selectors},
                                  {"single_select_takes_first", test_single_select_takes_first},
                                  {"wrap_and_knobs", test_wrap_and_knobs},
                                  {"partition_arguments", test_partition_arguments},
                                  {"split_mode_env", test_split_mode_env},
                                  CU_TEST_INFO_NULL};
static CU_TestInfo rows_tests[] = {{"every_qtype", test_rows_every_qtype},
                                   {"follow_budgets", test_rows_follow_budgets},
                                   {"throughput_and_chunks", test_rows_throughput_and_chunks},
                                   CU_TEST_INFO_NULL};
static CU_TestInfo model_tests[] = {{"layers", test_model_layers},
                                    {"rows", test_model_rows},
                                    {"not_a_chain", test_model_not_a_chain},
                                    CU_TEST_INFO_NULL};
static CU_TestInfo bad_tests[] = {
    {"bad_input", test_bad_input}, {"fault_sweep", test_fault_sweep}, CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "set", .pTests = set_tests},
                                   {.pName = "rows", .pTests = rows_tests},
                                   {.pName = "model", .pTests = model_tests},
                                   {.pName = "bad", .pTests = bad_tests},
                                   CU_SUITE_INFO_NULL};
