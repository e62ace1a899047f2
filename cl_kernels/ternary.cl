/* Ternary GEMV / GEMM: y[b][n] = (sum_g acc_g * gamma_g) / s_b, where acc_g
 * is the int32 sum of t * q over group g (include/clql/ternary.h gives the
 * exact float operation order; every kernel here repeats it). Integer sums
 * are exact in any order, so the kernels are free in how they add products;
 * only the float steps per group and the final division are fixed.
 *
 * Two families:
 *   - portable kernels (clql_i2s, clql_tl1, clql_tl2): OpenCL C 1.2 only,
 *     what GPUs and other devices run. Build options -DROWS (rows per
 *     work-item) and -DTOKENS (tokens per work-item, 1 for GEMV).
 *   - x86 kernels (clql_i2s_x86, clql_tl1_x86, at the end of the file):
 *     the same arithmetic in 8- and 16-bit lanes of 512-bit vectors through
 *     clang's vector extensions and AVX-512BW builtins, for CPU devices whose
 *     compiler provides them (PoCL); they exist only when built with
 *     -DCLQL_SIMD on such a compiler. Build options -DPAIRS (row pairs per
 *     work-item) and -DTOKENS.
 * Each work-item writes its own outputs exactly once: no barriers, no local
 * memory. Tokens past the batch read the last token and are never stored,
 * so inner loops carry no bounds checks. */
#ifndef ROWS
#define ROWS 1
#endif
#ifndef TOKENS
#define TOKENS 1
#endif

/* Arguments shared by the product kernels:
 *   w          packed weights (include/clql/layout.h)
 *   scales     S[g * scale_g + n * scale_n]
 *   act        int8 activations q[b][act_stride] (I2S, TL1) or int16 tables
 *              [b][act_stride] (TL2), token b at b * act_stride
 *   act_scales s[b]
 *   y          output, y[y_off + b * n + row]
 *   n, np      rows and padded rows; ngroups scale groups of upg units each
 *              (units: 32 weights in the portable I2S/TL1 kernels, 128 in the
 *              x86 ones, 96-weight granules for TL2) */
#define PRODUCT_ARGS(act_type)                                                              \
  __global const uint *w, __global const float *scales, __global const act_type *act,       \
      __global const float *act_scales, __global float *y, uint n, uint np, uint ngroups,   \
      uint upg, uint scale_g, uint scale_n, uint act_stride, uint batch, ulong y_off

static float load_scale(__global const float *scales, uint g, uint scale_g, uint scale_n,
                        uint row) {
  return scales[(size_t)g * scale_g + (scale_n ? row : 0)];
}

/* ---- I2S and TL1, portable ----
 * Layout (include/clql/layout.h): tiles of 16 rows; per tile and 128-weight
 * block, the 16 rows' 32 bytes one after the other. A work-item owns ROWS
 * rows of one tile (one at a time) and TOKENS tokens; adjacent work-items
 * read adjacent 32-byte row blocks, so a GPU's loads coalesce. Weights are
 * decoded 32 at a time (a unit) into two char16 of t in -1..1, in the order
 * of the char16 activations they multiply. */

/* Words of row n: block b at + b * 128. */
static __global const uint *row_blocks(__global const uint *w, uint n, uint nblk) {
  return w + ((size_t)(n / 16) * nblk * 16 + n % 16) * 8;
}

/* I2S unit u = plane u % 4 of block u / 4: 2-bit field u % 4 of each byte,
 * so one shift and mask give 4 codes per word, in element order. */
static void unit_i2s(__global const uint *rb, uint u, char16 *lo, char16 *hi) {
  const uint8 v = vload8(0, rb + (size_t)(u / 4) * 128);
  const uint s = 2 * (u % 4);
  *lo = as_char16((v.lo >> s) & 0x03030303u) - (char16)(1);
  *hi = as_char16((v.hi >> s) & 0x03030303u) - (char16)(1);
}

