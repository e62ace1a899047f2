/* The external ternary layouts: known-answer bytes of the layouts in docs/formats.md
 * (§3.1 I2_S 0x86 / 0x55, §3.5 TQ2_0 0x92, TQ1_0 0x80 / 0xBB), exhaustive
 * TQ1_0 trit sets and fp16 conversions, random round trips both ways, and
 * every rejection (invalid codes, bad shapes, sizes, capacities). */
#include <math.h>
#include <string.h>
#include <clql.h>
#include "../../lib/internal.h"
#include "runner.h"

const int clql_test_needs_device = 0;

static const clql_ternary_format formats[] = {CLQL_TERNARY_I2_S, CLQL_TERNARY_TQ1_0,
                                              CLQL_TERNARY_TQ2_0};

/* Encode one row of weights with `scale`; returns malloc'd bytes. */
static uint8_t *encode(clql_ternary_format f, uint64_t n, uint64_t k, const int8_t *w,
                       const float *scales, clql_ternary_sizes *s) {
  CU_ASSERT_EQUAL_FATAL(clql_ternary_format_bytes(f, n, k, s), CLQL_SUCCESS);
  uint8_t *bytes = malloc(s->bytes);
  CLQL_REQUIRE(bytes != NULL);
  memset(bytes, 0xEE, s->bytes);
  CU_ASSERT_EQUAL_FATAL(clql_ternary_export(f, n, k, w, scales, bytes, s->bytes), CLQL_SUCCESS);
  return bytes;
}

static void test_known_answers_i2s(void) {
  int8_t w[128] = {0};
  w[0] = 1, w[32] = -1, w[64] = 0, w[96] = 1;
  float scale = 0.75f;
  clql_ternary_sizes s;
  uint8_t *b = encode(CLQL_TERNARY_I2_S, 1, 128, w, &scale, &s);
  CU_ASSERT_EQUAL(s.bytes, 32 + 32);
  CU_ASSERT_EQUAL(s.scales, 1);
  CU_ASSERT_EQUAL(s.group_size, CLQL_GROUP_TENSOR);
  CU_ASSERT_EQUAL(b[0], 0x86);
  for (int j = 1; j < 32; j++) CU_ASSERT_EQUAL(b[j], 0x55);
  float stored;
  memcpy(&stored, b + 32, 4); /* scale at N*K/4, then zero padding */
  CU_ASSERT_EQUAL(stored, 0.75f);
  for (int j = 36; j < 64; j++) CU_ASSERT_EQUAL(b[j], 0);
  /* Decoding the hand-made bytes gives the weights back. */
  int8_t back[128];
  float sc = 0;
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_I2_S, 1, 128, b, s.bytes, back, 128, &sc, 1),
                  CLQL_SUCCESS);
  CU_ASSERT_EQUAL(memcmp(back, w, 128), 0);
  CU_ASSERT_EQUAL(sc, 0.75f);
  free(b);
  /* All-zero blocks: 0x55 in every byte. */
  memset(w, 0, sizeof w);
  b = encode(CLQL_TERNARY_I2_S, 1, 128, w, &scale, &s);
  for (int j = 0; j < 32; j++) CU_ASSERT_EQUAL(b[j], 0x55);
  free(b);
}

static void test_known_answers_tq2(void) {
  int8_t w[256] = {0};
  w[0] = 1, w[32] = -1, w[64] = 0, w[96] = 1;
  float scale = 1.5f;
  clql_ternary_sizes s;
  uint8_t *b = encode(CLQL_TERNARY_TQ2_0, 1, 256, w, &scale, &s);
  CU_ASSERT_EQUAL(s.bytes, 66);
  CU_ASSERT_EQUAL(s.group_size, 256);
  CU_ASSERT_EQUAL(b[0], 0x92);
  for (int j = 1; j < 64; j++) CU_ASSERT_EQUAL(b[j], 0x55);
  CU_ASSERT_EQUAL(b[64] | b[65] << 8, 0x3E00); /* fp16 1.5 */
  /* Second half: element 128 + 96 + 5 = +1 is byte 32 + 5, bits 7:6. */
  w[0] = w[32] = w[96] = 0;
  w[128 + 96 + 5] = 1;
  free(b);
  b = encode(CLQL_TERNARY_TQ2_0, 1, 256, w, &scale, &s);
  CU_ASSERT_EQUAL(b[37], 0x95);
  free(b);
}

