/* The split planner: shares of one model over devices with their own budgets. */
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static clql_split_device device(uint64_t total, uint64_t max_alloc, uint64_t free) {
  clql_split_device d;
  memset(&d, 0, sizeof d);
  d.memory.total = total;
  d.memory.max_alloc = max_alloc;
  d.memory.free = free;
  d.memory.free_known = 1;
  d.memory.free_measured = 1;
  d.memory.free_source = CLQL_MEM_SOURCE_HOST_MEMINFO;
  return d;
}

static size_t preset(clql_model_layer *layers, size_t cap) {
  size_t n = 0;
  CLQL_REQUIRE(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, layers, cap, &n) ==
               CLQL_SUCCESS);
  return n;
}

/* Every layer's rows are covered exactly once, in aligned slices. */
static void check_rows_cover(const clql_model_layer *layers, size_t n, const clql_split_part *parts,
                             size_t ndev) {
  for (size_t l = 0; l < n; l++) {
    uint64_t next = 0;
    for (size_t d = 0; d < ndev; d++) {
      uint64_t b, e;
      CU_ASSERT_EQUAL(clql_split_rows(layers[l].shape.n, &parts[d], &b, &e), CLQL_SUCCESS);
      CU_ASSERT_EQUAL(b, next);
      CU_ASSERT(e >= b);
      CU_ASSERT(b % CLQL_SPLIT_ROW_ALIGN == 0);
      next = e;
    }
    CU_ASSERT_EQUAL(next, layers[l].shape.n);
  }
}

/* What a part holds, recomputed independently: its plan must fit. */
static void check_parts_fit(const clql_split_part *parts, size_t ndev) {
  for (size_t d = 0; d < ndev; d++) {
    const clql_model_plan *p = &parts[d].plan;
    CU_ASSERT_TRUE(p->fits);
    CU_ASSERT(p->weight_bytes + p->workspace.total <= p->budget.bytes);
    CU_ASSERT(p->largest.bytes <= p->budget.max_alloc);
  }
}

static void test_rows_follow_budgets(void) {
  clql_model_layer layers[16];
  size_t n = preset(layers, 16);
  /* Two devices, one with twice the budget of the other (the limit knob). */
  clql_budget_options big = {.set = CLQL_BUDGET_LIMIT, .limit = 2 * GiB};
  clql_budget_options small = {.set = CLQL_BUDGET_LIMIT, .limit = 1 * GiB};
  clql_split_device devs[2] = {device(8 * GiB, 2 * GiB, 7 * GiB), device(8 * GiB, 2 * GiB, 7 * GiB)};
  devs[0].options = &big;
  devs[1].options = &small;
  clql_split_part parts[2];
  clql_split_plan plan;
  CLQL_REQUIRE(clql_plan_split(devs, 2, layers, n, CLQL_SPLIT_ROWS, 0,
                               CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT, parts, &plan) ==
               CLQL_SUCCESS);
  CU_ASSERT_TRUE(plan.fits);
  CU_ASSERT_EQUAL(plan.layers, 210);
  check_rows_cover(layers, n, parts, 2);
  check_parts_fit(parts, 2);
  /* Shares follow the budgets, 2:1, to within a rounding unit. */
  uint64_t s0 = parts[0].share_end - parts[0].share_begin, s1 = parts[1].share_end - parts[1].share_begin;
  CU_ASSERT(s0 + s1 == CLQL_SPLIT_UNITS);
  CU_ASSERT(s0 > 2 * s1 - 4 && s0 < 2 * s1 + 4);
  uint64_t model = 0;
  CU_ASSERT_EQUAL(clql_model_weight_bytes(layers, n, &model), CLQL_SUCCESS);
  /* Row slices pad nothing: the parts hold the model's weights plus at most
   * one slice's rounding of scales per layer. */
  CU_ASSERT(plan.weight_bytes >= model && plan.weight_bytes <= model + 210 * 64);
  CU_ASSERT(plan.batch >= 1);
  CU_ASSERT(plan.batch <= parts[0].plan.batch && plan.batch <= parts[1].plan.batch);
}

