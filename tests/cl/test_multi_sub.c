/* Real sub-devices: the default device partitioned with clCreateSubDevices
 * (equally and by counts), its parts given different budgets. The
 * acceptance: four 2B4T-shaped layers (q 2560x2560, gate 6912x2560, down
 * 2560x6912, k 640x2560) split over two sub-devices by rows and by layers;
 * each part stays within its own budget and every output equals the
 * reference bit for bit. Skipped (77) where the device cannot be split in
 * two. */
#include <stdlib.h>
#include "multi_fixture.h"

const int clql_test_needs_device = 1;

#define MiB (1ull << 20)

static unsigned compute_units;

static int need_two_parts(void) {
  clql_device_info d;
  unsigned counts[2] = {1, 1};
  clql_device_set *set = NULL;
  clql_status st = clql_device_select(NULL, &d);
  if (st == CLQL_SUCCESS)
    st = clql_device_set_partition(NULL, CLQL_PARTITION_BY_COUNTS, counts, 2, &set);
  size_t n = clql_device_set_count(set);
  clql_device_set_destroy(set);
  if (st == CLQL_SUCCESS && n == 2) {
    compute_units = d.compute_units;
    return 0;
  }
  printf("SKIP: the default device does not split into two sub-devices (%s: %s)\n",
         clql_status_name(st), clql_last_error_detail());
  exit(77);
}

static clql_device_set *two_parts(void) {
  unsigned counts[2] = {compute_units - compute_units / 2, compute_units / 2};
  clql_device_set *set = NULL;
  CLQL_REQUIRE(report(clql_device_set_partition(NULL, CLQL_PARTITION_BY_COUNTS, counts, 2, &set)));
  CLQL_REQUIRE(clql_device_set_count(set) == 2);
  return set;
}

static void test_partition_kinds(void) {
  unsigned half = compute_units / 2;
  clql_device_set *set = NULL;
  CLQL_REQUIRE(report(clql_device_set_partition(NULL, CLQL_PARTITION_EQUALLY, &half, 1, &set)));
  CU_ASSERT_EQUAL(clql_device_set_count(set), compute_units / half);
  clql_device_info parent;
  CLQL_REQUIRE(clql_device_select(NULL, &parent) == CLQL_SUCCESS);
  for (size_t i = 0; i < clql_device_set_count(set); i++) {
    char want[32];
    snprintf(want, sizeof want, "%u:%u.%zu", parent.platform_index, parent.device_index, i);
    CU_ASSERT_STRING_EQUAL(clql_device_set_label(set, i), want);
    const clql_device_info *info = clql_device_set_info(set, i);
    CU_ASSERT_STRING_EQUAL(info->name, parent.name);
    CU_ASSERT_EQUAL(info->compute_units, half);
    CU_ASSERT(info->device != parent.device);
    CU_ASSERT(info->memory.total > 0);
  }
  clql_device_set_destroy(set);
  unsigned one = 1;
  CLQL_REQUIRE(report(clql_device_set_partition(NULL, CLQL_PARTITION_BY_COUNTS, &one, 1, &set)));
  CU_ASSERT_EQUAL(clql_device_set_count(set), 1);
  CU_ASSERT_EQUAL(clql_device_set_info(set, 0)->compute_units, 1);
  clql_device_set_destroy(set);
  set = two_parts();
  clql_device_set_destroy(set);
}

/* ---- the acceptance ---- */

enum { Q, GATE, DOWN, K, LAYERS };
static host_layer layers[LAYERS];
static clql_ternary_weights weights[LAYERS];
static clql_model_layer model[LAYERS];

/* Made by the first test that needs them (CUnit asserts need a test). */
static void make_model(void) {
  if (layers[0].t) return;
  const uint64_t shapes[LAYERS][2] = {{2560, 2560}, {6912, 2560}, {2560, 6912}, {640, 2560}};
  const char *names[LAYERS] = {"q", "gate", "down", "k"};
  for (int i = 0; i < LAYERS; i++) {
    host_layer_make(&layers[i], shapes[i][0], shapes[i][1], CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
    weights[i] = layers[i].w;
    memset(&model[i], 0, sizeof model[i]);
    strcpy(model[i].name, names[i]);
    model[i].shape = layers[i].w.shape;
    model[i].count = 1;
  }
}

static int free_model(void) {
  for (int i = 0; i < LAYERS; i++) host_layer_free(&layers[i]);
  return 0;
}

/* Budgets 16 MiB and 8 MiB for about 10.4 MiB of weights; the second part
 * also runs at most 2 tokens at a time. */
static void give_budgets(clql_device_set *set) {
  clql_budget_options big = limit_of(16 * MiB), small = limit_of(8 * MiB);
  small.set |= CLQL_BUDGET_MAX_BATCH;
  small.max_batch = 2;
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 0, &big), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_device_set_budget(set, 1, &small), CLQL_SUCCESS);
}

static void check_plan(const clql_split_plan *plan, const clql_split_part *parts) {
  CU_ASSERT_TRUE(plan->fits);
  check_parts_fit(parts, 2);
  CU_ASSERT_EQUAL(parts[0].plan.budget.bytes, 16 * MiB);
  CU_ASSERT_EQUAL(parts[1].plan.budget.bytes, 8 * MiB);
  CU_ASSERT(parts[0].plan.weight_bytes > parts[1].plan.weight_bytes);
  CU_ASSERT(parts[1].plan.weight_bytes > 0);
  CU_ASSERT_EQUAL(plan->batch, 2); /* the second part's cap binds */
}

