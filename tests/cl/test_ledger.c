/* The context owns the device's memory: after every call, what it holds is
 * within its budget, the shared workspace is exactly the model workspace of
 * the layers present at the batch in use (byte for byte, on the device as in
 * the ledger), and a call that cannot fit fails with a clear status without
 * losing what was already there. Random models (2B4T shapes and random ones,
 * every qtype), random budgets and batches, and the 210 layers of 2B4T. */
#include "../../lib/internal.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

#define MiB (1ull << 20)

/* The shapes of 2B4T's linear layers (N x K), in block order. */
static const uint64_t bitnet[7][2] = {{2560, 2560}, {640, 2560},  {640, 2560}, {2560, 2560},
                                      {6912, 2560}, {6912, 2560}, {2560, 6912}};

/* A context of its own with CLQL_MEM_LIMIT = limit, set through the API. */
static clql_context *context_with_limit(uint64_t limit) {
  clql_config *cfg = NULL;
  char text[32];
  snprintf(text, sizeof text, "%llu", (unsigned long long)limit);
  CLQL_REQUIRE(clql_config_create(&cfg) == CLQL_SUCCESS);
  CLQL_REQUIRE(clql_config_set(cfg, "CLQL_MEM_LIMIT", text) == CLQL_SUCCESS);
  clql_context *ctx = NULL;
  CLQL_REQUIRE(clql_context_create(NULL, cfg, &ctx) == CLQL_SUCCESS);
  clql_config_destroy(cfg);
  return ctx;
}

/* The layers present and their shapes, as the test keeps them. */
typedef struct {
  clql_layer *layer[300];
  const fixture_weights *w[300];
  size_t n;
} model;

static uint64_t resident_of(const clql_layer_shape *s) {
  clql_weight_bytes wb;
  CU_ASSERT_EQUAL(clql_layout_weight_bytes(s, &wb), CLQL_SUCCESS);
  return wb.weights + wb.scales;
}

/* The invariant, checked against the test's own account of the layers and
 * against the buffers really on the device. */
static void check_ledger(clql_context *ctx, const model *m) {
  clql_context_memory mem;
  CU_ASSERT_EQUAL_FATAL(clql_context_get_memory(ctx, &mem), CLQL_SUCCESS);
  CU_ASSERT(mem.held <= mem.budget.bytes);
  CU_ASSERT_EQUAL(mem.held, mem.resident + mem.workspace);
  CU_ASSERT_EQUAL(mem.remaining, mem.budget.bytes - mem.held);
  CU_ASSERT_EQUAL(mem.layers, m->n);
  uint64_t resident = 0;
  for (size_t i = 0; i < m->n; i++) resident += resident_of(&m->w[i]->shape);
  CU_ASSERT_EQUAL(mem.resident, resident);
  /* what the device holds for the workspace is what the ledger counts */
  uint64_t on_device = 0;
  for (int i = 0; i < CLQL_WS_PART_COUNT; i++) {
    size_t size = 0;
    if (ctx->part[i])
      CU_ASSERT_EQUAL(clGetMemObjectInfo(ctx->part[i], CL_MEM_SIZE, sizeof size, &size, NULL),
                      CL_SUCCESS);
    on_device += size;
  }
  CU_ASSERT_EQUAL(on_device, mem.workspace);
  if (!mem.workspace) return;
  clql_model_layer *shapes = calloc(m->n, sizeof *shapes);
  CLQL_REQUIRE(shapes != NULL);
  for (size_t i = 0; i < m->n; i++) shapes[i].shape = m->w[i]->shape, shapes[i].count = 1;
  clql_workspace_bytes ws, next;
  CU_ASSERT_EQUAL_FATAL(
      clql_model_workspace_bytes(shapes, m->n, mem.batch, mem.workspace_flags, &ws), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(mem.workspace, ws.total); /* byte for byte */
  /* allocated / planned: the plan is what was allocated */
  double ratio = (double)on_device / (double)ctx->plan.workspace.total;
  CU_ASSERT(ratio >= 0.7 && ratio <= 1.0);
  CU_ASSERT_EQUAL(on_device, ctx->plan.workspace.total);
  /* a batch stopped by the budget uses it: one more token would not fit */
  if (mem.limited_by == CLQL_LIMITED_BY_BUDGET) {
    CU_ASSERT_EQUAL_FATAL(clql_model_workspace_bytes(shapes, m->n, mem.batch + 1,
                                                     mem.workspace_flags, &next),
                          CLQL_SUCCESS);
    CU_ASSERT(mem.resident + next.total > mem.budget.bytes);
  }
  free(shapes);
}

/* Token b of y (n outputs) equals the reference of token b of x. */
static void check_token(const fixture_weights *w, const float *x, const float *y, uint64_t b) {
  float *ref = fixture_poisoned(w->shape.n);
  CU_ASSERT_EQUAL(clql_ref_forward(&w->shape, w->t, w->scales, x + b * w->shape.k, 1, ref),
                  CLQL_SUCCESS);
  CU_ASSERT_EQUAL(fixture_differ(y + b * w->shape.n, ref, w->shape.n), 0);
  free(ref);
}

/* A forward of batch tokens through m's layer i on host memory; the first
 * and last tokens are checked against the reference. */
static clql_status forward(clql_context *ctx, const model *m, size_t i, uint64_t batch) {
  const fixture_weights *w = m->w[i];
  float *x = fixture_input(batch, w->shape.k, X_FLOAT), *y = fixture_poisoned(batch * w->shape.n);
  clql_context_memory before;
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &before), CLQL_SUCCESS);
  clql_status st = clql_layer_forward(m->layer[i], x, batch, y);
  if (st == CLQL_SUCCESS) {
    check_token(w, x, y, 0);
    check_token(w, x, y, batch - 1);
  } else {
    /* only when not even one token's workspace fits; the layers stay */
    CU_ASSERT_EQUAL(st, CLQL_ERR_DOES_NOT_FIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "budget"));
    clql_context_memory after;
    CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &after), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(after.resident, before.resident);
    CU_ASSERT_EQUAL(after.workspace, 0);
  }
  check_ledger(ctx, m);
  free(x), free(y);
  return st;
}

