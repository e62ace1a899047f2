/* GEMV and GEMM kernels of every qtype against the scalar reference, bit for
 * bit, through the layer API on the default device (PoCL in the tests). */
#include "../../lib/internal.h"
#include "../../lib/test_hooks.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

static const clql_qtype qtypes[] = {CLQL_QTYPE_I2S, CLQL_QTYPE_TL1, CLQL_QTYPE_TL2};

/* Run x through a layer made of w (block rows x tokens; 0: the device's
 * default) into a poisoned y; compare with the reference and, for integer
 * inputs with unit scales, with the integer accumulators themselves. */
static void check(const fixture_weights *w, uint64_t batch, input_mode mode, unsigned rows,
                  unsigned tokens) {
  const clql_layer_shape *s = &w->shape;
  float *x = fixture_input(batch, s->k, mode);
  float *y = fixture_poisoned(batch * s->n), *ref = fixture_poisoned(batch * s->n);
  clql_layer *layer = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &w->packed, NULL, &layer), CLQL_SUCCESS);
  if (rows) CU_ASSERT_EQUAL(clql_layer_set_block(layer, rows, tokens), CLQL_SUCCESS);
  clql_status st = clql_layer_forward(layer, x, batch, y);
  CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
  if (st != CLQL_SUCCESS) printf("\n%s: %s\n", clql_status_name(st), clql_last_error_detail());
  CU_ASSERT_EQUAL(clql_ref_forward(s, w->t, w->scales, x, batch, ref), CLQL_SUCCESS);
  uint64_t bad = 0, int_bad = 0;
  if (mode == X_INF) /* s = 0: every output is 0 / 0, a NaN of any payload */
    for (uint64_t i = 0; i < batch * s->n; i++) bad += !isnan(ref[i]) || !isnan(y[i]);
  else
    bad = fixture_differ(y, ref, batch * s->n);
  if (mode == X_INT127 || mode == X_CONST127) {
    /* s = 1 and gamma = 1 (unit scales): y must be the integer sum itself. */
    for (uint64_t b = 0; b < batch; b++)
      for (uint64_t n = 0; n < s->n; n++) {
        int64_t acc = 0;
        for (uint64_t k = 0; k < s->k; k++) acc += w->t[n * s->k + k] * (int64_t)x[b * s->k + k];
        int_bad += w->scales[0] == 1.0f && y[b * s->n + n] != (float)acc;
      }
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(int_bad, 0);
  if (bad || int_bad)
    printf(
        "\n%s %llux%llu G=%u B=%llu mode %d block %ux%u: %llu of %llu differ (%llu from the "
        "integer sums)\n",
        clql_qtype_name(s->qtype), (unsigned long long)s->n, (unsigned long long)s->k,
        s->group_size, (unsigned long long)batch, (int)mode, rows, tokens, (unsigned long long)bad,
        (unsigned long long)(batch * s->n), (unsigned long long)int_bad);
  clql_layer_destroy(layer);
  free(x), free(y), free(ref);
}

static void run_shape(clql_qtype q, uint64_t n, uint64_t k, uint32_t g, weight_mode wm,
                      const uint64_t *batches, size_t nb, input_mode xm) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(n, k, q, g), wm);
  for (size_t i = 0; i < nb; i++) check(&w, batches[i], xm, 0, 0);
  fixture_free(&w);
}

/* The 2B4T shapes: GEMV and a GEMM each, fewer big-batch runs to stay fast. */
static void test_model_shapes(void) {
  const struct {
    uint64_t n, k, b;
  } cases[] = {{2560, 2560, 7}, {640, 2560, 64}, {6912, 2560, 2}, {2560, 6912, 7}};
  for (size_t qi = 0; qi < 3; qi++)
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const uint64_t batches[] = {1, cases[i].b};
      run_shape(qtypes[qi], cases[i].n, cases[i].k, CLQL_GROUP_ROW, W_RANDOM, batches, 2, X_FLOAT);
    }
}

/* Integer activations with |max| 127 and unit scales: exact integer outputs. */
static void test_integer_exact(void) {
  const uint64_t batches[] = {1, 7};
  for (size_t qi = 0; qi < 3; qi++) {
    run_shape(qtypes[qi], 2560, 2560, CLQL_GROUP_TENSOR, W_UNIT, batches, 2, X_INT127);
    run_shape(qtypes[qi], 37, 333, CLQL_GROUP_ROW, W_UNIT, batches, 2, X_INT127);
  }
}

