/* Fused layers (several matrices on one input, one product) equal their
 * separate layers bit for bit; sequences of layer forwards replay a token
 * with and without command buffers (CLQL_COMMAND_BUFFER), with the same
 * results as the reference. */
#include "../../lib/internal.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

static clql_ternary_weights view(const fixture_weights *w) {
  clql_ternary_weights v = {.shape = w->shape, .t = w->t, .t_count = w->shape.n * w->shape.k,
                            .scales = w->scales, .scale_count = w->scale_count};
  return v;
}

static cl_mem buffer(clql_context *ctx, const float *v, uint64_t count) {
  cl_int err;
  cl_mem m = clCreateBuffer(clql_context_cl_context(ctx),
                            CL_MEM_READ_WRITE | (v ? CL_MEM_COPY_HOST_PTR : 0),
                            count * sizeof(float), (void *)v, &err);
  CLQL_REQUIRE(err == CL_SUCCESS);
  return m;
}

static float *read_back(clql_context *ctx, cl_mem m, uint64_t count) {
  float *v = malloc(count * sizeof *v);
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(clql_context_queue(ctx), m, CL_TRUE, 0, count * sizeof *v,
                                      v, 0, NULL, NULL),
                  CL_SUCCESS);
  return v;
}

/* parts of one qtype and K; their fused layer's y, token by token, is each
 * part's own layer's y side by side, and the reference's. */
static void check_fused(clql_qtype q, uint64_t k, const uint64_t *n, const uint32_t *groups,
                        size_t count, uint64_t batch) {
  fixture_weights w[4];
  clql_ternary_weights v[4];
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++) {
    fixture_make(&w[i], fixture_shape(n[i], k, q, groups[i]), W_RANDOM);
    v[i] = view(&w[i]);
    total += n[i];
  }
  clql_layer *fused = NULL;
  clql_status st = clql_layer_create_fused(clql_test_ctx, v, count, NULL, &fused);
  if (st != CLQL_SUCCESS) printf("\n%s\n", clql_last_error_detail());
  CU_ASSERT_EQUAL_FATAL(st, CLQL_SUCCESS);
  float *x = fixture_input(batch, k, X_FLOAT), *y = fixture_poisoned(batch * total);
  CU_ASSERT_EQUAL(clql_layer_forward(fused, x, batch, y), CLQL_SUCCESS);
  for (size_t i = 0; i < count; i++) {
    uint64_t off = 0, rows = 0;
    CU_ASSERT_EQUAL(clql_layer_get_part(fused, i, &off, &rows), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(rows, n[i]);
    clql_layer *alone = NULL;
    CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &w[i].packed, NULL, &alone),
                          CLQL_SUCCESS);
    float *ya = fixture_poisoned(batch * n[i]), *ref = fixture_poisoned(batch * n[i]);
    CU_ASSERT_EQUAL(clql_layer_forward(alone, x, batch, ya), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(clql_ref_forward(&w[i].shape, w[i].t, w[i].scales, x, batch, ref),
                    CLQL_SUCCESS);
    uint64_t bad = 0;
    for (uint64_t b = 0; b < batch; b++) {
      bad += fixture_differ(y + b * total + off, ya + b * n[i], n[i]);
      bad += fixture_differ(y + b * total + off, ref + b * n[i], n[i]);
    }
    CU_ASSERT_EQUAL(bad, 0);
    clql_layer_destroy(alone);
    free(ya), free(ref);
  }
  uint64_t off, rows;
  CU_ASSERT_EQUAL(clql_layer_get_part(fused, count, &off, &rows), CLQL_ERR_NOT_FOUND);
  clql_layer_destroy(fused);
  free(x), free(y);
  for (size_t i = 0; i < count; i++) fixture_free(&w[i]);
}

static void test_fused_equals_parts(void) {
  const uint32_t row = CLQL_GROUP_ROW, tensor = CLQL_GROUP_TENSOR;
  for (int q = 0; q < 3; q++) {
    /* q, k, v of a GQA block: rows not multiples of 16, a tensor scale among row scales */
    const uint64_t qkv[3] = {72, 24, 24};
    const uint32_t g_mixed[3] = {row, tensor, row};
    const uint64_t batches[] = {1, 5};
    for (size_t b = 0; b < 2; b++) check_fused((clql_qtype)q, 384, qkv, g_mixed, 3, batches[b]);
    /* gate, up with scale groups */
    const uint32_t g = q == CLQL_QTYPE_TL2 ? 192 : 128;
    const uint64_t gate_up[2] = {40, 40};
    const uint32_t grouped[2] = {g, g};
    check_fused((clql_qtype)q, 2 * g * 2, gate_up, grouped, 2, 3);
  }
}

