/* The product and activation kernels at small shapes through the layer API:
 * every qtype, every scale granularity, GEMV and GEMM, ragged sizes, and a
 * chunked pass, each output bit for bit against the reference. Small enough
 * to run on oclgrind's simulated device with its memory, uninitialized-value
 * and data-race checks on (the oclgrind tests, CLQL_KERNELS choosing the family),
 * and on PoCL (cl/kernels_small).
 *
 * oclgrind 21.10's uninitialized-value check has false reports of its own
 * on host code (each shown by a small program against it while this test
 * was written):
 *   - a host write replaces a buffer's record with one the size of the
 *     write, so bytes past it read as unwritten, however written before;
 *   - records are not dropped with their buffers: a new buffer that reuses
 *     a released one's number inherits its record (writes past the old
 *     size are lost and their reads reported);
 *   - a sub-buffer gets a record of its own, not its parent's bytes.
 * So this program creates every layer before the first pass and releases
 * nothing until the end, and its first pass has the largest batch: the
 * context then plans and allocates its workspace once, which every later
 * pass reuses (checked), and each staged input is one write from offset 0
 * read back no further. (The kernels' side of it, swizzles oclgrind
 * misreads, is in cl_kernels/ternary.cl and actquant.cl.) */
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

#define GEMM_BATCH 5u /* two GEMM token blocks of 4, the second ragged */

typedef struct {
  fixture_weights w;
  clql_layer *layer;
} small_case;

/* One pass of `batch` tokens through c into a poisoned y; 1 when every
 * output equals the reference bit for bit. */
static int pass(small_case *c, uint64_t batch) {
  const clql_layer_shape *s = &c->w.shape;
  float *x = fixture_input(batch, s->k, X_FLOAT);
  float *y = fixture_poisoned(batch * s->n), *ref = fixture_poisoned(batch * s->n);
  clql_status st = clql_layer_forward(c->layer, x, batch, y);
  CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
  if (st != CLQL_SUCCESS) printf("\n%s: %s\n", clql_status_name(st), clql_last_error_detail());
  CU_ASSERT_EQUAL(clql_ref_forward(s, c->w.t, c->w.scales, x, batch, ref), CLQL_SUCCESS);
  uint64_t bad = fixture_differ(y, ref, batch * s->n);
  CU_ASSERT_EQUAL(bad, 0);
  if (bad)
    printf("\n%s %llux%llu G=%u B=%llu: %llu of %llu outputs differ\n", clql_qtype_name(s->qtype),
           (unsigned long long)s->n, (unsigned long long)s->k, s->group_size,
           (unsigned long long)batch, (unsigned long long)bad,
           (unsigned long long)(batch * s->n));
  free(x), free(y), free(ref);
  return bad == 0 && st == CLQL_SUCCESS;
}

static void test_shapes(void) {
  static const clql_qtype qtypes[] = {CLQL_QTYPE_I2S, CLQL_QTYPE_TL1, CLQL_QTYPE_TL2};
  enum { PER_QTYPE = 7, COUNT = 3 * PER_QTYPE };
  small_case cases[COUNT];
  memset(cases, 0, sizeof cases);
  size_t n = 0;
  for (size_t qi = 0; qi < 3; qi++) {
    const clql_qtype q = qtypes[qi];
    const uint32_t g = q == CLQL_QTYPE_TL2 ? 96 : 32; /* the smallest group */
    const clql_layer_shape shapes[PER_QTYPE] = {
        fixture_shape(37, 333, q, CLQL_GROUP_TENSOR), /* ragged N and K */
        fixture_shape(37, 333, q, CLQL_GROUP_ROW),
        fixture_shape(37, 333, q, g),      /* a group per unit */
        fixture_shape(21, 700, q, 2 * g), /* groups of two units, K ragged in its last */
        fixture_shape(1, 32, q, CLQL_GROUP_ROW),
        fixture_shape(3, 1, q, CLQL_GROUP_TENSOR),
        /* 66 groups: more than a K-split GEMM work-group holds at once (64) */
        fixture_shape(16, 65 * g + 7, q, g)};
    for (size_t i = 0; i < PER_QTYPE; i++) fixture_make(&cases[n++].w, shapes[i], W_RANDOM);
  }
  /* every layer first: the first pass plans the workspace for all of them */
  for (size_t i = 0; i < COUNT; i++)
    CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &cases[i].w.packed, NULL,
                                            &cases[i].layer),
                          CLQL_SUCCESS);
  /* one more, whose own budget options cap its chunks at 2 tokens */
  small_case chunked;
  fixture_make(&chunked.w, fixture_shape(37, 333, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  clql_budget_options cap = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 2};
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &chunked.w.packed, &cap, &chunked.layer),
                        CLQL_SUCCESS);

  size_t ok = 0;
  clql_layer_stats first, now;
  const uint64_t batches[] = {GEMM_BATCH, 1}; /* the largest first */
  for (size_t b = 0; b < 2; b++)
    for (size_t i = 0; i < COUNT; i++) {
      ok += pass(&cases[i], batches[b]);
      CU_ASSERT_EQUAL(clql_layer_get_stats(cases[i].layer, &now), CLQL_SUCCESS);
      if (b == 0 && i == 0) first = now;
      /* the workspace of the first pass serves every pass */
      CU_ASSERT_EQUAL(now.workspace_allocated, first.workspace_allocated);
      CU_ASSERT_EQUAL(now.workspace_batch, first.workspace_batch);
      CU_ASSERT_EQUAL(now.chunks, 1);
    }
  CU_ASSERT(first.workspace_batch >= GEMM_BATCH);
  CU_ASSERT_EQUAL(ok, 2 * COUNT);
  ok = pass(&chunked, GEMM_BATCH);
  CU_ASSERT_EQUAL(clql_layer_get_stats(chunked.layer, &now), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(now.chunks, 3); /* 2 + 2 + 1 tokens */
  CU_ASSERT_EQUAL(now.workspace_allocated, first.workspace_allocated);
  CU_ASSERT(ok);

  for (size_t i = 0; i < COUNT; i++) {
    clql_layer_destroy(cases[i].layer);
    fixture_free(&cases[i].w);
  }
  clql_layer_destroy(chunked.layer);
  fixture_free(&chunked.w);
}

static CU_TestInfo small_tests[] = {{"shapes", test_shapes}, CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "kernels_small",
                                    .pInitFunc = clql_test_context_open,
                                    .pCleanupFunc = clql_test_context_close,
                                    .pTests = small_tests},
                                   CU_SUITE_INFO_NULL};
