/* Acceptance: 4096 tokens through a 6912x2560 layer on a device limited to
 * 1 GiB (POCL_MEMORY_LIMIT=1: 1 GiB total, 256 MiB per buffer), in planned
 * chunks, with every output written and sampled tokens equal to the
 * reference bit for bit. */
#include "../../lib/internal.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define N 6912
#define K 2560
#define TOKENS 4096

static fixture_weights w;
static float *x;

static int setup(void) {
  if (clql_test_context_open() != 0) return 1;
  x = malloc((size_t)TOKENS * K * sizeof *x); /* no CU assertions outside a test */
  if (!x) return 1;
  for (size_t i = 0; i < (size_t)TOKENS * K; i++) x[i] = clql_test_uniform(-3.0f, 3.0f);
  return 0;
}
static int teardown(void) {
  free(x);
  return clql_test_context_close();
}

static void test_device_is_limited(void) {
  const clql_memory_report *m = &clql_context_device_info(clql_test_ctx)->memory;
  CU_ASSERT_EQUAL(m->total, 1 * GiB);
  CU_ASSERT_EQUAL(m->max_alloc, 256 * MiB);
}

/* What the planner makes of this device, for every qtype. */
static void test_plans(void) {
  const clql_memory_report *m = &clql_context_device_info(clql_test_ctx)->memory;
  for (int q = 0; q < 3; q++) {
    clql_layer_shape s = fixture_shape(N, K, (clql_qtype)q, CLQL_GROUP_ROW);
    clql_layer_plan p;
    CU_ASSERT_EQUAL_FATAL(clql_plan_layer(m, NULL, &s, TOKENS, 3, &p), CLQL_SUCCESS);
    CU_ASSERT_TRUE(p.fits);
    CU_ASSERT(p.resident_bytes + p.workspace.total <= p.budget.bytes);
    CU_ASSERT(p.largest_buffer <= m->max_alloc);
    printf("\n  %s: budget %llu MiB, %llu tokens per chunk (limited by %s), workspace %llu MiB",
           clql_qtype_name(s.qtype), (unsigned long long)(p.budget.bytes / MiB),
           (unsigned long long)p.batch, clql_limited_by_name(p.limited_by),
           (unsigned long long)(p.workspace.total / MiB));
    /* Past the 256 MiB buffer limit the batch is split, never a buffer. */
    clql_budget_options big = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 1u << 16};
    CU_ASSERT_EQUAL_FATAL(clql_plan_layer(m, &big, &s, 1u << 16, 3, &p), CLQL_SUCCESS);
    CU_ASSERT(p.batch < (1u << 16));
    CU_ASSERT(p.largest_buffer <= m->max_alloc);
  }
  printf("\n");
}

/* Refuse buffers over a size, as a fragmented device would. */
static cl_int refuse_large(void *user, clql_fault_site site, size_t bytes) {
  return site == CLQL_FAULT_ALLOC && bytes > *(size_t *)user ? CL_MEM_OBJECT_ALLOCATION_FAILURE
                                                             : CL_SUCCESS;
}

/* Run the 4096 tokens; check that no output is left poisoned and that the
 * first and last token of every chunk and some random ones equal the
 * reference. */
static void run(const clql_budget_options *opts, size_t refuse_over, const char *what) {
  clql_layer *layer = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &w.packed, opts, &layer), CLQL_SUCCESS);
  float *y = fixture_poisoned((uint64_t)TOKENS * N);
  clql_test_ctx->fault_hook = refuse_over ? refuse_large : NULL;
  clql_test_ctx->fault_user = &refuse_over;
  clql_status st = clql_layer_forward(layer, x, TOKENS, y);
  clql_test_ctx->fault_hook = NULL;
  CU_ASSERT_EQUAL_FATAL(st, CLQL_SUCCESS);
  clql_layer_stats s;
  CU_ASSERT_EQUAL(clql_layer_get_stats(layer, &s), CLQL_SUCCESS);
  CU_ASSERT(s.chunks >= 2);
  CU_ASSERT_EQUAL(s.workspace_allocated, s.workspace_planned);
  uint64_t unwritten = 0;
  for (uint64_t i = 0; i < (uint64_t)TOKENS * N; i++) unwritten += isnan(y[i]);
  CU_ASSERT_EQUAL(unwritten, 0);

  uint64_t sample[80], count = 0;
  for (uint64_t b = 0; b < TOKENS && count < 60; b += s.plan.batch) {
    sample[count++] = b;
    sample[count++] = (b + s.plan.batch < TOKENS ? b + s.plan.batch : TOKENS) - 1;
  }
  while (count < 80) sample[count++] = clql_test_rand() % TOKENS;
  float *xs = malloc(count * K * sizeof *xs), *ys = malloc(count * N * sizeof *ys);
  float *ref = malloc(count * N * sizeof *ref);
  for (uint64_t i = 0; i < count; i++) {
    memcpy(xs + i * K, x + sample[i] * K, K * sizeof *xs);
    memcpy(ys + i * N, y + sample[i] * N, N * sizeof *ys);
  }
  CU_ASSERT_EQUAL(clql_ref_forward(&w.shape, w.t, w.scales, xs, count, ref), CLQL_SUCCESS);
  uint64_t bad = fixture_differ(ys, ref, count * N);
  CU_ASSERT_EQUAL(bad, 0);
  printf(
      "\n  %s: %llu chunks of %llu tokens (limited by %s), %llu halvings, workspace %llu "
      "bytes allocated of %llu planned; %llu of %llu sampled outputs differ\n",
      what, (unsigned long long)s.chunks, (unsigned long long)s.plan.batch,
      clql_limited_by_name(s.plan.limited_by), (unsigned long long)s.halvings,
      (unsigned long long)s.workspace_allocated, (unsigned long long)s.workspace_planned,
      (unsigned long long)bad, (unsigned long long)(count * N));
  free(xs), free(ys), free(ref), free(y);
  clql_layer_destroy(layer);
}

/* Chunked by the budget: 128 MiB for this layer on the 1 GiB device. */
static void test_chunked_by_budget(void) {
  fixture_make(&w, fixture_shape(N, K, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  clql_budget_options opts = {.set = CLQL_BUDGET_LIMIT, .limit = 128 * MiB};
  run(&opts, 0, "budget 128 MiB");
}

/* Chunked by out-of-memory halving: the plan fits the 1 GiB device, but its
 * buffers over 64 MiB are refused. */
static void test_chunked_by_halving(void) {
  run(NULL, 64 * MiB, "buffers over 64 MiB refused");
  fixture_free(&w);
}

static CU_TestInfo tests[] = {{"device_is_limited", test_device_is_limited},
                              {"plans", test_plans},
                              {"chunked_by_budget", test_chunked_by_budget},
                              {"chunked_by_halving", test_chunked_by_halving},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "layer_1gib", .pInitFunc = setup, .pCleanupFunc = teardown, .pTests = tests},
    CU_SUITE_INFO_NULL};