static void test_known_answers_tq1(void) {
  int8_t w[256] = {0};
  float scale = 2.0f;
  clql_ternary_sizes s;
  uint8_t *b = encode(CLQL_TERNARY_TQ1_0, 1, 256, w, &scale, &s);
  CU_ASSERT_EQUAL(s.bytes, 54);
  for (int j = 0; j < 48; j++) CU_ASSERT_EQUAL(b[j], 0x80); /* all-zero trits */
  for (int j = 48; j < 52; j++) CU_ASSERT_EQUAL(b[j], 0x7F); /* four zero trits, fifth digit 0 */
  CU_ASSERT_EQUAL(b[52] | b[53] << 8, 0x4000);
  free(b);
  /* (+1, -1, 0, +1, -1) in elements 0, 32, 64, 96, 128: qs[0] = 0xBB. */
  w[0] = 1, w[32] = -1, w[64] = 0, w[96] = 1, w[128] = -1;
  b = encode(CLQL_TERNARY_TQ1_0, 1, 256, w, &scale, &s);
  CU_ASSERT_EQUAL(b[0], 0xBB);
  free(b);
}

/* Every five-trit set in a qs byte of both halves and every four-trit set in
 * a qh byte survives export then import. */
static void test_tq1_all_trit_sets(void) {
  int8_t w[256], back[256];
  float scale = 1.0f, sc;
  for (unsigned q = 0; q < 243; q++) {
    memset(w, 0, sizeof w);
    unsigned v = q, v4 = q % 81; /* digit i is the i-th most significant */
    for (int i = 4; i >= 0; i--, v /= 3) {
      w[7 + 32 * i] = (int8_t)((int)(v % 3) - 1);       /* qs[7] */
      w[160 + 9 + 16 * i] = (int8_t)((int)(v % 3) - 1); /* qs[32 + 9] */
    }
    for (int i = 3; i >= 0; i--, v4 /= 3) w[240 + 2 + 4 * i] = (int8_t)((int)(v4 % 3) - 1); /* qh[2] */
    clql_ternary_sizes s;
    uint8_t *b = encode(CLQL_TERNARY_TQ1_0, 1, 256, w, &scale, &s);
    CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ1_0, 1, 256, b, s.bytes, back, 256, &sc, 1),
                    CLQL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(back, w, sizeof w), 0);
    free(b);
  }
}

/* Exactly 243 byte values are valid qs bytes and 81 valid qh bytes; all
 * others are rejected with the block index in the detail. */
static void test_tq1_invalid_bytes(void) {
  int8_t w[512] = {0}, back[512];
  float scales[2] = {1.0f, 1.0f}, sc[2];
  clql_ternary_sizes s;
  uint8_t *good = encode(CLQL_TERNARY_TQ1_0, 1, 512, w, scales, &s);
  uint8_t *b = malloc(s.bytes);
  CLQL_REQUIRE(b != NULL);
  int valid_qs = 0, valid_qh = 0;
  for (int v = 0; v < 256; v++) {
    memcpy(b, good, s.bytes);
    b[54 + 10] = (uint8_t)v; /* a qs byte of block 1 */
    clql_status st = clql_ternary_import(CLQL_TERNARY_TQ1_0, 1, 512, b, s.bytes, back, 512, sc, 2);
    valid_qs += st == CLQL_SUCCESS;
    if (st != CLQL_SUCCESS) {
      CU_ASSERT_EQUAL(st, CLQL_ERR_INVALID_WEIGHTS);
      CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "block 1"));
    }
    memcpy(b, good, s.bytes);
    b[54 + 49] = (uint8_t)v; /* a qh byte of block 1 */
    st = clql_ternary_import(CLQL_TERNARY_TQ1_0, 1, 512, b, s.bytes, back, 512, sc, 2);
    valid_qh += st == CLQL_SUCCESS;
    if (st != CLQL_SUCCESS) CU_ASSERT_EQUAL(st, CLQL_ERR_INVALID_WEIGHTS);
  }
  CU_ASSERT_EQUAL(valid_qs, 243);
  CU_ASSERT_EQUAL(valid_qh, 81);
  free(b);
  free(good);
}

