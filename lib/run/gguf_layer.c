/* GGUF ternary tensors to device layers: import, pack as I2S, upload. */
#include <stdlib.h>
#include "../internal.h"

clql_status clql_gguf_layer_create(clql_context *ctx, const clql_gguf *gguf, const char *name,
                                   const clql_budget_options *opts, clql_layer **out) {
  if (!ctx || !gguf || !name || !out)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context, file, name and out are required");
  *out = NULL;
  clql_ternary_sizes sz;
  clql_status st = clql_gguf_import(gguf, name, NULL, 0, NULL, 0, &sz);
  if (st != CLQL_SUCCESS) return st;
  clql_layer_shape shape = {.n = sz.n, .k = sz.k, .qtype = CLQL_QTYPE_I2S,
                            .group_size = sz.group_size};
  clql_weight_bytes wb;
  size_t t_bytes, s_count, w_bytes, sc_bytes;
  st = clql_layout_weight_bytes(&shape, &wb);
  if (st != CLQL_SUCCESS) return st;
  if (!clql_to_size(sz.weights, &t_bytes) || !clql_to_size(sz.scales, &s_count) ||
      !clql_to_size(wb.weights, &w_bytes) || !clql_to_size(wb.scales, &sc_bytes) ||
      s_count > SIZE_MAX / sizeof(float))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "tensor %s does not fit host memory", name);
  int8_t *t = clql_malloc(t_bytes ? t_bytes : 1);
  float *scales = clql_malloc(s_count * sizeof *scales + 1);
  clql_packed packed = {.shape = shape, .weights = clql_malloc(w_bytes ? w_bytes : 1),
                        .weights_bytes = wb.weights, .scales = clql_malloc(sc_bytes ? sc_bytes : 1),
                        .scales_bytes = wb.scales};
  if (!t || !scales || !packed.weights || !packed.scales)
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "importing %s", name);
  if (st == CLQL_SUCCESS) st = clql_gguf_import(gguf, name, t, t_bytes, scales, s_count, NULL);
  if (st == CLQL_SUCCESS) st = clql_pack_ternary(&packed, t, sz.weights, scales, sz.scales);
  if (st == CLQL_SUCCESS) st = clql_layer_create(ctx, &packed, opts, out);
  clql_free(t);
  clql_free(scales);
  clql_free(packed.weights);
  clql_free(packed.scales);
  return st;
}
