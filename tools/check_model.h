/* clql-check --model (check_model.c). */
#ifndef CLQL_CHECK_MODEL_H
#define CLQL_CHECK_MODEL_H

#include <stdint.h>
#include <clql.h>
#include "common/tool.h"

typedef struct {
  const char *model; /* as given: a preset name or a file */
  clql_qtype qtype;
  uint64_t batch;
  int json;
  uint64_t seed;
} check_model_args;

typedef struct {
  uint64_t budget_bytes, held_bytes, resident_bytes, workspace_bytes, model_workspace_bytes;
  uint64_t layers, chunk_batch;
  clql_limited_by limited_by;
  unsigned ws_flags;
  int exact, fits;
} check_model_result;

/* Layers of one shape share one random weight matrix and one input, so the
 * reference runs once per shape; each layer has its own device copy.
 * Returns the exit code (common/exit_codes.h). */
int check_model_run(clql_context *ctx, const check_model_args *a, const clql_model_layer *model,
                    size_t count, float (*uniform)(float, float));

#endif /* CLQL_CHECK_MODEL_H */