static void test_tiny_and_ragged(void) {
  const uint64_t batches[] = {1, 2, 7, 64};
  for (size_t qi = 0; qi < 3; qi++) {
    uint32_t g = qtypes[qi] == CLQL_QTYPE_TL2 ? 96 : 32;
    run_shape(qtypes[qi], 1, 32, CLQL_GROUP_ROW, W_RANDOM, batches, 4, X_FLOAT);
    run_shape(qtypes[qi], 3, 1, CLQL_GROUP_TENSOR, W_RANDOM, batches, 4, X_FLOAT);
    run_shape(qtypes[qi], 37, 333, CLQL_GROUP_ROW, W_RANDOM, batches, 4, X_FLOAT);
    run_shape(qtypes[qi], 37, 333, g, W_RANDOM, batches, 4, X_FLOAT);
    run_shape(qtypes[qi], 37, 333, 2 * g, W_RANDOM, batches, 4, X_FLOAT);
    /* whole x86 blocks per group whose bytes are not a multiple of 256:
     * the x86 kernels' group sums take 256, 64 and 32 bytes at a time */
    run_shape(qtypes[qi], 37, 1000, qtypes[qi] == CLQL_QTYPE_TL2 ? 288 : 384, W_RANDOM, batches,
              4, X_FLOAT);
    run_shape(qtypes[qi], 101, 1000, CLQL_GROUP_TENSOR, W_RANDOM, batches, 4, X_FLOAT);
  }
}

/* Other kernel blocks: one row per work-item, a 4-row vector, and token
 * counts that do not divide the batch (with CLQL_KERNELS=ksplit: the K-split
 * kernels with those token counts). */
static void test_blocks(void) {
  const unsigned blocks[][2] = {{1, 1}, {1, 3}, {4, 3}, {4, 8}};
  for (size_t qi = 0; qi < 3; qi++) {
    fixture_weights w;
    uint32_t g = qtypes[qi] == CLQL_QTYPE_TL2 ? 192 : 64;
    fixture_make(&w, fixture_shape(45, 700, qtypes[qi], g), W_RANDOM);
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
      if (i % 2 == 0) check(&w, 1, X_FLOAT, blocks[i][0], blocks[i][1]);
      check(&w, 9, X_FLOAT, blocks[i][0], blocks[i][1]);
    }
    fixture_free(&w);
  }
}

/* All +1 weights times 127 at K = 6912 (877824 per row: overflows any int16
 * accumulator), all-zero tokens, all-zero rows; inputs whose quantization
 * meets rounding ties, NaN, -0.0, the scale's floor and infinity (the x86
 * GEMV quantizes in its own kernel: it must agree there too). */
static void test_adversarial(void) {
  const uint64_t batches[] = {1, 5};
  for (size_t qi = 0; qi < 3; qi++) {
    run_shape(qtypes[qi], 37, 333, CLQL_GROUP_ROW, W_RANDOM, batches, 2, X_HALVES);
    run_shape(qtypes[qi], 37, 333, CLQL_GROUP_ROW, W_RANDOM, batches, 2, X_TINY);
    run_shape(qtypes[qi], 37, 333, CLQL_GROUP_ROW, W_RANDOM, batches, 2, X_INF);
    run_shape(qtypes[qi], 37, 6912, CLQL_GROUP_ROW, W_ALL_PLUS, batches, 2, X_CONST127);
    run_shape(qtypes[qi], 37, 333, CLQL_GROUP_ROW, W_RANDOM, batches, 2, X_ZERO_TOKENS);
    run_shape(qtypes[qi], 37, 333, CLQL_GROUP_ROW, W_ZERO_ROWS, batches, 2, X_FLOAT);
  }
}

/* More scale groups than the K-split kernels hold in local memory at once
 * (256 for GEMV, 64 for GEMM of 4 tokens): their group chunks, and the
 * portable and x86 kernels' long group loops. */
