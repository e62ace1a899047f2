/* Ternary GEMV / GEMM: y[b][n] = (sum_g acc_g * gamma_g) / s_b, where acc_g
 * is the int32 sum of t * q over group g (include/clql/ternary.h gives the
 * exact float operation order; every kernel here repeats it). Integer sums
 * are exact in any order, so the kernels are free in how they add products;
 * only the float steps per group and the final division are fixed.
 *
 * Three families, all reading the int8 activations directly (no tables):
 *   - portable kernels (clql_i2s, clql_tl1, clql_tl2): OpenCL C 1.2 only,
 *     what CPUs without the x86 kernels run. Build options -DROWS (rows per
 *     work-item) and -DTOKENS (tokens per work-item, 1 for GEMV).
 *   - K-split kernels (clql_*_ksplit): the portable decode with K split over
 *     a work-group per 16-row tile, for GPUs; -DTOKENS.
 *   - x86 kernels (clql_*_x86, at the end of the file): the same arithmetic
 *     in 8- and 16-bit lanes of 512-bit vectors through clang's vector
 *     extensions and AVX-512BW builtins, for CPU devices whose compiler
 *     provides them (PoCL); they exist only when built with -DCLQL_SIMD on
 *     such a compiler. Build options -DVECS (row vectors per work-item) and
 *     -DTOKENS.
 * Weights are tiled by 16 rows (include/clql/layout.h): a work-item owns
 * rows of one tile and reads them as one stream, and adjacent work-items
 * read adjacent bytes, so a GPU's loads coalesce. Each output is written
 * exactly once; only the K-split kernels and the x86 GEMV use barriers and
 * local memory (their sections say why). Tokens past the
 * batch read the last token and are never stored, so inner loops carry no
 * bounds checks. Products with the division built with
 * -cl-fp32-correctly-rounded-divide-sqrt use '/' (common.cl). */
#ifndef ROWS
#define ROWS 1
#endif

#ifndef TOKENS
#define TOKENS 1
#endif

/* The portable and K-split kernels' shared bodies are always inlined, and
 * their loops over TOKENS unrolled: each kernel specializes a body by its
 * qtype (a constant argument), and the per-token arrays stay in registers
 * only where every index is a constant. clang 14 for AMDGPU and NVPTX,
 * with the builtins linked, keeps the bodies as calls at TOKENS = 4: the
 * qtype a run-time argument, the token arrays in scratch memory (448 bytes
 * per work-item on AMD, 368 on NVIDIA; tools/clql-kernel-check). */
#define CLQL_INLINE __attribute__((always_inline)) static

/* Arguments shared by the product kernels:
 *   w          packed weights (include/clql/layout.h)
 *   scales     S[g * scale_g + n * scale_n]
 *   act        int8 activations q[b][act_stride], token b at b * act_stride
 *   act_scales s[b]
 *   y          output, y[y_off + b * n + row]
 *   n          rows; ngroups scale groups of upg units each
 *              (units: 96-weight granules for TL2; for I2S and TL1 32
 *              weights in the portable kernels, 128 in the x86 ones) */
#define PRODUCT_ARGS(act_type)                                                              \
  __global const uint *w, __global const float *scales, __global const act_type *act,       \
      __global const float *act_scales, __global float *y, uint n, uint ngroups,            \
      uint upg, uint scale_g, uint scale_n, uint act_stride, uint batch, ulong y_off

/* The arguments, passed on to a kernel's shared body. */
#define PRODUCT_PASS                                                                           \
  w, scales, act, act_scales, y, n, ngroups, upg, scale_g, scale_n, act_stride, batch, y_off

static float load_scale(__global const float *scales, uint g, uint scale_g, uint scale_n,
                        uint row) {
  return scales[(size_t)g * scale_g + (scale_n ? row : 0)];
}

/* ---- portable ----
 * A work-item owns ROWS rows of one tile (one at a time) and TOKENS tokens.
 * I2S and TL1 (per tile and 128-weight block, the 16 rows' 32 bytes one
 * after the other) are decoded 32 weights at a time (a unit) into two
 * char16 of t in -1..1 (I2S: weights 0-15 and 16-31 of the unit; TL1: the
 * even and the odd ones, met by the even and odd activations of 16-bit
 * words); TL2 a granule at a time, 16 triples per step. Weights and
 * activations are read as aligned vectors (every offset is a multiple of
 * their size; PoCL splits vload16 of chars into 8-byte loads). */

/* Words of row n: block b at + b * 128. */
static __global const uint *row_blocks(__global const uint *w, uint n, uint nblk) {
  return w + ((size_t)(n / 16) * nblk * 16 + n % 16) * 8;
}

/* I2S unit u = plane u % 4 of block u / 4: 2-bit field u % 4 of each byte,
 * so one shift and mask give 4 codes per word, in element order. */
static void unit_i2s(__global const uint *rb, uint u, char16 *lo, char16 *hi) {
  const uint8 v = *(__global const uint8 *)(rb + (size_t)(u / 4) * 128);
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
  const uint8 v = *(__global const uint8 *)(rb + (size_t)(u / 4) * 128);
  const uint h = u % 4;
  const uint4 x = ((h & 1) ? v.hi : v.lo) >> (4 * (h >> 1)) & 0x0F0F0F0Fu;
  const uint4 c0 = ((x * 11u) >> 5) & 0x03030303u;
  *t0 = as_char16(c0) - (char16)(1);
  *t1 = as_char16(x - c0 * 3u) - (char16)(1);
}

/* TL2 (layout below): 16 triples at once, digits by arithmetic. Balanced
 * ternary digits of magnitudes m (0..13), negated where neg = -1:
 * m = 9*d0 + 3*d1 + d2 with d0 = (m + 4) / 9. */
static void tl2_digits(int16 m, int16 neg, int16 *d) {
  const int16 d0 = (m + 4) / 9, r = m - 9 * d0;
  const int16 d1 = (r + 4) / 3 - 1, d2 = r - 3 * d1;
  d[0] = (d0 ^ neg) - neg;
  d[1] = (d1 ^ neg) - neg;
  d[2] = (d2 ^ neg) - neg;
}

/* acc[t] += the products of unit u of a row for each token: 32 weights of
 * an I2S / TL1 block (rb: the row's blocks), or a TL2 granule (rb: the
 * tile's granules, r the row in the tile). */
