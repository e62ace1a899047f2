/* Untrusted sizes through every public entry point that takes them, without
 * a device: products that overflow 32 bits must come out exact, products
 * that overflow 64 bits (or size_t) must be CLQL_ERR_SIZE_OVERFLOW (or a
 * clear refusal) before anything is read, written or allocated.
 * cl/overflow does the same for the entry points that need a context. */
#include <string.h>
#include <clql.h>
#include "gguf_build.h"
#include "runner.h"

const int clql_test_needs_device = 0;

/* N*K = 17181966336 and the packed weights (4295491584 bytes) overflow 32 bits. */
#define N32 131088ull
#define K32 131072ull
/* N*K overflows 64 bits. */
#define N64 (1ull << 40)
#define K64 (1ull << 40)

static clql_layer_shape shape(uint64_t n, uint64_t k, clql_qtype q, uint32_t g) {
  clql_layer_shape s = {.n = n, .k = k, .qtype = q, .group_size = g};
  return s;
}

static void expect_overflow(clql_status st, const char *what) {
  CU_ASSERT_EQUAL(st, CLQL_ERR_SIZE_OVERFLOW);
  CU_ASSERT(clql_last_error_detail()[0] != '\0');
  if (st != CLQL_ERR_SIZE_OVERFLOW) printf("\n  %s: %s\n", what, clql_status_name(st));
}

static void test_layout(void) {
  clql_weight_bytes wb;
  clql_layer_shape s = shape(N32, K32, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL_FATAL(clql_layout_weight_bytes(&s, &wb), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(wb.weights, 4295491584ull);
  CU_ASSERT_EQUAL(wb.scales, 524352ull);
  s.qtype = CLQL_QTYPE_TL2;
  CU_ASSERT_EQUAL_FATAL(clql_layout_weight_bytes(&s, &wb), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(wb.k_padded, 131136ull);
  CU_ASSERT_EQUAL(wb.weights, 3581324160ull);

  s = shape(N64, K64, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  expect_overflow(clql_layout_weight_bytes(&s, &wb), "weights 2^40 x 2^40");
  s = shape(UINT64_MAX, 128, CLQL_QTYPE_TL1, CLQL_GROUP_ROW); /* N rounds up past 2^64 */
  expect_overflow(clql_layout_weight_bytes(&s, &wb), "N = 2^64 - 1");
  s = shape(16, UINT64_MAX - 10, CLQL_QTYPE_TL2, 96); /* K rounds up past 2^64 */
  expect_overflow(clql_layout_weight_bytes(&s, &wb), "K = 2^64 - 11");

  clql_workspace_bytes ws;
  s = shape(N32, K32, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL_FATAL(clql_layout_workspace_bytes(&s, 40000,
                                                    CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT, &ws),
                        CLQL_SUCCESS);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_INPUT], 20971520000ull);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACTIVATIONS], 5242880000ull);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_OUTPUT], 20974080000ull);
  CU_ASSERT_EQUAL(ws.total, 47188643840ull);
  expect_overflow(clql_layout_workspace_bytes(&s, UINT64_MAX / 1024, CLQL_WS_WITH_INPUT, &ws),
                  "workspace batch 2^54");
  expect_overflow(clql_layout_workspace_bytes(&s, UINT64_MAX, 0, &ws), "workspace batch 2^64-1");

  uint64_t count;
  s = shape(N32, K32, CLQL_QTYPE_I2S, 128);
  CU_ASSERT_EQUAL(clql_scale_count(&s, &count), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(count, N32 * (K32 / 128));
  s = shape(N64, K64, CLQL_QTYPE_I2S, 128);
  expect_overflow(clql_scale_count(&s, &count), "scale count 2^40 x 2^40");
}

static const clql_memory_report mem = {.total = 64ull << 30, .max_alloc = 16ull << 30,
                                       .free = 60ull << 30, .free_known = 1};

