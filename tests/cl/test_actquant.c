/* The activation-quantization kernel against the scalar reference, on the
 * default device (PoCL in the test environment). */
#include <math.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;


/* Run tokens x k floats through kernel and reference; compare every byte. */
static void check(const float *x, size_t tokens, size_t k, size_t stride) {
  cl_context cl = clql_context_cl_context(clql_test_ctx);
  cl_command_queue queue = clql_context_queue(clql_test_ctx);
  cl_int err;
  cl_mem dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, tokens * k * sizeof(float),
                             (void *)x, &err);
  CLQL_REQUIRE(err == CL_SUCCESS);
  cl_mem dq = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, tokens * stride, NULL, &err);
  cl_mem ds = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, tokens * sizeof(float), NULL, &err);
  /* Poison the outputs: every byte must be written by the kernel. */
  int8_t *q = malloc(tokens * stride), *qr = malloc(tokens * stride);
  float *s = malloc(tokens * sizeof(float)), *sr = malloc(tokens * sizeof(float));
  memset(q, 0x5a, tokens * stride);
  memset(s, 0x5a, tokens * sizeof(float));
  clEnqueueWriteBuffer(queue, dq, CL_TRUE, 0, tokens * stride, q, 0, NULL, NULL);
  clEnqueueWriteBuffer(queue, ds, CL_TRUE, 0, tokens * sizeof(float), s, 0, NULL, NULL);

  CU_ASSERT_EQUAL(clql_quantize_activations(clql_test_ctx, dx, tokens, k, dq, stride, ds), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, tokens * stride, q, 0, NULL, NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue, ds, CL_TRUE, 0, tokens * sizeof(float), s, 0, NULL,
                                      NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(clql_ref_quantize_activations(x, tokens, k, qr, stride, sr), CLQL_SUCCESS);
  size_t bad = 0;
  for (size_t i = 0; i < tokens * stride; i++) bad += q[i] != qr[i];
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(memcmp(s, sr, tokens * sizeof(float)), 0);
  if (bad || memcmp(s, sr, tokens * sizeof(float)))
    printf("\nmismatch: %zu bytes at tokens=%zu k=%zu stride=%zu\n", bad, tokens, k, stride);
  free(q), free(qr), free(s), free(sr);
  clReleaseMemObject(dx), clReleaseMemObject(dq), clReleaseMemObject(ds);
}

static void test_random_rows(void) {
  const size_t shapes[][3] = {{1, 2560, 2560}, {7, 6912, 6912}, {3, 1, 128},
                              {5, 333, 384},   {2, 4097, 4224}, {64, 37, 64}};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    size_t tokens = shapes[i][0], k = shapes[i][1];
    float *x = malloc(tokens * k * sizeof(float));
    float range = clql_test_uniform(0.01f, 100.0f);
    for (size_t j = 0; j < tokens * k; j++) x[j] = clql_test_uniform(-range, range);
    check(x, tokens, k, shapes[i][2]);
    free(x);
  }
}

