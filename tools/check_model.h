/* clql-check --model (check_model.c). */
#ifndef CLQL_CHECK_MODEL_H
#define CLQL_CHECK_MODEL_H

#include <stdint.h>
#include <clql.h>

/* clql-check's exit codes (README "clql-check"). */
enum {
  CHECK_EXIT_OK = 0,
  CHECK_EXIT_DIFFERS = 1, /* an output differs from the reference, or the budget was exceeded */
  CHECK_EXIT_USAGE = 2,
  CHECK_EXIT_DOES_NOT_FIT = 4, /* the model does not fit the context's budget */
  CHECK_EXIT_NO_DEVICE = 6,
  CHECK_EXIT_NO_PLATFORM = 9,
  CHECK_EXIT_INTERNAL = 255
};

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
 * reference runs once per shape; each layer has its own device copy. */
int check_model_run(clql_context *ctx, const check_model_args *a, const clql_model_layer *model,
                    size_t count, float (*uniform)(float, float));

#endif /* CLQL_CHECK_MODEL_H */
