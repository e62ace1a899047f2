/* Ternary weights from other projects' tensor layouts, to clql's logical form
 * and back.
 *
 * The logical form is what every clql layer is built from: int8 ternary
 * weights t[N][K] in {-1, 0, +1} (row-major, K contiguous) and float32 scales,
 * so that weight (n, k) is t[n][k] * scale of its group. The external layouts
 * (docs/formats.md, "Importing weights"):
 *
 *   I2_S   bitnet.cpp, x86 layout (the one its Python converter writes).
 *          128-element blocks of 32 bytes over the flattened tensor; byte j of
 *          block b holds elements 128b+j (bits 7:6), +32 (5:4), +64 (3:2) and
 *          +96 (1:0) as codes c = t + 1. Then one float32 scale at byte N*K/4,
 *          zero padding to N*K/4 + 32 bytes. K % 128 == 0. One scale per tensor
 *          (group CLQL_GROUP_TENSOR).
 *   TQ2_0  ggml: 256-element blocks of 66 bytes: qs[64] then an fp16 scale d.
 *          In half h (0, 1) byte m holds elements 128h+m (bits 1:0), +32 (3:2),
 *          +64 (5:4), +96 (7:6) as c = t + 1. K % 256 == 0.
 *   TQ1_0  ggml: 256-element blocks of 54 bytes: qs[48], qh[4], fp16 d.
 *          Base-3: five trits per byte (qh: four, the fifth digit 0) stored as
 *          ceil(q * 256 / 243) with q = sum of (t_i + 1) * 3^(4-i).
 *          K % 256 == 0.
 * For the TQ types each block becomes one group of 256 (G = 256) whose scale
 * is the block's fp16 d converted exactly to float32; scales are stored
 * S[n * (K / 256) + g] (row-major by group).
 *
 * Invalid input is rejected, never clamped: a 2-bit code 3, a TQ1_0 byte that
 * no set of trits produces, or a scale that is not finite gives
 * CLQL_ERR_INVALID_WEIGHTS naming the block. On any failure the output buffers
 * may have been partly written.
 */
#ifndef CLQL_IMPORT_H
#define CLQL_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <clql/export.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clql_ternary_format {
  CLQL_TERNARY_NONE = 0,  /**< not a ternary tensor */
  CLQL_TERNARY_I2_S = 1,  /**< bitnet.cpp I2_S, x86 128-element blocks, one float32 scale */
  CLQL_TERNARY_TQ1_0 = 2, /**< ggml TQ1_0, 54-byte blocks of 256, base-3, fp16 scale */
  CLQL_TERNARY_TQ2_0 = 3, /**< ggml TQ2_0, 66-byte blocks of 256, 2-bit codes, fp16 scale */
  CLQL_TERNARY_COUNT_
} clql_ternary_format;

/** "I2_S", "TQ1_0", "TQ2_0"; "none" for CLQL_TERNARY_NONE, "unknown" otherwise. */
CLQL_API const char *clql_ternary_format_name(clql_ternary_format format);

/** Sizes of one N x K tensor in an external format and in clql's logical form. */
typedef struct clql_ternary_sizes {
  uint64_t n;          /**< rows (output features) */
  uint64_t k;          /**< row length (input features) */
  uint64_t bytes;      /**< bytes of the tensor in the external format */
  uint64_t weights;    /**< int8 ternary weights: n * k */
  uint64_t scales;     /**< float32 scales: 1 (I2_S) or n * k / 256 */
  uint32_t group_size; /**< clql group size: CLQL_GROUP_TENSOR (I2_S) or 256 */
} clql_ternary_sizes;

/**
 * Sizes of an N x K tensor in `format`. CLQL_ERR_INVALID_SHAPE when n or k is
 * 0 or k is not a multiple of the block (128 for I2_S, 256 for TQ1_0 and
 * TQ2_0); CLQL_ERR_SIZE_OVERFLOW when a size does not fit 64 bits.
 */
CLQL_API clql_status clql_ternary_format_bytes(clql_ternary_format format, uint64_t n, uint64_t k,
                                            clql_ternary_sizes *out);

/**
 * Decode an N x K tensor of `format` (src_bytes must equal the format's size,
 * else CLQL_ERR_INVALID_ARGUMENT) into weights (capacity >= n * k) and scales
 * (capacity >= sizes.scales); smaller capacities give
 * CLQL_ERR_BUFFER_TOO_SMALL. Ask the size first with clql_ternary_format_bytes.
 */
CLQL_API clql_status clql_ternary_import(clql_ternary_format format, uint64_t n, uint64_t k,
                                         const void *src, size_t src_bytes, int8_t *weights,
                                         size_t weights_capacity, float *scales,
                                         size_t scales_capacity);

/**
 * Encode int8 ternary weights (n * k) and their scales (sizes.scales) into
 * `format`, writing exactly sizes.bytes bytes to dst. A weight outside -1..1
 * or a non-finite scale gives CLQL_ERR_INVALID_WEIGHTS. TQ scales are rounded
 * to the nearest fp16 (ties to even): exact for every value fp16 represents,
 * so import followed by export reproduces the bytes; a scale beyond the fp16
 * range gives CLQL_ERR_INVALID_WEIGHTS.
 */
CLQL_API clql_status clql_ternary_export(clql_ternary_format format, uint64_t n, uint64_t k,
                                         const int8_t *weights, const float *scales, void *dst,
                                         size_t dst_capacity);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_IMPORT_H */
