/* Fail every OpenCL call of device enumeration, context creation and the
 * activation-quantization path in turn: each run returns a clear status or
 * succeeds, nothing crashes, the caller's input is intact, and a clean retry
 * gives the exact reference result. Leaks are caught by the asan preset. */
#include <string.h>
#include "fault.h"
#include "runner.h"

const int clql_test_needs_device = 1;

static clql_status enumerate(void *user) {
  (void)user;
  size_t n = 0;
  clql_status st = clql_devices_get(NULL, 0, &n);
  if (st != CLQL_SUCCESS) return st;
  clql_device_info *devs = calloc(n ? n : 1, sizeof *devs);
  st = clql_devices_get(devs, n, &n);
  free(devs);
  return st;
}

enum { TOKENS = 3, K = 300 };
static float x[TOKENS * K];

/* Create a context, quantize on the device, compare with the reference. */
static clql_status quantize(void *user) {
  (void)user;
  clql_context *ctx = NULL;
  clql_status st = clql_context_create(NULL, &ctx);
  if (st != CLQL_SUCCESS) return st;
  cl_context cl = clql_context_cl_context(ctx);
  cl_int err = CL_SUCCESS;
  cl_mem dx = NULL, dq = NULL, ds = NULL;
  int8_t q[TOKENS * K], qr[TOKENS * K];
  float s[TOKENS], sr[TOKENS], back[TOKENS * K];
  dx = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof x, x, &err);
  if (dx) dq = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof q, NULL, &err);
  if (dq) ds = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof s, NULL, &err);
  /* The test's own OpenCL calls may be the ones failing: report them too. */
  st = err == CL_SUCCESS ? clql_quantize_activations(ctx, dx, TOKENS, K, dq, K, ds)
                         : (clql_status)err;
  cl_command_queue queue = clql_context_queue(ctx);
  if (st == CLQL_SUCCESS)
    st = (clql_status)clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, sizeof q, q, 0, NULL, NULL);
  if (st == CLQL_SUCCESS)
    st = (clql_status)clEnqueueReadBuffer(queue, ds, CL_TRUE, 0, sizeof s, s, 0, NULL, NULL);
  if (dx && clEnqueueReadBuffer(queue, dx, CL_TRUE, 0, sizeof back, back, 0, NULL, NULL) ==
                CL_SUCCESS)
    CU_ASSERT_EQUAL(memcmp(back, x, sizeof x), 0); /* input never touched */
  if (st == CLQL_SUCCESS) {
    clql_ref_quantize_activations(x, TOKENS, K, qr, K, sr);
    CU_ASSERT_EQUAL(memcmp(q, qr, sizeof q), 0);
    CU_ASSERT_EQUAL(memcmp(s, sr, sizeof s), 0);
  }
  if (dx) clReleaseMemObject(dx);
  if (dq) clReleaseMemObject(dq);
  if (ds) clReleaseMemObject(ds);
  clql_context_destroy(ctx);
  return st;
}

static int setup(void) {
  for (int i = 0; i < TOKENS * K; i++) x[i] = clql_test_uniform(-3.0f, 3.0f);
  return clql_fault_available() ? 0 : 1;
}

static void test_enumeration(void) {
  clql_fault_sweep_result r = clql_fault_sweep("enumeration", "*", CL_OUT_OF_RESOURCES, enumerate, NULL);
  CU_ASSERT(r.calls > 10);
}

static void test_quantize_path(void) {
  clql_fault_sweep_result r =
      clql_fault_sweep("context+actquant", "*", CL_OUT_OF_HOST_MEMORY, quantize, NULL);
  CU_ASSERT(r.failed > 5);
  r = clql_fault_sweep("context+actquant allocations", "clCreateBuffer",
                       CL_MEM_OBJECT_ALLOCATION_FAILURE, quantize, NULL);
  CU_ASSERT_EQUAL(r.calls, 3);
  CU_ASSERT_EQUAL(r.failed, 3);
}

static CU_TestInfo fault_tests[] = {{"enumeration", test_enumeration},
                                    {"quantize_path", test_quantize_path},
                                    CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "fault_sweep", .pInitFunc = setup, .pTests = fault_tests},
                                   CU_SUITE_INFO_NULL};
