#include <math.h>
#include <limits.h>
#include <string.h>
#include "../internal.h"

clql_status clql_ref_quantize_activations(const float *x, size_t tokens, size_t k, int8_t *q,
                                          size_t q_stride, float *scales) {
  if ((!x || !q || !scales) && tokens)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "x, q and scales are required");
  if (k == 0 || q_stride < k)
    return clql_fail(CLQL_ERR_INVALID_SHAPE, "k must be > 0 and q_stride >= k");
  uint64_t xb, qb;
  size_t unused;
  if (!clql_mul_u64(tokens, k, &xb) || !clql_mul_u64(xb, sizeof(float), &xb) ||
      !clql_mul_u64(tokens, q_stride, &qb) || !clql_to_size(xb, &unused) ||
      !clql_to_size(qb, &unused))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%zu tokens of k %zu (q_stride %zu)", tokens, k,
                     q_stride);
  for (size_t b = 0; b < tokens; b++) {
    const float *row = x + b * k;
    float amax = 0.0f;
    for (size_t i = 0; i < k; i++) amax = fmaxf(amax, fabsf(row[i]));
    amax = fmaxf(amax, 1e-5f);
    const float s = 127.0f / amax;
    int8_t *out = q + b * q_stride;
    for (size_t i = 0; i < k; i++) {
      float r = rintf(row[i] * s);
      r = isnan(r) ? 0.0f : fminf(fmaxf(r, -128.0f), 127.0f);
      out[i] = (int8_t)r;
    }
    memset(out + k, 0, q_stride - k);
    scales[b] = s;
  }
  return CLQL_SUCCESS;
}

clql_status clql_quantize_activations(clql_context *ctx, cl_mem x, size_t tokens, size_t k,
                                      cl_mem q, size_t q_stride, cl_mem scales) {
  if (!ctx) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context is NULL");
  if (tokens == 0 || k == 0 || q_stride < k || k > UINT_MAX || q_stride > UINT_MAX)
    return clql_quantize_activations_at(ctx, x, 0, tokens, k, q, q_stride, scales); /* refuses */
  /* The kernel trusts its sizes: the buffers must hold them. */
  uint64_t xb, qb, sb;
  if (!clql_mul_u64(tokens, k, &xb) || !clql_mul_u64(xb, sizeof(float), &xb) ||
      !clql_mul_u64(tokens, q_stride, &qb) || !clql_mul_u64(tokens, sizeof(float), &sb))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%zu tokens of k %zu (q_stride %zu)", tokens, k,
                     q_stride);
  clql_status st = clql_buffer_check(ctx, x, xb, "x");
  if (st == CLQL_SUCCESS) st = clql_buffer_check(ctx, q, qb, "q");
  if (st == CLQL_SUCCESS) st = clql_buffer_check(ctx, scales, sb, "scales");
  if (st != CLQL_SUCCESS) return st;
  return clql_quantize_activations_at(ctx, x, 0, tokens, k, q, q_stride, scales);
}

clql_status clql_quantize_activations_at(clql_context *ctx, cl_mem x, uint64_t x_offset,
                                         size_t tokens, size_t k, cl_mem q, size_t q_stride,
                                         cl_mem scales) {
  if (!ctx || !x || !q || !scales)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context and buffers are required");
  if (k == 0 || q_stride < k || k > UINT_MAX || q_stride > UINT_MAX)
    return clql_fail(CLQL_ERR_INVALID_SHAPE, "k must be in 1..2^32-1 and q_stride >= k");
  if (tokens == 0) return CLQL_SUCCESS;
  if (!ctx->actquant) {
    int gpu;
    clql_kernels_choice forced;
    cl_kernel kern = NULL;
    clql_status st = clql_kernels_gpu(ctx, &gpu, &forced);
    if (st == CLQL_SUCCESS)
      st = clql_kernel_get(ctx, "actquant", "clql_quantize_activations",
                           clql_actquant_options(gpu), &kern);
    if (st != CLQL_SUCCESS) return st;
    ctx->actquant_local = clql_work_group_size(ctx, kern, CLQL_ACTQUANT_LOCAL);
    ctx->actquant = kern;
  }
  cl_kernel kern;
  clql_status st = clql_launch_kernel(ctx, ctx->actquant, &kern);
  if (st != CLQL_SUCCESS) return st;
  size_t local = ctx->actquant_local;
  uint64_t global64;
  size_t global;
  if (!clql_mul_u64(tokens, local, &global64) || !clql_to_size(global64, &global))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%zu tokens", tokens);
  cl_uint k32 = (cl_uint)k, stride32 = (cl_uint)q_stride;
  cl_ulong off = x_offset;
  cl_int err = clSetKernelArg(kern, 0, sizeof x, &x);
  err |= clSetKernelArg(kern, 1, sizeof off, &off);
  err |= clSetKernelArg(kern, 2, sizeof k32, &k32);
  err |= clSetKernelArg(kern, 3, sizeof q, &q);
  err |= clSetKernelArg(kern, 4, sizeof stride32, &stride32);
  err |= clSetKernelArg(kern, 5, sizeof scales, &scales);
  err |= clSetKernelArg(kern, 6, local * sizeof(float), NULL);
  if (err != CL_SUCCESS) return clql_fail(CLQL_ERR_INTERNAL, "setting actquant arguments failed");
  return clql_launch(ctx, kern, "actquant", 1, &global, &local, NULL);
}
