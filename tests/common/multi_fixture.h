/* Test helpers for device sets: host weights made quickly (large 2B4T
 * shapes included), comparison with the reference, and the budget check of
 * what each device really holds. */
#ifndef CLQL_MULTI_FIXTURE_H
#define CLQL_MULTI_FIXTURE_H

#include "ternary_fixture.h"

typedef struct {
  clql_ternary_weights w;
  int8_t *t;
  float *scales;
} host_layer;

/* Random ternary weights (40 trits per random word) and random scales. */
static inline void host_layer_make(host_layer *h, uint64_t n, uint64_t k, clql_qtype q,
                                   uint32_t group) {
  memset(h, 0, sizeof *h);
  h->w.shape = fixture_shape(n, k, q, group);
  h->w.t_count = n * k;
  CLQL_REQUIRE(clql_scale_count(&h->w.shape, &h->w.scale_count) == CLQL_SUCCESS);
  h->t = malloc(h->w.t_count);
  h->scales = malloc(h->w.scale_count * sizeof *h->scales);
  CLQL_REQUIRE(h->t && h->scales);
  for (uint64_t i = 0; i < h->w.t_count;) {
    uint64_t r = clql_test_rand();
    for (int j = 0; j < 40 && i < h->w.t_count; j++, i++, r /= 3) h->t[i] = (int8_t)(r % 3) - 1;
  }
  for (uint64_t i = 0; i < h->w.scale_count; i++) h->scales[i] = clql_test_uniform(0.01f, 2.0f);
  h->w.t = h->t;
  h->w.scales = h->scales;
}

static inline void host_layer_free(host_layer *h) {
  free(h->t);
  free(h->scales);
  memset(h, 0, sizeof *h);
}

/* y[batch][N] against clql_ref_forward of h: elements that differ in any bit. */
static inline uint64_t reference_differs(const host_layer *h, const float *x, uint64_t batch,
                                         const float *y) {
  float *ref = fixture_poisoned(batch * h->w.shape.n);
  CU_ASSERT_EQUAL(clql_ref_forward(&h->w.shape, h->t, h->scales, x, batch, ref), CLQL_SUCCESS);
  uint64_t bad = fixture_differ(y, ref, batch * h->w.shape.n);
  if (bad)
    printf("\n%llu of %llu outputs differ from the reference (%llux%llu %s)\n",
           (unsigned long long)bad, (unsigned long long)(batch * h->w.shape.n),
           (unsigned long long)h->w.shape.n, (unsigned long long)h->w.shape.k,
           clql_qtype_name(h->w.shape.qtype));
  free(ref);
  return bad;
}

/* The chain of count layers (each one's output the next one's input)
 * through the reference; the caller frees the result. */
static inline float *reference_chain(const host_layer *layers, size_t count, const float *x,
                                     uint64_t batch) {
  const float *in = x;
  float *out = NULL;
  for (size_t i = 0; i < count; i++) {
    out = fixture_poisoned(batch * layers[i].w.shape.n);
    CU_ASSERT_EQUAL(
        clql_ref_forward(&layers[i].w.shape, layers[i].t, layers[i].scales, in, batch, out),
        CLQL_SUCCESS);
    if (in != x) free((void *)in);
    in = out;
  }
  return out;
}

static inline int report(clql_status st) {
  if (st != CLQL_SUCCESS) printf("\n%s: %s\n", clql_status_name(st), clql_last_error_detail());
  return st == CLQL_SUCCESS;
}

/* A pass of `batch` fresh tokens through a split layer equals the reference. */
static inline void expect_split_exact(clql_split_layer *layer, const host_layer *h, uint64_t batch,
                                      input_mode mode) {
  float *x = fixture_input(batch, h->w.shape.k, mode), *y = fixture_poisoned(batch * h->w.shape.n);
  CU_ASSERT(report(clql_split_layer_forward(layer, x, batch, y)));
  CU_ASSERT_EQUAL(reference_differs(h, x, batch, y), 0);
  free(x);
  free(y);
}

/* What a device holds and held at once fits its own budget. */
static inline void check_stats_fit(const clql_split_device_stats *s) {
  CU_ASSERT(s->resident_bytes + s->workspace_peak_bytes <= s->budget.bytes);
  if (s->resident_bytes + s->workspace_peak_bytes > s->budget.bytes)
    printf("\nresident %llu + workspace %llu > budget %llu\n",
           (unsigned long long)s->resident_bytes, (unsigned long long)s->workspace_peak_bytes,
           (unsigned long long)s->budget.bytes);
}

/* Each part of a plan within its budget and max_alloc. */
static inline void check_parts_fit(const clql_split_part *parts, size_t n) {
  for (size_t d = 0; d < n; d++) {
    const clql_model_plan *p = &parts[d].plan;
    CU_ASSERT_TRUE(p->fits);
    CU_ASSERT(p->weight_bytes + p->workspace.total <= p->budget.bytes);
    CU_ASSERT(p->largest.bytes <= p->budget.max_alloc);
  }
}

static inline clql_budget_options limit_of(uint64_t bytes) {
  clql_budget_options o;
  memset(&o, 0, sizeof o);
  o.set = CLQL_BUDGET_LIMIT;
  o.limit = bytes;
  return o;
}

#endif
