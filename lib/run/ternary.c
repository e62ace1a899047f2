/* Host side of the ternary formats: packing into the device layouts
 * (include/clql/layout.h), export back to int8, and the scalar reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

/* What every host-side function needs to know about a shape. */
typedef struct {
  clql_weight_bytes wb;
  uint64_t n, k;
  uint64_t group_len;   /* elements of a row per scale group (k for row and tensor) */
  uint64_t host_groups; /* scales per row on the host side (1 for row and tensor) */
  uint64_t scales;      /* host-side scale count */
  uint64_t elements;    /* n * k */
} geometry;

static int is_group(const clql_layer_shape *s) {
  return s->group_size != CLQL_GROUP_ROW && s->group_size != CLQL_GROUP_TENSOR;
}

static clql_status geometry_of(const clql_layer_shape *s, geometry *g) {
  clql_status st = clql_layout_weight_bytes(s, &g->wb);
  if (st != CLQL_SUCCESS) return st;
  g->n = s->n;
  g->k = s->k;
  g->group_len = is_group(s) ? s->group_size : s->k;
  g->host_groups = is_group(s) ? (s->k + s->group_size - 1) / s->group_size : 1;
  int ok = clql_mul_u64(s->n, s->k, &g->elements);
  size_t unused;
  ok = ok && clql_to_size(g->elements, &unused);
  if (s->group_size == CLQL_GROUP_TENSOR)
    g->scales = 1;
  else
    ok = ok && clql_mul_u64(s->n, g->host_groups, &g->scales);
  if (!ok)
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%llux%llu weights do not fit host memory sizes",
                     (unsigned long long)s->n, (unsigned long long)s->k);
  return CLQL_SUCCESS;
}

clql_status clql_scale_count(const clql_layer_shape *shape, uint64_t *count) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  geometry g;
  clql_status st = geometry_of(shape, &g);
  if (st == CLQL_SUCCESS) *count = g.scales;
  return st;
}

/* ---- the device layouts ---- */

/* Weight k of a row; zero beyond the row and for padding rows (row NULL). */
static int tval(const int8_t *row, uint64_t k_len, uint64_t k) {
  return row && k < k_len ? row[k] : 0;
}

/* Units per row: 128-weight blocks (I2S, TL1) or 96-weight granules (TL2). */
static uint64_t units_per_row(const clql_layer_shape *s, const geometry *g) {
  return s->qtype == CLQL_QTYPE_TL2 ? g->wb.k_padded / 96 : g->wb.k_padded / 128;
}

/* Byte offset of row n's 32-byte block u (I2S, TL1): tiles of
 * CLQL_ROW_MULTIPLE rows, each block of a tile holding its rows in order. */
static uint64_t block_offset(const geometry *g, uint64_t n, uint64_t u) {
  const uint64_t t = CLQL_ROW_MULTIPLE;
  return ((n / t * (g->wb.k_padded / 128) + u) * t + n % t) * 32;
}

/* TL2: per tile and 96-weight granule u, the 16 rows' 16 magnitude bytes
 * (row n's at granule_offset), then their sign bits in 16-bit halves
 * (sign_offset: half h of row n; see include/clql/layout.h). */
static uint64_t granule_offset(const geometry *g, uint64_t n, uint64_t u) {
  const uint64_t t = CLQL_ROW_MULTIPLE;
  return (n / t * (g->wb.k_padded / 96) + u) * t * 20 + n % t * 16;
}
static uint64_t sign_offset(const geometry *g, uint64_t n, uint64_t u, unsigned h) {
  const uint64_t t = CLQL_ROW_MULTIPLE, r = n % t;
  return (n / t * (g->wb.k_padded / 96) + u) * t * 20 + t * 16 + r / 4 * 16 + h * 8 + r % 4 * 2;
}

