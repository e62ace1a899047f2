/* A reader for GGUF files (versions 2 and 3, little-endian), the container of
 * ggml / llama.cpp / bitnet.cpp models: metadata key/values, the tensor
 * directory, and the ternary tensors imported into clql's logical form.
 *
 * Files are untrusted input. Opening checks the whole header, every metadata
 * value (nested arrays included) and every tensor against the file size
 * before anything is used; a malformed file gives CLQL_ERR_PARSE with the
 * section and field in clql_last_error_detail(), a tensor type clql cannot
 * size gives CLQL_ERR_UNSUPPORTED. Files are memory-mapped read-only; strings,
 * values and tensor data point into the mapping and stay valid until
 * clql_gguf_close(). Truncating a file while it is open is not supported.
 *
 * Tensor types: ggml's ids as in upstream ggml (F32 = 0, ..., TQ1_0 = 34,
 * TQ2_0 = 35, MXFP4 = 39, ...). Id 36 is I2_S only in bitnet.cpp's ggml fork
 * and is unused upstream, so clql decides it from the file:
 * id 36 is I2_S when general.architecture is "bitnet" or "bitnet-b1.58" and
 * the tensor is 2-D with K % 128 == 0 and its extent in the file (up to the
 * next tensor, or the end of the file) is N*K/4 + 32 bytes rounded up to at
 * most the alignment. Otherwise, and for ids 37-39 in such files (bitnet.cpp's
 * I8_S, TL1, TL2; 39 is MXFP4 upstream), opening fails with
 * CLQL_ERR_UNSUPPORTED naming the tensor.
 *
 * Shapes follow ggml: dims[0] (ne[0]) is the contiguous row length. A 2-D
 * weight of a linear layer has K = dims[0] inputs and N = dims[1] outputs.
 */
#ifndef CLQL_GGUF_H
#define CLQL_GGUF_H

#include <stddef.h>
#include <stdint.h>
#include <clql/export.h>
#include <clql/import.h>
#include <clql/layer.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_gguf clql_gguf;

/** GGUF metadata value types (the numbering of the file format). */
typedef enum clql_gguf_type {
  CLQL_GGUF_UINT8 = 0,
  CLQL_GGUF_INT8 = 1,
  CLQL_GGUF_UINT16 = 2,
  CLQL_GGUF_INT16 = 3,
  CLQL_GGUF_UINT32 = 4,
  CLQL_GGUF_INT32 = 5,
  CLQL_GGUF_FLOAT32 = 6,
  CLQL_GGUF_BOOL = 7,
  CLQL_GGUF_STRING = 8,
  CLQL_GGUF_ARRAY = 9,
  CLQL_GGUF_UINT64 = 10,
  CLQL_GGUF_INT64 = 11,
  CLQL_GGUF_FLOAT64 = 12,
  CLQL_GGUF_TYPE_COUNT_
} clql_gguf_type;

/** "uint8", "int8", ..., "string", "array", "float64"; "unknown" otherwise. */
CLQL_API const char *clql_gguf_type_name(clql_gguf_type type);

/** Open and check a GGUF file (mapped read-only). */
CLQL_API clql_status clql_gguf_open(const char *path, clql_gguf **out);
/** The same from memory; data is not copied and must outlive the handle. */
CLQL_API clql_status clql_gguf_open_memory(const void *data, size_t size, clql_gguf **out);
/** Close a handle; NULL is a no-op. */
CLQL_API void clql_gguf_close(clql_gguf *gguf);

/** Format version (2 or 3). */
CLQL_API uint32_t clql_gguf_version(const clql_gguf *gguf);
/** general.alignment, or 32 when absent. */
CLQL_API uint64_t clql_gguf_alignment(const clql_gguf *gguf);
/** File offset of the tensor data section. */
CLQL_API uint64_t clql_gguf_data_offset(const clql_gguf *gguf);

/* ---- metadata ---- */

/** A metadata value: a view into the file, valid while the handle is open. */
typedef struct clql_gguf_value {
  clql_gguf_type type;
  clql_gguf_type elem_type; /**< ARRAY: type of the elements */
  uint64_t count;           /**< ARRAY: number of elements; STRING: length in bytes */
  const clql_gguf *owner_;  /* private */
  uint64_t pos_, slot_;     /* private */
} clql_gguf_value;