static void test_many_groups(void) {
  const uint64_t batches[] = {1, 5};
  for (size_t qi = 0; qi < 3; qi++) {
    const uint32_t g = qtypes[qi] == CLQL_QTYPE_TL2 ? 96 : 32;
    run_shape(qtypes[qi], 21, 261 * g - 5, g, W_RANDOM, batches, 2, X_FLOAT);
  }
}

/* A K whose activations do not fit the device's local memory: the x86 GEMV
 * quantizes there, so such a layer runs the portable kernels, as exact.
 * Only where the family is chosen (not forced by CLQL_KERNELS), and skipped
 * where the device's local memory would make x larger than 64 MiB. */
static void test_k_past_local_memory(void) {
  const char *forced = getenv("CLQL_KERNELS");
  const cl_ulong local = clql_context_device_info(clql_test_ctx)->local_mem;
  const uint64_t k = ((uint64_t)local + 4096) / 128 * 128 + 100;
  if ((forced && *forced) || k * sizeof(float) > (64u << 20)) return;
  fixture_weights w;
  fixture_make(&w, fixture_shape(3, k, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  clql_layer *layer = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &w.packed, NULL, &layer), CLQL_SUCCESS);
  CU_ASSERT_STRING_NOT_EQUAL(clql_layer_kernels(layer), "x86");
  clql_layer_destroy(layer);
  check(&w, 1, X_FLOAT, 0, 0);
  fixture_free(&w);
}

/* Layers in turn on one context, GEMVs between GEMMs, every output exact:
 * the x86 GEMV's work-items claim tiles through counters in the context's
 * workspace, which each pass must leave zero for the next (read back here). */