/* Encode unit u of row n (row NULL: a padding row). */
static void encode_unit(const clql_layer_shape *s, const geometry *g, void *w, uint64_t n,
                        const int8_t *row, uint64_t u) {
  const uint64_t k = g->k;
  if (s->qtype == CLQL_QTYPE_I2S) {
    /* byte j: code t + 1 of weight 128u + 32m + j at bits 2m */
    unsigned char *b = (unsigned char *)w + block_offset(g, n, u);
    for (unsigned j = 0; j < 32; j++) {
      unsigned v = 0;
      for (unsigned m = 0; m < 4; m++)
        v |= (unsigned)(tval(row, k, 128 * u + 32 * m + j) + 1) << (2 * m);
      b[j] = (unsigned char)v;
    }
  } else if (s->qtype == CLQL_QTYPE_TL1) {
    /* byte j: pair j (weights 128u + 2j, +1) in bits 0-3, pair 32 + j in bits 4-7 */
    unsigned char *b = (unsigned char *)w + block_offset(g, n, u);
    for (unsigned j = 0; j < 32; j++) {
      unsigned v = 0;
      for (unsigned h = 0; h < 2; h++) {
        uint64_t k0 = 128 * u + 64 * h + 2 * j;
        v |= (unsigned)(3 * tval(row, k, k0) + tval(row, k, k0 + 1) + 4) << (4 * h);
      }
      b[j] = (unsigned char)v;
    }
  } else {
    /* triple i (weights 96u + i, +32, +64): |v| in nibble i / 16 of byte
     * i % 16 of the row's 16 magnitude bytes, v < 0 in bit i % 16 of its
     * sign half i / 16 */
    unsigned char *b = (unsigned char *)w + granule_offset(g, n, u);
    uint32_t sign = 0;
    memset(b, 0, 16);
    for (unsigned i = 0; i < 32; i++) {
      uint64_t k0 = 96 * u + i;
      int v = 9 * tval(row, k, k0) + 3 * tval(row, k, k0 + 32) + tval(row, k, k0 + 64);
      b[i % 16] |= (unsigned char)((v < 0 ? -v : v) << (4 * (i / 16)));
      sign |= (uint32_t)(v < 0) << i;
    }
    for (unsigned h = 0; h < 2; h++) {
      unsigned char *sg = (unsigned char *)w + sign_offset(g, n, u, h);
      sg[0] = (unsigned char)(sign >> 16 * h);
      sg[1] = (unsigned char)(sign >> (16 * h + 8));
    }
  }
}

/* Decode unit u of row n into out[0 .. 128 or 96); 0 on an invalid code. */
static int decode_unit(const clql_layer_shape *s, const geometry *g, const void *w, uint64_t n,
                       uint64_t u, int8_t *out) {
  if (s->qtype == CLQL_QTYPE_I2S) {
    const unsigned char *b = (const unsigned char *)w + block_offset(g, n, u);
    for (unsigned j = 0; j < 32; j++) {
      for (unsigned m = 0; m < 4; m++) {
        unsigned c = (b[j] >> (2 * m)) & 3u;
        if (c == 3) return 0;
        out[32 * m + j] = (int8_t)((int)c - 1);
      }
    }
  } else if (s->qtype == CLQL_QTYPE_TL1) {
    const unsigned char *b = (const unsigned char *)w + block_offset(g, n, u);
    for (unsigned j = 0; j < 32; j++) {
      for (unsigned h = 0; h < 2; h++) {
        unsigned idx = (b[j] >> (4 * h)) & 15u;
        if (idx > 8) return 0;
        out[64 * h + 2 * j] = (int8_t)((int)(idx / 3) - 1);
        out[64 * h + 2 * j + 1] = (int8_t)((int)(idx % 3) - 1);
      }
    }
  } else {
    const unsigned char *b = (const unsigned char *)w + granule_offset(g, n, u);
    const unsigned char *s0 = (const unsigned char *)w + sign_offset(g, n, u, 0);
    const unsigned char *s1 = (const unsigned char *)w + sign_offset(g, n, u, 1);
    uint32_t sign = (uint32_t)s0[0] | (uint32_t)s0[1] << 8 | (uint32_t)s1[0] << 16 |
                    (uint32_t)s1[1] << 24;
    for (unsigned i = 0; i < 32; i++) {
      int m = (b[i % 16] >> (4 * (i / 16))) & 15;
      int neg = (int)((sign >> i) & 1u);
      if (m > 13 || (neg && m == 0)) return 0;
      /* balanced ternary digits of m = 9*d0 + 3*d1 + d2, each in -1..1 */
      int d2 = (m + 1) % 3 - 1, m1 = (m - d2) / 3;
      int d1 = (m1 + 1) % 3 - 1, d0 = (m1 - d1) / 3;
      int sg1 = neg ? -1 : 1;
      out[i] = (int8_t)(sg1 * d0);
      out[32 + i] = (int8_t)(sg1 * d1);
      out[64 + i] = (int8_t)(sg1 * d2);
    }
  }
  return 1;
}

