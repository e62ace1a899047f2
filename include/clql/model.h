/* A model as the planner sees it: a list of ternary linear layers, all
 * resident at once, sharing one workspace.
 *
 * Lists come from a preset ("bitnet-b1.58-2b4t") or from a small text file:
 *
 *   # name   N (out)  K (in)  [count]
 *   q        2560     2560    30
 *   down     2560     6912    30
 *
 * One layer per line: a name (1-63 of A-Z a-z 0-9 _ . - : /), N and K as
 * decimal integers >= 1, and an optional count >= 1 (default 1) of identical
 * layers. Fields are separated by spaces or tabs; '#' starts a comment; blank
 * lines are ignored; LF or CRLF line ends. Anything else is CLQL_ERR_PARSE
 * with the line number in clql_last_error_detail(). Files are at most 1 MiB.
 * Every layer gets the qtype the caller passes and per-row scales.
 */
#ifndef CLQL_MODEL_H
#define CLQL_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <clql/export.h>
#include <clql/layout.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLQL_MODEL_NAME_MAX 64

/** One entry of a model: `count` identical layers of one shape. */
typedef struct clql_model_layer {
  char name[CLQL_MODEL_NAME_MAX]; /**< label for reports ("q", "down"); need not be unique */
  clql_layer_shape shape;
  uint64_t count; /**< identical layers of this shape (>= 1), e.g. one per block */
} clql_model_layer;

/**
 * Names of the presets, static strings. Ask the size, then pass the buffer:
 * with names == NULL only *count is set; CLQL_ERR_BUFFER_TOO_SMALL when
 * capacity is smaller than the number of presets (the first capacity filled).
 */
CLQL_API clql_status clql_model_preset_names(const char **names, size_t capacity, size_t *count);

/**
 * The layers of preset `name` (case-insensitive) with the given qtype and
 * per-row scales. Ask the size, then pass the buffer. Unknown name:
 * CLQL_ERR_NOT_FOUND, with the preset names in the detail.
 */
CLQL_API clql_status clql_model_preset(const char *name, clql_qtype qtype,
                                       clql_model_layer *layers, size_t capacity, size_t *count);

/** Parse a layer list from text (the format above). Ask the size, then pass the buffer. */
CLQL_API clql_status clql_model_parse(const char *text, clql_qtype qtype,
                                      clql_model_layer *layers, size_t capacity, size_t *count);

/** clql_model_parse on a file's contents; CLQL_ERR_IO when it cannot be read. */
CLQL_API clql_status clql_model_load(const char *path, clql_qtype qtype, clql_model_layer *layers,
                                     size_t capacity, size_t *count);

/** Resident bytes of the whole model: the sum over layers of count x (weights + scales). */
CLQL_API clql_status clql_model_weight_bytes(const clql_model_layer *layers, size_t count,
                                             uint64_t *out);

/**
 * The workspace every layer of a model shares at `batch`: each part is the
 * largest that part of any layer needs, so one set of part buffers (or one
 * buffer with the parts at fixed aligned offsets, `total` bytes) serves every
 * layer in turn. With one layer it equals clql_layout_workspace_bytes. The
 * planner sizes models with it and an allocator must call the same function.
 */
CLQL_API clql_status clql_model_workspace_bytes(const clql_model_layer *layers, size_t count,
                                                uint64_t batch, unsigned flags,
                                                clql_workspace_bytes *out);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_MODEL_H */