static void test_invalid_codes(void) {
  int8_t w[3 * 256] = {0}, back[3 * 256];
  float scales[3] = {1, 1, 1}, sc[3];
  clql_ternary_sizes s;
  /* I2_S, 3 blocks of 128: a code 3 in block 2. */
  uint8_t *b = encode(CLQL_TERNARY_I2_S, 3, 128, w, scales, &s);
  b[2 * 32 + 17] = 0x57; /* bits 1:0 = 3 */
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_I2_S, 3, 128, b, s.bytes, back, 384, sc, 1),
                  CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "block 2"));
  free(b);
  /* I2_S scale that is not finite. */
  b = encode(CLQL_TERNARY_I2_S, 1, 128, w, scales, &s);
  memcpy(b + 32, &(float){INFINITY}, 4);
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_I2_S, 1, 128, b, s.bytes, back, 128, sc, 1),
                  CLQL_ERR_INVALID_WEIGHTS);
  free(b);
  /* TQ2_0, 3 blocks: a code 3 in block 1, then a NaN scale in block 2. */
  b = encode(CLQL_TERNARY_TQ2_0, 1, 768, w, scales, &s);
  b[66 + 40] = 0xC0;
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, 1, 768, b, s.bytes, back, 768, sc, 3),
                  CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "block 1"));
  b[66 + 40] = 0x55;
  b[2 * 66 + 64] = 0x01, b[2 * 66 + 65] = 0x7E;
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, 1, 768, b, s.bytes, back, 768, sc, 3),
                  CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "block 2"));
  free(b);
  /* Export rejects weights outside -1..1 and scales fp16 cannot hold. */
  uint8_t out[256];
  w[300] = 2;
  CU_ASSERT_EQUAL(clql_ternary_export(CLQL_TERNARY_TQ2_0, 1, 768, w, scales, out, sizeof out),
                  CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT_EQUAL(clql_ternary_export(CLQL_TERNARY_TQ1_0, 1, 768, w, scales, out, sizeof out),
                  CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT_EQUAL(clql_ternary_export(CLQL_TERNARY_I2_S, 1, 768, w, scales, out, sizeof out),
                  CLQL_ERR_INVALID_WEIGHTS);
  w[300] = 0;
  float big[3] = {1, 70000.0f, 1};
  CU_ASSERT_EQUAL(clql_ternary_export(CLQL_TERNARY_TQ2_0, 1, 768, w, big, out, sizeof out),
                  CLQL_ERR_INVALID_WEIGHTS);
  float nan_scale = NAN;
  CU_ASSERT_EQUAL(clql_ternary_export(CLQL_TERNARY_I2_S, 1, 128, w, &nan_scale, out, sizeof out),
                  CLQL_ERR_INVALID_WEIGHTS);
}

static void test_shapes_and_sizes(void) {
  clql_ternary_sizes s;
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_I2_S, 4, 192, &s), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_TQ1_0, 4, 128, &s), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_TQ2_0, 0, 256, &s), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_TQ2_0, 1, 0, &s), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_NONE, 1, 256, &s), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_TQ2_0, UINT64_C(1) << 40, UINT64_C(1) << 40,
                                         &s),
                  CLQL_ERR_SIZE_OVERFLOW);
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_TQ2_0, UINT64_C(1) << 60, 256, &s),
                  CLQL_ERR_SIZE_OVERFLOW);
  /* BitNet 2B4T shapes (docs/formats.md). */
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_I2_S, 6912, 2560, &s), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(s.bytes, 6912ull * 2560 / 4 + 32);
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_TQ1_0, 2560, 6912, &s), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(s.bytes, 2560ull * 27 * 54);
  CU_ASSERT_EQUAL(s.scales, 2560ull * 27);
  CU_ASSERT_EQUAL(clql_ternary_format_bytes(CLQL_TERNARY_TQ2_0, 640, 2560, &s), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(s.bytes, 640ull * 10 * 66);

  int8_t w[256] = {0};
  float sc[1] = {1};
  uint8_t b[66];
  CU_ASSERT_EQUAL(clql_ternary_export(CLQL_TERNARY_TQ2_0, 1, 256, w, sc, b, 65),
                  CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_ternary_export(CLQL_TERNARY_TQ2_0, 1, 256, w, sc, b, 66), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, 1, 256, b, 65, w, 256, sc, 1),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, 1, 256, b, 67, w, 256, sc, 1),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, 1, 256, b, 66, w, 255, sc, 1),
                  CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, 1, 256, b, 66, w, 256, sc, 0),
                  CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, 1, 256, NULL, 66, w, 256, sc, 1),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_ternary_import(CLQL_TERNARY_TQ2_0, 1, 128, b, 66, w, 256, sc, 1),
                  CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_STRING_EQUAL(clql_ternary_format_name(CLQL_TERNARY_TQ1_0), "TQ1_0");
  CU_ASSERT_STRING_EQUAL(clql_ternary_format_name(CLQL_TERNARY_I2_S), "I2_S");
  CU_ASSERT_STRING_EQUAL(clql_ternary_format_name((clql_ternary_format)99), "unknown");
}

/* A random finite fp16 value's float, so TQ scales survive export exactly. */
static float random_half_scale(void) {
  for (;;) {
    uint16_t h = (uint16_t)clql_test_rand();
    if ((h & 0x7c00) != 0x7c00) return clql_half_to_float(h);
  }
}

/* Random tensors: export then import gives the weights and scales back, and
 * import then export gives the bytes back. */