/* TL1 unit u: 16 pair indices (the low nibbles of the block's first or last
 * 16 bytes for u % 4 = 0, 1; the high nibbles for 2, 3), four per word
 * decoded at once: idx = 3 * c0 + c1 with c0 = idx * 11 >> 5 for idx <= 8
 * (no byte carries into the next: 8 * 11 < 256). t0 pairs with the even
 * activations, t1 with the odd ones. */
static void unit_tl1(__global const uint *rb, uint u, char16 *t0, char16 *t1) {
  const uint8 v = vload8(0, rb + (size_t)(u / 4) * 128);
  const uint h = u % 4;
  const uint4 x = ((h & 1) ? v.hi : v.lo) >> (4 * (h >> 1)) & 0x0F0F0F0Fu;
  const uint4 c0 = ((x * 11u) >> 5) & 0x03030303u;
  *t0 = as_char16(c0) - (char16)(1);
  *t1 = as_char16(x - c0 * 3u) - (char16)(1);
}

static int hsum16(int16 v) {
  const int8 a = v.lo + v.hi;
  const int4 b = a.lo + a.hi;
  return b.x + b.y + b.z + b.w;
}

static void portable_product(PRODUCT_ARGS(char), const int tl1) {
  const uint n0 = (uint)get_global_id(0) * ROWS, b0 = (uint)get_global_id(1) * TOKENS;
  if (n0 >= n || b0 >= batch) return;
  const uint nblk = ngroups * upg / 4;
  __global const char *at[TOKENS];
  for (uint t = 0; t < TOKENS; t++) at[t] = act + (size_t)min(b0 + t, batch - 1) * act_stride;
  for (uint r = 0; r < ROWS && n0 + r < n; r++) {
    const uint row = n0 + r;
    __global const uint *rb = row_blocks(w, row, nblk);
    float sum[TOKENS];
    for (uint t = 0; t < TOKENS; t++) sum[t] = 0.0f;
    for (uint g = 0; g < ngroups; g++) {
      int16 acc[TOKENS];
      for (uint t = 0; t < TOKENS; t++) acc[t] = (int16)(0);
      for (uint u = g * upg; u < (g + 1) * upg; u++) {
        char16 ta, tb;
        if (tl1)
          unit_tl1(rb, u, &ta, &tb);
        else
          unit_i2s(rb, u, &ta, &tb);
#pragma unroll
        for (uint t = 0; t < TOKENS; t++) {
          const char16 lo = vload16(0, at[t] + 32 * u), hi = vload16(0, at[t] + 32 * u + 16);
          const char16 qa = tl1 ? (char16)(lo.even, hi.even) : lo;
          const char16 qb = tl1 ? (char16)(lo.odd, hi.odd) : hi;
          acc[t] += convert_int16(ta) * convert_int16(qa) + convert_int16(tb) * convert_int16(qb);
        }
      }
      const float gamma = load_scale(scales, g, scale_g, scale_n, row);
      for (uint t = 0; t < TOKENS; t++) {
        const float p = (float)hsum16(acc[t]) * gamma;
        sum[t] = sum[t] + p;
      }
    }
    for (uint t = 0; t < TOKENS && b0 + t < batch; t++)
      y[y_off + (size_t)(b0 + t) * n + row] = clql_div_rn(sum[t], act_scales[b0 + t]);
  }
}

__kernel void clql_i2s(PRODUCT_ARGS(char)) {
  portable_product(w, scales, act, act_scales, y, n, np, ngroups, upg, scale_g, scale_n,
                   act_stride, batch, y_off, 0);
}

__kernel void clql_tl1(PRODUCT_ARGS(char)) {
  portable_product(w, scales, act, act_scales, y, n, np, ngroups, upg, scale_g, scale_n,
                   act_stride, batch, y_off, 1);
}