static void test_plans(void) {
  clql_layer_plan p;
  clql_layer_shape s = shape(N64, K64, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  expect_overflow(clql_plan_layer(&mem, NULL, &s, 1, 0, &p), "plan 2^40 x 2^40");
  /* A request and a cap of 2^64 - 1 tokens: the batch stops where the
   * budget does, the search never wraps. */
  clql_budget_options o = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = UINT64_MAX};
  s = shape(2560, 6912, CLQL_QTYPE_TL1, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL_FATAL(clql_plan_layer(&mem, &o, &s, UINT64_MAX, CLQL_WS_WITH_INPUT, &p),
                        CLQL_SUCCESS);
  CU_ASSERT(p.fits && p.batch > 4096 && p.batch < (1ull << 30));
  /* At 64 GiB with a 16 GiB max_alloc the largest workspace part (the input,
   * batch x K floats) passes max_alloc at a batch whose whole workspace is
   * still within the budget: max_alloc binds, exactly at this batch. */
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_MAX_ALLOC);
  clql_workspace_bytes at, above;
  CU_ASSERT_EQUAL_FATAL(clql_layout_workspace_bytes(&s, p.batch, CLQL_WS_WITH_INPUT, &at),
                        CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(clql_layout_workspace_bytes(&s, p.batch + 1, CLQL_WS_WITH_INPUT, &above),
                        CLQL_SUCCESS);
  CU_ASSERT(at.largest <= p.budget.max_alloc && above.largest > p.budget.max_alloc);
  CU_ASSERT(p.resident_bytes + above.total <= p.budget.bytes);
  /* 32-bit products: a layer over 4 GiB does not fit a 16 GiB max_alloc
   * budget only if it is counted right. */
  s = shape(N32, K32, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL_FATAL(clql_plan_layer(&mem, NULL, &s, 1, 0, &p), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(p.resident_bytes, 4295491584ull + 524352ull);

  /* Models: counts x bytes, and the sum of counts. */
  clql_model_layer l[2];
  memset(l, 0, sizeof l);
  l[0].shape = l[1].shape = shape(2560, 2560, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  strcpy(l[0].name, "a");
  strcpy(l[1].name, "b");
  l[0].count = l[1].count = UINT64_MAX / 2 + 1;
  uint64_t bytes;
  expect_overflow(clql_model_weight_bytes(l, 2, &bytes), "model weights");
  clql_model_plan mp;
  expect_overflow(clql_plan_model(&mem, NULL, l, 2, 1, 0, &mp), "model plan");
  l[0].count = l[1].count = 1;
  l[1].shape = shape(N64, K64, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  expect_overflow(clql_model_weight_bytes(l, 2, &bytes), "model of a 2^80 layer");
  clql_workspace_bytes ws;
  l[1].shape = l[0].shape;
  expect_overflow(clql_model_workspace_bytes(l, 2, UINT64_MAX, CLQL_WS_WITH_INPUT, &ws),
                  "model workspace");

  /* Model files: numbers past 64 bits are parse errors, not wrapped. */
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_model_parse("a 18446744073709551616 2560\n", CLQL_QTYPE_I2S, NULL, 0, &n),
                  CLQL_ERR_PARSE);
  CU_ASSERT_EQUAL(clql_model_parse("a 2560 2560 99999999999999999999\n", CLQL_QTYPE_I2S, NULL, 0,
                                   &n),
                  CLQL_ERR_PARSE);
  CU_ASSERT_EQUAL(clql_model_parse("a 1099511627776 1099511627776\n", CLQL_QTYPE_I2S, l, 2, &n),
                  CLQL_SUCCESS);
  expect_overflow(clql_model_weight_bytes(l, n, &bytes), "parsed 2^40 x 2^40");

  /* Splits: rows of a layer too large to share out exactly. */
  clql_split_part part;
  memset(&part, 0, sizeof part);
  part.share_end = CLQL_SPLIT_UNITS;
  uint64_t b0, b1;
  expect_overflow(clql_split_rows(UINT64_MAX, &part, &b0, &b1), "split rows");
  CU_ASSERT_EQUAL(clql_split_rows(N32 * 4096, &part, &b0, &b1), CLQL_SUCCESS);
  CU_ASSERT(b0 == 0 && b1 == N32 * 4096);
  clql_split_device devs[2] = {{mem, NULL, 0}, {mem, NULL, 0}};
  clql_split_part parts[2];
  clql_split_plan sp;
  l[0].count = l[1].count = UINT64_MAX / 2 + 1;
  l[1].shape = l[0].shape;
  CU_ASSERT_NOT_EQUAL(clql_plan_split(devs, 2, l, 2, CLQL_SPLIT_LAYERS, 1, 0, parts, &sp),
                      CLQL_SUCCESS);
  CU_ASSERT_NOT_EQUAL(clql_plan_split(devs, 2, l, 2, CLQL_SPLIT_ROWS, 1, 0, parts, &sp),
                      CLQL_SUCCESS);
}

/* Packing and the references: refused before a buffer is touched. */
static void test_pack_and_reference(void) {
  static uint8_t weights[64], scales_bytes[64];
  static int8_t t[64];
  static float scales[16], x[16], y[16];
  clql_packed p = {shape(N64, K64, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), weights, sizeof weights,
                   (float *)(void *)scales_bytes, sizeof scales_bytes};
  expect_overflow(clql_pack_ternary(&p, t, sizeof t, scales, 16), "pack 2^80");
  expect_overflow(clql_pack_float(&p, x, 16), "pack_float 2^80");
  expect_overflow(clql_unpack_ternary(&p, t, sizeof t, scales, 16), "unpack 2^80");
  expect_overflow(clql_packed_check(&p), "packed_check 2^80");
  /* 32-bit products with buffers that are too small: a clear refusal. */
  p.shape = shape(N32, K32, CLQL_QTYPE_TL2, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_pack_ternary(&p, t, N32 * K32, scales, N32), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_packed_check(&p), CLQL_ERR_BUFFER_TOO_SMALL);
  /* The caller says it has fewer weights than the shape: refused. */
  p.shape = shape(16, 128, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  p.weights_bytes = 512;
  CU_ASSERT_EQUAL(clql_pack_ternary(&p, t, 64, scales, 16), CLQL_ERR_INVALID_ARGUMENT);

  clql_layer_shape s = shape(N64, K64, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  expect_overflow(clql_ref_forward(&s, t, scales, x, 1, y), "reference 2^80");
  s = shape(4, 128, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  expect_overflow(clql_ref_forward(&s, t, scales, x, UINT64_MAX / 64, y), "reference batch*K");
  s = shape(1ull << 40, 16, CLQL_QTYPE_I2S, CLQL_GROUP_TENSOR);
  expect_overflow(clql_ref_forward(&s, t, scales, x, 1ull << 30, y), "reference batch*N");
  int8_t q[16];
  expect_overflow(clql_ref_quantize_activations(x, SIZE_MAX / 2, 4, q, 4, scales),
                  "reference actquant tokens*k");
  expect_overflow(clql_ref_quantize_activations(x, 4, 4, q, SIZE_MAX / 2, scales),
                  "reference actquant tokens*stride");
}

static void test_import(void) {
  clql_ternary_sizes s;
  CU_ASSERT_EQUAL_FATAL(clql_ternary_format_bytes(CLQL_TERNARY_TQ2_0, N32, K32, &s), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(s.weights, N32 * K32);
  CU_ASSERT_EQUAL(s.bytes, N32 * (K32 / 256) * 66);
  CU_ASSERT_EQUAL(s.scales, N32 * (K32 / 256));
  expect_overflow(clql_ternary_format_bytes(CLQL_TERNARY_TQ1_0, N64, K64, &s), "TQ1_0 sizes");
  expect_overflow(clql_ternary_format_bytes(CLQL_TERNARY_I2_S, UINT64_MAX, 128, &s), "I2_S sizes");
  static uint8_t bytes[256];
  static int8_t w[256];
  static float sc[4];
  expect_overflow(clql_ternary_import(CLQL_TERNARY_TQ2_0, N64, K64, bytes, sizeof bytes, w,
                                      sizeof w, sc, 4),
                  "import 2^80");
  expect_overflow(clql_ternary_export(CLQL_TERNARY_TQ2_0, N64, K64, w, sc, bytes, sizeof bytes),
                  "export 2^80");
  /* 32-bit products, buffers of the wrong size: refused, nothing read. */
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, N32, K32, bytes, sizeof bytes, w,
                                      sizeof w, sc, 4),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "4429725696"));
  CU_ASSERT_EQUAL(clql_ternary_export(CLQL_TERNARY_I2_S, N32, K32, w, sc, bytes, sizeof bytes),
                  CLQL_ERR_BUFFER_TOO_SMALL);
}

/* GGUF dimensions from the file: products are checked, never wrapped. */
static void test_gguf_dims(void) {
  static const struct {
    uint32_t type, n_dims;
    uint64_t dims[4];
    clql_status expect;
  } cases[] = {
      {0, 3, {1ull << 32, 1ull << 32, 1ull << 32}, CLQL_ERR_PARSE},      /* F32, 2^96 elements */
      {0, 2, {1ull << 62, 4}, CLQL_ERR_PARSE},                           /* 2^64 elements */
      {0, 2, {1ull << 31, 1ull << 31}, CLQL_ERR_PARSE},                  /* 2^64 bytes */
      {35, 2, {K32, N32}, CLQL_ERR_PARSE},                               /* TQ2_0 past the file */
      {34, 4, {256, 1ull << 40, 1ull << 20, 1ull << 10}, CLQL_ERR_PARSE}, /* TQ1_0 2^78 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gguf_builder g;
    gguf_init(&g);
    gguf_kv_str(&g, "general.architecture", "llama");
    gguf_tensor_info(&g, "w", cases[i].type, cases[i].n_dims, cases[i].dims, 0);
    size_t len;
    uint8_t *file = gguf_finish(&g, 3, &len, NULL);
    uint8_t pad[64] = {0};
    uint8_t *big = malloc(len + sizeof pad);
    CLQL_REQUIRE(big != NULL);
    memcpy(big, file, len);
    memcpy(big + len, pad, sizeof pad);
    clql_gguf *h = NULL;
    clql_status st = clql_gguf_open_memory(big, len + sizeof pad, &h);
    CU_ASSERT_EQUAL(st, cases[i].expect);
    CU_ASSERT_PTR_NULL(h);
    if (st != cases[i].expect) printf("\n  case %zu: %s: %s\n", i, clql_status_name(st),
                                      clql_last_error_detail());
    clql_gguf_close(h);
    free(big);
    free(file);
    gguf_free(&g);
  }
}

/* Details quote untrusted text; control characters never reach a terminal. */
static int printable(const char *s) {
  for (; *s; s++)
    if (((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f) return 0;
  return 1;
}


static void test_printable_details(void) {
  clql_qtype q;
  CU_ASSERT_EQUAL(clql_qtype_parse("\x1b[2J\x1b]0;owned\x07", &q), CLQL_ERR_INVALID_QTYPE);
  CU_ASSERT(printable(clql_last_error_detail()) && strstr(clql_last_error_detail(), "?[2J"));
  size_t n;
  CU_ASSERT_EQUAL(clql_model_parse("q\x1b[31m 2560 2560\n", CLQL_QTYPE_I2S, NULL, 0, &n),
                  CLQL_ERR_PARSE);
  CU_ASSERT(printable(clql_last_error_detail()));
  CU_ASSERT_EQUAL(clql_model_parse("q 25\r60 2560\n", CLQL_QTYPE_I2S, NULL, 0, &n),
                  CLQL_ERR_PARSE);
  CU_ASSERT(printable(clql_last_error_detail()));
  clql_split_mode m;
  CU_ASSERT_EQUAL(clql_split_mode_parse("rows\x1b", &m), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT(printable(clql_last_error_detail()));
  /* A bad knob from the environment, as reported. */
  setenv("CLQL_MEM_LIMIT", "8G\x1b[8m", 1);
  clql_config *cfg = NULL;
  CU_ASSERT_EQUAL(clql_config_from_env(&cfg), CLQL_ERR_INVALID_CONFIG);
  unsetenv("CLQL_MEM_LIMIT");
  CU_ASSERT(printable(clql_last_error_detail()) &&
            strstr(clql_last_error_detail(), "CLQL_MEM_LIMIT='8G?[8m'"));
  /* and a hostile knob name given to the API */
  CU_ASSERT_EQUAL_FATAL(clql_config_create(&cfg), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_config_set(cfg, "CLQL_\x1b[2J", "1"), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT(printable(clql_last_error_detail()));
  clql_config_destroy(cfg);
}

static CU_TestInfo tests[] = {{"printable_details", test_printable_details},{"layout", test_layout},
                              {"plans", test_plans},
                              {"pack_and_reference", test_pack_and_reference},
                              {"import", test_import},
                              {"gguf_dims", test_gguf_dims},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "overflow", .pTests = tests}, CU_SUITE_INFO_NULL};
