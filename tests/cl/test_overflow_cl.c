/* Untrusted sizes through the entry points that need a context: layer
 * creation, forward passes (host pointers, caller cl_mem, caller workspace),
 * workspace sizes and activation quantization. Overflowing products are
 * refused before any buffer is read, allocated or enqueued. */
#include <string.h>
#include <clql.h>
#include "runner.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

static void expect_status(clql_status st, clql_status want, const char *what) {
  CU_ASSERT_EQUAL(st, want);
  CU_ASSERT(clql_last_error_detail()[0] != '\0');
  if (st != want)
    printf("\n  %s: %s (%s)\n", what, clql_status_name(st), clql_last_error_detail());
}

static void test_layer_create(void) {
  static uint8_t weights[64], scales[64];
  clql_packed p = {{1ull << 40, 1ull << 40, CLQL_QTYPE_I2S, CLQL_GROUP_ROW}, weights,
                   sizeof weights, (float *)(void *)scales, sizeof scales};
  clql_layer *L = (clql_layer *)1;
  expect_status(clql_layer_create(clql_test_ctx, &p, NULL, &L), CLQL_ERR_SIZE_OVERFLOW, "2^80");
  CU_ASSERT_PTR_NULL(L);
  /* Rows past the kernels' 32-bit indices: refused before the buffers. */
  p.shape = (clql_layer_shape){(1ull << 32) + 16, 128, CLQL_QTYPE_TL1, CLQL_GROUP_ROW};
  expect_status(clql_layer_create(clql_test_ctx, &p, NULL, &L), CLQL_ERR_UNSUPPORTED, "2^32 rows");
  /* 32-bit products with buffers far too small for them. */
  p.shape = (clql_layer_shape){131088, 131072, CLQL_QTYPE_I2S, CLQL_GROUP_ROW};
  expect_status(clql_layer_create(clql_test_ctx, &p, NULL, &L), CLQL_ERR_BUFFER_TOO_SMALL,
                "4 GiB of weights in 64 bytes");
  CU_ASSERT_PTR_NULL(L);
}

enum { N = 16, K = 128 };

static void test_forward(void) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(N, K, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  clql_layer *L = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &w.packed, NULL, &L), CLQL_SUCCESS);
  float x[K], y[N];
  memset(x, 0, sizeof x);
  expect_status(clql_layer_forward(L, x, 0, y), CLQL_ERR_INVALID_SHAPE, "batch 0");
  expect_status(clql_layer_forward(L, x, UINT64_MAX / 8, y), CLQL_ERR_SIZE_OVERFLOW,
                "batch * K * 4 past 2^64");
  uint64_t bytes = 0;
  expect_status(clql_layer_workspace_bytes(L, UINT64_MAX, &bytes), CLQL_ERR_SIZE_OVERFLOW,
                "workspace of 2^64 - 1 tokens");
  /* 2^23 + 1 tokens: x is 4 GiB + 512 bytes, exactly counted. */
  const uint64_t big = (1ull << 23) + 1;
  CU_ASSERT_EQUAL(clql_layer_workspace_bytes(L, big, &bytes), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(bytes, ((big * K + 4095) / 4096 + (big * 4 + 4095) / 4096) * 4096);

  cl_int err;
  cl_context cl = clql_context_cl_context(clql_test_ctx);
  cl_mem dx = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof x, NULL, &err);
  cl_mem dy = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof y, NULL, &err);
  cl_mem ws = clCreateBuffer(cl, CL_MEM_READ_WRITE, 1 << 16, NULL, &err);
  CLQL_REQUIRE(dx && dy && ws);
  expect_status(clql_layer_forward_mem(L, dx, dy, UINT64_MAX / 8), CLQL_ERR_SIZE_OVERFLOW,
                "cl_mem batch past 2^64");
  expect_status(clql_layer_forward_mem(L, dx, dy, big), CLQL_ERR_BUFFER_TOO_SMALL,
                "cl_mem x of 512 bytes for 4 GiB");
  expect_status(clql_layer_forward_workspace(L, dx, dy, UINT64_MAX / 8, ws),
                CLQL_ERR_SIZE_OVERFLOW, "workspace batch past 2^64");
  expect_status(clql_layer_forward_workspace(L, dx, dy, big, ws), CLQL_ERR_BUFFER_TOO_SMALL,
                "workspace x of 512 bytes for 4 GiB");

  /* Activation quantization takes sizes too. */
  expect_status(clql_quantize_activations(clql_test_ctx, dx, SIZE_MAX / 2, 4, dy, 4, ws),
                CLQL_ERR_SIZE_OVERFLOW, "actquant tokens * k");
  expect_status(clql_quantize_activations(clql_test_ctx, dx, (size_t)1 << 40, 4, dy, 1u << 30, ws),
                CLQL_ERR_SIZE_OVERFLOW, "actquant tokens * q_stride");
  expect_status(clql_quantize_activations(clql_test_ctx, dx, big, K, dy, K, ws),
                CLQL_ERR_BUFFER_TOO_SMALL, "actquant x of 512 bytes for 4 GiB");
  expect_status(clql_quantize_activations(clql_test_ctx, dx, 1, K, dy, K, ws),
                CLQL_ERR_BUFFER_TOO_SMALL, "actquant q of 64 bytes for 128");
  expect_status(clql_quantize_activations(clql_test_ctx, dx, 1, (size_t)UINT32_MAX + 1, dy,
                                          (size_t)UINT32_MAX + 1, ws),
                CLQL_ERR_INVALID_SHAPE, "actquant k of 2^32");
  clReleaseMemObject(dx), clReleaseMemObject(dy), clReleaseMemObject(ws);
  clql_layer_destroy(L);
  fixture_free(&w);
}

static CU_TestInfo tests[] = {{"layer_create", test_layer_create},
                              {"forward", test_forward},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "overflow_cl", .pInitFunc = clql_test_context_open,
                                    .pCleanupFunc = clql_test_context_close, .pTests = tests},
                                   CU_SUITE_INFO_NULL};
