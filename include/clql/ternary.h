/* Ternary weights on the host: packing into the device layouts of
 * <clql/layout.h>, export back to int8, and the scalar C reference forward.
 *
 * Host-side (logical) formats used by every function here:
 *   weights  int8 t[N][K] row-major, each -1, 0 or +1;
 *   scales   float32, scale_count of them (clql_scale_count): 1 for
 *            CLQL_GROUP_TENSOR, N for CLQL_GROUP_ROW, N * ceil(K / G) for a
 *            group size G, row-major (group g of row n at n*ceil(K/G) + g);
 *            the last group of a row may be shorter than G.
 *
 * The arithmetic (docs/formats.md, "The arithmetic"), fixed here so kernels can match it
 * bit for bit: activations are quantized per token by
 * clql_ref_quantize_activations (q, s); per group acc_g = sum of t*q in int32;
 * then, in float32 with every operation rounded separately (no fma):
 *     sum = 0; for g = 0, 1, ...: sum = sum + (float)acc_g * gamma_g;
 *     y[b][n] = sum / s_b
 * For one group per row this is y = (acc * gamma) / s. */
#ifndef CLQL_TERNARY_H
#define CLQL_TERNARY_H

#include <stdint.h>
#include <clql/export.h>
#include <clql/layout.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Packed weights in the device layout: two caller buffers, sized by
 * clql_layout_weight_bytes() (ask the size, then pass the buffers). The
 * struct only describes them; clql never frees them.
 */
typedef struct clql_packed {
  clql_layer_shape shape;
  void *weights;          /**< clql_weight_bytes.weights bytes */
  uint64_t weights_bytes; /**< capacity of weights */
  float *scales;          /**< clql_weight_bytes.scales bytes */
  uint64_t scales_bytes;  /**< capacity of scales */
} clql_packed;

/** Number of host-side scales of a shape (see the top of this header). */
CLQL_API clql_status clql_scale_count(const clql_layer_shape *shape, uint64_t *count);

/**
 * Quantize float weights w[N][K] (w_count = N*K) with the BitNet b1.58 rule
 * per group: gamma = max(mean |w|, 1e-5) (the mean summed in double over the
 * group's elements, then rounded to float), t = clamp(rint(w / gamma), -1, 1).
 * Non-finite weights give CLQL_ERR_INVALID_WEIGHTS.
 */
CLQL_API clql_status clql_pack_float(const clql_packed *dst, const float *w, uint64_t w_count);

/**
 * Pack int8 ternary weights t[N][K] and their scales. A value outside -1..1
 * or a non-finite scale gives CLQL_ERR_INVALID_WEIGHTS (never clamped); wrong
 * counts give CLQL_ERR_INVALID_ARGUMENT, too small dst buffers
 * CLQL_ERR_BUFFER_TOO_SMALL. dst is unspecified after a failure.
 */
CLQL_API clql_status clql_pack_ternary(const clql_packed *dst, const int8_t *t, uint64_t t_count,
                                       const float *scales, uint64_t scale_count);

/**
 * Export packed weights back to int8 t[N][K] and host-side scales; the exact
 * inverse of clql_pack_ternary. Invalid codes (I2S 11, TL1 index > 8, TL2
 * magnitude > 13 or a sign on 0), non-zero padding or non-finite scales give
 * CLQL_ERR_INVALID_WEIGHTS. Either output may be NULL (with count 0) to
 * only validate.
 */
CLQL_API clql_status clql_unpack_ternary(const clql_packed *src, int8_t *t, uint64_t t_count,
                                         float *scales, uint64_t scale_count);

/** Check packed weights as clql_unpack_ternary does, without output. */
CLQL_API clql_status clql_packed_check(const clql_packed *packed);

/** A layer's weights on the host, in the logical format of clql/ternary.h. */
typedef struct clql_ternary_weights {
  clql_layer_shape shape;
  const int8_t *t;     /**< t[N][K], each -1, 0 or +1 */
  uint64_t t_count;    /**< N * K */
  const float *scales; /**< clql_scale_count(&shape) scales */
  uint64_t scale_count;
} clql_ternary_weights;

/**
 * The scalar C reference of a forward pass (the arithmetic at the top of this
 * header), also usable as a CPU fallback: x[batch][K] floats, t[N][K], scales
 * as above, y[batch][N] receives the output. Every kernel is tested against
 * this function.
 */
CLQL_API clql_status clql_ref_forward(const clql_layer_shape *shape, const int8_t *t,
                                      const float *scales, const float *x, uint64_t batch,
                                      float *y);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_TERNARY_H */