static void test_throughput_and_caps(void) {
  clql_model_layer layers[16];
  size_t n = preset(layers, 16);
  /* Throughput 3:1, but the fast device can hold only about 300 MB. */
  clql_budget_options tight = {.set = CLQL_BUDGET_LIMIT, .limit = 300 * MiB};
  clql_split_device devs[2] = {device(16 * GiB, 4 * GiB, 15 * GiB), device(16 * GiB, 4 * GiB, 15 * GiB)};
  devs[0].throughput = 3.0;
  devs[1].throughput = 1.0;
  clql_split_part parts[2];
  clql_split_plan plan;
  CLQL_REQUIRE(clql_plan_split(devs, 2, layers, n, CLQL_SPLIT_ROWS, 4, 0, parts, &plan) ==
               CLQL_SUCCESS);
  uint64_t s0 = parts[0].share_end - parts[0].share_begin;
  CU_ASSERT(s0 > CLQL_SPLIT_UNITS * 3 / 4 - 8 && s0 < CLQL_SPLIT_UNITS * 3 / 4 + 8);
  CU_ASSERT_EQUAL(plan.batch, 4); /* the request */
  devs[0].options = &tight;
  CLQL_REQUIRE(clql_plan_split(devs, 2, layers, n, CLQL_SPLIT_ROWS, 4, 0, parts, &plan) ==
               CLQL_SUCCESS);
  CU_ASSERT_TRUE(plan.fits);
  check_rows_cover(layers, n, parts, 2);
  check_parts_fit(parts, 2);
  CU_ASSERT(parts[0].plan.weight_bytes < 300 * MiB);
  CU_ASSERT(parts[1].plan.weight_bytes > parts[0].plan.weight_bytes / 2);
}

static void test_does_not_fit(void) {
  clql_model_layer layers[16];
  size_t n = preset(layers, 16);
  clql_budget_options tiny = {.set = CLQL_BUDGET_LIMIT, .limit = 200 * MiB};
  clql_split_device devs[2] = {device(8 * GiB, 2 * GiB, 7 * GiB), device(8 * GiB, 2 * GiB, 7 * GiB)};
  devs[0].options = devs[1].options = &tiny; /* 400 MB in all for 500 MB of weights */
  clql_split_part parts[2];
  clql_split_plan plan;
  CLQL_REQUIRE(clql_plan_split(devs, 2, layers, n, CLQL_SPLIT_ROWS, 0, 0, parts, &plan) ==
               CLQL_SUCCESS);
  CU_ASSERT_FALSE(plan.fits);
  CU_ASSERT_EQUAL(plan.batch, 0);
  CU_ASSERT_TRUE(parts[0].plan.fits);
  CU_ASSERT_FALSE(parts[1].plan.fits); /* the last device holds the rest and says by how much */
  CU_ASSERT(parts[1].plan.over_budget_bytes > 0);
  check_rows_cover(layers, n, parts, 2);
  CLQL_REQUIRE(clql_plan_split(devs, 2, layers, n, CLQL_SPLIT_LAYERS, 0, 0, parts, &plan) ==
               CLQL_SUCCESS);
  CU_ASSERT_FALSE(plan.fits);
}

static void test_layers_pipeline(void) {
  clql_model_layer layers[16];
  size_t n = preset(layers, 16);
  clql_budget_options a = {.set = CLQL_BUDGET_LIMIT, .limit = 400 * MiB};
  clql_budget_options b = {.set = CLQL_BUDGET_LIMIT, .limit = 200 * MiB};
  clql_split_device devs[3] = {device(8 * GiB, 2 * GiB, 7 * GiB), device(8 * GiB, 2 * GiB, 7 * GiB),
                               device(8 * GiB, 2 * GiB, 7 * GiB)};
  devs[0].options = &a;
  devs[1].options = &b;
  devs[2].options = &b;
  clql_split_part parts[3];
  clql_split_plan plan;
  CLQL_REQUIRE(clql_plan_split(devs, 3, layers, n, CLQL_SPLIT_LAYERS, 0, 0, parts, &plan) ==
               CLQL_SUCCESS);
  CU_ASSERT_TRUE(plan.fits);
  CU_ASSERT_EQUAL(parts[0].layer_begin, 0);
  CU_ASSERT_EQUAL(parts[0].layer_end, parts[1].layer_begin);
  CU_ASSERT_EQUAL(parts[1].layer_end, parts[2].layer_begin);
  CU_ASSERT_EQUAL(parts[2].layer_end, 210);
  check_parts_fit(parts, 3);
  /* About half the weights on the device with half the budget in all. */
  uint64_t model = 0;
  CU_ASSERT_EQUAL(clql_model_weight_bytes(layers, n, &model), CLQL_SUCCESS);
  CU_ASSERT(parts[0].plan.weight_bytes > model * 4 / 10 && parts[0].plan.weight_bytes < model * 6 / 10);
  CU_ASSERT_EQUAL(parts[0].plan.weight_bytes + parts[1].plan.weight_bytes + parts[2].plan.weight_bytes,
                  model);
  /* The preset repeats one block of 7 layers: runs go block by block, so a
   * part holds layer j as entry j % 7, recounted here layer by layer. */
  for (size_t d = 0; d < 3; d++) {
    uint64_t want = 0;
    for (uint64_t j = parts[d].layer_begin; j < parts[d].layer_end; j++) {
      clql_model_layer one = layers[j % n];
      one.count = 1;
      uint64_t bytes = 0;
      CU_ASSERT_EQUAL(clql_model_weight_bytes(&one, 1, &bytes), CLQL_SUCCESS);
      want += bytes;
    }
    CU_ASSERT_EQUAL(parts[d].plan.weight_bytes, want);
  }
  /* Two equal devices: 15 blocks each. */
  devs[1].options = devs[2].options = NULL;
  CLQL_REQUIRE(clql_plan_split(devs + 1, 2, layers, n, CLQL_SPLIT_LAYERS, 0, 0, parts, &plan) ==
               CLQL_SUCCESS);
  CU_ASSERT_EQUAL(parts[0].layer_end, 105);
  CU_ASSERT_EQUAL(parts[1].layer_begin, 105);
}

