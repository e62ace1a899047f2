/* A ternary layer's state: layer.c, and the test-only hooks (test_hooks.c)
 * that force what a device would choose. Never installed. */
#ifndef CLQL_LIB_LAYER_H
#define CLQL_LIB_LAYER_H

#include "../internal.h"

struct clql_layer {
  clql_context *ctx;
  clql_layer_shape shape;
  clql_weight_bytes wb;
  cl_mem weights, scales;
  clql_budget_options opts;
  int has_opts;
  unsigned rows, tokens; /* portable kernel block: rows and GEMM tokens per work-item */
  clql_kernel_family family; /* which product kernels run (cl_kernels/ternary.cl) */
  cl_kernel product[2];  /* GEMV, GEMM kernels (owned by the program cache), found at first use */
  size_t product_local[2]; /* and their work-group sizes along the rows */
  clql_x86_form x86;     /* the form of the x86 kernels */
  int div_rn;            /* the device divides correctly rounded when asked */
  uint64_t group_len;    /* weights per scale group (Kp for row and tensor scales) */
  cl_uint ngroups, scale_g, scale_n;

  clql_layer_plan plan;   /* the plan of the last pass */
  uint64_t *part_rows;    /* a fused layer's parts' rows, in order (NULL: one part) */
  size_t nparts;
  uint64_t chunks;
  int accounted;          /* the context's ledger counts the layer */
};

#endif /* CLQL_LIB_LAYER_H */