static void test_gemv_in_turn(void) {
  fixture_weights w[2];
  fixture_make(&w[0], fixture_shape(1000, 333, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  fixture_make(&w[1], fixture_shape(37, 1000, CLQL_QTYPE_TL2, 288), W_RANDOM);
  clql_layer *layer[2] = {NULL, NULL};
  for (int i = 0; i < 2; i++)
    CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &w[i].packed, NULL, &layer[i]),
                          CLQL_SUCCESS);
  const uint64_t batches[] = {1, 1, 3, 1, 2};
  clql_context *ctx = clql_test_ctx;
  int checked = 0;
  for (int pass = 0; pass < 10; pass++) {
    const int i = pass % 2;
    const clql_layer_shape *s = &w[i].shape;
    const uint64_t b = batches[pass % 5];
    float *x = fixture_input(b, s->k, X_FLOAT);
    float *y = fixture_poisoned(b * s->n), *ref = fixture_poisoned(b * s->n);
    CU_ASSERT_EQUAL(clql_layer_forward(layer[i], x, b, y), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(clql_ref_forward(s, w[i].t, w[i].scales, x, b, ref), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(fixture_differ(y, ref, b * s->n), 0);
    uint64_t at = 0;
    CU_ASSERT_FATAL(ctx->part[CLQL_WS_ACT_SCALES] && clql_ws_counters_at(ctx->ws_batch, &at));
    cl_uint counters[CLQL_WS_COUNTER_BYTES / 4];
    memset(counters, 0xab, sizeof counters);
    CU_ASSERT_EQUAL(clEnqueueReadBuffer(ctx->queue, ctx->part[CLQL_WS_ACT_SCALES], CL_TRUE,
                                        (size_t)at, sizeof counters, counters, 0, NULL, NULL),
                    CL_SUCCESS);
    /* zeroed by the first x86 GEMV on a workspace (a new one holds anything) */
    if (b == 1 && strcmp(clql_layer_kernels(layer[i]), "x86") == 0) CU_ASSERT(ctx->counters_zeroed);
    for (size_t c = 0; ctx->counters_zeroed && c < sizeof counters / sizeof counters[0]; c++)
      CU_ASSERT_EQUAL(counters[c], 0);
    checked += ctx->counters_zeroed;
    free(x), free(y), free(ref);
  }
  /* the x86 kernels checked the counters after most passes */
  if (strcmp(clql_layer_kernels(layer[0]), "x86") == 0) CU_ASSERT(checked >= 5);
  for (int i = 0; i < 2; i++) {
    clql_layer_destroy(layer[i]);
    fixture_free(&w[i]);
  }
}

/* A CLQL_KERNELS value that names no kernel family stops context creation;
 * a context already made read its configuration once and is not affected. */
static void test_kernels_env(void) {
  const char *was = getenv("CLQL_KERNELS");
  char *saved = was ? strdup(was) : NULL;
  fixture_weights w;
  fixture_make(&w, fixture_shape(16, 128, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  setenv("CLQL_KERNELS", "fastest", 1);
  clql_context *ctx = (clql_context *)&w; /* must be reset to NULL */
  CU_ASSERT_EQUAL(clql_context_create(NULL, NULL, &ctx), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT_PTR_NULL(ctx);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "CLQL_KERNELS='fastest'"));
  clql_layer *layer = NULL;
  CU_ASSERT_EQUAL(clql_layer_create(clql_test_ctx, &w.packed, NULL, &layer), CLQL_SUCCESS);
  clql_layer_destroy(layer);
  /* words ignore case */
  setenv("CLQL_KERNELS", " Portable ", 1);
  CU_ASSERT_EQUAL(clql_context_create(NULL, NULL, &ctx), CLQL_SUCCESS);
  clql_context_destroy(ctx);
  if (saved)
    setenv("CLQL_KERNELS", saved, 1);
  else
    unsetenv("CLQL_KERNELS");
  free(saved);
  fixture_free(&w);
}

static CU_TestInfo kernel_tests[] = {
    {"model_shapes", test_model_shapes},       {"integer_exact", test_integer_exact},
    {"tiny_and_ragged", test_tiny_and_ragged}, {"blocks", test_blocks},
    {"adversarial", test_adversarial},         {"many_groups", test_many_groups},
    {"kernels_env", test_kernels_env},         {"k_past_local_memory", test_k_past_local_memory},
    {"gemv_in_turn", test_gemv_in_turn},       CU_TEST_INFO_NULL};

/* With CLQL_KERNELS=avx2 (avx512, vnni) on a host without AVX2 (AVX-512BW,
 * AVX512-VNNI) there is nothing to test: skip. On such a host, PoCL's
 * device is that CPU, and a refusal is a failure. */
static int kernels_open(void) {
  if (clql_test_context_open() != 0) return 1;
  const char *choice = getenv("CLQL_KERNELS");
  const int avx512 = choice && strcmp(choice, "avx512") == 0;
  const int vnni = choice && strcmp(choice, "vnni") == 0;
  if (choice && (strcmp(choice, "avx2") == 0 || avx512 || vnni)) {
    /* no CUnit assertions here: no test is running yet */
    static int8_t t[16 * 128];
    static uint8_t bytes[1024];
    float scales[16] = {1.0f};
    clql_packed p = {.shape = {.n = 16, .k = 128, .qtype = CLQL_QTYPE_I2S,
                               .group_size = CLQL_GROUP_ROW},
                     .weights = bytes, .weights_bytes = 512, .scales = scales,
                     .scales_bytes = sizeof scales};
    clql_layer *layer = NULL;
    clql_weight_bytes wb;
    clql_status st = clql_layout_weight_bytes(&p.shape, &wb);
    if (st == CLQL_SUCCESS && (wb.weights > sizeof bytes || wb.scales > sizeof scales)) return 1;
    p.weights_bytes = wb.weights, p.scales_bytes = wb.scales;
    if (st == CLQL_SUCCESS) st = clql_pack_ternary(&p, t, sizeof t, scales, 16);
    if (st == CLQL_SUCCESS) st = clql_layer_create(clql_test_ctx, &p, NULL, &layer);
    clql_layer_destroy(layer);
    int host_has = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    host_has = vnni     ? __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni")
               : avx512 ? __builtin_cpu_supports("avx512bw")
                        : __builtin_cpu_supports("avx2");
#endif
    if (st == CLQL_ERR_UNSUPPORTED && !host_has) {
      printf("skipped: %s\n", clql_last_error_detail());
      clql_test_context_close();
      exit(77);
    }
  }
  return 0;
}

CU_SuiteInfo clql_test_suites[] = {{.pName = "kernels",
                                    .pInitFunc = kernels_open,
                                    .pCleanupFunc = clql_test_context_close,
                                    .pTests = kernel_tests},
                                   CU_SUITE_INFO_NULL};
