/* Ternary storage types and the exact device bytes of a layer.
 *
 * These functions are the single source of truth for memory: the planner
 * sizes batches with them and the layer allocates exactly what they return.
 * They are pure (no OpenCL calls) and overflow-checked in 64-bit arithmetic.
 *
 * Device layouts. K is padded to Kp and N to Np = round_up(N, 16) with zero
 * weights; padding never changes a result.
 *   I2S  tiles of 16 rows (CLQL_ROW_MULTIPLE); per tile and 128-weight block
 *        b, the 32-byte blocks of its 16 rows in row order: row n's block b
 *        at byte ((n/16 * Kp/128 + b) * 16 + n%16) * 32. Byte j of a block
 *        holds the codes c = t + 1 of weights 128b + 32m + j at bits 2m..2m+1
 *        (m = 0..3; zero: 01), as in a TQ2_0 half-block: one shift and mask
 *        of a word gives four consecutive codes. Kp = round_up(K, lcm(128, G)).
 *   TL1  the same tiles and blocks; byte j of a block holds the pair index
 *        3*t0 + t1 + 4 (0..8; zero pair: 4) of weights (128b + 2j, +1) in
 *        bits 0..3 and of weights (128b + 64 + 2j, +1) in bits 4..7.
 *   TL2  the same tiles, per 96-weight granule u a 320-byte unit at
 *        (n/16 * Kp/96 + u) * 320: the 16 rows' 16 magnitude bytes (row n's
 *        at + n%16 * 16), then 64 bytes of sign bits: per group of four
 *        rows (r = n%16) 16 bytes at + 256 + r/4 * 16, two little-endian
 *        64-bit words, the first for triples 0..15 of its rows, the second
 *        for 16..31, each row's 16 bits at bit (r%4) * 16. Triple i (weights
 *        96u + i, +32, +64) is v = 9*t0 + 3*t1 + t2: |v| in nibble i/16 of
 *        magnitude byte i%16, sign bit i%16 of the row's half i/16 set when
 *        v < 0 (never with |v| = 0). A 64-byte row vector of four rows'
 *        magnitudes then meets its sign bits as two ready masks.
 *        Kp = round_up(K, lcm(96, G)); G a multiple of 96.
 * I2S and TL1: a work-item that owns rows of one tile reads one contiguous
 * stream, adjacent work-items read adjacent bytes (coalesced on GPUs), and a
 * 512-bit vector holds a row pair's block; TL2 likewise per granule.
 * Scales (float32, own buffer): one (tensor), S[Np] (row), or S[Kp/G][Np]
 * (group g of row n at g*Np + n); padded rows and groups hold 0.
 */
#ifndef CLQL_LAYOUT_H
#define CLQL_LAYOUT_H

#include <stdint.h>
#include <clql/export.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clql_qtype {
  CLQL_QTYPE_I2S = 0, /**< 2-bit codes, decode and multiply-add */
  CLQL_QTYPE_TL1 = 1, /**< pair indices 3*t0 + t1 + 4 */
  CLQL_QTYPE_TL2 = 2, /**< sign + magnitude of triples 9*t0 + 3*t1 + t2 */
  CLQL_QTYPE_COUNT_
} clql_qtype;

/** "I2S", "TL1", "TL2"; "unknown" otherwise. */
CLQL_API const char *clql_qtype_name(clql_qtype qtype);
/** Case-insensitive name to qtype; CLQL_ERR_INVALID_QTYPE for anything else. */
CLQL_API clql_status clql_qtype_parse(const char *name, clql_qtype *out);

/** Scale granularity: one scale per row, one for the whole tensor, or per G elements. */
#define CLQL_GROUP_ROW 0u
#define CLQL_GROUP_TENSOR 0xFFFFFFFFu

typedef struct clql_layer_shape {
  uint64_t n;          /**< output features: rows of W */
  uint64_t k;          /**< input features: row length */
  clql_qtype qtype;
  uint32_t group_size; /**< CLQL_GROUP_ROW, CLQL_GROUP_TENSOR, or G (multiple of 32; of 96 for TL2) */
} clql_layer_shape;

/** Rows of every device layout are padded to a multiple of this. */
#define CLQL_ROW_MULTIPLE 16u

/** Bytes of the resident (uploaded once) buffers of a layer. */
typedef struct clql_weight_bytes {
  uint64_t k_padded; /**< Kp */
  uint64_t groups;   /**< scales per row (1 for row and tensor) */
  uint64_t weights;  /**< packed ternary weights */
  uint64_t scales;   /**< float32 scales */
  uint64_t n_padded; /**< Np: rows as stored (N rounded up to CLQL_ROW_MULTIPLE) */
} clql_weight_bytes;

/** Parts of the per-forward workspace; each part is its own buffer. */
typedef enum clql_workspace_part {
  CLQL_WS_INPUT = 0,       /**< float x[B][K], only when clql stages the input */
  CLQL_WS_ACTIVATIONS = 1, /**< int8 q[B][Kp] */
  CLQL_WS_ACT_SCALES = 2,  /**< float s[B], then CLQL_WS_COUNTER_BYTES of work counters at
                                the next multiple of 64 bytes (the CPU GEMV's) */
  CLQL_WS_TABLES = 3,      /**< per-token lookup tables: 0 bytes (the kernels decode TL1 and
                                TL2 indices themselves); kept so part numbers stay stable */
  CLQL_WS_PARTIALS = 4,    /**< split-K partial sums, when a kernel uses them */
  CLQL_WS_OUTPUT = 5,      /**< float y[B][N], only when clql stages the output */
  CLQL_WS_PART_COUNT
} clql_workspace_part;

/** Stable lower-case names: "input", "activations", "act_scales", "tables", "partials", "output". */
CLQL_API const char *clql_workspace_part_name(clql_workspace_part part);

/** Work counters after the activation scales: claims of the CPU GEMV's work-items,
 *  zero between passes. */
#define CLQL_WS_COUNTER_BYTES 64u

/** Parts are placed at offsets aligned to this many bytes when one buffer holds them all. */
#define CLQL_WORKSPACE_ALIGN 4096u

typedef struct clql_workspace_bytes {
  uint64_t batch;
  uint64_t part[CLQL_WS_PART_COUNT];
  uint64_t largest; /**< largest single part: must not exceed max_alloc */
  uint64_t total;   /**< one buffer holding every part at aligned offsets */
} clql_workspace_bytes;

/** Flags of clql_layout_workspace_bytes. */
#define CLQL_WS_WITH_INPUT 1u  /**< clql allocates the float input */
#define CLQL_WS_WITH_OUTPUT 2u /**< clql allocates the float output */

/** Validate a shape: n, k >= 1, known qtype, group size allowed for the qtype. */
CLQL_API clql_status clql_layout_check(const clql_layer_shape *shape);

/** Resident bytes of a layer. CLQL_ERR_SIZE_OVERFLOW when they do not fit 64 bits. */
CLQL_API clql_status clql_layout_weight_bytes(const clql_layer_shape *shape, clql_weight_bytes *out);

/** Workspace of a forward pass of `batch` tokens (batch >= 1). */
CLQL_API clql_status clql_layout_workspace_bytes(const clql_layer_shape *shape, uint64_t batch,
                                                 unsigned flags, clql_workspace_bytes *out);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_LAYOUT_H */
