/* Exact byte counts of every qtype: the numbers the planner and allocator share. */
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

static clql_layer_shape shape(uint64_t n, uint64_t k, clql_qtype q, uint32_t g) {
  clql_layer_shape s = {.n = n, .k = k, .qtype = q, .group_size = g};
  return s;
}

static void test_weight_bytes(void) {
  const struct {
    uint64_t n, k;
    clql_qtype q;
    uint32_t g;
    uint64_t kp, groups, weights, scales;
  } cases[] = {
      {2560, 2560, CLQL_QTYPE_I2S, CLQL_GROUP_ROW, 2560, 1, 1638400, 10240},
      {2560, 6912, CLQL_QTYPE_I2S, CLQL_GROUP_ROW, 6912, 1, 4423680, 10240},
      {6912, 2560, CLQL_QTYPE_TL1, CLQL_GROUP_TENSOR, 2560, 1, 4423680, 4},
      {3, 1, CLQL_QTYPE_I2S, CLQL_GROUP_ROW, 128, 1, 512, 64},
      {1, 32, CLQL_QTYPE_TL2, CLQL_GROUP_ROW, 96, 1, 320, 64},
      {2560, 2560, CLQL_QTYPE_TL2, CLQL_GROUP_ROW, 2592, 1, 1382400, 10240},
      {2560, 6912, CLQL_QTYPE_TL2, CLQL_GROUP_TENSOR, 6912, 1, 3686400, 4},
      {7, 300, CLQL_QTYPE_TL1, 256, 512, 2, 2048, 128},
      {5, 2560, CLQL_QTYPE_I2S, 96, 2688, 28, 10752, 1792},
      {5, 2560, CLQL_QTYPE_I2S, 32, 2560, 80, 10240, 5120},
      {4, 200, CLQL_QTYPE_TL2, 192, 384, 2, 1280, 128},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    clql_layer_shape s = shape(cases[i].n, cases[i].k, cases[i].q, cases[i].g);
    clql_weight_bytes w;
    CU_ASSERT_EQUAL_FATAL(clql_layout_weight_bytes(&s, &w), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(w.k_padded, cases[i].kp);
    CU_ASSERT_EQUAL(w.groups, cases[i].groups);
    CU_ASSERT_EQUAL(w.weights, cases[i].weights);
    CU_ASSERT_EQUAL(w.scales, cases[i].scales);
    /* Rows are padded to 16 so kernels load row blocks without bounds checks. */
    CU_ASSERT_EQUAL(w.n_padded, (cases[i].n + 15) / 16 * 16);
  }
}

static void test_workspace_bytes(void) {
  clql_workspace_bytes ws;
  clql_layer_shape s = shape(2560, 2560, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL_FATAL(clql_layout_workspace_bytes(&s, 1, 0, &ws), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_INPUT], 0);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACTIVATIONS], 2560);
  /* 4 bytes of scales, rounded up to 64, then the work counters */
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACT_SCALES], 64 + CLQL_WS_COUNTER_BYTES);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_TABLES], 0);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_OUTPUT], 0);
  CU_ASSERT_EQUAL(ws.largest, 2560);
  CU_ASSERT_EQUAL(ws.total, 2 * CLQL_WORKSPACE_ALIGN);

  CU_ASSERT_EQUAL_FATAL(
      clql_layout_workspace_bytes(&s, 64, CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT, &ws),
      CLQL_SUCCESS);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_INPUT], 64ull * 2560 * 4);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_OUTPUT], 64ull * 2560 * 4);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACTIVATIONS], 64ull * 2560);
  CU_ASSERT_EQUAL(ws.largest, 64ull * 2560 * 4);
  CU_ASSERT_EQUAL(ws.total, 655360ull * 2 + 163840 + 4096);

  /* TL1 and TL2 need no tables: the same parts as I2S, over their Kp. */
  s = shape(640, 2560, CLQL_QTYPE_TL1, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL_FATAL(clql_layout_workspace_bytes(&s, 3, 0, &ws), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_TABLES], 0);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACTIVATIONS], 3ull * 2560);
  CU_ASSERT_EQUAL(ws.total, 8192 + 4096); /* 7680 and 12 bytes, each rounded up */
  s = shape(640, 2560, CLQL_QTYPE_TL2, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL_FATAL(clql_layout_workspace_bytes(&s, 3, 0, &ws), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_TABLES], 0);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACTIVATIONS], 3ull * 2592);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACT_SCALES], 64 + CLQL_WS_COUNTER_BYTES);
  CU_ASSERT_EQUAL(ws.largest, 3ull * 2592);

  /* Linear in the batch but for the scales' rounding and the counters, and
   * never smaller for more tokens: what the planner's bisection needs. */
  clql_workspace_bytes prev;
  CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&s, 1, 3, &prev), CLQL_SUCCESS);
  for (uint64_t b = 1; b < 200; b += 37) {
    clql_workspace_bytes one, many;
    CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&s, 1, 3, &one), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&s, b, 3, &many), CLQL_SUCCESS);
    for (int p = 0; p < CLQL_WS_PART_COUNT; p++)
      if (p != CLQL_WS_ACT_SCALES) CU_ASSERT_EQUAL(many.part[p], one.part[p] * b);
    CU_ASSERT_EQUAL(many.part[CLQL_WS_ACT_SCALES], (4 * b + 63) / 64 * 64 + CLQL_WS_COUNTER_BYTES);
    CU_ASSERT(many.total >= prev.total);
    prev = many;
  }
}