static void test_round_trips(void) {
  for (int iter = 0; iter < 40; iter++) {
    clql_ternary_format f = formats[iter % 3];
    uint64_t block = f == CLQL_TERNARY_I2_S ? 128 : 256;
    uint64_t n = (uint64_t)clql_test_int(1, 7), k = block * (uint64_t)clql_test_int(1, 6);
    clql_ternary_sizes s;
    CU_ASSERT_EQUAL_FATAL(clql_ternary_format_bytes(f, n, k, &s), CLQL_SUCCESS);
    int8_t *w = malloc(s.weights), *w2 = malloc(s.weights);
    float *sc = malloc(s.scales * sizeof *sc), *sc2 = malloc(s.scales * sizeof *sc2);
    CLQL_REQUIRE(w && w2 && sc && sc2);
    for (uint64_t i = 0; i < s.weights; i++) w[i] = (int8_t)clql_test_int(-1, 1);
    for (uint64_t i = 0; i < s.scales; i++)
      sc[i] = f == CLQL_TERNARY_I2_S ? clql_test_uniform(-4.0f, 4.0f) : random_half_scale();
    uint8_t *b = encode(f, n, k, w, sc, &s);
    CU_ASSERT_EQUAL(clql_ternary_import(f, n, k, b, s.bytes, w2, s.weights, sc2, s.scales),
                    CLQL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(w, w2, s.weights), 0);
    CU_ASSERT_EQUAL(memcmp(sc, sc2, s.scales * sizeof *sc), 0); /* bitwise, -0 included */
    uint8_t *b2 = malloc(s.bytes);
    CLQL_REQUIRE(b2 != NULL);
    CU_ASSERT_EQUAL(clql_ternary_export(f, n, k, w2, sc2, b2, s.bytes), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(b, b2, s.bytes), 0);
    free(w), free(w2), free(sc), free(sc2), free(b), free(b2);
  }
}

static void test_fp16(void) {
  /* Every finite or infinite half converts to float and back unchanged. */
  for (uint32_t h = 0; h < 0x10000; h++) {
    float f = clql_half_to_float((uint16_t)h);
    if ((h & 0x7fff) > 0x7c00) {
      CU_ASSERT(isnan(f));
      CU_ASSERT((clql_float_to_half(f) & 0x7fff) > 0x7c00);
      continue;
    }
    if (clql_float_to_half(f) != h) {
      CU_FAIL("half -> float -> half");
      break;
    }
  }
  CU_ASSERT_EQUAL(clql_half_to_float(0x3C00), 1.0f);
  CU_ASSERT_EQUAL(clql_half_to_float(0x0001), ldexpf(1.0f, -24));
  CU_ASSERT_EQUAL(clql_half_to_float(0x03FF), ldexpf(1023.0f, -24));
  CU_ASSERT_EQUAL(clql_half_to_float(0xC000), -2.0f);
  CU_ASSERT_EQUAL(clql_float_to_half(65504.0f), 0x7BFF);
  CU_ASSERT_EQUAL(clql_float_to_half(65519.99f), 0x7BFF);
  CU_ASSERT_EQUAL(clql_float_to_half(65520.0f), 0x7C00);
  CU_ASSERT_EQUAL(clql_float_to_half(1.0f + ldexpf(1.0f, -11)), 0x3C00);     /* tie to even */
  CU_ASSERT_EQUAL(clql_float_to_half(1.0f + 3 * ldexpf(1.0f, -11)), 0x3C02); /* tie to even */
  CU_ASSERT_EQUAL(clql_float_to_half(ldexpf(1.0f, -25)), 0x0000);           /* tie to even */
  CU_ASSERT_EQUAL(clql_float_to_half(ldexpf(1.5f, -25)), 0x0001);
  CU_ASSERT_EQUAL(clql_float_to_half(ldexpf(3.0f, -25)), 0x0002);            /* tie to even */
  CU_ASSERT_EQUAL(clql_float_to_half(-ldexpf(1.0f, -30)), 0x8000);
  CU_ASSERT_EQUAL(clql_float_to_half(ldexpf(2047.0f, -25)), 0x0400); /* rounds up to the smallest normal */
  CU_ASSERT_EQUAL(clql_float_to_half(0.1f), 0x2E66);
}

static CU_TestInfo import_tests[] = {{"known_answers_i2s", test_known_answers_i2s},
                                     {"known_answers_tq2", test_known_answers_tq2},
                                     {"known_answers_tq1", test_known_answers_tq1},
                                     {"tq1_all_trit_sets", test_tq1_all_trit_sets},
                                     {"tq1_invalid_bytes", test_tq1_invalid_bytes},
                                     {"invalid_codes", test_invalid_codes},
                                     {"shapes_and_sizes", test_shapes_and_sizes},
                                     {"round_trips", test_round_trips},
                                     {"fp16", test_fp16},
                                     CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "import", .pTests = import_tests},
                                   CU_SUITE_INFO_NULL};