/* ---- TL2, portable ----
 * Work-item (i, j) owns rows n0 = i*ROWS .. n0+ROWS-1 and tokens b0 =
 * j*TOKENS ..: the ROWS rows are the lanes of one vector (words of adjacent
 * rows are adjacent, W[unit][Np]), so a row block is one unit-stride vector
 * load and every table entry is a scalar broadcast to all lanes. */
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if ROWS == 1
typedef uint uintR;
typedef int intR;
typedef float floatR;
#define LOADR(p) (*(p))
#define STORER(v, p) (*(p) = (v))
#define AS_INTR(v) as_int(v)
#define TO_FLOATR(v) convert_float(v)
#else
typedef CAT(uint, ROWS) uintR;
typedef CAT(int, ROWS) intR;
typedef CAT(float, ROWS) floatR;
#define LOADR(p) CAT(vload, ROWS)(0, p)
#define STORER(v, p) CAT(vstore, ROWS)(v, 0, p)
#define AS_INTR(v) CAT(as_int, ROWS)(v)
#define TO_FLOATR(v) CAT(convert_float, ROWS)(v)
#endif

static floatR load_scales(__global const float *scales, uint g, uint scale_g, uint scale_n,
                          uint n0) {
  __global const float *p = scales + (size_t)g * scale_g;
  return scale_n ? LOADR(p + n0) : (floatR)(p[0]);
}

/* sum = sum + (float)acc * gamma, each operation rounded on its own. */
static floatR add_group(floatR sum, intR acc, floatR gamma) {
  const floatR p = TO_FLOATR(acc) * gamma;
  return sum + p;
}

/* Entry idx (per lane) of one 16-entry table. */
static intR lookup(__global const short *table, uintR idx) {
#if ROWS == 1
  return table[idx];
#else
  return shuffle(convert_int16(vload16(0, table)), idx);
#endif
}

/* y[b][n0 + r] = sum_r / s_b for each token and each existing row. */
static void store_block(__global float *y, ulong y_off, uint n, uint n0, uint b0, uint batch,
                        __global const float *act_scales, const floatR *sum) {
  const uint rows = min((uint)ROWS, n - n0);
  for (uint t = 0; t < TOKENS && b0 + t < batch; t++) {
    float v[ROWS];
    STORER(sum[t], v);
    const float s = act_scales[b0 + t];
    __global float *out = y + y_off + (size_t)(b0 + t) * n + n0;
    for (uint r = 0; r < rows; r++) out[r] = clql_div_rn(v[r], s);
  }
}

/* TL2: granule u has 4 magnitude words and a sign word per row; triple i is
 * looked up by magnitude, then negated when its sign bit is set. */
__kernel void clql_tl2(PRODUCT_ARGS(short)) {
  const uint n0 = (uint)get_global_id(0) * ROWS, b0 = (uint)get_global_id(1) * TOKENS;
  if (n0 >= n || b0 >= batch) return;
  __global const short *at[TOKENS];
  floatR sum[TOKENS];
  for (uint t = 0; t < TOKENS; t++) {
    at[t] = act + (size_t)min(b0 + t, batch - 1) * act_stride;
    sum[t] = (floatR)(0.0f);
  }
  for (uint g = 0; g < ngroups; g++) {
    intR acc[TOKENS];
    for (uint t = 0; t < TOKENS; t++) acc[t] = (intR)(0);
    for (uint u = g * upg; u < (g + 1) * upg; u++) {
      const uintR sign = LOADR(w + ((size_t)ngroups * upg * 4 + u) * np + n0);
#pragma unroll
      for (uint j = 0; j < 4; j++) {
        const uintR mag = LOADR(w + ((size_t)u * 4 + j) * np + n0);
#pragma unroll
        for (uint ii = 0; ii < 8; ii++) {
          const uint i = 8 * j + ii;
          const uintR m = (mag >> (4 * ii)) & 15u;
          const intR neg = AS_INTR(-((sign >> i) & 1u)); /* 0 or -1 */
#pragma unroll
          for (uint t = 0; t < TOKENS; t++) {
            const intR v = lookup(at[t] + ((size_t)u * 32 + i) * 16, m);
            acc[t] += (v ^ neg) - neg;
          }
        }
      }
    }
    const floatR gamma = load_scales(scales, g, scale_g, scale_n, n0);
    for (uint t = 0; t < TOKENS; t++) sum[t] = add_group(sum[t], acc[t], gamma);
  }
  store_block(y, y_off, n, n0, b0, batch, act_scales, sum);
}

