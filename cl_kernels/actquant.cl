/* Per-token int8 activation quantization; see include/clql/activation.h.
 * One work-group per token; the local size is a power of two. x_off (in
 * floats) lets a forward pass quantize one chunk of a larger input in place.
 *
 * Work-item i owns a contiguous run of at least CHUNK outputs (a multiple of
 * 16, so loads and stores are float16 / char16 vectors doing the reference's
 * operations per element); only as many work-items as the row needs take
 * part, and the maximum is combined by work-item 0 alone: on a CPU device a
 * work-group runs on one core, where every extra work-item and every barrier
 * step costs time, and a row is a few thousand elements. GPUs build with
 * -DCHUNK=16u -DACT_TREE: there a work-item's serial loads are what costs, so
 * every work-item takes a short run and the maximum is combined as a tree.
 * The maximum of the same values is the same float either way. */
#ifndef CHUNK
#define CHUNK 256u
#endif

__kernel void clql_quantize_activations(__global const float *x, ulong x_off, uint k,
                                        __global char *q, uint q_stride,
                                        __global float *scales, __local float *scratch) {
  const size_t b = get_group_id(0);
  const uint lid = (uint)get_local_id(0), lsz = (uint)get_local_size(0);
  __global const float *row = x + x_off + b * k;
  __global char *out = q + b * q_stride;
  const uint per = max(CHUNK, ((q_stride + lsz - 1) / lsz + 15) & ~15u);
  /* this work-item's outputs [i0, iend), of which [i0, xend) are inputs */
  const uint i0 = min(lid * per, q_stride), iend = min(i0 + per, q_stride);
  const uint xend = max(i0, min(iend, k)), full = i0 + (xend - i0) / 16 * 16;

  float m = 0.0f;
  float16 m16 = (float16)(0.0f);
  for (uint i = i0; i < full; i += 16) m16 = fmax(m16, fabs(vload16(0, row + i)));
  for (uint i = full; i < xend; i++) m = fmax(m, fabs(row[i]));
  /* the 16 lanes' maximum lane by lane, not as fmax(m16.lo, m16.hi): every
   * lane is written, but oclgrind's uninitialized-value check takes lane 11
   * of such a swizzle for undefined (tests/cl/test_kernels_small.c) */
  m = fmax(m, fmax(fmax(fmax(fmax(m16.s0, m16.s1), fmax(m16.s2, m16.s3)),
                        fmax(fmax(m16.s4, m16.s5), fmax(m16.s6, m16.s7))),
                   fmax(fmax(fmax(m16.s8, m16.s9), fmax(m16.sa, m16.sb)),
                        fmax(fmax(m16.sc, m16.sd), fmax(m16.se, m16.sf)))));
  scratch[lid] = m;
  barrier(CLK_LOCAL_MEM_FENCE);
#ifdef ACT_TREE
  for (uint span = lsz / 2; span > 0; span /= 2) {
    if (lid < span) scratch[lid] = fmax(scratch[lid], scratch[lid + span]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) scratch[0] = clql_div_rn(127.0f, fmax(scratch[0], 1e-5f));
#else
  const uint active = (q_stride + per - 1) / per;
  if (lid == 0) {
    float amax = 0.0f;
    for (uint i = 0; i < active; i++) amax = fmax(amax, scratch[i]);
    scratch[0] = clql_div_rn(127.0f, fmax(amax, 1e-5f));
  }
#endif
  barrier(CLK_LOCAL_MEM_FENCE);
  const float s = scratch[0];

  /* A char16 store where the row is 16-byte aligned (always in layers):
   * vstore16 of chars becomes 16 byte stores. */
  const int aligned = ((size_t)out & 15) == 0;
  for (uint i = i0; i < full; i += 16) {
    float16 r = rint(vload16(0, row + i) * s);
    r = select(clamp(r, -128.0f, 127.0f), (float16)(0.0f), isnan(r));
    if (aligned)
      *(__global char16 *)(out + i) = convert_char16(r);
    else
      vstore16(convert_char16(r), 0, out + i);
  }
  for (uint i = full; i < iend; i++) {
    float r = 0.0f;
    if (i < k) {
      r = rint(row[i] * s);
      r = isnan(r) ? 0.0f : clamp(r, -128.0f, 127.0f);
    }
    out[i] = (char)(int)r;
  }
  if (lid == 0) scales[b] = s;
}
