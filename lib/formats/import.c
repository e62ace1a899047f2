/* External ternary layouts (I2_S, TQ1_0, TQ2_0) <-> int8 ternary + float32
 * scales. The layouts are described in include/clql/import.h. */
#include <string.h>
#include "../internal.h"

#define I2S_BLOCK 128u
#define I2S_BLOCK_BYTES 32u
#define I2S_TAIL 32u
#define QK 256u
#define TQ2_BLOCK_BYTES 66u
#define TQ1_BLOCK_BYTES 54u
#define TQ1_QS 48u /* qs[0..31]: 5 trits x 32, qs[32..47]: 5 trits x 16 */
#define TQ1_QH 4u  /* 4 trits each */

const char *clql_ternary_format_name(clql_ternary_format format) {
  switch (format) {
  case CLQL_TERNARY_NONE: return "none";
  case CLQL_TERNARY_I2_S: return "I2_S";
  case CLQL_TERNARY_TQ1_0: return "TQ1_0";
  case CLQL_TERNARY_TQ2_0: return "TQ2_0";
  default: return "unknown";
  }
}

/* ---- fp16 (IEEE binary16) <-> float32, bit-exact and independent of the
 * rounding mode and of compiler support for _Float16 ---- */

float clql_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { /* subnormal: normalise into float32's wider exponent range */
      int e = -1;
      do {
        mant <<= 1;
        e++;
      } while (!(mant & 0x400u));
      bits = sign | (uint32_t)(112 - e) << 23 | (mant & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 112) << 23 | mant << 13;
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

uint16_t clql_float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((ax >> 13) & 0x3ffu)); /* NaN stays NaN */
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to infinity */
  uint32_t h, rem, half;
  if (ax >= 0x38800000u) { /* normal half */
    h = ((ax >> 23) - 112) << 10 | ((ax >> 13) & 0x3ffu);
    rem = ax & 0x1fffu;
    half = 0x1000u;
  } else if (ax >= 0x33000000u) { /* subnormal half: units of 2^-24 */
    uint32_t m = (ax & 0x7fffffu) | 0x800000u, shift = 126 - (ax >> 23);
    h = m >> shift;
    rem = m & ((1u << shift) - 1);
    half = 1u << (shift - 1);
  } else { /* at most 2^-25: rounds to (signed) zero */
    return (uint16_t)sign;
  }
  if (rem > half || (rem == half && (h & 1u))) h++; /* a carry moves into the exponent correctly */
  return (uint16_t)(sign | h);
}

static uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static float load_f32(const uint8_t *p) {
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &v, sizeof f);
  return f;
}

static void store_f32(uint8_t *p, float f) {
  uint32_t v;
  memcpy(&v, &f, sizeof v);
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int is_finite_f32(float f) {
  uint32_t v;
  memcpy(&v, &f, sizeof v);
  return (v & 0x7f800000u) != 0x7f800000u;
}

/* ---- sizes ---- */

clql_status clql_ternary_format_bytes(clql_ternary_format format, uint64_t n, uint64_t k,
                                   clql_ternary_sizes *out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "output is NULL");
  uint64_t block, block_bytes;
  switch (format) {
  case CLQL_TERNARY_I2_S: block = I2S_BLOCK, block_bytes = I2S_BLOCK_BYTES; break;
  case CLQL_TERNARY_TQ1_0: block = QK, block_bytes = TQ1_BLOCK_BYTES; break;
  case CLQL_TERNARY_TQ2_0: block = QK, block_bytes = TQ2_BLOCK_BYTES; break;
  default: return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "unknown ternary format %d", (int)format);
  }
  if (n == 0 || k == 0)
    return clql_fail(CLQL_ERR_INVALID_SHAPE, "%s: empty shape %llu x %llu",
                     clql_ternary_format_name(format), (unsigned long long)n,
                     (unsigned long long)k);
  if (k % block)
    return clql_fail(CLQL_ERR_INVALID_SHAPE, "%s: row length K = %llu is not a multiple of %llu",
                     clql_ternary_format_name(format), (unsigned long long)k,
                     (unsigned long long)block);
  clql_ternary_sizes s = {.n = n, .k = k};
  uint64_t blocks;
  if (!clql_mul_u64(n, k, &s.weights) || !clql_mul_u64(n, k / block, &blocks) ||
      !clql_mul_u64(blocks, block_bytes, &s.bytes))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%s: %llu x %llu overflows 64 bits",
                     clql_ternary_format_name(format), (unsigned long long)n,
                     (unsigned long long)k);
  if (format == CLQL_TERNARY_I2_S) {
    if (!clql_add_u64(s.bytes, I2S_TAIL, &s.bytes))
      return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "I2_S: tensor size overflows 64 bits");
    s.scales = 1;
    s.group_size = CLQL_GROUP_TENSOR;
  } else {
    s.scales = blocks;
    s.group_size = QK;
  }
  *out = s;
  return CLQL_SUCCESS;
}

