/* Host side of the ternary formats: known answers of each device layout,
 * round trips, the float quantization rule, the reference and bad input. */
#include "ternary_fixture.h"

const int clql_test_needs_device = 0;

static uint32_t word(const fixture_weights *w, uint64_t index) {
  uint32_t v;
  memcpy(&v, (const unsigned char *)w->packed.weights + 4 * index, 4);
  return v;
}

static void pack_row(fixture_weights *w, clql_qtype q, uint64_t k, const int8_t *row, size_t len) {
  fixture_make(w, fixture_shape(1, k, q, CLQL_GROUP_ROW), W_UNIT);
  memset(w->t, 0, k);
  memcpy(w->t, row, len);
  CU_ASSERT_EQUAL(clql_pack_ternary(&w->packed, w->t, k, w->scales, 1), CLQL_SUCCESS);
}

static uint8_t byte_at(const fixture_weights *w, uint64_t index) {
  return ((const uint8_t *)w->packed.weights)[index];
}

static void test_i2s_known_answers(void) {
  fixture_weights w;
  int8_t row[128] = {0};
  row[0] = 1, row[32] = -1, row[96] = 1; /* weights 0, 32, 64, 96: +1, -1, 0, +1 */
  row[1] = -1;
  pack_row(&w, CLQL_QTYPE_I2S, 128, row, sizeof row);
  /* byte j holds weights j, 32 + j, 64 + j, 96 + j at bits 0-1, 2-3, 4-5, 6-7
   * (as a TQ2_0 half-block): codes 10, 00, 01, 10 */
  CU_ASSERT_EQUAL(byte_at(&w, 0), 0x92);
  CU_ASSERT_EQUAL(byte_at(&w, 1), 0x54);
  for (int j = 2; j < 64; j++) CU_ASSERT_EQUAL(byte_at(&w, j), 0x55); /* zeros, padding row 1 */
  fixture_free(&w);
  const int8_t one[] = {1};
  pack_row(&w, CLQL_QTYPE_I2S, 32, one, sizeof one);
  CU_ASSERT_EQUAL(byte_at(&w, 0), 0x56); /* weights 32, 64, 96: K padding */
  fixture_free(&w);
  const struct {
    int8_t t;
    uint32_t word;
  } all[] = {{-1, 0x54545454u}, {0, 0x55555555u}, {1, 0x56565656u}};
  for (int i = 0; i < 3; i++) {
    fixture_make(&w, fixture_shape(1, 16, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_UNIT);
    memset(w.t, all[i].t, 16);
    CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, w.t, 16, w.scales, 1), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(word(&w, 0), all[i].word);
    CU_ASSERT_EQUAL(word(&w, 3), all[i].word); /* weights 12..15 */
    CU_ASSERT_EQUAL(word(&w, 4), 0x55555555u); /* weights 16..31: K padding */
    fixture_free(&w);
  }
  /* Tiles of 16 rows; per tile and block, its rows' 32 bytes in order. */
  fixture_make(&w, fixture_shape(17, 256, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_UNIT);
  memset(w.t, 0, 17 * 256);
  w.t[1 * 256 + 128] = 1;  /* row 1, block 1: byte 512 + 32 */
  w.t[16 * 256 + 0] = -1;  /* row 16 (tile 1), block 0: byte 1024 */
  CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, w.t, 17 * 256, w.scales, 17), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(byte_at(&w, 512 + 32), 0x56);
  CU_ASSERT_EQUAL(byte_at(&w, 1024), 0x54);
  CU_ASSERT_EQUAL(byte_at(&w, 512), 0x55);
  fixture_free(&w);
}

static void test_tl1_known_answers(void) {
  fixture_weights w;
  const int8_t row[] = {1, -1, 0, 0, -1, -1, 1, 1};
  pack_row(&w, CLQL_QTYPE_TL1, 32, row, sizeof row);
  /* byte j: pair j (weights 2j, 2j+1) in bits 0-3, pair 32 + j (weights
   * 64 + 2j, +1; here K padding, index 4) in bits 4-7 */
  CU_ASSERT_EQUAL(byte_at(&w, 0), 0x46); /* (+1, -1) */
  CU_ASSERT_EQUAL(byte_at(&w, 1), 0x44); /* (0, 0) */
  CU_ASSERT_EQUAL(byte_at(&w, 2), 0x40); /* (-1, -1) */
  CU_ASSERT_EQUAL(byte_at(&w, 3), 0x48); /* (+1, +1) */
  for (int j = 4; j < 64; j++) CU_ASSERT_EQUAL(byte_at(&w, j), 0x44); /* zero pairs, padding row */
  fixture_free(&w);
}

