/* The documented thread model: one context per thread. Two threads create
 * their own contexts and run the kernels at the same time; each result must
 * equal the reference. Run under the tsan preset to catch races in clql's own
 * state (probe caches, program caches, logging, error details). */
#include <pthread.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;

enum { THREADS = 2, ROUNDS = 4, TOKENS = 4, K = 1000 };

typedef struct {
  float x[TOKENS * K];
  int mismatches;
  clql_status status;
} worker;

static void *run(void *arg) {
  worker *w = arg;
  clql_context *ctx = NULL;
  w->status = clql_context_create(NULL, &ctx);
  if (w->status != CLQL_SUCCESS) return NULL;
  cl_context cl = clql_context_cl_context(ctx);
  cl_command_queue queue = clql_context_queue(ctx);
  cl_int err;
  cl_mem dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof w->x, w->x, &err);
  cl_mem dq = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, TOKENS * K, NULL, &err);
  cl_mem ds = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, TOKENS * sizeof(float), NULL, &err);
  static _Thread_local int8_t q[TOKENS * K], qr[TOKENS * K];
  float s[TOKENS], sr[TOKENS];
  clql_ref_quantize_activations(w->x, TOKENS, K, qr, K, sr);
  for (int r = 0; r < ROUNDS && w->status == CLQL_SUCCESS; r++) {
    w->status = clql_quantize_activations(ctx, dx, TOKENS, K, dq, K, ds);
    if (w->status == CLQL_SUCCESS)
      w->status = (clql_status)clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, sizeof q, q, 0, NULL, NULL);
    if (w->status == CLQL_SUCCESS)
      w->status = (clql_status)clEnqueueReadBuffer(queue, ds, CL_TRUE, 0, sizeof s, s, 0, NULL, NULL);
    w->mismatches += memcmp(q, qr, sizeof q) != 0 || memcmp(s, sr, sizeof s) != 0;
    /* Device reports are re-read concurrently too. */
    clql_memory_report m;
    if (clql_device_memory(clql_context_device(ctx), &m) != CLQL_SUCCESS) w->mismatches++;
  }
  clReleaseMemObject(dx), clReleaseMemObject(dq), clReleaseMemObject(ds);
  clql_context_destroy(ctx);
  return NULL;
}

static void test_context_per_thread(void) {
  static worker w[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    for (int j = 0; j < TOKENS * K; j++) w[i].x[j] = clql_test_uniform(-10.0f, 10.0f);
  for (int i = 0; i < THREADS; i++) CU_ASSERT_EQUAL(pthread_create(&t[i], NULL, run, &w[i]), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) {
    CU_ASSERT_EQUAL(w[i].status, CLQL_SUCCESS);
    CU_ASSERT_EQUAL(w[i].mismatches, 0);
  }
}

static CU_TestInfo thread_tests[] = {{"context_per_thread", test_context_per_thread},
                                     CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "threads", .pTests = thread_tests}, CU_SUITE_INFO_NULL};