static void test_bad_shapes(void) {
  clql_weight_bytes w;
  clql_workspace_bytes ws;
  clql_layer_shape s = shape(0, 10, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_ERR_INVALID_SHAPE);
  s = shape(10, 0, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_ERR_INVALID_SHAPE);
  s = shape(10, 10, (clql_qtype)7, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_ERR_INVALID_QTYPE);
  s = shape(10, 10, CLQL_QTYPE_I2S, 48);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_ERR_INVALID_SHAPE);
  s = shape(10, 10, CLQL_QTYPE_TL2, 128);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_ERR_INVALID_SHAPE);
  s = shape(10, 10, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&s, 0, 0, &ws), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(NULL, &w), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, NULL), CLQL_ERR_INVALID_ARGUMENT);
}

static void test_overflow(void) {
  clql_weight_bytes w;
  clql_workspace_bytes ws;
  /* N*K past 2^32 is fine in 64-bit arithmetic... */
  clql_layer_shape s = shape(1ull << 20, 1ull << 20, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(w.weights, 1ull << 38);
  /* ...past 2^64 it is a status, never a wrapped number. */
  s = shape(1ull << 40, 1ull << 40, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_ERR_SIZE_OVERFLOW);
  s = shape(4, UINT64_MAX, CLQL_QTYPE_TL1, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_ERR_SIZE_OVERFLOW);
  s = shape(1ull << 62, 128, CLQL_QTYPE_I2S, CLQL_GROUP_TENSOR);
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(&s, &w), CLQL_ERR_SIZE_OVERFLOW);
  s = shape(2560, 2560, CLQL_QTYPE_TL1, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&s, 1ull << 60, 0, &ws), CLQL_ERR_SIZE_OVERFLOW);
  CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&s, UINT64_MAX, 0, &ws), CLQL_ERR_SIZE_OVERFLOW);
}

static void test_names(void) {
  clql_qtype q;
  CU_ASSERT_EQUAL(clql_qtype_parse("tl2", &q), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(q, CLQL_QTYPE_TL2);
  CU_ASSERT_EQUAL(clql_qtype_parse("I2S", &q), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(q, CLQL_QTYPE_I2S);
  CU_ASSERT_EQUAL(clql_qtype_parse("I2_S", &q), CLQL_ERR_INVALID_QTYPE);
  CU_ASSERT_EQUAL(clql_qtype_parse("", &q), CLQL_ERR_INVALID_QTYPE);
  CU_ASSERT_STRING_EQUAL(clql_qtype_name(CLQL_QTYPE_TL1), "TL1");
  CU_ASSERT_STRING_EQUAL(clql_workspace_part_name(CLQL_WS_TABLES), "tables");
}

static CU_TestInfo layout_tests[] = {{"weight_bytes", test_weight_bytes},
                                     {"workspace_bytes", test_workspace_bytes},
                                     {"bad_shapes", test_bad_shapes},
                                     {"overflow", test_overflow},
                                     {"names", test_names},
                                     CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "layout", .pTests = layout_tests}, CU_SUITE_INFO_NULL};