static void test_tl2_known_answers(void) {
  fixture_weights w;
  int8_t row[96] = {0};
  row[0] = 1, row[32] = -1, row[64] = -1; /* triple 0: v = 9 - 3 - 1 = 5 */
  row[1] = -1, row[33] = 1, row[65] = 1;  /* triple 1: v = -5 */
  row[16] = 1;                            /* triple 16: v = 9 */
  row[17] = -1;                           /* triple 17: v = -9 */
  pack_row(&w, CLQL_QTYPE_TL2, 96, row, sizeof row);
  /* one granule of a 16-row tile: magnitudes (byte j: triple j in bits 0-3,
   * triple 16 + j in bits 4-7), row n's at 16n; sign bits (set: triple
   * negative), per four rows 16 bytes at 256: a 64-bit word for triples
   * 0..15 and one for 16..31, row n's bits at 16 * (n % 4) of each */
  CU_ASSERT_EQUAL(byte_at(&w, 0), 0x95);
  CU_ASSERT_EQUAL(byte_at(&w, 1), 0x95);
  for (int j = 2; j < 256; j++) CU_ASSERT_EQUAL(byte_at(&w, j), 0);
  CU_ASSERT_EQUAL(word(&w, 64), 2); /* sign 0 for triple 0, 1 for triple 1 */
  CU_ASSERT_EQUAL(word(&w, 65), 0);
  CU_ASSERT_EQUAL(word(&w, 66), 2); /* triple 17 */
  for (int j = 67; j < 80; j++) CU_ASSERT_EQUAL(word(&w, j), 0);
  /* bit 16 of word 64 is row 1's triple 0, a padding row's zero: invalid
   * (in a per-row layout it would be row 0's triple 16, a valid sign flip) */
  uint32_t v = word(&w, 64) | 1u << 16;
  memcpy((unsigned char *)w.packed.weights + 4 * 64, &v, 4);
  CU_ASSERT_EQUAL(clql_packed_check(&w.packed), CLQL_ERR_INVALID_WEIGHTS);
  fixture_free(&w);
}

/* pack -> export gives back the input, for every qtype and group size. */
static void test_round_trips(void) {
  const uint32_t groups[] = {CLQL_GROUP_ROW, CLQL_GROUP_TENSOR, 32, 64, 96, 128, 192, 256};
  const uint64_t shapes[][2] = {{1, 1}, {3, 32}, {37, 333}, {17, 1000}, {16, 2560}};
  const clql_qtype qtypes[] = {CLQL_QTYPE_I2S, CLQL_QTYPE_TL1, CLQL_QTYPE_TL2};
  for (size_t q = 0; q < 3; q++)
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
      for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        clql_layer_shape s = fixture_shape(shapes[i][0], shapes[i][1], qtypes[q], groups[g]);
        if (clql_layout_check(&s) != CLQL_SUCCESS) continue; /* e.g. TL2 with G = 32 */
        fixture_weights w;
        fixture_make(&w, s, W_RANDOM);
        int8_t *t = malloc(s.n * s.k);
        float *sc = malloc(w.scale_count * sizeof *sc);
        CU_ASSERT_EQUAL(clql_unpack_ternary(&w.packed, t, s.n * s.k, sc, w.scale_count),
                        CLQL_SUCCESS);
        CU_ASSERT_EQUAL(memcmp(t, w.t, s.n * s.k), 0);
        CU_ASSERT_EQUAL(memcmp(sc, w.scales, w.scale_count * sizeof *sc), 0);
        CU_ASSERT_EQUAL(clql_packed_check(&w.packed), CLQL_SUCCESS);
        free(t), free(sc);
        fixture_free(&w);
      }
}