/* Per-token TL2 tables, one work-item per (triple, token), 16 int16 entries
 * each (the unused ones 0), from q[b][kp]. */
__kernel void clql_tl2_tables(__global const char *q, uint kp, uint batch, __global short *tab) {
  const uint j = (uint)get_global_id(0), b = (uint)get_global_id(1);
  if (j >= kp / 3 || b >= batch) return;
  __global const char *a = q + (size_t)b * kp + 3 * j;
  const int a0 = a[0], a1 = a[1], a2 = a[2];
  /* magnitude 9*t0 + 3*t1 + t2 (balanced ternary) -> t0*a0 + t1*a1 + t2*a2 */
  const int16 e = (int16)(0, a2, a1 - a2, a1, a1 + a2, a0 - a1 - a2, a0 - a1, a0 - a1 + a2,
                          a0 - a2, a0, a0 + a2, a0 + a1 - a2, a0 + a1, a0 + a1 + a2, 0, 0);
  vstore16(convert_short16(e), 0, tab + ((size_t)b * (kp / 3) + j) * 16);
}

/* ---- I2S and TL1 on x86 CPUs (AVX-512BW) ----
 * A 512-bit register holds the 32-byte blocks of two adjacent rows (a row
 * pair: they are adjacent in the tile). Per 128-weight block the weights
 * become four vectors of unsigned codes c = t + 1 in 0..2, each multiplied
 * by the matching 32 activations (repeated for both rows) with pmaddubsw
 * (u8 x s8, adjacent products summed into 16-bit lanes: at most 2 * 2 * 128
 * in magnitude, so it never saturates). 16-bit sums are widened to int32
 * with pmaddwd before they could overflow (FLUSH blocks of at most 2048 per
 * lane each), and sum(c * q) - sum(q) = sum(t * q) per group: both exact.
 * A work-item owns PAIRS row pairs of one tile and TOKENS tokens; for GEMM
 * each decoded block serves all TOKENS tokens. Weights are prefetched a few
 * blocks ahead: the decode is short enough that otherwise the loads wait. */
#if defined(CLQL_SIMD) && defined(__clang__) && defined(__x86_64__) && defined(__AVX512BW__)
#ifndef PAIRS
#define PAIRS 1
#endif
#define FLUSH (TOKENS == 1 ? 8u : 1u)
#define PREFETCH 4u

typedef char x_c64 __attribute__((ext_vector_type(64)));
typedef uchar x_u64 __attribute__((ext_vector_type(64)));
typedef short x_s32 __attribute__((ext_vector_type(32)));

#define X_MUB(c, q) __builtin_ia32_pmaddubsw512(c, q)
#define X_WIDEN(s) __builtin_ia32_pmaddwd512(s, (x_s32)(1))
/* Weights 0..31 (LO) or 32..63 (HI) of a, repeated for both rows of a pair. */
#define X_LO(a)                                                                                \
  __builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, \
                          18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0, 1, 2, 3,  \
                          4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,   \
                          22, 23, 24, 25, 26, 27, 28, 29, 30, 31)
#define X_HI(a)                                                                                \
  __builtin_shufflevector(a, a, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46,   \
                          47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,  \
                          32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48,  \
                          49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63)
