/* Prepended to every clql program (lib/run/program.c): what several kernels share.
 * No contraction of a*b+c into fma: results must match the scalar reference,
 * which performs each float operation separately. */
#pragma OPENCL FP_CONTRACT OFF

/* a / b rounded correctly: OpenCL 1.2 allows 2.5 ulp for '/', and one ulp can
 * flip a quantized value at a .5 boundary or an output bit. Walk to the
 * candidate whose exact residual (by fma) is smallest; a quotient is never
 * exactly halfway between two floats. Programs built with
 * -cl-fp32-correctly-rounded-divide-sqrt (on devices that report it) define
 * CLQL_DIV_IS_RN, and '/' is then exact already. */
static float clql_div_rn(float a, float b) {
  float q = a / b;
#ifndef CLQL_DIV_IS_RN
  for (int i = 0; i < 4; i++) {
    float lo = nextafter(q, -INFINITY), hi = nextafter(q, INFINITY);
    float r = fabs(fma(-q, b, a)), rl = fabs(fma(-lo, b, a)), rh = fabs(fma(-hi, b, a));
    if (rl < r) q = lo;
    else if (rh < r) q = hi;
    else break;
  }
#endif
  return q;
}
