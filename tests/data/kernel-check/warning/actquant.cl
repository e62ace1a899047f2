__kernel void clql_quantize_activations(__global int *p) { p[0] = clql_helper(p[0]); }
