/* Ternary GEMV / GEMM: y[b][n] = (sum_g acc_g * gamma_g) / s_b, where acc_g
 * is the int32 sum of t * q over group g (include/clql/ternary.h gives the
 * exact float operation order; this file repeats it lane for lane).
 *
 * Work decomposition: work-item (i, j) owns rows n0 = i*ROWS .. n0+ROWS-1 and
 * tokens b0 = j*TOKENS .. b0+TOKENS-1. The ROWS rows are the lanes of one
 * vector: weight words of adjacent rows are adjacent (W[unit][Np]), so a row
 * block is one unit-stride vector load, and every activation or table entry
 * is a scalar broadcast to all lanes. Each weight word is decoded once and
 * used for all TOKENS tokens. No barriers, no local memory; the host pads
 * the global size, so out-of-range items return at once. Rows are padded to
 * 16 in every layout, so a block never reads past the weights.
 *
 * Build options: -DROWS=1|2|4|8|16 (the device's preferred int vector width)
 * and -DTOKENS=n (1 for GEMV). */
#ifndef ROWS
#define ROWS 1
#endif
#ifndef TOKENS
#define TOKENS 1
#endif

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

/* Arguments shared by the three product kernels:
 *   w          packed weights (include/clql/layout.h)
 *   scales     S[g * scale_g + n * scale_n]
 *   act        int8 activations q[b][act_stride] (I2S) or int16 tables
 *              [b][act_stride] (TL1, TL2), token b at b * act_stride
 *   act_scales s[b]
 *   y          output, y[y_off + b * n + row]
 *   n, np      rows and padded rows; ngroups scale groups of upg units
 *              (16-weight words, or 96-weight granules for TL2) each */
#define PRODUCT_ARGS(act_type)                                                              \
  __global const uint *w, __global const float *scales, __global const act_type *act,       \
      __global const float *act_scales, __global float *y, uint n, uint np, uint ngroups,   \
      uint upg, uint scale_g, uint scale_n, uint act_stride, uint batch, ulong y_off

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

/* Entry idx (per lane) of one 16-entry table. The table is the same for
 * every row of the block, so the lookup is a shuffle of one vector (one
 * permute instruction where the device has it). */
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

/* Shared prologue: the block's position, leaving when it is outside, and the
 * per-token activation rows (tokens past the batch read the last token and
 * are never stored, so the inner loops carry no bounds checks). */
#define BLOCK_BEGIN(act_type)                                                              \
  const uint n0 = (uint)get_global_id(0) * ROWS, b0 = (uint)get_global_id(1) * TOKENS;    \
  if (n0 >= n || b0 >= batch) return;                                                     \
  __global const act_type *at[TOKENS];                                                    \
  floatR sum[TOKENS];                                                                     \
  for (uint t = 0; t < TOKENS; t++) {                                                     \
    at[t] = act + (size_t)min(b0 + t, batch - 1) * act_stride;                            \
    sum[t] = (floatR)(0.0f);                                                              \
  }                                                                                       \
  for (uint g = 0; g < ngroups; g++) {                                                    \
    intR acc[TOKENS];                                                                     \
    for (uint t = 0; t < TOKENS; t++) acc[t] = (intR)(0);                                 \
    for (uint u = g * upg; u < (g + 1) * upg; u++) {

#define BLOCK_END                                                                          \
  }                                                                                        \
  const floatR gamma = load_scales(scales, g, scale_g, scale_n, n0);                       \
  for (uint t = 0; t < TOKENS; t++) sum[t] = add_group(sum[t], acc[t], gamma);             \
  }                                                                                        \
  store_block(y, y_off, n, n0, b0, batch, act_scales, sum);

/* I2S: field i of a word is the code t + 1 of k = 16u + i. */
__kernel void clql_i2s(PRODUCT_ARGS(char)) {
  BLOCK_BEGIN(char)
  const uintR word = LOADR(w + (size_t)u * np + n0);
  int a[TOKENS][16];
#pragma unroll
  for (uint t = 0; t < TOKENS; t++) vstore16(convert_int16(vload16(u, at[t])), 0, a[t]);
#pragma unroll
  for (uint i = 0; i < 16; i++) {
    const intR tv = AS_INTR((word >> (2 * i)) & 3u) - 1;
#pragma unroll
    for (uint t = 0; t < TOKENS; t++) acc[t] += tv * a[t][i];
  }
  BLOCK_END
}

/* TL1: nibble j of a word indexes the 16-entry table of pair 8u + j. */
__kernel void clql_tl1(PRODUCT_ARGS(short)) {
  BLOCK_BEGIN(short)
  const uintR word = LOADR(w + (size_t)u * np + n0);
#pragma unroll
  for (uint j = 0; j < 8; j++) {
    const uintR idx = (word >> (4 * j)) & 15u;
#pragma unroll
    for (uint t = 0; t < TOKENS; t++) acc[t] += lookup(at[t] + ((size_t)u * 8 + j) * 16, idx);
  }
  BLOCK_END
}

/* TL2: granule u has 4 magnitude words and a sign word per row; triple i is
 * looked up by magnitude, then negated when its sign bit is set. */
__kernel void clql_tl2(PRODUCT_ARGS(short)) {
  BLOCK_BEGIN(short)
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
  BLOCK_END
}

/* Per-token tables, one work-item per (pair or triple, token), 16 int16
 * entries each (the unused ones 0), from q[b][kp]. */
__kernel void clql_tl1_tables(__global const char *q, uint kp, uint batch, __global short *tab) {
  const uint j = (uint)get_global_id(0), b = (uint)get_global_id(1);
  if (j >= kp / 2 || b >= batch) return;
  __global const char *a = q + (size_t)b * kp + 2 * j;
  const int a0 = a[0], a1 = a[1];
  /* index 3*t0 + t1 + 4 -> t0*a0 + t1*a1 */
  const int16 e = (int16)(-a0 - a1, -a0, -a0 + a1, -a1, 0, a1, a0 - a1, a0, a0 + a1, 0, 0, 0, 0,
                          0, 0, 0);
  vstore16(convert_short16(e), 0, tab + ((size_t)b * (kp / 2) + j) * 16);
}

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