static void test_adversarial_rows(void) {
  enum { K = 257 };
  float x[6 * K];
  memset(x, 0, sizeof x); /* token 0: all zero -> amax floor 1e-5, q all 0 */
  for (int i = 0; i < K; i++) {
    x[K + i] = (float)(i % 254) - 127.0f + 0.5f; /* token 1: exact .5 ties with s = 1 */
    x[2 * K + i] = (i & 1) ? 3.0f : -3.0f;       /* token 2: +-amax */
    x[3 * K + i] = 1e-7f * (float)(i - 128);     /* token 3: below the floor */
    x[4 * K + i] = (float)(i - 128);             /* token 4: -128..128, amax 128 */
    x[5 * K + i] = ldexpf(1.0f, i % 40 - 20);    /* token 5: many magnitudes */
  }
  x[K + 3] = 127.0f; /* make amax exactly 127 so s == 1 and the .5 values tie */
  check(x, 6, K, K);
  int8_t q[6 * K];
  float s[6];
  CU_ASSERT_EQUAL(clql_ref_quantize_activations(x, 6, K, q, K, s), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(s[1], 1.0f);
  CU_ASSERT_EQUAL(q[K + 0], -126); /* -126.5 ties to even */
  CU_ASSERT_EQUAL(q[K + 1], -126); /* -125.5 ties to even */
  CU_ASSERT_EQUAL(q[K + 2], -124); /* -124.5 ties to even */
  for (int i = 0; i < K; i++) CU_ASSERT_EQUAL(q[i], 0);
  CU_ASSERT_EQUAL(s[0], 127.0f / 1e-5f);
  CU_ASSERT_EQUAL(q[2 * K], -127);
  CU_ASSERT_EQUAL(q[2 * K + 1], 127);
}

static void test_bad_arguments(void) {
  float x = 1.0f;
  int8_t q;
  float s;
  CU_ASSERT_EQUAL(clql_ref_quantize_activations(&x, 1, 0, &q, 1, &s), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_ref_quantize_activations(&x, 1, 2, &q, 1, &s), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_ref_quantize_activations(NULL, 1, 1, &q, 1, &s), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_quantize_activations(NULL, NULL, 1, 1, NULL, 1, NULL),
                  CLQL_ERR_INVALID_ARGUMENT);
}

/* A caller's own OpenCL objects, wrapped: retained, usable, and still valid
 * for the caller after clql lets go of them. */
static void test_wrapped_context(void) {
  cl_context cl = clql_context_cl_context(clql_test_ctx);
  cl_device_id dev = clql_context_device(clql_test_ctx);
  cl_command_queue queue = clql_context_queue(clql_test_ctx);
  clql_context *wrapped = NULL;
  CU_ASSERT_EQUAL(clql_context_wrap(NULL, dev, queue, NULL, &wrapped), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(wrapped);
  CLQL_REQUIRE(clql_context_wrap(cl, dev, NULL, NULL, &wrapped) == CLQL_SUCCESS);
  CU_ASSERT_PTR_EQUAL(clql_context_cl_context(wrapped), cl);
  CU_ASSERT_PTR_NOT_NULL(clql_context_queue(wrapped));
  CU_ASSERT_PTR_NOT_EQUAL(clql_context_queue(wrapped), queue);
  CU_ASSERT_STRING_EQUAL(clql_context_device_info(wrapped)->name,
                         clql_context_device_info(clql_test_ctx)->name);
  float x[64];
  for (int i = 0; i < 64; i++) x[i] = (float)(i - 32);
  cl_int err;
  cl_mem dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof x, x, &err);
  cl_mem dq = clCreateBuffer(cl, CL_MEM_READ_WRITE, 64, NULL, &err);
  cl_mem ds = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4, NULL, &err);
  CU_ASSERT_EQUAL(clql_quantize_activations(wrapped, dx, 1, 64, dq, 64, ds), CLQL_SUCCESS);
  int8_t q[64];
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(clql_context_queue(wrapped), dq, CL_TRUE, 0, 64, q, 0, NULL,
                                      NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(q[0], -127); /* -32 * 127/32 */
  CU_ASSERT_EQUAL(q[63], 123); /* rint(31 * 3.96875) = rint(123.03125) */
  clql_context_destroy(wrapped);
  /* The caller's references are untouched: the queue still works. */
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, 64, q, 0, NULL, NULL), CL_SUCCESS);
  clReleaseMemObject(dx), clReleaseMemObject(dq), clReleaseMemObject(ds);
  clql_context_destroy(NULL);
}

/* clql orders its commands by the queue alone: a caller's out-of-order queue
 * is refused, and left as it was. */
static void test_out_of_order_queue(void) {
  cl_context cl = clql_context_cl_context(clql_test_ctx);
  cl_device_id dev = clql_context_device(clql_test_ctx);
  cl_int err = CL_SUCCESS;
  cl_command_queue ooo =
      clCreateCommandQueue(cl, dev, CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, &err);
  if (!ooo) {
    printf("\n  the device has no out-of-order queues (%d): nothing to reject\n", (int)err);
    return;
  }
  clql_context *wrapped = clql_test_ctx; /* a failure must clear it */
  CU_ASSERT_EQUAL(clql_context_wrap(cl, dev, ooo, NULL, &wrapped), CLQL_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NULL(wrapped);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "in-order"));
  cl_uint refs = 0;
  CU_ASSERT_EQUAL(clGetCommandQueueInfo(ooo, CL_QUEUE_REFERENCE_COUNT, sizeof refs, &refs, NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(refs, 1); /* not retained */
  clReleaseCommandQueue(ooo);
  /* An in-order queue with other properties is taken. */
  cl_command_queue ordered = clCreateCommandQueue(cl, dev, CL_QUEUE_PROFILING_ENABLE, &err);
  CLQL_REQUIRE(ordered != NULL);
  CU_ASSERT_EQUAL(clql_context_wrap(cl, dev, ordered, NULL, &wrapped), CLQL_SUCCESS);
  CU_ASSERT_PTR_EQUAL(clql_context_queue(wrapped), ordered);
  clql_context_destroy(wrapped);
  clReleaseCommandQueue(ordered);
}

static CU_TestInfo actquant_tests[] = {
                                       {"wrapped_context", test_wrapped_context},{"random_rows", test_random_rows},
                                       {"adversarial_rows", test_adversarial_rows},
                                       {"bad_arguments", test_bad_arguments},
                                       {"out_of_order_queue", test_out_of_order_queue},
                                       CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "actquant", .pInitFunc = clql_test_context_open, .pCleanupFunc = clql_test_context_close, .pTests = actquant_tests},
    CU_SUITE_INFO_NULL};