/* Add a layer of w; on failure it must be CLQL_ERR_DOES_NOT_FIT naming the
 * bytes, with the ledger as it was. */
static clql_status add(clql_context *ctx, model *m, const fixture_weights *w) {
  clql_context_memory before;
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &before), CLQL_SUCCESS);
  clql_layer *L = (clql_layer *)m; /* must be reset */
  clql_status st = clql_layer_create(ctx, &w->packed, NULL, &L);
  if (st == CLQL_SUCCESS) {
    m->layer[m->n] = L;
    m->w[m->n++] = w;
  } else {
    CU_ASSERT_EQUAL(st, CLQL_ERR_DOES_NOT_FIT);
    CU_ASSERT_PTR_NULL(L);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "need"));
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "remain"));
    CU_ASSERT(resident_of(&w->shape) > before.budget.bytes - before.resident);
    clql_context_memory after;
    CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &after), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(after.resident, before.resident);
    CU_ASSERT_EQUAL(after.layers, before.layers);
  }
  check_ledger(ctx, m);
  return st;
}

static void drop(clql_context *ctx, model *m, size_t i) {
  clql_layer_destroy(m->layer[i]);
  m->layer[i] = m->layer[m->n - 1];
  m->w[i] = m->w[--m->n];
  check_ledger(ctx, m);
}

static uint64_t log_uniform(uint64_t lo, uint64_t hi) {
  double v = exp(log((double)lo) + (log((double)hi) - log((double)lo)) * clql_test_uniform(0, 1));
  uint64_t u = (uint64_t)v;
  return u < lo ? lo : u > hi ? hi : u;
}

/* Random models on random budgets. The weights of a trial come from a small
 * pool (packing is the slow part on the host); each layer has its own copy
 * on the device. */