#define X_EVEN(a)                                                                              \
  __builtin_shufflevector(a, a, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, \
                          34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 0, 2, 4, \
                          6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38,   \
                          40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62)
#define X_ODD(a)                                                                               \
  __builtin_shufflevector(a, a, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, \
                          35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 63, 1, 3, 5, \
                          7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39,   \
                          41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 63)

/* The four code vectors of a row pair's block (64 bytes). I2S: 2-bit field
 * m of every byte holds weight 32m + j of the block. TL1: the pair index in
 * each nibble is mapped to (c0, c1) by two 16-entry byte tables (pshufb). */
static void x_decode(__global const uchar *p, const int tl1, x_c64 *c) {
  const x_u64 v = *(__global const x_u64 *)p;
  if (tl1) {
    const char16 l0 = (char16)(0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0);
    const char16 l1 = (char16)(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0);
    const x_c64 lut0 = __builtin_shufflevector(l0, l0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                               13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                               12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                               11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                               10, 11, 12, 13, 14, 15);
    const x_c64 lut1 = __builtin_shufflevector(l1, l1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                               13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                               12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                               11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                               10, 11, 12, 13, 14, 15);
    const x_c64 lo = __builtin_astype(v & (uchar)15, x_c64);
    const x_c64 hi = __builtin_astype(v >> (uchar)4, x_c64);
    c[0] = __builtin_ia32_pshufb512(lut0, lo);
    c[1] = __builtin_ia32_pshufb512(lut1, lo);
    c[2] = __builtin_ia32_pshufb512(lut0, hi);
    c[3] = __builtin_ia32_pshufb512(lut1, hi);
  } else {
    c[0] = __builtin_astype(v & (uchar)3, x_c64);
    c[1] = __builtin_astype((v >> (uchar)2) & (uchar)3, x_c64);
    c[2] = __builtin_astype((v >> (uchar)4) & (uchar)3, x_c64);
    c[3] = __builtin_astype(v >> (uchar)6, x_c64);
  }
}

/* The activations matching x_decode's codes for one token's block, each 32
 * repeated for both rows of a pair; qs gets their sum (in 16-bit lanes). */
static void x_acts(__global const char *a, const int tl1, x_c64 *q, x_s32 *qs) {
  const x_c64 a0 = *(__global const x_c64 *)a, a1 = *(__global const x_c64 *)(a + 64);
  *qs += X_MUB((x_c64)(1), a0) + X_MUB((x_c64)(1), a1);
  if (tl1) {
    q[0] = X_EVEN(a0);
    q[1] = X_ODD(a0);
    q[2] = X_EVEN(a1);
    q[3] = X_ODD(a1);
  } else {
    q[0] = X_LO(a0);
    q[1] = X_HI(a0);
    q[2] = X_LO(a1);
    q[3] = X_HI(a1);
  }
}

static x_s32 x_dot(const x_c64 *c, const x_c64 *q) {
  return X_MUB(c[0], q[0]) + X_MUB(c[1], q[1]) + X_MUB(c[2], q[2]) + X_MUB(c[3], q[3]);
}

static int x_hsum8(int8 v) {
  const int4 a = v.lo + v.hi;
  return a.x + a.y + a.z + a.w;
}

