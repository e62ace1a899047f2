/* Test helpers shared by the ternary test programs: random layers, packing,
 * poisoned outputs and bitwise comparison with the reference. */
#ifndef CLQL_TERNARY_FIXTURE_H
#define CLQL_TERNARY_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

/* A layer's host-side weights and their packed form. */
typedef struct {
  clql_layer_shape shape;
  int8_t *t;
  float *scales;
  uint64_t scale_count;
  clql_packed packed;
} fixture_weights;

typedef enum {
  W_RANDOM,   /* random ternary, random scales */
  W_UNIT,     /* random ternary, every scale 1 */
  W_ALL_PLUS, /* every weight +1, scales 1 */
  W_ZERO_ROWS /* random, with every third row all zero */
} weight_mode;

static inline clql_layer_shape fixture_shape(uint64_t n, uint64_t k, clql_qtype q, uint32_t g) {
  clql_layer_shape s = {.n = n, .k = k, .qtype = q, .group_size = g};
  return s;
}

/* Make and pack weights; CU assertions on failure. */
static inline void fixture_make(fixture_weights *w, clql_layer_shape s, weight_mode mode) {
  memset(w, 0, sizeof *w);
  w->shape = s;
  uint64_t count = s.n * s.k;
  CU_ASSERT_EQUAL_FATAL(clql_scale_count(&s, &w->scale_count), CLQL_SUCCESS);
  w->t = malloc(count);
  w->scales = malloc(w->scale_count * sizeof(float));
  CLQL_REQUIRE(w->t && w->scales);
  for (uint64_t i = 0; i < count; i++) {
    int v = mode == W_ALL_PLUS ? 1 : clql_test_int(-1, 1);
    if (mode == W_ZERO_ROWS && (i / s.k) % 3 == 1) v = 0;
    w->t[i] = (int8_t)v;
  }
  for (uint64_t i = 0; i < w->scale_count; i++)
    w->scales[i] = mode == W_RANDOM || mode == W_ZERO_ROWS ? clql_test_uniform(-2.0f, 2.0f) : 1.0f;
  clql_weight_bytes wb;
  CU_ASSERT_EQUAL_FATAL(clql_layout_weight_bytes(&s, &wb), CLQL_SUCCESS);
  w->packed.shape = s;
  w->packed.weights = malloc(wb.weights);
  w->packed.weights_bytes = wb.weights;
  w->packed.scales = malloc(wb.scales);
  w->packed.scales_bytes = wb.scales;
  CLQL_REQUIRE(w->packed.weights && w->packed.scales);
  CU_ASSERT_EQUAL_FATAL(clql_pack_ternary(&w->packed, w->t, count, w->scales, w->scale_count),
                        CLQL_SUCCESS);
}

static inline void fixture_free(fixture_weights *w) {
  free(w->t);
  free(w->scales);
  free(w->packed.weights);
  free(w->packed.scales);
  memset(w, 0, sizeof *w);
}

typedef enum {
  X_FLOAT,      /* uniform floats of a random range */
  X_INT127,     /* integers in -127..127 with |max| = 127, so s = 1 */
  X_CONST127,   /* every element 127 */
  X_ZERO_TOKENS, /* floats, with every second token all zero */
  X_HALVES,      /* multiples of 0.5 in -127..127 with 127 present (s = 1: every odd one
                    a rounding tie), NaNs and -0.0 among them */
  X_TINY,        /* |x| below 1e-5, denormals included: the scale's floor */
  X_INF          /* floats with +-infinity among them: s = 0 */
} input_mode;

static inline float *fixture_input(uint64_t batch, uint64_t k, input_mode mode) {
  float *x = malloc(batch * k * sizeof *x);
  CLQL_REQUIRE(x != NULL);
  for (uint64_t b = 0; b < batch; b++) {
    float range = clql_test_uniform(0.01f, 50.0f);
    for (uint64_t i = 0; i < k; i++) {
      float v;
      switch (mode) {
        case X_INT127: v = (float)clql_test_int(-127, 127); break;
        case X_CONST127: v = 127.0f; break;
        case X_ZERO_TOKENS: v = b % 2 ? 0.0f : clql_test_uniform(-range, range); break;
        case X_HALVES: {
          const int r = clql_test_int(0, 15);
          v = r == 0 ? NAN : r == 1 ? -0.0f : (float)clql_test_int(-254, 254) * 0.5f;
          break;
        }
        case X_TINY: v = clql_test_uniform(-1e-5f, 1e-5f) * (clql_test_rand() & 1 ? 1.0f : 1e-33f); break;
        case X_INF: {
          const int r = clql_test_int(0, 31);
          v = r == 0 ? INFINITY : r == 1 ? -INFINITY : clql_test_uniform(-range, range);
          break;
        }
        default: v = clql_test_uniform(-range, range); break;
      }
      x[b * k + i] = v;
    }
    if (mode == X_INT127) x[b * k + clql_test_rand() % k] = clql_test_rand() & 1 ? 127.0f : -127.0f;
    if (mode == X_HALVES) x[b * k + clql_test_rand() % k] = clql_test_rand() & 1 ? 127.0f : -127.0f;
  }
  return x;
}

/* Poison: all-ones bytes, a NaN, so an element never written cannot match. */
static inline float *fixture_poisoned(uint64_t count) {
  float *y = malloc(count * sizeof *y);
  CLQL_REQUIRE(y != NULL);
  memset(y, 0xff, count * sizeof *y);
  return y;
}

/* Elements of a and b that differ bit for bit (NaN never equals). */
static inline uint64_t fixture_differ(const float *a, const float *b, uint64_t count) {
  uint64_t bad = 0;
  for (uint64_t i = 0; i < count; i++)
    bad += memcmp(&a[i], &b[i], sizeof(float)) != 0 || isnan(a[i]);
  return bad;
}

#endif