/* gamma = max(mean |w|, 1e-5) per group, t = clamp(rint(w / gamma), -1, 1). */
static void test_pack_float(void) {
  const float w[] = {0.5f,
                     -1.5f,
                     0.1f,
                     3.0f,
                     /* row 1: all zero */ 0,
                     0,
                     0,
                     0,
                     /* row 2: gamma 1, so the halves tie (to even) */ 0.5f,
                     -0.5f,
                     1.5f,
                     1.5f};
  for (int q = 0; q < 3; q++) {
    clql_layer_shape s = fixture_shape(3, 4, (clql_qtype)q, CLQL_GROUP_ROW);
    fixture_weights fx;
    fixture_make(&fx, s, W_UNIT);
    CU_ASSERT_EQUAL(clql_pack_float(&fx.packed, w, 12), CLQL_SUCCESS);
    int8_t t[12];
    float sc[3];
    CU_ASSERT_EQUAL(clql_unpack_ternary(&fx.packed, t, 12, sc, 3), CLQL_SUCCESS);
    const int8_t want[] = {0, -1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1};
    CU_ASSERT_EQUAL(memcmp(t, want, 12), 0);
    CU_ASSERT_EQUAL(sc[0], 1.275f);
    CU_ASSERT_EQUAL(sc[1], 1e-5f);
    CU_ASSERT_EQUAL(sc[2], 1.0f); /* rint(0.5) = 0, rint(1.5) = 2 -> clamped to 1 */
    fixture_free(&fx);
  }
  /* Groups of 32 and a tensor scale: every group's own mean. */
  clql_layer_shape s = fixture_shape(2, 64, CLQL_QTYPE_I2S, 32);
  float big[128];
  for (int i = 0; i < 128; i++) big[i] = (float)(i / 32 + 1) * (i % 2 ? 1.0f : -1.0f);
  fixture_weights fx;
  fixture_make(&fx, s, W_UNIT);
  CU_ASSERT_EQUAL(clql_pack_float(&fx.packed, big, 128), CLQL_SUCCESS);
  float sc[4];
  CU_ASSERT_EQUAL(clql_unpack_ternary(&fx.packed, NULL, 0, sc, 4), CLQL_SUCCESS);
  for (int g = 0; g < 4; g++) CU_ASSERT_EQUAL(sc[g], (float)(g + 1));
  fixture_free(&fx);
  s.group_size = CLQL_GROUP_TENSOR;
  fixture_make(&fx, s, W_UNIT);
  CU_ASSERT_EQUAL(clql_pack_float(&fx.packed, big, 128), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_unpack_ternary(&fx.packed, NULL, 0, sc, 1), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(sc[0], 2.5f);
  fixture_free(&fx);
}

/* The reference: integer sums with s = gamma = 1, the documented group order. */
static void test_reference(void) {
  clql_layer_shape s = fixture_shape(2, 64, CLQL_QTYPE_TL1, 32);
  int8_t t[128];
  float x[64], y[2];
  for (int i = 0; i < 128; i++) t[i] = (int8_t)(i % 3 - 1);
  for (int i = 0; i < 64; i++) x[i] = (float)(i % 2 ? 127 - i : i - 127);
  int acc[2][2] = {{0}};
  for (int n = 0; n < 2; n++)
    for (int k = 0; k < 64; k++) acc[n][k / 32] += t[n * 64 + k] * (int)x[k];
  const float unit[4] = {1, 1, 1, 1}, sc[4] = {0.1f, 0.3f, -2.5f, 7.0f};
  CU_ASSERT_EQUAL(clql_ref_forward(&s, t, unit, x, 1, y), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(y[0], (float)(acc[0][0] + acc[0][1]));
  CU_ASSERT_EQUAL(y[1], (float)(acc[1][0] + acc[1][1]));
  CU_ASSERT_EQUAL(clql_ref_forward(&s, t, sc, x, 1, y), CLQL_SUCCESS);
  float p0 = (float)acc[1][0] * sc[2], p1 = (float)acc[1][1] * sc[3];
  float sum = 0.0f;
  sum = sum + p0;
  sum = sum + p1;
  CU_ASSERT_EQUAL(y[1], sum / 1.0f);
  /* An all-zero token: amax floors at 1e-5 and y is exactly 0. */
  memset(x, 0, sizeof x);
  CU_ASSERT_EQUAL(clql_ref_forward(&s, t, sc, x, 1, y), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(y[0], 0.0f);
  CU_ASSERT_FALSE(signbit(y[0]));
}

static void test_bad_input(void) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(5, 40, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  uint64_t count = 200;
  CU_ASSERT_EQUAL(clql_pack_ternary(NULL, w.t, count, w.scales, 5), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, NULL, count, w.scales, 5),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, w.t, count - 1, w.scales, 5),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, w.t, count, w.scales, 4), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_pack_float(&w.packed, NULL, count), CLQL_ERR_INVALID_ARGUMENT);
  clql_packed small = w.packed;
  small.weights_bytes--;
  CU_ASSERT_EQUAL(clql_pack_ternary(&small, w.t, count, w.scales, 5), CLQL_ERR_BUFFER_TOO_SMALL);
  small = w.packed;
  small.scales = NULL;
  CU_ASSERT_EQUAL(clql_pack_ternary(&small, w.t, count, w.scales, 5), CLQL_ERR_INVALID_ARGUMENT);
  /* Out of the ternary range: an error, never clamped. */
  w.t[17] = 2;
  CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, w.t, count, w.scales, 5), CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "[0][17]"));
  float x[40] = {1}, y[5];
  CU_ASSERT_EQUAL(clql_ref_forward(&w.shape, w.t, w.scales, x, 1, y), CLQL_ERR_INVALID_WEIGHTS);
  w.t[17] = -128;
  CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, w.t, count, w.scales, 5), CLQL_ERR_INVALID_WEIGHTS);
  w.t[17] = 0;
  CU_ASSERT_EQUAL(clql_ref_forward(&w.shape, w.t, w.scales, x, 0, y), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_ref_forward(&w.shape, w.t, w.scales, NULL, 1, y), CLQL_ERR_INVALID_ARGUMENT);
  w.scales[3] = NAN;
  CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, w.t, count, w.scales, 5), CLQL_ERR_INVALID_WEIGHTS);
  float fw[200] = {0};
  fw[9] = INFINITY;
  CU_ASSERT_EQUAL(clql_pack_float(&w.packed, fw, 200), CLQL_ERR_INVALID_WEIGHTS);
  /* Shapes: zero sizes and group sizes the layout cannot hold. */
  uint64_t n;
  clql_layer_shape bad = fixture_shape(0, 40, CLQL_QTYPE_I2S, CLQL_GROUP_ROW);
  CU_ASSERT_EQUAL(clql_scale_count(&bad, &n), CLQL_ERR_INVALID_SHAPE);
  bad = fixture_shape(5, 40, CLQL_QTYPE_I2S, 48);
  CU_ASSERT_EQUAL(clql_scale_count(&bad, &n), CLQL_ERR_INVALID_SHAPE);
  bad = fixture_shape(5, 40, CLQL_QTYPE_TL2, 64);
  CU_ASSERT_EQUAL(clql_scale_count(&bad, &n), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_scale_count(NULL, &n), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_scale_count(&w.shape, NULL), CLQL_ERR_INVALID_ARGUMENT);
  fixture_free(&w);
}