/** Number of metadata key/values. */
CLQL_API size_t clql_gguf_meta_count(const clql_gguf *gguf);
/** Key/value number `index` (file order); *key is NUL-terminated. CLQL_ERR_NOT_FOUND past the end. */
CLQL_API clql_status clql_gguf_meta_at(const clql_gguf *gguf, size_t index, const char **key,
                                       clql_gguf_value *value);
/** The value of `key`; CLQL_ERR_NOT_FOUND when absent. */
CLQL_API clql_status clql_gguf_meta_find(const clql_gguf *gguf, const char *key,
                                         clql_gguf_value *value);
/** Any integer type as int64; CLQL_ERR_INVALID_ARGUMENT for another type or a uint64 above INT64_MAX. */
CLQL_API clql_status clql_gguf_value_int(const clql_gguf_value *value, int64_t *out);
/** Any integer type as uint64; CLQL_ERR_INVALID_ARGUMENT for another type or a negative value. */
CLQL_API clql_status clql_gguf_value_uint(const clql_gguf_value *value, uint64_t *out);
/** FLOAT32 or FLOAT64 as double. */
CLQL_API clql_status clql_gguf_value_float(const clql_gguf_value *value, double *out);
/** BOOL as 0 or 1. */
CLQL_API clql_status clql_gguf_value_bool(const clql_gguf_value *value, int *out);
/** STRING: its bytes (not NUL-terminated; GGUF strings are length-prefixed) and length. */
CLQL_API clql_status clql_gguf_value_string(const clql_gguf_value *value, const char **data,
                                            size_t *length);
/** Element `index` of an ARRAY (elements may be arrays themselves). */
CLQL_API clql_status clql_gguf_array_at(const clql_gguf_value *array, uint64_t index,
                                        clql_gguf_value *element);

/* ---- tensors ---- */

#define CLQL_GGUF_MAX_DIMS 4

typedef struct clql_gguf_tensor_info {
  const char *name;                  /**< NUL-terminated */
  const char *type_name;             /**< "F32", "TQ2_0", "I2_S", ... */
  uint32_t type_id;                  /**< ggml type id as stored in the file */
  clql_ternary_format ternary;       /**< CLQL_TERNARY_NONE unless I2_S, TQ1_0 or TQ2_0 */
  uint32_t n_dims;                   /**< 0..4 as stored */
  uint64_t dims[CLQL_GGUF_MAX_DIMS]; /**< ggml ne[]: dims[0] is contiguous; unused dims are 1 */
  uint64_t elements;                 /**< product of dims */
  uint64_t offset;                   /**< offset of the data from the start of the file */
  uint64_t bytes;                    /**< size of the data */
  const void *data;                  /**< the data (in the mapping) */
} clql_gguf_tensor_info;

/**
 * The tensor directory in file order. Ask the size, then pass the buffer: with
 * tensors == NULL only *count is set; otherwise up to capacity entries are
 * filled, *count is the total and CLQL_ERR_BUFFER_TOO_SMALL says the buffer
 * was short. Strings and data point into the handle.
 */
CLQL_API clql_status clql_gguf_tensors(const clql_gguf *gguf, clql_gguf_tensor_info *tensors,
                                       size_t capacity, size_t *count);
/** One tensor by name; CLQL_ERR_NOT_FOUND when absent. */
CLQL_API clql_status clql_gguf_tensor_find(const clql_gguf *gguf, const char *name,
                                           clql_gguf_tensor_info *out);

/**
 * Import the ternary tensor `name` (I2_S, TQ1_0 or TQ2_0) as int8 t[N][K]
 * and float32 scales, N = dims[1], K = dims[0] (dims[2], dims[3] must be 1).
 * Ask the size, then pass the buffers: *sizes (optional) is filled first; with
 * weights and scales both NULL nothing else happens. Another tensor type gives
 * CLQL_ERR_UNSUPPORTED; see clql_ternary_import for the rest.
 */
CLQL_API clql_status clql_gguf_import(const clql_gguf *gguf, const char *name, int8_t *weights,
                                      size_t weights_capacity, float *scales,
                                      size_t scales_capacity, clql_ternary_sizes *sizes);

/**
 * A clql layer from the ternary tensor `name`: imported as above, packed as
 * I2S (group 256 for TQ1_0 / TQ2_0, one scale per tensor for I2_S) and
 * uploaded to ctx. opts as for clql_layer_create. The file may be closed
 * afterwards.
 */
CLQL_API clql_status clql_gguf_layer_create(clql_context *ctx, const clql_gguf *gguf,
                                            const char *name, const clql_budget_options *opts,
                                            clql_layer **out);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_GGUF_H */