CLQL_INLINE void unit_products(__global const uint *rb, uint r, uint u, const int qt,
                               __global const char *const *at, int16 *acc) {
  if (qt == 2) {
    __global const uchar *gr = (__global const uchar *)rb + (size_t)u * 320;
    const uchar16 mb = *(__global const uchar16 *)(gr + r * 16);
    /* the row's two 16-bit sign halves (layout below) */
    __global const ushort *sh = (__global const ushort *)(gr + 256 + r / 4 * 16 + r % 4 * 2);
    const uint sw = (uint)sh[0] | (uint)sh[4] << 16;
    const int16 bit = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    /* one half after the other: unrolled, both halves' digits and
     * activations are live at once, and GEMM needs more than AMD's 256
     * VGPRs (it spilled on gfx906 and gfx1030) */
#pragma unroll 1
    for (uint h = 0; h < 2; h++) {
      /* triples 16h .. 16h+15: weights 16h + j, +32, +64 of the granule */
      const int16 m = convert_int16(h ? mb >> (uchar)4 : mb & (uchar)15);
      const int16 neg = -(((int16)(sw >> (16 * h)) >> bit) & 1);
      int16 d[3];
      tl2_digits(m, neg, d);
#pragma unroll
      for (uint t = 0; t < TOKENS; t++) {
        __global const char16 *a = (__global const char16 *)(at[t] + 96 * u + 16 * h);
        acc[t] += d[0] * convert_int16(a[0]) + d[1] * convert_int16(a[2]) +
                  d[2] * convert_int16(a[4]);
      }
    }
    return;
  }
  char16 ta, tb;
  if (qt == 1)
    unit_tl1(rb, u, &ta, &tb);
  else
    unit_i2s(rb, u, &ta, &tb);
#pragma unroll
  for (uint t = 0; t < TOKENS; t++) {
    int16 qa, qb;
    if (qt == 1) {
      /* the activation pairs (2j, 2j + 1) as little-endian 16-bit words:
       * the even one in the low byte, sign-extended by xor and subtract */
      const int16 p = convert_int16(*(__global const ushort16 *)(at[t] + 32 * u));
      qa = ((p & 0xFF) ^ 0x80) - 0x80;
      qb = ((p >> 8) ^ 0x80) - 0x80;
    } else {
      __global const char16 *a = (__global const char16 *)(at[t] + 32 * u);
      qa = convert_int16(a[0]);
      qb = convert_int16(a[1]);
    }
    acc[t] += convert_int16(ta) * qa + convert_int16(tb) * qb;
  }
}

/* Lane by lane: oclgrind checks these kernels (tests/cl/test_kernels_small.c),
 * and its uninitialized-value check takes lane 11 of a swizzle such as
 * v.hi for undefined, and crashes on the undefined lanes clang gives a
 * vector literal built of halves ((char16)(a.even, b.even)). */
static int hsum16(int16 v) {
  return ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7)) +
         ((v.s8 + v.s9) + (v.sa + v.sb)) + ((v.sc + v.sd) + (v.se + v.sf));
}

/* qt: 0 I2S, 1 TL1, 2 TL2 */
CLQL_INLINE void portable_product(PRODUCT_ARGS(char), const int qt) {
  const uint n0 = (uint)get_global_id(0) * ROWS, b0 = (uint)get_global_id(1) * TOKENS;
  if (n0 >= n || b0 >= batch) return;
  const uint nunits = ngroups * upg;
  __global const char *at[TOKENS];
#pragma unroll
  for (uint t = 0; t < TOKENS; t++) at[t] = act + (size_t)min(b0 + t, batch - 1) * act_stride;
  for (uint r = 0; r < ROWS && n0 + r < n; r++) {
    const uint row = n0 + r;
    __global const uint *rb = qt == 2 ? w + (size_t)(row / 16) * nunits * 80
                                      : row_blocks(w, row, nunits / 4);
    float sum[TOKENS];
#pragma unroll
    for (uint t = 0; t < TOKENS; t++) sum[t] = 0.0f;
    for (uint g = 0; g < ngroups; g++) {
      int16 acc[TOKENS];
#pragma unroll
      for (uint t = 0; t < TOKENS; t++) acc[t] = (int16)(0);
      for (uint u = g * upg; u < (g + 1) * upg; u++) unit_products(rb, row % 16, u, qt, at, acc);
      const float gamma = load_scale(scales, g, scale_g, scale_n, row);
#pragma unroll
      for (uint t = 0; t < TOKENS; t++) {
        const float p = (float)hsum16(acc[t]) * gamma;
        sum[t] = sum[t] + p;
      }
    }
#pragma unroll
    for (uint t = 0; t < TOKENS && b0 + t < batch; t++)
      y[y_off + (size_t)(b0 + t) * n + row] = clql_div_rn(sum[t], act_scales[b0 + t]);
  }
}

__kernel void clql_i2s(PRODUCT_ARGS(char)) {
  portable_product(PRODUCT_PASS, 0);
}

__kernel void clql_tl1(PRODUCT_ARGS(char)) {
  portable_product(PRODUCT_PASS, 1);
}

/* TL2 layout: tiles of 16 rows; per tile and 96-weight granule the rows' 16
 * magnitude bytes (byte j: triple j in bits 0..3, triple 16 + j in bits
 * 4..7), then their sign bits (set: triple negative), 320 bytes. The signs
 * of rows 4v .. 4v + 3 are 16 bytes at 256 + 16v: a 64-bit word for triples
 * 0..15 and one for 16..31, row 4v + r's 16 bits at bit 16r of each; so the
 * x86 kernels load them as the masks of row vector v's low and high
 * nibbles. Triple i holds weights i, 32 + i, 64 + i of the granule, so each
 * digit of 16 triples multiplies 16 consecutive activations. */
__kernel void clql_tl2(PRODUCT_ARGS(char)) {
  portable_product(PRODUCT_PASS, 2);
}

/* ---- K-split (GPUs) ----
 * A GEMV row is too little work for one GPU work-item: 2560 rows are 2560
 * work-items, a fraction of what a GPU runs at once, each walking all of K.
 * Here a work-group owns one 16-row tile and TOKENS tokens, and its 16 * S
 * work-items (S = local size / 16) split K: work-item (r, s) takes row r and
 * every S-th unit of each scale group, in a loop of loads and integer work
 * alone, so the compiler can keep several loads in flight. Adjacent
 * work-items read adjacent bytes of a tile's block (I2S and TL1: four units
 * share a block's bytes), so loads coalesce as in the portable kernels.
 * Each group's int32 sum meets in local memory through atomic adds, exact in
 * any order; then work-item s = 0 of each row adds the groups' float
 * products in group order, the reference's float steps.
 * Groups are taken KSPLIT_GROUPS at a time so the local array stays 16 KiB
 * whatever K and TOKENS. Every work-item reaches every barrier: rows past n
 * (the padded tile) compute on zero weights but never load a scale or store. */
#define KSPLIT_GROUPS (256 / TOKENS)
#define KSPLIT_LOCAL (TOKENS * 16 * KSPLIT_GROUPS)

/* Group j's sum for token t and row r: the 16 rows adjacent, so the rows of
 * a warp meet different local-memory banks. */
#define KSPLIT_AT(j, t, r) (((j) * TOKENS + (t)) * 16 + (r))

static void ksplit_flush(__local int *lacc, uint r, uint j, int16 *acc) {
#pragma unroll
  for (uint t = 0; t < TOKENS; t++) {
    atomic_add(&lacc[KSPLIT_AT(j, t, r)], hsum16(acc[t]));
    acc[t] = (int16)(0);
  }
}