/* Packed buffers from elsewhere are untrusted: bad codes and non-zero padding
 * are rejected. */
static void test_corrupt_packed(void) {
  const struct {
    clql_qtype q;
    uint64_t index;      /* word to corrupt (1x32 layer, Np = 16: I2S and TL1 row n at
                            words 8n..8n+7; TL2 magnitudes at 4n..4n+3, the signs of
                            triples 0..15 at 64 + n / 4 * 4 + n % 4 / 2, bit 16 * (n % 2),
                            of 16..31 two words on) */
    uint32_t clear, set; /* bits changed in it */
  } cases[] = {
      {CLQL_QTYPE_I2S, 0, 0, 0x3u << 6},  /* code 11 */
      {CLQL_QTYPE_I2S, 8, 0x1u, 0},       /* padding row: 01 -> 00 (-1) */
      {CLQL_QTYPE_TL1, 0, 0, 0xFu << 28}, /* index 15 */
      {CLQL_QTYPE_TL1, 0, 0, 0x1u << 4},  /* K padding: index 4 -> 5 */
      {CLQL_QTYPE_TL2, 0, 0, 0xEu << 28}, /* magnitude 14 or 15 */
      {CLQL_QTYPE_TL2, 68, 0, 0x1u << 16}, /* a sign on magnitude 0 (padding row 5) */
      {CLQL_QTYPE_TL2, 70, 0, 0x1u << 16}, /* the same in its triples 16..31 */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fixture_weights w;
    fixture_make(&w, fixture_shape(1, 32, cases[i].q, CLQL_GROUP_ROW), W_RANDOM);
    uint32_t v = (word(&w, cases[i].index) & ~cases[i].clear) | cases[i].set;
    memcpy((unsigned char *)w.packed.weights + 4 * cases[i].index, &v, 4);
    CU_ASSERT_EQUAL(clql_packed_check(&w.packed), CLQL_ERR_INVALID_WEIGHTS);
    fixture_free(&w);
  }
}

static CU_TestInfo ternary_tests[] = {{"i2s_known_answers", test_i2s_known_answers},
                                      {"tl1_known_answers", test_tl1_known_answers},
                                      {"tl2_known_answers", test_tl2_known_answers},
                                      {"round_trips", test_round_trips},
                                      {"pack_float", test_pack_float},
                                      {"reference", test_reference},
                                      {"bad_input", test_bad_input},
                                      {"corrupt_packed", test_corrupt_packed},
                                      CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "ternary", .pTests = ternary_tests},
                                   CU_SUITE_INFO_NULL};
