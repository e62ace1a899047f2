__kernel void clql_i2s(__global int *p) { p[0] = clql_helper(p[0]); }