/* Device index of host scale (n, group gi); padding scales are not host scales. */
static uint64_t scale_index(const clql_layer_shape *s, const geometry *g, uint64_t n, uint64_t gi) {
  if (s->group_size == CLQL_GROUP_TENSOR) return 0;
  return gi * g->wb.n_padded + n;
}

static clql_status check_packed(const clql_packed *p, geometry *g) {
  if (!p) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "packed weights are NULL");
  clql_status st = geometry_of(&p->shape, g);
  if (st != CLQL_SUCCESS) return st;
  if (!p->weights || !p->scales)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "packed weight or scale buffer is NULL");
  if (p->weights_bytes < g->wb.weights || p->scales_bytes < g->wb.scales)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL,
                     "packed buffers of %llu and %llu bytes; %s %llux%llu needs %llu and %llu",
                     (unsigned long long)p->weights_bytes, (unsigned long long)p->scales_bytes,
                     clql_qtype_name(p->shape.qtype), (unsigned long long)g->n,
                     (unsigned long long)g->k, (unsigned long long)g->wb.weights,
                     (unsigned long long)g->wb.scales);
  return CLQL_SUCCESS;
}

static clql_status check_count(const char *what, uint64_t got, uint64_t want) {
  if (got == want) return CLQL_SUCCESS;
  return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "%s count is %llu; the shape has %llu", what,
                   (unsigned long long)got, (unsigned long long)want);
}

/* The first value of t outside -1..1, as an error; CLQL_SUCCESS when none. */
static clql_status check_ternary(const int8_t *t, uint64_t count, uint64_t k) {
  for (uint64_t i = 0; i < count; i++)
    if (t[i] < -1 || t[i] > 1)
      return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "weight [%llu][%llu] is %d, not -1, 0 or +1",
                       (unsigned long long)(i / k), (unsigned long long)(i % k), t[i]);
  return CLQL_SUCCESS;
}

static clql_status check_finite(const float *v, uint64_t count, const char *what) {
  for (uint64_t i = 0; i < count; i++)
    if (!isfinite(v[i]))
      return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "%s %llu is not finite", what,
                       (unsigned long long)i);
  return CLQL_SUCCESS;
}

/* Pack validated input: every unit of every (padded) row, then the scales. */
static void pack(const clql_packed *dst, const geometry *g, const int8_t *t, const float *scales) {
  const clql_layer_shape *s = &dst->shape;
  const uint64_t units = units_per_row(s, g);
  for (uint64_t n = 0; n < g->wb.n_padded; n++) {
    const int8_t *row = n < g->n ? t + n * g->k : NULL;
    for (uint64_t u = 0; u < units; u++) encode_unit(s, g, dst->weights, n, row, u);
  }
  memset(dst->scales, 0, g->wb.scales);
  for (uint64_t n = 0; n < g->n && s->group_size != CLQL_GROUP_TENSOR; n++)
    for (uint64_t gi = 0; gi < g->host_groups; gi++)
      dst->scales[scale_index(s, g, n, gi)] = scales[n * g->host_groups + gi];
  if (s->group_size == CLQL_GROUP_TENSOR) dst->scales[0] = scales[0];
}