static void test_fused_bad_input(void) {
  fixture_weights a, b, c;
  fixture_make(&a, fixture_shape(16, 256, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  fixture_make(&b, fixture_shape(16, 128, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  fixture_make(&c, fixture_shape(16, 256, CLQL_QTYPE_I2S, 128), W_RANDOM);
  clql_ternary_weights v[2] = {view(&a), view(&b)};
  clql_layer *L = (clql_layer *)&a;
  CU_ASSERT_EQUAL(clql_layer_create_fused(clql_test_ctx, v, 2, NULL, &L), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(L);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "K 128"));
  v[1] = view(&c); /* a row scale with groups of 128: not exact */
  CU_ASSERT_EQUAL(clql_layer_create_fused(clql_test_ctx, v, 2, NULL, &L), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "granularity"));
  v[1] = view(&a);
  v[1].t_count = 7;
  CU_ASSERT_EQUAL(clql_layer_create_fused(clql_test_ctx, v, 2, NULL, &L), CLQL_ERR_INVALID_ARGUMENT);
  v[1] = view(&a);
  v[1].shape.qtype = CLQL_QTYPE_TL1;
  CU_ASSERT_EQUAL(clql_layer_create_fused(clql_test_ctx, v, 2, NULL, &L), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layer_create_fused(clql_test_ctx, v, 0, NULL, &L), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layer_create_fused(NULL, v, 1, NULL, &L), CLQL_ERR_INVALID_ARGUMENT);
  /* a plain layer is one part */
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &a.packed, NULL, &L), CLQL_SUCCESS);
  uint64_t off = 9, rows = 0;
  CU_ASSERT_EQUAL(clql_layer_get_part(L, 0, &off, &rows), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(off, 0);
  CU_ASSERT_EQUAL(rows, 16);
  CU_ASSERT_EQUAL(clql_layer_get_part(L, 1, &off, &rows), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(clql_layer_get_part(NULL, 0, &off, &rows), CLQL_ERR_INVALID_ARGUMENT);
  clql_layer_destroy(L);
  fixture_free(&a), fixture_free(&b), fixture_free(&c);
}

/* ---- sequences ---- */

#define STEPS 4
static const uint64_t dims[STEPS + 1] = {256, 96, 200, 64, 130}; /* K of layer i, then N */

/* A context with CLQL_COMMAND_BUFFER = mode (NULL: unset). */
static clql_context *context_with(const char *mode) {
  clql_config *cfg = NULL;
  CLQL_REQUIRE(clql_config_create(&cfg) == CLQL_SUCCESS);
  if (mode) CLQL_REQUIRE(clql_config_set(cfg, "CLQL_COMMAND_BUFFER", mode) == CLQL_SUCCESS);
  clql_context *ctx = NULL;
  CLQL_REQUIRE(clql_context_create(NULL, cfg, &ctx) == CLQL_SUCCESS);
  clql_config_destroy(cfg);
  return ctx;
}

/* A chain of STEPS layers (y of one the x of the next) replayed `tokens`
 * times; every replay's last output equals the reference chain's. */
static void run_sequence(const char *mode, uint64_t batch) {
  clql_context *ctx = context_with(mode);
  clql_sequence *seq = NULL;
  clql_status st = clql_sequence_create(ctx, &seq);
  if (st == CLQL_ERR_UNSUPPORTED) { /* forced on, and the device has none */
    printf("\n  %s", clql_last_error_detail());
    clql_context_destroy(ctx);
    return;
  }
  CU_ASSERT_EQUAL_FATAL(st, CLQL_SUCCESS);
  fixture_weights w[STEPS];
  clql_layer *layers[STEPS];
  cl_mem act[STEPS + 1];
  for (int i = 0; i < STEPS; i++) {
    fixture_make(&w[i], fixture_shape(dims[i + 1], dims[i], (clql_qtype)(i % 3), CLQL_GROUP_ROW),
                 W_RANDOM);
    CU_ASSERT_EQUAL_FATAL(clql_layer_create(ctx, &w[i].packed, NULL, &layers[i]), CLQL_SUCCESS);
  }
  for (int i = 0; i <= STEPS; i++) act[i] = buffer(ctx, NULL, batch * dims[i]);
  for (int i = 0; i < STEPS; i++)
    CU_ASSERT_EQUAL_FATAL(clql_sequence_add(seq, layers[i], act[i], act[i + 1], batch), CLQL_SUCCESS);
  for (int token = 0; token < 3; token++) {
    float *x = fixture_input(batch, dims[0], X_FLOAT);
    CU_ASSERT_EQUAL(clEnqueueWriteBuffer(clql_context_queue(ctx), act[0], CL_TRUE, 0,
                                         batch * dims[0] * sizeof(float), x, 0, NULL, NULL),
                    CL_SUCCESS);
    if (token == 2) clql_context_release_workspace(ctx); /* the recording is made again */
    cl_event done = NULL;
    CU_ASSERT_EQUAL_FATAL(clql_sequence_enqueue(seq, &done), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(clWaitForEvents(1, &done), CL_SUCCESS);
    clReleaseEvent(done);
    /* the reference chain */
    float *cur = x;
    for (int i = 0; i < STEPS; i++) {
      float *next = fixture_poisoned(batch * dims[i + 1]);
      CU_ASSERT_EQUAL(clql_ref_forward(&w[i].shape, w[i].t, w[i].scales, cur, batch, next),
                      CLQL_SUCCESS);
      free(cur);
      cur = next;
    }
    float *y = read_back(ctx, act[STEPS], batch * dims[STEPS]);
    CU_ASSERT_EQUAL(fixture_differ(y, cur, batch * dims[STEPS]), 0);
    free(y), free(cur);
  }
  clql_sequence_info info;
  CU_ASSERT_EQUAL(clql_sequence_get_info(seq, &info), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(info.steps, STEPS);
  /* quantization and product per step; the x86 GEMV quantizes in the product */
  const int one = batch == 1 && strcmp(clql_layer_kernels(layers[0]), "x86") == 0;
  CU_ASSERT_EQUAL(info.launches, (one ? 1 : 2) * STEPS);
  if (mode && strcmp(mode, "on") == 0) CU_ASSERT_TRUE(info.recorded);
  if (mode && strcmp(mode, "off") == 0) CU_ASSERT_FALSE(info.recorded);
  printf("\n  CLQL_COMMAND_BUFFER=%s, batch %llu: %s, %llu launches", mode ? mode : "(unset)",
         (unsigned long long)batch, info.recorded ? "recorded" : "enqueued",
         (unsigned long long)info.launches);
  /* the workspace is the context's: the ledger holds it, nothing else */
  clql_context_memory mem;
  CU_ASSERT_EQUAL(clql_context_get_memory(ctx, &mem), CLQL_SUCCESS);
  CU_ASSERT(mem.held <= mem.budget.bytes);
  clql_sequence_destroy(seq);
  for (int i = 0; i <= STEPS; i++) clReleaseMemObject(act[i]);
  for (int i = 0; i < STEPS; i++) clql_layer_destroy(layers[i]), fixture_free(&w[i]);
  clql_context_destroy(ctx);
}

static void test_sequence_plain(void) {
  run_sequence("off", 1);
  run_sequence("off", 3);
}

static void test_sequence_recorded(void) {
  run_sequence("on", 1);
  run_sequence("on", 3);
  run_sequence(NULL, 1); /* auto: enqueued on a CPU device */
}

static void test_sequence_bad_input(void) {
  clql_sequence *seq = NULL;
  CU_ASSERT_EQUAL(clql_sequence_create(NULL, &seq), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL_FATAL(clql_sequence_create(clql_test_ctx, &seq), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_sequence_enqueue(seq, NULL), CLQL_ERR_INVALID_ARGUMENT); /* no steps */
  fixture_weights w;
  fixture_make(&w, fixture_shape(32, 64, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  clql_layer *L = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &w.packed, NULL, &L), CLQL_SUCCESS);
  cl_mem x = buffer(clql_test_ctx, NULL, 64), y = buffer(clql_test_ctx, NULL, 32);
  CU_ASSERT_EQUAL(clql_sequence_add(seq, L, x, y, 2), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_sequence_add(seq, L, x, x, 1), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_sequence_add(seq, NULL, x, y, 1), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_sequence_add(seq, L, x, y, 0), CLQL_ERR_INVALID_SHAPE);
  /* a layer of another context */
  clql_context *other = context_with("off");
  clql_layer *foreign = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(other, &w.packed, NULL, &foreign), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_sequence_add(seq, foreign, x, y, 1), CLQL_ERR_INVALID_ARGUMENT);
  clql_layer_destroy(foreign);
  clql_context_destroy(other);
  clql_sequence_info info;
  CU_ASSERT_EQUAL(clql_sequence_get_info(seq, NULL), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_sequence_get_info(seq, &info), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(info.steps, 0);
  clql_sequence_destroy(seq);
  clql_sequence_destroy(NULL);
  clReleaseMemObject(x), clReleaseMemObject(y);
  clql_layer_destroy(L);
  fixture_free(&w);
}

static CU_TestInfo tests[] = {{"fused_equals_parts", test_fused_equals_parts},
                              {"fused_bad_input", test_fused_bad_input},
                              {"sequence_plain", test_sequence_plain},
                              {"sequence_recorded", test_sequence_recorded},
                              {"sequence_bad_input", test_sequence_bad_input},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "fused",
                                    .pInitFunc = clql_test_context_open,
                                    .pCleanupFunc = clql_test_context_close,
                                    .pTests = tests},
                                   CU_SUITE_INFO_NULL};