/* Sizes plus the common argument checks of import and export. */
static clql_status check_call(clql_ternary_format format, uint64_t n, uint64_t k,
                              clql_ternary_sizes *s) {
  clql_status st = clql_ternary_format_bytes(format, n, k, s);
  if (st != CLQL_SUCCESS) return st;
  size_t unused;
  if (!clql_to_size(s->bytes, &unused) || !clql_to_size(s->weights, &unused))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%s tensor of %llu x %llu exceeds the address space",
                     clql_ternary_format_name(format), (unsigned long long)n,
                     (unsigned long long)k);
  return CLQL_SUCCESS;
}

/* ---- TQ1_0 base-3 bytes ---- */

static const uint8_t pow3[5] = {1, 3, 9, 27, 81};

/* The byte that stores base-3 value q (0..242): ceil(q * 256 / 243). */
static uint8_t tq1_encode(unsigned q) { return (uint8_t)((q * 256u + 242u) / 243u); }

/* Digit i (0 = most significant) of a stored byte, as ggml decodes it. */
static unsigned tq1_digit(uint8_t byte, unsigned i) {
  uint8_t shifted = (uint8_t)(byte * pow3[i]);
  return (unsigned)(shifted * 3u) >> 8;
}

/* Per byte value: its five digits, and whether some trit set produces it
 * (bit 0: as a qs byte; bit 1: as a qh byte, whose fifth digit is 0). Only
 * 243 of 256 bytes are ceil(q * 256 / 243) for some q. */
typedef struct {
  uint8_t digit[256][5];
  uint8_t valid[256];
} tq1_table;

static void tq1_table_fill(tq1_table *t) {
  for (unsigned b = 0; b < 256; b++) {
    unsigned q = 0;
    for (unsigned i = 0; i < 5; i++) {
      t->digit[b][i] = (uint8_t)tq1_digit((uint8_t)b, i);
      q = q * 3 + t->digit[b][i];
    }
    int ok = q < 243 && tq1_encode(q) == b;
    t->valid[b] = (uint8_t)(ok ? 1u | (t->digit[b][4] == 0 ? 2u : 0u) : 0u);
  }
}

/* ---- import ---- */

static clql_status bad_block(clql_ternary_format format, uint64_t block, const char *what) {
  return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "%s block %llu: %s", clql_ternary_format_name(format),
                   (unsigned long long)block, what);
}

static clql_status import_i2s(const uint8_t *src, const clql_ternary_sizes *s, int8_t *w,
                              float *scales) {
  uint64_t blocks = s->weights / I2S_BLOCK;
  for (uint64_t b = 0; b < blocks; b++) {
    const uint8_t *q = src + b * I2S_BLOCK_BYTES;
    int8_t *o = w + b * I2S_BLOCK;
    for (unsigned j = 0; j < I2S_BLOCK_BYTES; j++) {
      unsigned v = q[j];
      if (v & (v >> 1) & 0x55u) return bad_block(CLQL_TERNARY_I2_S, b, "2-bit code 3");
      o[j] = (int8_t)((int)(v >> 6) - 1);
      o[32 + j] = (int8_t)((int)((v >> 4) & 3u) - 1);
      o[64 + j] = (int8_t)((int)((v >> 2) & 3u) - 1);
      o[96 + j] = (int8_t)((int)(v & 3u) - 1);
    }
  }
  float scale = load_f32(src + s->weights / 4);
  if (!is_finite_f32(scale)) return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "I2_S: scale is not finite");
  scales[0] = scale;
  return CLQL_SUCCESS;
}

static clql_status tq_scale(clql_ternary_format format, uint64_t b, const uint8_t *p, float *out) {
  uint16_t d = load_u16(p);
  if ((d & 0x7c00u) == 0x7c00u) return bad_block(format, b, "fp16 scale is not finite");
  *out = clql_half_to_float(d);
  return CLQL_SUCCESS;
}

static clql_status import_tq2(const uint8_t *src, const clql_ternary_sizes *s, int8_t *w,
                              float *scales) {
  for (uint64_t b = 0; b < s->scales; b++) {
    const uint8_t *q = src + b * TQ2_BLOCK_BYTES;
    int8_t *o = w + b * QK;
    for (unsigned h = 0; h < 2; h++) {
      for (unsigned m = 0; m < 32; m++) {
        unsigned v = q[32 * h + m];
        if (v & (v >> 1) & 0x55u) return bad_block(CLQL_TERNARY_TQ2_0, b, "2-bit code 3");
        for (unsigned i = 0; i < 4; i++)
          o[128 * h + 32 * i + m] = (int8_t)((int)((v >> (2 * i)) & 3u) - 1);
      }
    }
    clql_status st = tq_scale(CLQL_TERNARY_TQ2_0, b, q + 64, &scales[b]);
    if (st != CLQL_SUCCESS) return st;
  }
  return CLQL_SUCCESS;
}