clql_status clql_pack_ternary(const clql_packed *dst, const int8_t *t, uint64_t t_count,
                              const float *scales, uint64_t scale_count) {
  geometry g;
  clql_status st = check_packed(dst, &g);
  if (st != CLQL_SUCCESS) return st;
  if (!t || !scales) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "weights or scales are NULL");
  if ((st = check_count("weight", t_count, g.elements)) != CLQL_SUCCESS ||
      (st = check_count("scale", scale_count, g.scales)) != CLQL_SUCCESS ||
      (st = check_ternary(t, g.elements, g.k)) != CLQL_SUCCESS ||
      (st = check_finite(scales, g.scales, "scale")) != CLQL_SUCCESS)
    return st;
  pack(dst, &g, t, scales);
  return CLQL_SUCCESS;
}

clql_status clql_pack_float(const clql_packed *dst, const float *w, uint64_t w_count) {
  geometry g;
  clql_status st = check_packed(dst, &g);
  if (st != CLQL_SUCCESS) return st;
  if (!w) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "weights are NULL");
  if ((st = check_count("weight", w_count, g.elements)) != CLQL_SUCCESS ||
      (st = check_finite(w, g.elements, "weight")) != CLQL_SUCCESS)
    return st;
  int8_t *t = clql_malloc((size_t)g.elements);
  float *gamma = clql_malloc((size_t)g.scales * sizeof *gamma);
  if (!t || !gamma) {
    clql_free(t);
    clql_free(gamma);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "%llu weights", (unsigned long long)g.elements);
  }
  /* Group (n, gi) covers k in [gi*len, min(k, (gi+1)*len)); a tensor scale
   * is one group over every row. */
  const int tensor = dst->shape.group_size == CLQL_GROUP_TENSOR;
  double tensor_sum = 0.0;
  for (uint64_t n = 0; n < g.n; n++) {
    for (uint64_t gi = 0; gi < g.host_groups; gi++) {
      uint64_t k0 = gi * g.group_len, k1 = k0 + g.group_len < g.k ? k0 + g.group_len : g.k;
      double sum = 0.0;
      for (uint64_t k = k0; k < k1; k++) sum += fabs((double)w[n * g.k + k]);
      if (tensor)
        tensor_sum += sum;
      else
        gamma[n * g.host_groups + gi] = fmaxf((float)(sum / (double)(k1 - k0)), 1e-5f);
    }
  }
  if (tensor) gamma[0] = fmaxf((float)(tensor_sum / (double)g.elements), 1e-5f);
  for (uint64_t n = 0; n < g.n; n++) {
    for (uint64_t k = 0; k < g.k; k++) {
      float gm = gamma[tensor ? 0 : n * g.host_groups + k / g.group_len];
      float r = rintf(w[n * g.k + k] / gm);
      t[n * g.k + k] = (int8_t)(r > 1.0f ? 1 : r < -1.0f ? -1 : (int)r);
    }
  }
  pack(dst, &g, t, gamma);
  clql_free(t);
  clql_free(gamma);
  return CLQL_SUCCESS;
}