static void test_random_models(void) {
  enum { TRIALS = 6, POOL = 5, FORWARDS = 5 };
  for (int trial = 0; trial < TRIALS; trial++) {
    fixture_weights pool[POOL];
    for (int p = 0; p < POOL; p++) {
      const clql_qtype q = (clql_qtype)clql_test_int(0, 2);
      clql_layer_shape s;
      if (clql_test_int(0, 1)) {
        const int b = clql_test_int(0, 6);
        s = fixture_shape(bitnet[b][0], bitnet[b][1], q, CLQL_GROUP_ROW);
      } else {
        s = fixture_shape((uint64_t)clql_test_int(1, 1500), (uint64_t)clql_test_int(1, 3000), q,
                          CLQL_GROUP_ROW);
      }
      fixture_make(&pool[p], s, W_RANDOM);
    }
    const uint64_t limit = log_uniform(4 * MiB, 1536 * MiB);
    const int count = clql_test_int(1, 300);
    clql_context *ctx = context_with_limit(limit);
    model m = {.n = 0};
    int refused = 0;
    for (int i = 0; i < count && !refused; i++)
      refused = add(ctx, &m, &pool[clql_test_int(0, POOL - 1)]) != CLQL_SUCCESS;
    printf("\n  trial %d: budget %llu bytes, %zu of %d layers%s", trial,
           (unsigned long long)limit, m.n, count, refused ? " (then does not fit)" : "");
    for (int f = 0; f < FORWARDS && m.n; f++) {
      const size_t i = (size_t)clql_test_int(0, (int)m.n - 1);
      const clql_layer_shape *s = &m.w[i]->shape;
      uint64_t batch = log_uniform(1, 4096);
      const uint64_t max_macs = 2000000000ull; /* keep a forward short on the CI's PoCL */
      if (batch * s->n * s->k > max_macs) batch = max_macs / (s->n * s->k) + 1;
      forward(ctx, &m, i, batch);
      if (m.n > 1 && clql_test_int(0, 2) == 0) drop(ctx, &m, (size_t)clql_test_int(0, (int)m.n - 1));
    }
    while (m.n) drop(ctx, &m, m.n - 1);
    clql_context_memory mem;
    CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &mem), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(mem.held, 0);
    clql_context_destroy(ctx);
    for (int p = 0; p < POOL; p++) fixture_free(&pool[p]);
  }
}

/* A workspace that leaves no room for the next layer's weights makes room:
 * it is released, and planned again for both layers at the next pass. */
static void test_workspace_makes_room(void) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(640, 2560, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  const uint64_t r = resident_of(&w.shape);
  clql_context *ctx = context_with_limit(2 * r + r / 2);
  model m = {.n = 0};
  CU_ASSERT_EQUAL_FATAL(add(ctx, &m, &w), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(forward(ctx, &m, 0, 4096), CLQL_SUCCESS); /* fills the budget */
  clql_context_memory mem;
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &mem), CLQL_SUCCESS);
  CU_ASSERT(mem.remaining < r);
  CU_ASSERT_EQUAL(mem.limited_by, CLQL_LIMITED_BY_BUDGET);
  const uint64_t alone = mem.batch;
  CU_ASSERT_EQUAL(add(ctx, &m, &w), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(forward(ctx, &m, 1, 4096), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &mem), CLQL_SUCCESS);
  CU_ASSERT(mem.batch < alone); /* the same budget, less of it for the workspace */
  /* a third does not fit beside the other two, whatever the workspace */
  CU_ASSERT_EQUAL(add(ctx, &m, &w), CLQL_ERR_DOES_NOT_FIT);
  while (m.n) drop(ctx, &m, m.n - 1);
  clql_context_destroy(ctx);
  fixture_free(&w);
}

/* Several layers share one workspace: its parts are the largest of any
 * layer's, and every layer's passes use it, at one plan. */
static void test_one_workspace(void) {
  fixture_weights a, b;
  fixture_make(&a, fixture_shape(3000, 200, CLQL_QTYPE_TL1, CLQL_GROUP_ROW), W_RANDOM);
  fixture_make(&b, fixture_shape(100, 4000, CLQL_QTYPE_TL2, CLQL_GROUP_ROW), W_RANDOM);
  clql_context *ctx = context_with_limit(256 * MiB);
  model m = {.n = 0};
  CU_ASSERT_EQUAL_FATAL(add(ctx, &m, &a), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(add(ctx, &m, &b), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(forward(ctx, &m, 0, 33), CLQL_SUCCESS);
  clql_context_memory first;
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &first), CLQL_SUCCESS);
  cl_mem parts[CLQL_WS_PART_COUNT];
  memcpy(parts, ctx->part, sizeof parts);
  /* the other layer, fewer tokens: the same buffers serve it */
  CU_ASSERT_EQUAL(forward(ctx, &m, 1, 20), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(memcmp(parts, ctx->part, sizeof parts), 0);
  clql_context_memory second;
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &second), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(second.workspace, first.workspace);
  CU_ASSERT_EQUAL(second.batch, 33);
  /* the release call frees it; the next pass plans it again */
  clql_context_release_workspace(ctx);
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &second), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(second.workspace, 0);
  CU_ASSERT_EQUAL(second.held, second.resident);
  CU_ASSERT_EQUAL(forward(ctx, &m, 1, 20), CLQL_SUCCESS);
  while (m.n) drop(ctx, &m, m.n - 1);
  clql_context_destroy(ctx);
  fixture_free(&a);
  fixture_free(&b);
}

/* A refresh re-probes and counts clql's own bytes as its own: the budget of
 * a context that holds layers does not shrink by what it holds. */