static clql_status import_tq1(const uint8_t *src, const clql_ternary_sizes *s, int8_t *w,
                              float *scales) {
  tq1_table t;
  tq1_table_fill(&t);
  for (uint64_t b = 0; b < s->scales; b++) {
    const uint8_t *q = src + b * TQ1_BLOCK_BYTES;
    int8_t *o = w + b * QK;
    /* qs[m], m < 32: elements 32i + m; qs[32 + m], m < 16: 160 + 16i + m;
     * qh[j]: 240 + 4i + j (i < 4). Digit i is the i-th most significant. */
    for (unsigned m = 0; m < TQ1_QS; m++) {
      uint8_t v = q[m];
      if (!(t.valid[v] & 1u)) return bad_block(CLQL_TERNARY_TQ1_0, b, "qs byte no trits produce");
      unsigned base = m < 32 ? m : 160 + (m - 32), stride = m < 32 ? 32 : 16;
      for (unsigned i = 0; i < 5; i++) o[base + stride * i] = (int8_t)((int)t.digit[v][i] - 1);
    }
    for (unsigned j = 0; j < TQ1_QH; j++) {
      uint8_t v = q[TQ1_QS + j];
      if (!(t.valid[v] & 2u)) return bad_block(CLQL_TERNARY_TQ1_0, b, "qh byte no trits produce");
      for (unsigned i = 0; i < 4; i++) o[240 + 4 * i + j] = (int8_t)((int)t.digit[v][i] - 1);
    }
    clql_status st = tq_scale(CLQL_TERNARY_TQ1_0, b, q + TQ1_QS + TQ1_QH, &scales[b]);
    if (st != CLQL_SUCCESS) return st;
  }
  return CLQL_SUCCESS;
}

clql_status clql_ternary_import(clql_ternary_format format, uint64_t n, uint64_t k, const void *src,
                                size_t src_bytes, int8_t *weights, size_t weights_capacity,
                                float *scales, size_t scales_capacity) {
  clql_ternary_sizes s;
  clql_status st = check_call(format, n, k, &s);
  if (st != CLQL_SUCCESS) return st;
  if (!src || !weights || !scales)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "source, weights or scales is NULL");
  if ((uint64_t)src_bytes != s.bytes)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "%s %llu x %llu needs %llu bytes, got %zu",
                     clql_ternary_format_name(format), (unsigned long long)n,
                     (unsigned long long)k, (unsigned long long)s.bytes, src_bytes);
  if ((uint64_t)weights_capacity < s.weights || (uint64_t)scales_capacity < s.scales)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL,
                     "%s %llu x %llu needs %llu weights and %llu scales (capacity %zu, %zu)",
                     clql_ternary_format_name(format), (unsigned long long)n,
                     (unsigned long long)k, (unsigned long long)s.weights,
                     (unsigned long long)s.scales, weights_capacity, scales_capacity);
  switch (format) {
  case CLQL_TERNARY_I2_S: return import_i2s(src, &s, weights, scales);
  case CLQL_TERNARY_TQ1_0: return import_tq1(src, &s, weights, scales);
  default: return import_tq2(src, &s, weights, scales);
  }
}

/* ---- export ---- */

static clql_status bad_weight(clql_ternary_format format, uint64_t index, int value) {
  return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "%s export: weight %llu is %d, not -1, 0 or 1",
                   clql_ternary_format_name(format), (unsigned long long)index, value);
}

/* Code c = t + 1 of weight i, or -1 when t is not ternary. */
static int code_of(const int8_t *w, uint64_t i) { return w[i] >= -1 && w[i] <= 1 ? w[i] + 1 : -1; }

static clql_status export_i2s(const int8_t *w, const float *scales, const clql_ternary_sizes *s,
                              uint8_t *dst) {
  uint64_t blocks = s->weights / I2S_BLOCK;
  for (uint64_t b = 0; b < blocks; b++) {
    const uint64_t e = b * I2S_BLOCK;
    for (unsigned j = 0; j < I2S_BLOCK_BYTES; j++) {
      unsigned v = 0;
      for (unsigned i = 0; i < 4; i++) {
        int c = code_of(w, e + 32 * i + j);
        if (c < 0) return bad_weight(CLQL_TERNARY_I2_S, e + 32 * i + j, w[e + 32 * i + j]);
        v |= (unsigned)c << (6 - 2 * i);
      }
      dst[b * I2S_BLOCK_BYTES + j] = (uint8_t)v;
    }
  }
  if (!is_finite_f32(scales[0]))
    return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "I2_S export: scale is not finite");
  uint8_t *tail = dst + s->weights / 4;
  memset(tail, 0, I2S_TAIL);
  store_f32(tail, scales[0]);
  return CLQL_SUCCESS;
}