clql_status clql_unpack_ternary(const clql_packed *src, int8_t *t, uint64_t t_count, float *scales,
                                uint64_t scale_count) {
  geometry g;
  clql_status st = check_packed(src, &g);
  if (st != CLQL_SUCCESS) return st;
  if ((t && (st = check_count("weight", t_count, g.elements)) != CLQL_SUCCESS) ||
      (scales && (st = check_count("scale", scale_count, g.scales)) != CLQL_SUCCESS))
    return st;
  const clql_layer_shape *s = &src->shape;
  if ((st = check_finite(src->scales, g.wb.scales / 4, "device scale")) != CLQL_SUCCESS) return st;
  const uint64_t units = units_per_row(s, &g), per_unit = s->qtype == CLQL_QTYPE_TL2 ? 96 : 128;
  int8_t v[128];
  for (uint64_t n = 0; n < g.wb.n_padded; n++) {
    for (uint64_t u = 0; u < units; u++) {
      if (!decode_unit(s, &g, src->weights, n, u, v))
        return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "invalid %s code in row %llu at k %llu",
                         clql_qtype_name(s->qtype), (unsigned long long)n,
                         (unsigned long long)(u * per_unit));
      for (uint64_t i = 0; i < per_unit; i++) {
        uint64_t k = u * per_unit + i;
        if (n < g.n && k < g.k) {
          if (t) t[n * g.k + k] = v[i];
        } else if (v[i] != 0) {
          return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "non-zero padding in row %llu at k %llu",
                           (unsigned long long)n, (unsigned long long)k);
        }
      }
    }
  }
  for (uint64_t n = 0; scales && n < g.n && s->group_size != CLQL_GROUP_TENSOR; n++)
    for (uint64_t gi = 0; gi < g.host_groups; gi++)
      scales[n * g.host_groups + gi] = src->scales[scale_index(s, &g, n, gi)];
  if (scales && s->group_size == CLQL_GROUP_TENSOR) scales[0] = src->scales[0];
  return CLQL_SUCCESS;
}

clql_status clql_packed_check(const clql_packed *packed) {
  return clql_unpack_ternary(packed, NULL, 0, NULL, 0);
}

clql_status clql_ref_forward(const clql_layer_shape *shape, const int8_t *t, const float *scales,
                             const float *x, uint64_t batch, float *y) {
  geometry g;
  clql_status st = geometry_of(shape, &g);
  if (st != CLQL_SUCCESS) return st;
  if (!t || !scales || !x || !y)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "weights, scales, x and y are required");
  if (batch == 0) return clql_fail(CLQL_ERR_INVALID_SHAPE, "batch must be at least 1");
  uint64_t qn, yn;
  size_t qsize, bsize, unused;
  if (!clql_mul_u64(batch, g.k, &qn) || !clql_to_size(qn, &qsize) || !clql_to_size(batch, &bsize) ||
      bsize > SIZE_MAX / sizeof(float) || qsize > SIZE_MAX / sizeof(float) ||
      !clql_mul_u64(batch, g.n, &yn) || !clql_mul_u64(yn, sizeof(float), &yn) ||
      !clql_to_size(yn, &unused))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "batch %llu of %llux%llu", (unsigned long long)batch,
                     (unsigned long long)g.n, (unsigned long long)g.k);
  if ((st = check_ternary(t, g.elements, g.k)) != CLQL_SUCCESS) return st;
  int8_t *q = clql_malloc(qsize);
  float *s = clql_malloc(bsize * sizeof *s);
  if (!q || !s) {
    clql_free(q);
    clql_free(s);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "reference activations");
  }
  st = clql_ref_quantize_activations(x, bsize, (size_t)g.k, q, (size_t)g.k, s);
  for (uint64_t n = 0; st == CLQL_SUCCESS && n < g.n; n++) {
    const int8_t *row = t + n * g.k;
    for (uint64_t b = 0; b < batch; b++) {
      const int8_t *qb = q + b * g.k;
      float sum = 0.0f;
      for (uint64_t gi = 0; gi < g.host_groups; gi++) {
        uint64_t k0 = gi * g.group_len, k1 = k0 + g.group_len < g.k ? k0 + g.group_len : g.k;
        int32_t acc = 0;
        for (uint64_t k = k0; k < k1; k++) acc += row[k] * qb[k];
        float gamma =
            shape->group_size == CLQL_GROUP_TENSOR ? scales[0] : scales[n * g.host_groups + gi];
        float p = (float)acc * gamma;
        sum = sum + p;
      }
      y[b * g.n + n] = sum / s[b];
    }
  }
  clql_free(q);
  clql_free(s);
  return st;
}
