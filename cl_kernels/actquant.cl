/* Per-token int8 activation quantization; see include/clql/activation.h.
 * One work-group per token; the local size is a power of two. x_off (in
 * floats) lets a forward pass quantize one chunk of a larger input in place. */
__kernel void clql_quantize_activations(__global const float *x, ulong x_off, uint k,
                                        __global char *q, uint q_stride,
                                        __global float *scales, __local float *scratch) {
  const size_t b = get_group_id(0);
  const uint lid = (uint)get_local_id(0), lsz = (uint)get_local_size(0);
  __global const float *row = x + x_off + b * k;
  __global char *out = q + b * q_stride;

  float m = 0.0f;
  for (uint i = lid; i < k; i += lsz) m = fmax(m, fabs(row[i]));
  scratch[lid] = m;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint s = lsz / 2; s > 0; s /= 2) {
    if (lid < s) scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float amax = fmax(scratch[0], 1e-5f);
  const float s = clql_div_rn(127.0f, amax);

  for (uint i = lid; i < q_stride; i += lsz) {
    float r = 0.0f;
    if (i < k) {
      r = rint(row[i] * s);
      r = isnan(r) ? 0.0f : clamp(r, -128.0f, 127.0f);
    }
    out[i] = (char)(int)r;
  }
  if (lid == 0) scales[b] = s;
}