CLQL_INLINE void ksplit_product(PRODUCT_ARGS(char), const int qt, __local int *lacc) {
  const uint lid = (uint)get_local_id(0), r = lid % 16, s = lid / 16;
  const uint nsplit = (uint)get_local_size(0) / 16, tile = (uint)get_group_id(0);
  const uint row = tile * 16 + r, b0 = (uint)get_global_id(1) * TOKENS;
  const uint nunits = ngroups * upg;
  const int live = row < n && b0 < batch;
  __global const char *at[TOKENS];
#pragma unroll
  for (uint t = 0; t < TOKENS; t++) at[t] = act + (size_t)min(b0 + t, batch - 1) * act_stride;
  __global const uint *rb = qt == 2 ? w + (size_t)tile * nunits * 80
                                    : row_blocks(w, row, nunits / 4);
  float sum[TOKENS];
  int16 acc[TOKENS];
#pragma unroll
  for (uint t = 0; t < TOKENS; t++) sum[t] = 0.0f, acc[t] = (int16)(0);
  for (uint g0 = 0; g0 < ngroups; g0 += KSPLIT_GROUPS) {
    const uint gn = min(ngroups - g0, (uint)KSPLIT_GROUPS);
    for (uint i = lid; i < gn * TOKENS * 16; i += get_local_size(0)) lacc[i] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    /* units u = g0 * upg + s (mod S): the first of group j is past its start
     * by (s - j * upg) mod S */
    for (uint j = 0; j < gn; j++) {
      const uint start = (g0 + j) * upg, end = start + upg;
      uint u = start + (s + nsplit - (j * upg) % nsplit) % nsplit;
      if (u >= end) continue;
      for (; u < end; u += nsplit) unit_products(rb, r, u, qt, at, acc);
      ksplit_flush(lacc, r, j, acc);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (s == 0 && live)
      for (uint j = 0; j < gn; j++) {
        const float gamma = load_scale(scales, g0 + j, scale_g, scale_n, row);
#pragma unroll
        for (uint t = 0; t < TOKENS; t++) {
          const float p = (float)lacc[KSPLIT_AT(j, t, r)] * gamma;
          sum[t] = sum[t] + p;
        }
      }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (s == 0 && live)
#pragma unroll
    for (uint t = 0; t < TOKENS && b0 + t < batch; t++)
      y[y_off + (size_t)(b0 + t) * n + row] = clql_div_rn(sum[t], act_scales[b0 + t]);
}

__kernel void clql_i2s_ksplit(PRODUCT_ARGS(char)) {
  __local int lacc[KSPLIT_LOCAL];
  ksplit_product(PRODUCT_PASS, 0, lacc);
}

__kernel void clql_tl1_ksplit(PRODUCT_ARGS(char)) {
  __local int lacc[KSPLIT_LOCAL];
  ksplit_product(PRODUCT_PASS, 1, lacc);
}

__kernel void clql_tl2_ksplit(PRODUCT_ARGS(char)) {
  __local int lacc[KSPLIT_LOCAL];
  ksplit_product(PRODUCT_PASS, 2, lacc);
}

/* ---- x86 CPUs (AVX-512BW, AVX2) ----
 * A 512-bit register holds one block of two adjacent rows (I2S, TL1: 32
 * bytes each) or four (TL2: 16 magnitude bytes each): a row vector; rows of
 * a tile are adjacent, so it is one load. Per block the weights become four
 * (six for TL2) vectors of unsigned codes c = t + 1 in 0..2, each multiplied
 * by the matching activations (repeated for every row of the vector) with
 * pmaddubsw: u8 x s8, adjacent products summed into 16-bit lanes, at most
 * 2 * 2 * 128 in magnitude, so it never saturates. 16-bit sums are widened
 * to int32 with pmaddwd before they could overflow (GEMV: every FLUSH blocks
 * of at most 3072 per lane each; GEMM: every block), and sum(c * q) - sum(q)
 * = sum(t * q) per group: all exact. With CLQL_VNNI, vpdpbusd adds four
 * u8 x s8 products into each int32 lane instead (x_dot32). A GEMM
 * work-item owns VECS row vectors of one tile and TOKENS tokens; each
 * decoded block serves all its tokens, and the tokens' sums are taken in a
 * pass of their own first, which leaves the 32 registers to codes,
 * activations and accumulators (spilling them cost 13%). The GEMV (TOKENS
 * = 1) is one launch per pass: it quantizes the token itself (below).
 * Weights are prefetched PREFETCH blocks ahead: the decode is short enough
 * that otherwise the loads wait.
 *   I2S  2-bit field m of byte j is weight 32m + j: shift and mask.
 *   TL1  the pair index in each nibble maps to (c0, c1) by two 16-entry
 *        byte tables (pshufb); c0 meets the even activations, c1 the odd.
 *   TL2  the magnitude in each nibble maps to its three digits + 1 by three
 *        tables; a set sign bit turns c into 2 - c.
 * CPUs with AVX2 but not AVX-512BW (or any, built with -DCLQL_X86_256) run
 * each 512-bit multiply-add and byte shuffle as two 256-bit ones: pmaddubsw,
 * pmaddwd and pshufb work within 128-bit lanes, so the halves compute the
 * same lanes. -DCLQL_X86_512 defines the kernels only for AVX-512BW. */
#if defined(CLQL_SIMD) && defined(__clang__) && defined(__x86_64__) && \
    (defined(__AVX512BW__) || (defined(__AVX2__) && !defined(CLQL_X86_512)))
#if defined(CLQL_VNNI) && (!defined(__AVX512BW__) || defined(CLQL_X86_256))
#undef CLQL_VNNI /* for the 512-bit form only */
#endif
#if defined(CLQL_VBMI) && !defined(CLQL_VNNI)
#undef CLQL_VBMI /* with VNNI only */
#endif
#ifndef VECS
#define VECS 1
#endif
/* GEMV: blocks summed in 16-bit lanes; with VNNI the int32 lanes take a
 * whole group (at most 6 * 4 * 2 * 128 per block and lane: 2^18 blocks) */
#ifdef CLQL_VNNI
#define FLUSH (1u << 20)
#else
#define FLUSH 8u
#endif
#define PREFETCH 16u

typedef char x_c64 __attribute__((ext_vector_type(64)));
typedef uchar x_u64 __attribute__((ext_vector_type(64)));
typedef char x_c32 __attribute__((ext_vector_type(32)));
typedef short x_s32 __attribute__((ext_vector_type(32)));

#define X_I32 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, \
              23, 24, 25, 26, 27, 28, 29, 30, 31
#define X_I32_HI 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, \
                 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
#define X_I16 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
#define X_I16_HI 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31

#if defined(__AVX512BW__) && !defined(CLQL_X86_256)
#define X_MUB(c, q) __builtin_ia32_pmaddubsw512(c, q)
#define X_WIDEN(s) __builtin_ia32_pmaddwd512(s, (x_s32)(1))
#define X_PSHUFB(t, i) __builtin_ia32_pshufb512(t, i)
/* TL2's sign: c becomes 2 - c in the lanes whose bit of the 64-bit sign
 * word m (in global memory) is set, by loading m into a mask register and
 * one masked subtraction per code, as assembly: written in C (a select, or
 * the AVX-512 builtins) it compiled to the inverse mask, a subtraction and
 * a blend per code. */
#define X_SIGN3(m, c0, c1, c2)                                                                  \
  __asm__("kmovq %[mm], %%k1\n\t"                                                              \
          "vpsubb %[d0], %[two], %[d0]%{%%k1%}\n\t"                                             \
          "vpsubb %[d1], %[two], %[d1]%{%%k1%}\n\t"                                             \
          "vpsubb %[d2], %[two], %[d2]%{%%k1%}"                                                  \
          : [d0] "+v"(c0), [d1] "+v"(c1), [d2] "+v"(c2)                                          \
          : [mm] "m"(m), [two] "v"((x_c64)(2))                                                   \
          : "k1")
#else
typedef short x_s16 __attribute__((ext_vector_type(16)));
typedef int x_i8 __attribute__((ext_vector_type(8)));

static x_s32 x_mub256(x_c64 c, x_c64 q) {
  const x_s16 lo = __builtin_ia32_pmaddubsw256(__builtin_shufflevector(c, c, X_I32),
                                               __builtin_shufflevector(q, q, X_I32));
  const x_s16 hi = __builtin_ia32_pmaddubsw256(__builtin_shufflevector(c, c, X_I32_HI),
                                               __builtin_shufflevector(q, q, X_I32_HI));
  return __builtin_shufflevector(lo, hi, X_I32);
}

static int16 x_widen256(x_s32 s) {
  const x_s16 one = (x_s16)(1);
  const x_i8 lo = __builtin_ia32_pmaddwd256(__builtin_shufflevector(s, s, X_I16), one);
  const x_i8 hi = __builtin_ia32_pmaddwd256(__builtin_shufflevector(s, s, X_I16_HI), one);
  return __builtin_shufflevector(lo, hi, X_I16);
}

static x_c64 x_pshufb256(x_c64 t, x_c64 i) {
  const x_c32 lo = __builtin_ia32_pshufb256(__builtin_shufflevector(t, t, X_I32),
                                            __builtin_shufflevector(i, i, X_I32));
  const x_c32 hi = __builtin_ia32_pshufb256(__builtin_shufflevector(t, t, X_I32_HI),
                                            __builtin_shufflevector(i, i, X_I32_HI));
  return __builtin_shufflevector(lo, hi, X_I32, X_I32_HI);
}
#define X_MUB(c, q) x_mub256(c, q)
#define X_WIDEN(s) x_widen256(s)
#define X_PSHUFB(t, i) x_pshufb256(t, i)
/* byte i of a 64-bit word's bytes w: byte i / 8 of w */
#define X_SPREAD8(w)                                                                           \
  __builtin_shufflevector(w, w, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, \
                          2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, \
                          5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7)
#define X_SIGN3(m, c0, c1, c2)                                                                  \
  do {                                                                                         \
    const char8 mb_ = __builtin_astype((m), char8);                                            \
    const x_c64 bits_ = X_X4((char16)(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128)); \
    const x_c64 neg_ = (X_SPREAD8(mb_) & bits_) != (char)0, two_ = (x_c64)(2);                 \
    c0 = neg_ ? two_ - c0 : c0;                                                                \
    c1 = neg_ ? two_ - c1 : c1;                                                                \
    c2 = neg_ ? two_ - c2 : c2;                                                                \
  } while (0)
#endif
/* Bytes 0..31 (LO) or 32..63 (HI) of a 64-byte vector, twice; 16 bytes four
 * times; a 16-entry table in every 128-bit lane. */
#define X_LO(a) __builtin_shufflevector(a, a, X_I32, X_I32)
#define X_HI(a)                                                                                \
  __builtin_shufflevector(a, a, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46,   \
                          47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,  \
                          32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48,  \
                          49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63)
#define X_X4(h) __builtin_shufflevector(h, h, X_I16, X_I16, X_I16, X_I16)
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

/* Rows per vector, code vectors per block, weights per block, tile bytes
 * per block, by qtype (0 I2S, 1 TL1, 2 TL2). */
#define X_RPV(qt) ((qt) == 2 ? 4u : 2u)
#define X_NC(qt) ((qt) == 2 ? 6u : 4u)
#define X_BLOCK(qt) ((qt) == 2 ? 96u : 128u)
#define X_TILE(qt) ((qt) == 2 ? 320u : 512u)

static x_c64 x_table(char16 t) { return X_X4(t); }

#ifdef CLQL_VBMI
/* A 32-entry vpermb table: t (codes c) in bytes 0..15, 2 - t in 16..31. */
static x_c64 x_table32(char16 t) {
  const char16 n = (char16)(2) - t;
  return __builtin_shufflevector(t, n, X_I32, X_I32);
}

/* Byte i of the result: t[idx[i] & 63] (vpermb, AVX512-VBMI). */
static x_c64 x_permb(x_c64 t, x_c64 idx) {
  x_c64 r;
  __asm__("vpermb %1, %2, %0" : "=v"(r) : "v"(t), "v"(idx));
  return r;
}

/* TL2 with VBMI: the six code vectors of row vector v. The sign words,
 * loaded as masks, set bit 4 of the magnitude indices, and one vpermb per
 * digit looks the 5-bit index up in a 32-entry table whose upper half
 * holds 2 - c: 17 vector operations per row vector, vpdpbusd included,
 * against 21 with pshufb and three masked subtractions per half. */
static void x_decode_tl2_vbmi(__global const uchar *blk, uint v, x_u64 w, x_c64 *c) {
  const x_c64 t0 = x_table32((char16)(1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1));
  const x_c64 t1 = x_table32((char16)(1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2, 1, 1));
  const x_c64 t2 = x_table32((char16)(1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 1, 1));
  x_c64 lo = __builtin_astype(w & (uchar)15, x_c64);
  x_c64 hi = __builtin_astype(w >> (uchar)4, x_c64);
  /* the row vector's sign words are the masks of lo and hi as they are
   * (bit 16r + j: row r's byte j), loaded straight into mask registers:
   * picking them out of per-row words took a permutation and two
   * vpshufbitqmb, and a cached GEMV 1.1-1.25x the time */
  __global const ulong *sm = (__global const ulong *)(blk + 256 + 16 * v);
  __asm__("kmovq %[s0], %%k1\n\t"
          "kmovq %[s1], %%k2\n\t"
          "vpaddb %[sx], %[lo], %[lo]%{%%k1%}\n\t"
          "vpaddb %[sx], %[hi], %[hi]%{%%k2%}"
          : [lo] "+v"(lo), [hi] "+v"(hi)
          : [s0] "m"(sm[0]), [s1] "m"(sm[1]), [sx] "v"((x_c64)(16))
          : "k1", "k2");
  c[0] = x_permb(t0, lo), c[1] = x_permb(t1, lo), c[2] = x_permb(t2, lo);
  c[3] = x_permb(t0, hi), c[4] = x_permb(t1, hi), c[5] = x_permb(t2, hi);
}
#endif

/* The code vectors of row vector v of a tile's block (the tile's rows in
 * vectors of X_RPV; TL2 sign words follow the 256 magnitude bytes). */
static void x_decode(__global const uchar *blk, uint v, const int qt, x_c64 *c) {
  const x_u64 w = *(__global const x_u64 *)(blk + 64 * v);
  if (qt == 0) {
    c[0] = __builtin_astype(w & (uchar)3, x_c64);
    c[1] = __builtin_astype((w >> (uchar)2) & (uchar)3, x_c64);
    c[2] = __builtin_astype((w >> (uchar)4) & (uchar)3, x_c64);
    c[3] = __builtin_astype(w >> (uchar)6, x_c64);
  } else if (qt == 1) {
    const x_c64 lut0 = x_table((char16)(0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0));
    const x_c64 lut1 = x_table((char16)(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0));
    const x_c64 lo = __builtin_astype(w & (uchar)15, x_c64);
    const x_c64 hi = __builtin_astype(w >> (uchar)4, x_c64);
    c[0] = X_PSHUFB(lut0, lo);
    c[1] = X_PSHUFB(lut1, lo);
    c[2] = X_PSHUFB(lut0, hi);
    c[3] = X_PSHUFB(lut1, hi);
  } else {
#ifdef CLQL_VBMI
    x_decode_tl2_vbmi(blk, v, w, c);
#else
    /* digit k + 1 of each magnitude: triples 0..15 of a row (lo nibbles)
     * are c[k], triples 16..31 (hi nibbles) c[3 + k] */
    const x_c64 l0 = x_table((char16)(1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1));
    const x_c64 l1 = x_table((char16)(1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2, 1, 1));
    const x_c64 l2 = x_table((char16)(1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 1, 1));
    const x_c64 lo = __builtin_astype(w & (uchar)15, x_c64);
    const x_c64 hi = __builtin_astype(w >> (uchar)4, x_c64);
    /* in named variables: as a loop over c[] PoCL kept the codes in memory */
    x_c64 d0 = X_PSHUFB(l0, lo), d1 = X_PSHUFB(l1, lo), d2 = X_PSHUFB(l2, lo);
    x_c64 d3 = X_PSHUFB(l0, hi), d4 = X_PSHUFB(l1, hi), d5 = X_PSHUFB(l2, hi);
    /* the row vector's sign words: bit 16r + j for row r's byte j of lo
     * (the first word) and of hi */
    __global const ulong *sm = (__global const ulong *)(blk + 256 + 16 * v);
    X_SIGN3(sm[0], d0, d1, d2);
    X_SIGN3(sm[1], d3, d4, d5);
    c[0] = d0, c[1] = d1, c[2] = d2, c[3] = d3, c[4] = d4, c[5] = d5;
#endif
  }
}

/* GEMV reads its activations from local memory, where the kernel quantized
 * them (x86_quantize); GEMM from the global buffer the activation kernel
 * wrote. */
#if TOKENS == 1
#define X_ACT __local
#else
#define X_ACT __global
#endif

/* The activations matching x_decode's codes for one token's block (a),
 * repeated for every row of a vector. */
static void x_acts(X_ACT const char *a, const int qt, x_c64 *q) {
  if (qt == 2) {
    /* plain 16-byte loads (vload16 of chars becomes 8-byte pieces) */
    X_ACT const char16 *a16 = (X_ACT const char16 *)a;
    const char16 a0 = a16[0], a1 = a16[1], a2 = a16[2], a3 = a16[3], a4 = a16[4], a5 = a16[5];
    q[0] = X_X4(a0), q[1] = X_X4(a2), q[2] = X_X4(a4);
    q[3] = X_X4(a1), q[4] = X_X4(a3), q[5] = X_X4(a5);
    return;
  }
  const x_c64 a0 = *(X_ACT const x_c64 *)a, a1 = *(X_ACT const x_c64 *)(a + 64);
  if (qt == 1) {
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

/* The sum of one token's block of activations, in 16-bit lanes (each at
 * most 2 * 2 * 128 in magnitude). */
static x_s32 x_qsum(X_ACT const char *a, const int qt) {
  if (qt == 2) {
    const x_c32 h0 = *(X_ACT const x_c32 *)a, h1 = *(X_ACT const x_c32 *)(a + 32);
    const x_c32 h2 = *(X_ACT const x_c32 *)(a + 64), z = (x_c32)(0);
    return X_MUB((x_c64)(1), __builtin_shufflevector(h0, h1, X_I32, X_I32_HI)) +
           X_MUB((x_c64)(1), __builtin_shufflevector(h2, z, X_I32, X_I32_HI));
  }
  return X_MUB((x_c64)(1), *(X_ACT const x_c64 *)a) +
         X_MUB((x_c64)(1), *(X_ACT const x_c64 *)(a + 64));
}

static x_s32 x_dot(const x_c64 *c, const x_c64 *q, const int qt) {
  x_s32 s = X_MUB(c[0], q[0]) + X_MUB(c[1], q[1]) + X_MUB(c[2], q[2]) + X_MUB(c[3], q[3]);
  if (qt == 2) s += X_MUB(c[4], q[4]) + X_MUB(c[5], q[5]);
  return s;
}

/* acc plus the products of codes and activations, in int32 lanes: with
 * CLQL_VNNI (the host found AVX512-VNNI on its CPU) each code vector's
 * u8 x s8 products go four at a time into acc by vpdpbusd, written as
 * assembly since PoCL may build for an older model of the CPU it runs on;
 * otherwise the 16-bit sums of x_dot, widened. Exact either way. */
#ifdef CLQL_VNNI
static int16 x_dpbusd(int16 acc, x_c64 c, x_c64 q) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(c), "v"(q));
  return acc;
}

/* A 64-byte vector at any address: TL2's groups start at multiples of 32. */
typedef char x_c64u __attribute__((ext_vector_type(64), aligned(1)));

/* The sum of q over the n bytes at a (n and a's offset multiples of 32),
 * in int32 lanes: one vpdpbusd of ones per 64 bytes, where a sum per block
 * took two multiply-adds and a widening per 128 bytes (TL2: shuffles too,
 * for 96), once per token and group in every GEMM work-item. Four sums,
 * so that vpdpbusd's latency does not chain. */
static int16 x_qsum_run(X_ACT const char *a, uint n) {
  const x_c64 one = (x_c64)(1);
  int16 s0 = (int16)(0), s1 = s0, s2 = s0, s3 = s0;
  uint i = 0;
  for (; i + 256 <= n; i += 256) {
    s0 = x_dpbusd(s0, one, *(X_ACT const x_c64u *)(a + i));
    s1 = x_dpbusd(s1, one, *(X_ACT const x_c64u *)(a + i + 64));
    s2 = x_dpbusd(s2, one, *(X_ACT const x_c64u *)(a + i + 128));
    s3 = x_dpbusd(s3, one, *(X_ACT const x_c64u *)(a + i + 192));
  }
  for (; i + 64 <= n; i += 64) s0 = x_dpbusd(s0, one, *(X_ACT const x_c64u *)(a + i));
  if (i < n) {
    const x_c32 h = *(X_ACT const x_c32 *)(a + i), z = (x_c32)(0);
    s1 = x_dpbusd(s1, one, __builtin_shufflevector(h, z, X_I32, X_I32_HI));
  }
  return (s0 + s1) + (s2 + s3);
}
#endif

static int16 x_dot32(int16 acc, const x_c64 *c, const x_c64 *q, const int qt) {
#ifdef CLQL_VNNI
  acc = x_dpbusd(x_dpbusd(acc, c[0], q[0]), c[1], q[1]);
  acc = x_dpbusd(x_dpbusd(acc, c[2], q[2]), c[3], q[3]);
  if (qt == 2) acc = x_dpbusd(x_dpbusd(acc, c[4], q[4]), c[5], q[5]);
  return acc;
#else
  return acc + X_WIDEN(x_dot(c, q, qt));
#endif
}

/* The int32 sum of row r of a row vector's lanes. */
static int x_row_sum(int16 v, uint r, const int qt) {
  if (qt == 2) {
    const int4 l = r == 0 ? v.s0123 : r == 1 ? v.s4567 : r == 2 ? v.s89ab : v.scdef;
    return l.x + l.y + l.z + l.w;
  }
  const int8 h = r == 0 ? v.lo : v.hi;
  const int4 l = h.lo + h.hi;
  return l.x + l.y + l.z + l.w;
}

#ifdef CLQL_VNNI
/* I2S with VNNI: the fields 0 and 2 of each byte as codes (w & 3 and
 * (w >> 4) & 3) into acc1, fields 1 and 3 unshifted (w & 12 and
 * (w >> 4) & 12, four times the codes) into acc4, which holds four times
 * its sums: one shift and four masks per row vector instead of three and
 * four. acc1 + (acc4 >> 2) is exact (every lane of acc4 a multiple of 4). */
static void x_i2s_vnni(__global const uchar *blk, uint v, const x_c64 *q, int16 *acc1,
                       int16 *acc4) {
  const x_u64 w = *(__global const x_u64 *)(blk + 64 * v), h = w >> (uchar)4;
  *acc1 = x_dpbusd(x_dpbusd(*acc1, __builtin_astype(w & (uchar)3, x_c64), q[0]),
                   __builtin_astype(h & (uchar)3, x_c64), q[2]);
  *acc4 = x_dpbusd(x_dpbusd(*acc4, __builtin_astype(w & (uchar)12, x_c64), q[1]),
                   __builtin_astype(h & (uchar)12, x_c64), q[3]);
}
#endif

/* The GEMM's group g for one token: sum[r] += (row r's int32 sum - qsum) *
 * gamma for the rows of the VECS row vectors (acc[v * TOKENS],
 * sum[r * TOKENS]: one token's column of the work-item's arrays); inlined
 * with constant indices, so everything stays in registers. */
CLQL_INLINE void x_add_group(const int16 *acc, int qsum, __global const float *scales, uint g,
                             uint scale_g, uint scale_n, uint n0, const int qt, float *sum) {
#pragma unroll
  for (uint v = 0; v < VECS; v++) {
#pragma unroll
    for (uint i = 0; i < 4; i++) {
      if (i >= X_RPV(qt)) break;
      const uint r = v * X_RPV(qt) + i;
      const float gamma = load_scale(scales, g, scale_g, scale_n, n0 + r);
      const float p = (float)(x_row_sum(acc[v * TOKENS], i, qt) - qsum) * gamma;
      sum[r * TOKENS] = sum[r * TOKENS] + p;
    }
  }
}

#if TOKENS == 1
/* ---- x86 GEMV: batch 1 in one launch ----
 * Each work-group first quantizes x into local memory with the activation
 * kernel's float steps (actquant.cl: the same bytes and scale), then each of
 * its work-items runs whole tiles, a contiguous run of them (one weight
 * stream). The host launches a few work-groups per compute unit, so x is
 * quantized a few times per call instead of waking PoCL's threads for a
 * second kernel (tens of microseconds for a synchronous call). The group
 * sums of the activations, which every tile needs, are taken once per
 * work-group into gsum. */

static float x_hmax16(float16 v) {
  const float8 a = fmax(v.lo, v.hi);
  const float4 b = fmax(a.lo, a.hi);
  return fmax(fmax(b.x, b.y), fmax(b.z, b.w));
}

/* x (k floats) quantized into q (stride bytes, zero past k); returns the
 * scale. The work-group shares the work; every work-item reads the partial
 * maxima (a work-group is a few work-items). */
static float x86_quantize(__global const float *row, uint k, uint stride, __local char *q,
                          __local float *red) {
  const uint lid = (uint)get_local_id(0), lsz = (uint)get_local_size(0);
  const uint per = ((stride + lsz - 1) / lsz + 15) & ~15u;
  const uint i0 = min(lid * per, stride), iend = min(i0 + per, stride);
  const uint xend = max(i0, min(iend, k)), full = i0 + (xend - i0) / 16 * 16;
  /* four chains: fmax of one chain waits on its compare (a few cycles per
   * 16 floats, the larger part of this function); the maximum is the same
   * in any order */
  float16 m16[4] = {(float16)(0.0f), (float16)(0.0f), (float16)(0.0f), (float16)(0.0f)};
  float m = 0.0f;
  uint i = i0;
  for (; i + 64 <= full; i += 64) {
#pragma unroll
    for (uint c = 0; c < 4; c++) m16[c] = fmax(m16[c], fabs(vload16(0, row + i + 16 * c)));
  }
  for (; i < full; i += 16) m16[0] = fmax(m16[0], fabs(vload16(0, row + i)));
  for (i = full; i < xend; i++) m = fmax(m, fabs(row[i]));
  red[lid] = fmax(m, x_hmax16(fmax(fmax(m16[0], m16[1]), fmax(m16[2], m16[3]))));
  barrier(CLK_LOCAL_MEM_FENCE);
  float amax = 0.0f;
  for (uint i = 0; i < lsz; i++) amax = fmax(amax, red[i]);
  const float s = clql_div_rn(127.0f, fmax(amax, 1e-5f));
  /* rint's result where the clamp keeps it: (v + 1.5 * 2^23) - 1.5 * 2^23
   * rounds to the nearest integer, ties to even, for |v| < 2^22, and keeps
   * larger magnitudes (infinities too) beyond the clamp and NaN a NaN. PoCL's
   * rint of a float16 is a library routine that took most of this loop. */
  const float16 magic = (float16)(12582912.0f);
  for (uint i = i0; i < full; i += 16) {
    float16 r = (vload16(0, row + i) * s + magic) - magic;
    r = select(clamp(r, -128.0f, 127.0f), (float16)(0.0f), isnan(r));
    *(__local char16 *)(q + i) = convert_char16(r);
  }
  for (uint i = full; i < iend; i++) {
    float r = 0.0f;
    if (i < k) {
      r = rint(row[i] * s);
      r = isnan(r) ? 0.0f : clamp(r, -128.0f, 127.0f);
    }
    q[i] = (char)(int)r;
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  return s;
}

/* gsum[g]: the int32 sum of q over scale group g (blocks of X_BLOCK). */
static void x86_group_sums(__local const char *q, uint ngroups, uint upg, const int qt,
                           __local int *gsum) {
  const uint lid = (uint)get_local_id(0), lsz = (uint)get_local_size(0);
  for (uint g = lid; g < ngroups; g += lsz) {
#ifdef CLQL_VNNI
    const int16 acc = x_qsum_run(q + (size_t)g * upg * X_BLOCK(qt), upg * X_BLOCK(qt));
#else
    int16 acc = (int16)(0);
    for (uint b = g * upg; b < (g + 1) * upg; b++)
      acc += X_WIDEN(x_qsum(q + (size_t)b * X_BLOCK(qt), qt));
#endif
    gsum[g] = hsum16(acc);
  }
  barrier(CLK_LOCAL_MEM_FENCE);
}

/* The int32 sums of a tile's 16 rows, in row order, from its row vectors
 * (I2S and TL1: 8 of 2 rows x 8 lanes; TL2: 4 of 4 rows x 4 lanes) by a
 * tree of shuffles and adds, about 20 vector operations where a sum per
 * row took 14 scalar and extract ones. Integer sums: exact in any order. */
static int16 x_tile_sums(const int16 *acc, const int qt) {
  int16 p[4];
#pragma unroll
  for (uint i = 0; i < 4; i++)
    p[i] = qt == 2 ? acc[i]
                   : __builtin_shufflevector(acc[2 * i], acc[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11,
                                             16, 17, 18, 19, 24, 25, 26, 27) +
                         __builtin_shufflevector(acc[2 * i], acc[2 * i + 1], 4, 5, 6, 7, 12, 13,
                                                 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  /* p[i]: rows 4i .. 4i + 3, four lanes each; then two lanes per row */
  const int16 y = __builtin_shufflevector(p[0], p[1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21,
                                          24, 25, 28, 29) +
                  __builtin_shufflevector(p[0], p[1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23,
                                          26, 27, 30, 31);
  const int16 z = __builtin_shufflevector(p[2], p[3], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21,
                                          24, 25, 28, 29) +
                  __builtin_shufflevector(p[2], p[3], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23,
                                          26, 27, 30, 31);
  return __builtin_shufflevector(y, z, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                 30) +
         __builtin_shufflevector(y, z, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29,
                                 31);
}

/* y[n0 .. n0 + 15] of the tile at wt: VECS row vectors (the whole tile);
 * weights are prefetched up to lim, the end of the work-item's run (past
 * it they are another work-item's, or none). */
static void x86_gemv_tile(__global const uchar *wt, __global const uchar *lim,
                          __global const float *scales, __local const char *q,
                          __local const int *gsum, float s, __global float *out, uint n0, uint n,
                          uint ngroups, uint upg, uint scale_g, uint scale_n, const int qt) {
  float16 sum = (float16)(0.0f);
  /* the rows' scales, read at each group's end, fetched with the weights:
   * loaded cold they stalled every tile's last step */
  __builtin_prefetch(scales + (scale_n ? n0 : 0));
  for (uint g = 0; g < ngroups; g++) {
    int16 acc[VECS];
#pragma unroll
    for (uint v = 0; v < VECS; v++) acc[v] = (int16)(0);
#ifdef CLQL_VNNI
    int16 acc4[VECS]; /* I2S: x_i2s_vnni's four-times sums */
#pragma unroll
    for (uint v = 0; v < VECS; v++) acc4[v] = (int16)(0);
#endif
    const uint gend = (g + 1) * upg;
    for (uint bb = g * upg; bb < gend; bb += FLUSH) {
      x_s32 part[VECS];
#pragma unroll
      for (uint v = 0; v < VECS; v++) part[v] = (x_s32)(0);
      for (uint b = bb; b < min(bb + FLUSH, gend); b++) {
        __global const uchar *blk = wt + (size_t)b * X_TILE(qt);
        /* into L2 (prefetcht2): a prefetch into L1 holds one of its few
         * fill buffers for the whole trip from memory, and timed slower.
         * Every line of the block, TL2's sign words too */
        __global const uchar *const pf = blk + PREFETCH * X_TILE(qt);
        if (pf < lim) {
#pragma unroll
          for (uint l = 0; l < X_TILE(qt) / 64; l++) __builtin_prefetch(pf + 64 * l, 0, 1);
        }
        x_c64 a[6];
        x_acts(q + (size_t)b * X_BLOCK(qt), qt, a);
#pragma unroll
        for (uint v = 0; v < VECS; v++) {
          x_c64 c[6];
#ifdef CLQL_VNNI
          if (qt == 0) {
            x_i2s_vnni(blk, v, a, &acc[v], &acc4[v]);
            continue;
          }
          x_decode(blk, v, qt, c);
          acc[v] = x_dot32(acc[v], c, a, qt);
#else
          x_decode(blk, v, qt, c);
          part[v] += x_dot(c, a, qt);
#endif
        }
      }
#ifndef CLQL_VNNI
#pragma unroll
      for (uint v = 0; v < VECS; v++) acc[v] += X_WIDEN(part[v]);
#endif
    }
#ifdef CLQL_VNNI
    if (qt == 0) {
#pragma unroll
      for (uint v = 0; v < VECS; v++) acc[v] += acc4[v] >> 2;
    }
#endif
    /* the 16 rows at once, each float step as x_add_group's; the scales
     * of a group's rows are padded to whole tiles */
    const float16 gamma =
        scale_n ? *(__global const float16 *)(scales + (size_t)g * scale_g + n0)
                : (float16)(scales[(size_t)g * scale_g]);
    const float16 p = convert_float16(x_tile_sums(acc, qt) - gsum[g]) * gamma;
    sum = sum + p;
  }
  float o[16];
#ifdef CLQL_DIV_IS_RN
  vstore16(sum / s, 0, o);
#else
  vstore16(sum, 0, o);
#pragma unroll
  for (uint r = 0; r < 16; r++) o[r] = clql_div_rn(o[r], s);
#endif
  if (n0 + 16 <= n) {
    vstore16(vload16(0, o), 0, out + n0);
  } else {
    for (uint r = 0; n0 + r < n; r++) out[n0 + r] = o[r];
  }
}

/* Arguments of the GEMV kernels: as PRODUCT_ARGS, but the float input x
 * (token at element x_off, k wide) in place of the activations and their
 * scales; scratch: at least act_stride + 64 bytes, then ngroups ints and
 * a float per work-item, each 64-byte aligned within it; counters (or
 * NULL: a static split), two uints from element counters_at, zero before
 * and after the launch. */
#define GEMV_ARGS                                                                                  \
  __global const uint *w, __global const float *scales, __global const float *x, ulong x_off,    \
      uint k, __global float *y, uint n, uint ngroups, uint upg, uint scale_g, uint scale_n,      \
      uint act_stride, ulong y_off, __local uchar *scratch, __global uint *counters,            \
      uint counters_at

#define GEMV_PASS                                                                                  \
  w, scales, x, x_off, k, y, n, ngroups, upg, scale_g, scale_n, act_stride, y_off, scratch,      \
      counters, counters_at

static void x86_gemv(GEMV_ARGS, const int qt) {
  /* a program builds every qtype's kernel with its own VECS; only the one
   * whose VECS row vectors make a 16-row tile is ever launched */
  if (VECS * X_RPV(qt) != 16) return;
  /* 64-byte aligned parts (the activations are read as 64-byte vectors) */
  __local uchar *base = (__local uchar *)(((size_t)scratch + 63) & ~(size_t)63);
  __local char *q = (__local char *)base;
  __local int *gsum = (__local int *)(base + ((act_stride + 63) & ~63u));
  __local float *red = (__local float *)(gsum + ((ngroups + 15) & ~15u));
  const float s = x86_quantize(x + x_off, k, act_stride, q, red);
  x86_group_sums(q, ngroups, upg, qt, gsum);
  const uint ntiles = (n + 15) / 16, items = (uint)get_global_size(0);
  const size_t tile_bytes = (size_t)ngroups * upg * X_TILE(qt);
  __global const uchar *wt = (__global const uchar *)w;
  /* Without counters one run per work-item, its share of the tiles. With
   * them, guided claims: each claim is a run of tiles, a share of those
   * left (next[0] is the first unclaimed tile). Every work-item ends on one
   * failed claim and counts itself out in next[1]; the last zeroes both
   * for the next launch, when no work-item of this one reads them again.
   * Only tile numbers pass between work-groups, through atomics. */
  __global uint *const next = counters ? counters + counters_at : 0;
  const uint item = (uint)get_global_id(0), share = 2 * (uint)get_num_groups(0);
  uint t0 = (uint)((ulong)item * ntiles / items);
  uint t1 = (uint)((ulong)(item + 1) * ntiles / items);
  for (;;) {
    if (next) {
      t0 = atomic_add(&next[0], 0u);
      while (t0 < ntiles) {
        t1 = t0 + max(1u, (ntiles - t0) / share);
        const uint seen = atomic_cmpxchg(&next[0], t0, t1);
        if (seen == t0) break;
        t0 = seen;
      }
      if (t0 >= ntiles) break;
    }
    for (uint t = t0; t < t1; t++)
      x86_gemv_tile(wt + t * tile_bytes, wt + t1 * tile_bytes, scales, q, gsum, s, y + y_off,
                    t * 16, n, ngroups, upg, scale_g, scale_n, qt);
    if (!next) return;
  }
  if (atomic_inc(&next[1]) == items - 1) {
    atomic_xchg(&next[0], 0u);
    atomic_xchg(&next[1], 0u);
  }
}

__kernel void clql_i2s_x86(GEMV_ARGS) {
  x86_gemv(GEMV_PASS, 0);
}

__kernel void clql_tl1_x86(GEMV_ARGS) {
  x86_gemv(GEMV_PASS, 1);
}

__kernel void clql_tl2_x86(GEMV_ARGS) {
  x86_gemv(GEMV_PASS, 2);
}
#else
/* ---- x86 GEMM ----
 * A work-item owns VECS row vectors of one tile and TOKENS tokens; each
 * decoded block serves all its tokens, and the tokens' sums are taken in a
 * pass of their own first. */
static void x86_product(PRODUCT_ARGS(char), const int qt) {
  const uint rpv = X_RPV(qt), rows = VECS * rpv;
  const uint n0 = (uint)get_global_id(0) * rows, b0 = (uint)get_global_id(1) * TOKENS;
  if (n0 >= n || b0 >= batch) return;
  const uint nblk = ngroups * upg;
  __global const uchar *wt = (__global const uchar *)w + (size_t)(n0 / 16) * nblk * X_TILE(qt);
  const uint v0 = n0 % 16 / rpv; /* the first row vector in the tile */
  __global const char *at[TOKENS];
  float sum[VECS * 4][TOKENS];
#pragma unroll
  for (uint t = 0; t < TOKENS; t++) {
    at[t] = act + (size_t)min(b0 + t, batch - 1) * act_stride;
#pragma unroll
    for (uint r = 0; r < VECS * 4; r++) sum[r][t] = 0.0f;
  }
  for (uint g = 0; g < ngroups; g++) {
    int16 acc[VECS][TOKENS], qacc[TOKENS];
#pragma unroll
    for (uint t = 0; t < TOKENS; t++) {
      qacc[t] = (int16)(0);
#pragma unroll
      for (uint v = 0; v < VECS; v++) acc[v][t] = (int16)(0);
    }
    const uint gend = (g + 1) * upg;
    /* the tokens' sums first, so the main loop keeps only accumulators,
     * codes and activations in registers */
#pragma unroll
    for (uint t = 0; t < TOKENS; t++) {
#ifdef CLQL_VNNI
      qacc[t] = x_qsum_run(at[t] + (size_t)g * upg * X_BLOCK(qt), upg * X_BLOCK(qt));
#else
      for (uint b = g * upg; b < gend; b++)
        qacc[t] += X_WIDEN(x_qsum(at[t] + (size_t)b * X_BLOCK(qt), qt));
#endif
    }
    for (uint b = g * upg; b < gend; b++) {
      __global const uchar *blk = wt + (size_t)b * X_TILE(qt);
#pragma unroll
      for (uint v = v0; v < v0 + VECS; v++)
        __builtin_prefetch(blk + PREFETCH * X_TILE(qt) + 64 * v);
      if (qt == 2) __builtin_prefetch(blk + PREFETCH * X_TILE(qt) + 256); /* the sign words */
      x_c64 c[VECS][6];
#pragma unroll
      for (uint v = 0; v < VECS; v++) x_decode(blk, v0 + v, qt, c[v]);
#pragma unroll
      for (uint t = 0; t < TOKENS; t++) {
        x_c64 q[6];
        x_acts(at[t] + (size_t)b * X_BLOCK(qt), qt, q);
#pragma unroll
        for (uint v = 0; v < VECS; v++) acc[v][t] = x_dot32(acc[v][t], c[v], q, qt);
      }
    }
#pragma unroll
    for (uint t = 0; t < TOKENS; t++)
      x_add_group(&acc[0][t], hsum16(qacc[t]), scales, g, scale_g, scale_n, n0, qt, &sum[0][t]);
  }
#pragma unroll
  for (uint t = 0; t < TOKENS; t++) {
    if (b0 + t >= batch) break;
    const float s = act_scales[b0 + t];
    __global float *out = y + y_off + (size_t)(b0 + t) * n;
#pragma unroll
    for (uint r = 0; r < VECS * 4; r++)
      if (r < VECS * X_RPV(qt) && n0 + r < n) out[n0 + r] = clql_div_rn(sum[r][t], s);
  }
}

__kernel void clql_i2s_x86(PRODUCT_ARGS(char)) {
  x86_product(PRODUCT_PASS, 0);
}

__kernel void clql_tl1_x86(PRODUCT_ARGS(char)) {
  x86_product(PRODUCT_PASS, 1);
}

__kernel void clql_tl2_x86(PRODUCT_ARGS(char)) {
  x86_product(PRODUCT_PASS, 2);
}
#endif
#endif