static void test_refresh(void) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(2560, 2560, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  clql_context *ctx = context_with_limit(64 * MiB);
  model m = {.n = 0};
  CU_ASSERT_EQUAL_FATAL(add(ctx, &m, &w), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(forward(ctx, &m, 0, 8), CLQL_SUCCESS);
  clql_context_memory before, after;
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &before), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(before.held_at_probe, 0);
  CU_ASSERT_EQUAL(clql_context_refresh(ctx), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &after), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(after.held_at_probe, before.held);
  CU_ASSERT_EQUAL(after.budget.bytes, 64 * MiB); /* the limit binds, as before */
  CU_ASSERT_EQUAL(after.held, before.held);
  if (after.free_known)
    CU_ASSERT_EQUAL(after.others_at_probe,
                    after.total > after.free + after.held_at_probe
                        ? after.total - after.free - after.held_at_probe
                        : 0);
  CU_ASSERT_EQUAL(clql_context_refresh(NULL), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_context_get_memory(NULL, &after), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, NULL), CLQL_ERR_INVALID_ARGUMENT);
  while (m.n) drop(ctx, &m, m.n - 1);
  clql_context_destroy(ctx);
  fixture_free(&w);
}

/* The 210 layers of 2B4T (499 MiB at I2S) at batch 512 under budgets from
 * 256 MiB up: below the weights, creation stops at the first layer that does
 * not fit; above, a forward of 512 tokens through each shape stays within
 * the budget, in chunks the budget allows. */
static void test_bitnet_210(void) {
  fixture_weights w[4];
  const int shape_of[7] = {0, 1, 1, 0, 2, 2, 3};
  for (int i = 0; i < 7; i++)
    if (i == 0 || i == 1 || i == 4 || i == 6)
      fixture_make(&w[shape_of[i]],
                   fixture_shape(bitnet[i][0], bitnet[i][1], CLQL_QTYPE_I2S, CLQL_GROUP_ROW),
                   W_RANDOM);
  const uint64_t budgets[] = {256 * MiB, 512 * MiB, 1024 * MiB};
  for (size_t bi = 0; bi < sizeof budgets / sizeof budgets[0]; bi++) {
    clql_context *ctx = context_with_limit(budgets[bi]);
    static model m;
    m.n = 0;
    clql_status st = CLQL_SUCCESS;
    for (int i = 0; i < 210 && st == CLQL_SUCCESS; i++) st = add(ctx, &m, &w[shape_of[i % 7]]);
    clql_context_memory mem;
    CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &mem), CLQL_SUCCESS);
    printf("\n  2B4T under %llu MiB: %zu layers, %llu bytes resident",
           (unsigned long long)(budgets[bi] / MiB), m.n, (unsigned long long)mem.resident);
    if (budgets[bi] < 524 * 1000 * 1000) {
      CU_ASSERT_EQUAL(st, CLQL_ERR_DOES_NOT_FIT);
      CU_ASSERT(m.n < 210);
    } else {
      CU_ASSERT_EQUAL_FATAL(m.n, 210);
      const size_t one_of_each[4] = {0, 1, 4, 6};
      for (int s = 0; s < 4; s++) CU_ASSERT_EQUAL(forward(ctx, &m, one_of_each[s], 512), CLQL_SUCCESS);
      CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &mem), CLQL_SUCCESS);
      printf(", workspace %llu bytes for chunks of %llu tokens (%s)",
             (unsigned long long)mem.workspace, (unsigned long long)mem.batch,
             clql_limited_by_name(mem.limited_by));
      if (budgets[bi] == 512 * MiB) {
        CU_ASSERT(mem.batch < 512); /* 12.5 MiB are left beside the weights */
        CU_ASSERT_EQUAL(mem.limited_by, CLQL_LIMITED_BY_BUDGET);
      } else {
        CU_ASSERT_EQUAL(mem.batch, 512);
      }
    }
    while (m.n) drop(ctx, &m, m.n - 1);
    clql_context_destroy(ctx);
  }
  for (int i = 0; i < 4; i++) fixture_free(&w[i]);
}

static CU_TestInfo ledger_tests[] = {{"one_workspace", test_one_workspace},
                                     {"workspace_makes_room", test_workspace_makes_room},
                                     {"refresh", test_refresh},
                                     {"random_models", test_random_models},
                                     {"bitnet_210", test_bitnet_210},
                                     CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "ledger", .pTests = ledger_tests},
                                   CU_SUITE_INFO_NULL};