static void test_one_device_equals_model_plan(void) {
  clql_model_layer layers[16];
  size_t n = preset(layers, 16);
  clql_split_device dev = device(4 * GiB, 1 * GiB, 3 * GiB);
  clql_split_part part;
  clql_split_plan plan;
  clql_model_plan whole;
  CLQL_REQUIRE(clql_plan_split(&dev, 1, layers, n, CLQL_SPLIT_ROWS, 0, 3, &part, &plan) == CLQL_SUCCESS);
  CLQL_REQUIRE(clql_plan_model(&dev.memory, NULL, layers, n, 0, 3, &whole) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(plan.batch, whole.batch);
  CU_ASSERT_EQUAL(plan.weight_bytes, whole.weight_bytes);
  CU_ASSERT_EQUAL(part.share_begin, 0);
  CU_ASSERT_EQUAL(part.share_end, CLQL_SPLIT_UNITS);
}

static void test_bad_input(void) {
  clql_model_layer layers[16];
  size_t n = preset(layers, 16);
  clql_split_device dev = device(4 * GiB, 1 * GiB, 3 * GiB);
  clql_split_part part;
  clql_split_plan plan;
  CU_ASSERT_EQUAL(clql_plan_split(NULL, 1, layers, n, CLQL_SPLIT_ROWS, 0, 0, &part, &plan),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_plan_split(&dev, 0, layers, n, CLQL_SPLIT_ROWS, 0, 0, &part, &plan),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_plan_split(&dev, 1, layers, n, (clql_split_mode)9, 0, 0, &part, &plan),
                  CLQL_ERR_INVALID_ARGUMENT);
  dev.throughput = -1;
  CU_ASSERT_EQUAL(clql_plan_split(&dev, 1, layers, n, CLQL_SPLIT_ROWS, 0, 0, &part, &plan),
                  CLQL_ERR_INVALID_ARGUMENT);
  dev.throughput = 0;
  layers[0].count = 0;
  CU_ASSERT_EQUAL(clql_plan_split(&dev, 1, layers, n, CLQL_SPLIT_ROWS, 0, 0, &part, &plan),
                  CLQL_ERR_INVALID_SHAPE);
  clql_split_mode m;
  CU_ASSERT_EQUAL(clql_split_mode_parse("LAYERS", &m), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(m, CLQL_SPLIT_LAYERS);
  CU_ASSERT_EQUAL(clql_split_mode_parse("cols", &m), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_STRING_EQUAL(clql_split_mode_name(CLQL_SPLIT_ROWS), "rows");
}

static CU_TestInfo split_tests[] = {{"rows_follow_budgets", test_rows_follow_budgets},
                                    {"throughput_and_caps", test_throughput_and_caps},
                                    {"does_not_fit", test_does_not_fit},
                                    {"layers_pipeline", test_layers_pipeline},
                                    {"one_device_equals_model_plan", test_one_device_equals_model_plan},
                                    {"bad_input", test_bad_input},
                                    CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "split", .pTests = split_tests}, CU_SUITE_INFO_NULL};