static void check_devices(const clql_split_model *m) {
  for (size_t d = 0; d < 2; d++) {
    clql_split_device_stats s;
    CU_ASSERT_EQUAL(clql_split_model_device_stats(m, d, &s), CLQL_SUCCESS);
    check_stats_fit(&s);
    CU_ASSERT(s.resident_bytes > 0 && s.workspace_peak_bytes > 0);
    if (d == 1) CU_ASSERT_EQUAL(s.batch, 2);
  }
}

/* Two sub-devices with their budgets, planned in `mode`; the plan is checked. */
static clql_split_model *acceptance_model(clql_split_mode mode, clql_device_set **set,
                                          clql_split_part *parts) {
  make_model();
  *set = two_parts();
  give_budgets(*set);
  clql_split_plan plan;
  CLQL_REQUIRE(report(clql_device_set_plan(*set, model, LAYERS, mode, 0, parts, 2, &plan)));
  check_plan(&plan, parts);
  clql_split_model *m = NULL;
  CLQL_REQUIRE(report(clql_split_model_create(*set, &plan, parts, weights, LAYERS, &m)));
  return m;
}

/* q -> gate -> down -> k through the model equals the reference chain;
 * what each device held fits its budget. */
static void expect_chain_exact(clql_split_model *m) {
  const uint64_t batch = 3;
  float *x = fixture_input(batch, 2560, X_FLOAT), *y = fixture_poisoned(batch * 640);
  CU_ASSERT(report(clql_split_model_forward(m, x, batch, y)));
  float *ref = reference_chain(layers, LAYERS, x, batch);
  CU_ASSERT_EQUAL(fixture_differ(y, ref, batch * 640), 0);
  check_devices(m);
  free(x), free(y), free(ref);
}

static void test_acceptance_rows(void) {
  clql_device_set *set;
  clql_split_part parts[2];
  clql_split_model *m = acceptance_model(CLQL_SPLIT_ROWS, &set, parts);
  /* Shares follow the budgets, 2:1. */
  uint64_t s0 = parts[0].share_end - parts[0].share_begin;
  CU_ASSERT(s0 > CLQL_SPLIT_UNITS * 2 / 3 - 64 && s0 < CLQL_SPLIT_UNITS * 2 / 3 + 64);
  for (int i = 0; i < LAYERS; i++) {
    const clql_layer_shape *s = &layers[i].w.shape;
    float *x = fixture_input(3, s->k, X_FLOAT), *y = fixture_poisoned(3 * s->n);
    CU_ASSERT(report(clql_split_model_forward_layer(m, (size_t)i, x, 3, y)));
    CU_ASSERT_EQUAL(reference_differs(&layers[i], x, 3, y), 0);
    if (i == GATE) { /* one token: the GEMV kernels */
      CU_ASSERT(report(clql_split_model_forward_layer(m, (size_t)i, x, 1, y)));
      CU_ASSERT_EQUAL(reference_differs(&layers[i], x, 1, y), 0);
    }
    free(x), free(y);
  }
  expect_chain_exact(m);
  clql_split_model_destroy(m);
  clql_device_set_destroy(set);
}

static void test_acceptance_layers(void) {
  clql_device_set *set;
  clql_split_part parts[2];
  clql_split_model *m = acceptance_model(CLQL_SPLIT_LAYERS, &set, parts);
  CU_ASSERT_EQUAL(parts[0].layer_begin, 0);
  CU_ASSERT_EQUAL(parts[0].layer_end, 2); /* q and gate: about two thirds of the weights */
  CU_ASSERT_EQUAL(parts[1].layer_end, LAYERS);
  size_t dev = 9;
  CU_ASSERT_EQUAL(clql_split_model_layer_device(m, DOWN, &dev), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(dev, 1);
  expect_chain_exact(m);
  clql_split_model_destroy(m);
  clql_device_set_destroy(set);
}

/* One layer split over equal sub-devices in every qtype. */
static void test_split_layer_equal_parts(void) {
  unsigned half = compute_units / 2;
  clql_device_set *set = NULL;
  CLQL_REQUIRE(report(clql_device_set_partition(NULL, CLQL_PARTITION_EQUALLY, &half, 1, &set)));
  const size_t n = clql_device_set_count(set);
  clql_split_part *parts = calloc(n, sizeof *parts);
  for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) {
    host_layer h;
    host_layer_make(&h, 1000, 2560, (clql_qtype)q, CLQL_GROUP_ROW);
    clql_model_layer ml = {.name = "gate", .shape = h.w.shape, .count = 1};
    clql_split_plan plan;
    CLQL_REQUIRE(report(clql_device_set_plan(set, &ml, 1, CLQL_SPLIT_ROWS, 0, parts, n, &plan)));
    clql_split_layer *layer = NULL;
    CLQL_REQUIRE(report(clql_split_layer_create(set, parts, n, &h.w, &layer)));
    expect_split_exact(layer, &h, 4, X_FLOAT);
    clql_split_layer_destroy(layer);
    host_layer_free(&h);
  }
  free(parts);
  clql_device_set_destroy(set);
}

static CU_TestInfo partition_tests[] = {{"kinds", test_partition_kinds},
                                        {"split_layer_equal_parts", test_split_layer_equal_parts},
                                        CU_TEST_INFO_NULL};
static CU_TestInfo acceptance_tests[] = {
    {"rows", test_acceptance_rows}, {"layers", test_acceptance_layers}, CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "partition", .pInitFunc = need_two_parts, .pTests = partition_tests},
    {.pName = "acceptance_2b4t",
     .pInitFunc = need_two_parts,
     .pCleanupFunc = free_model,
     .pTests = acceptance_tests},
    CU_SUITE_INFO_NULL};