static clql_status store_half_scale(clql_ternary_format format, uint64_t b, float scale,
                                    uint8_t *p) {
  uint16_t d = clql_float_to_half(scale);
  if ((d & 0x7c00u) == 0x7c00u)
    return clql_fail(CLQL_ERR_INVALID_WEIGHTS, "%s export: scale of block %llu (%g) has no fp16 value",
                     clql_ternary_format_name(format), (unsigned long long)b, (double)scale);
  p[0] = (uint8_t)d;
  p[1] = (uint8_t)(d >> 8);
  return CLQL_SUCCESS;
}

static clql_status export_tq2(const int8_t *w, const float *scales, const clql_ternary_sizes *s,
                              uint8_t *dst) {
  for (uint64_t b = 0; b < s->scales; b++) {
    uint8_t *q = dst + b * TQ2_BLOCK_BYTES;
    const uint64_t e = b * QK;
    for (unsigned h = 0; h < 2; h++) {
      for (unsigned m = 0; m < 32; m++) {
        unsigned v = 0;
        for (unsigned i = 0; i < 4; i++) {
          uint64_t idx = e + 128 * h + 32 * i + m;
          int c = code_of(w, idx);
          if (c < 0) return bad_weight(CLQL_TERNARY_TQ2_0, idx, w[idx]);
          v |= (unsigned)c << (2 * i);
        }
        q[32 * h + m] = (uint8_t)v;
      }
    }
    clql_status st = store_half_scale(CLQL_TERNARY_TQ2_0, b, scales[b], q + 64);
    if (st != CLQL_SUCCESS) return st;
  }
  return CLQL_SUCCESS;
}

/* Pack `digits` trits of weights base, base + stride, ... (most significant
 * first), padded with zero digits to five, as a TQ1_0 byte. */
static int tq1_pack(const int8_t *w, uint64_t base, unsigned stride, unsigned digits, uint64_t *bad) {
  unsigned q = 0;
  for (unsigned i = 0; i < 5; i++) {
    int c = 0;
    if (i < digits) {
      c = code_of(w, base + (uint64_t)stride * i);
      if (c < 0) {
        *bad = base + (uint64_t)stride * i;
        return -1;
      }
    }
    q = q * 3 + (unsigned)c;
  }
  return tq1_encode(q);
}

static clql_status export_tq1(const int8_t *w, const float *scales, const clql_ternary_sizes *s,
                              uint8_t *dst) {
  for (uint64_t b = 0; b < s->scales; b++) {
    uint8_t *q = dst + b * TQ1_BLOCK_BYTES;
    const uint64_t e = b * QK;
    uint64_t bad = 0;
    for (unsigned m = 0; m < TQ1_QS + TQ1_QH; m++) {
      int v = m < 32   ? tq1_pack(w, e + m, 32, 5, &bad)
              : m < 48 ? tq1_pack(w, e + 160 + (m - 32), 16, 5, &bad)
                       : tq1_pack(w, e + 240 + (m - 48), 4, 4, &bad);
      if (v < 0) return bad_weight(CLQL_TERNARY_TQ1_0, bad, w[bad]);
      q[m] = (uint8_t)v;
    }
    clql_status st = store_half_scale(CLQL_TERNARY_TQ1_0, b, scales[b], q + TQ1_QS + TQ1_QH);
    if (st != CLQL_SUCCESS) return st;
  }
  return CLQL_SUCCESS;
}

clql_status clql_ternary_export(clql_ternary_format format, uint64_t n, uint64_t k,
                                const int8_t *weights, const float *scales, void *dst,
                                size_t dst_capacity) {
  clql_ternary_sizes s;
  clql_status st = check_call(format, n, k, &s);
  if (st != CLQL_SUCCESS) return st;
  if (!weights || !scales || !dst)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "weights, scales or destination is NULL");
  if ((uint64_t)dst_capacity < s.bytes)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%s %llu x %llu needs %llu bytes (capacity %zu)",
                     clql_ternary_format_name(format), (unsigned long long)n,
                     (unsigned long long)k, (unsigned long long)s.bytes, dst_capacity);
  switch (format) {
  case CLQL_TERNARY_I2_S: return export_i2s(weights, scales, &s, dst);
  case CLQL_TERNARY_TQ1_0: return export_tq1(weights, scales, &s, dst);
  default: return export_tq2(weights, scales, &s, dst);
  }
}
