/* Per-token int8 activation quantization (docs/formats.md, "The arithmetic"):
 *   amax = max(max_k |x_k|, 1e-5), s = 127 / amax,
 *   q_k  = clamp(rint(x_k * s), -128, 127) with round-half-to-even.
 * Non-finite inputs: NaN is ignored by the maximum and quantizes to 0. */
#ifndef CLQL_ACTIVATION_H
#define CLQL_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>
#include <clql/cl.h>
#include <clql/context.h>
#include <clql/export.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Scalar C reference. x is tokens rows of k floats (row stride k); q receives
 * tokens rows of q_stride int8 (q_stride >= k; the tail k..q_stride-1 is
 * zeroed); scales receives s = 127/amax per token.
 */
CLQL_API clql_status clql_ref_quantize_activations(const float *x, size_t tokens, size_t k,
                                                   int8_t *q, size_t q_stride, float *scales);

/**
 * The same on the device: x is a buffer of tokens x k floats, q of tokens x
 * q_stride bytes, scales of tokens floats. Enqueued on the context's queue;
 * returns once enqueued (call clFinish or read the results to wait).
 */
CLQL_API clql_status clql_quantize_activations(clql_context *ctx, cl_mem x, size_t tokens,
                                               size_t k, cl_mem q, size_t q_stride,
                                               cl_mem scales);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_ACTIVATION_H */