static void x86_product(PRODUCT_ARGS(char), const int tl1) {
  const uint n0 = (uint)get_global_id(0) * 2 * PAIRS, b0 = (uint)get_global_id(1) * TOKENS;
  if (n0 >= n || b0 >= batch) return;
  const uint nblk = ngroups * upg;
  __global const uchar *wt =
      (__global const uchar *)w + ((size_t)(n0 / 16) * nblk * 16 + n0 % 16) * 32;
  __global const char *at[TOKENS];
  float2 sum[PAIRS][TOKENS];
  for (uint t = 0; t < TOKENS; t++) {
    at[t] = act + (size_t)min(b0 + t, batch - 1) * act_stride;
    for (uint p = 0; p < PAIRS; p++) sum[p][t] = (float2)(0.0f);
  }
  for (uint g = 0; g < ngroups; g++) {
    int16 acc[PAIRS][TOKENS], qacc[TOKENS];
    for (uint t = 0; t < TOKENS; t++) {
      qacc[t] = (int16)(0);
      for (uint p = 0; p < PAIRS; p++) acc[p][t] = (int16)(0);
    }
    const uint gend = (g + 1) * upg;
    for (uint bb = g * upg; bb < gend; bb += FLUSH) {
      x_s32 qs[TOKENS];
#if TOKENS == 1
      x_s32 part[PAIRS];
      for (uint p = 0; p < PAIRS; p++) part[p] = (x_s32)(0);
#endif
      for (uint t = 0; t < TOKENS; t++) qs[t] = (x_s32)(0);
      for (uint b = bb; b < min(bb + FLUSH, gend); b++) {
        __global const uchar *blk = wt + (size_t)b * 512;
#pragma unroll
        for (uint p = 0; p < PAIRS; p++) __builtin_prefetch(blk + PREFETCH * 512 + 64 * p);
#if TOKENS == 1
        x_c64 q[4];
        x_acts(at[0] + (size_t)b * 128, tl1, q, &qs[0]);
#pragma unroll
        for (uint p = 0; p < PAIRS; p++) {
          x_c64 c[4];
          x_decode(blk + 64 * p, tl1, c);
          part[p] += x_dot(c, q);
        }
#else
        x_c64 c[PAIRS][4];
#pragma unroll
        for (uint p = 0; p < PAIRS; p++) x_decode(blk + 64 * p, tl1, c[p]);
#pragma unroll
        for (uint t = 0; t < TOKENS; t++) {
          x_c64 q[4];
          x_acts(at[t] + (size_t)b * 128, tl1, q, &qs[t]);
#pragma unroll
          for (uint p = 0; p < PAIRS; p++) acc[p][t] += X_WIDEN(x_dot(c[p], q));
        }
#endif
      }
#if TOKENS == 1
      for (uint p = 0; p < PAIRS; p++) acc[p][0] += X_WIDEN(part[p]);
#endif
      for (uint t = 0; t < TOKENS; t++) qacc[t] += X_WIDEN(qs[t]);
    }
    for (uint p = 0; p < PAIRS; p++) {
      const uint r = n0 + 2 * p;
      const float2 gamma = (float2)(load_scale(scales, g, scale_g, scale_n, r),
                                    load_scale(scales, g, scale_g, scale_n, r + 1));
      for (uint t = 0; t < TOKENS; t++) {
        const int qsum = hsum16(qacc[t]);
        const int2 a = (int2)(x_hsum8(acc[p][t].lo), x_hsum8(acc[p][t].hi)) - qsum;
        const float2 prod = convert_float2(a) * gamma;
        sum[p][t] = sum[p][t] + prod;
      }
    }
  }
  for (uint t = 0; t < TOKENS && b0 + t < batch; t++) {
    const float s = act_scales[b0 + t];
    __global float *out = y + y_off + (size_t)(b0 + t) * n;
    for (uint p = 0; p < PAIRS; p++) {
      const uint r = n0 + 2 * p;
      if (r < n) out[r] = clql_div_rn(sum[p][t].x, s);
      if (r + 1 < n) out[r + 1] = clql_div_rn(sum[p][t].y, s);
    }
  }
}

__kernel void clql_i2s_x86(PRODUCT_ARGS(char)) {
  x86_product(w, scales, act, act_scales, y, n, np, ngroups, upg, scale_g, scale_n, act_stride,
              batch, y_off, 0);
}

__kernel void clql_tl1_x86(PRODUCT_ARGS(char)) {
  x86_product(w, scales, act, act_scales, y, n, np, ngroups, upg, scale_g, scale_n, act_stride,
              batch, y_off, 1);
}
#endif
