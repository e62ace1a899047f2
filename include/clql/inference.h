/* Planning a whole inference: every tensor of a model, the KV cache and the
 * per-token scratch, against a device's budget.
 *
 * A model description (clql_model) holds what inference memory depends on:
 * the hyperparameters (layers, hidden and FFN sizes, attention heads, KV
 * heads per layer, key and value lengths, vocab, maximum context, tied
 * output) and every tensor with its kind, storage type and device bytes
 * (ternary tensors as clql packs them, the others at their size in the
 * file). It comes from a preset, the model text file format (clql/model.h,
 * whose `@` lines carry the rest) or a GGUF file.
 *
 * The planner (clql_plan_inference) is pure arithmetic on a memory report,
 * like clql_plan_model. For a request of a context length and a number of
 * sequences, either of which may be left open (0), it finds the most
 * sequences at the given context, or the longest context for the given
 * sequences, that fit:
 *
 *   weights + KV(context x sequences) + scratch + workspace <= budget
 *
 * with every single buffer within max_alloc: each tensor, each layer's K and
 * V cache (one allocation each, for every token of every sequence, as
 * llama.cpp allocates them), the logits and each workspace part. A decode
 * step runs one token per sequence (or request.batch tokens):
 *   KV per token  = sum over layers of row(kv_heads x key_length) + row(kv_heads x value_length)
 *                   (row: bytes of that many elements of the KV type)
 *   scratch       = tokens x 4 x (2 x hidden + heads x context + ffn + vocab)
 *                   (hidden state and residual, attention scores, FFN intermediate, logits)
 *   workspace     = clql_model_workspace_bytes of the ternary layers at `tokens`
 * Sums are overflow-checked. */
#ifndef CLQL_INFERENCE_H
#define CLQL_INFERENCE_H

#include <stddef.h>
#include <stdint.h>
#include <clql/device.h>
#include <clql/export.h>
#include <clql/gguf.h>
#include <clql/model.h>
#include <clql/plan.h>
#include <clql/split.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_model clql_model;

/** What a tensor is for. */
typedef enum clql_tensor_kind {
  CLQL_TENSOR_TERNARY = 0,   /**< "ternary": a ternary linear layer, packed by clql */
  CLQL_TENSOR_EMBEDDING = 1, /**< "embedding": the token embedding */
  CLQL_TENSOR_OUTPUT = 2,    /**< "output": the output head (absent when tied) */
  CLQL_TENSOR_NORM = 3,      /**< "norm": normalization weights */
  CLQL_TENSOR_OTHER = 4,     /**< "other" */
  CLQL_TENSOR_KIND_COUNT_
} clql_tensor_kind;

/** "ternary", "embedding", "output", "norm", "other"; "unknown" otherwise. */
CLQL_API const char *clql_tensor_kind_name(clql_tensor_kind kind);

/** One tensor (or `count` identical ones, one per block). */
typedef struct clql_model_tensor {
  char name[CLQL_MODEL_NAME_MAX];
  clql_tensor_kind kind;
  char type[16];    /**< storage type: "I2S", "TL2", "F16", "F32", "Q8_0", ... */
  uint64_t bytes;   /**< device bytes of one (ternary: packed weights + scales) */
  uint64_t largest; /**< its largest single buffer (ternary: the weights or the scales) */
  uint64_t count;
} clql_model_tensor;

/** The hyperparameters and sums of a model. */
typedef struct clql_model_info {
  char name[CLQL_MODEL_NAME_MAX]; /**< preset name, file name or general.name */
  char arch[32];                  /**< "bitnet", "llama", ... ("" when not known) */
  uint64_t layers;                /**< transformer blocks */
  uint64_t hidden;                /**< embedding length */
  uint64_t ffn;                   /**< feed-forward length (the largest, when per layer) */
  uint64_t heads;                 /**< query heads (the largest, when per layer) */
  uint64_t kv_heads;              /**< KV heads (the largest, when per layer) */
  uint64_t key_length, value_length; /**< head dims of K and V */
  uint64_t vocab;
  uint64_t max_context;           /**< trained maximum context length */
  int tied_output;                /**< 1: the output head is the token embedding */
  uint64_t kv_elements_per_token; /**< sum over layers of kv_heads x (key_length + value_length) */
  uint64_t weights_bytes;         /**< every tensor */
  uint64_t bytes_by_kind[CLQL_TENSOR_KIND_COUNT_];
  uint64_t tensors;               /**< entries of clql_model_get_tensors */
} clql_model_info;

/**
 * A preset (clql_model_preset_names) with its ternary layers at qtype:
 * "bitnet-b1.58-2b4t" is 30 layers, hidden 2560, FFN 6912, 20 heads, 5 KV
 * heads, head dim 128, vocab 128256, context 4096, output tied to the f16
 * token embedding, f32 norms.
 */
CLQL_API clql_status clql_model_from_preset(const char *name, clql_qtype qtype, clql_model **out);
/** The model text format (clql/model.h) from a string; origin names it in errors (may be NULL). */
CLQL_API clql_status clql_model_from_text(const char *text, const char *origin, clql_qtype qtype,
                                          clql_model **out);
/** The model text format from a file (at most 1 MiB). */
CLQL_API clql_status clql_model_from_file(const char *path, clql_qtype qtype, clql_model **out);
/**
 * A GGUF file's model: hyperparameters from the `<arch>.*` keys llama.cpp
 * writes (general.architecture names arch), tensors from the directory.
 * A missing or contradictory key is CLQL_ERR_PARSE naming it.
 */
CLQL_API clql_status clql_model_from_gguf(const clql_gguf *gguf, clql_model **out);
CLQL_API void clql_model_destroy(clql_model *model);

CLQL_API clql_status clql_model_get_info(const clql_model *model, clql_model_info *out);
/** The tensors. Ask the size, then pass the buffer. */
CLQL_API clql_status clql_model_get_tensors(const clql_model *model, clql_model_tensor *tensors,
                                            size_t capacity, size_t *count);
/** The ternary layers, as clql_plan_model takes them. Ask the size, then pass the buffer. */
CLQL_API clql_status clql_model_get_layers(const clql_model *model, clql_model_layer *layers,
                                           size_t capacity, size_t *count);

/** KV cache element types, as llama.cpp offers them (--cache-type-k/-v). */
typedef enum clql_kv_type {
  CLQL_KV_F16 = 0, /**< "f16", 2 bytes */
  CLQL_KV_F32,     /**< "f32", 4 bytes */
  CLQL_KV_BF16,    /**< "bf16", 2 bytes */
  CLQL_KV_Q8_0,    /**< "q8_0", 34 bytes per 32 */
  CLQL_KV_Q4_0,    /**< "q4_0", 18 bytes per 32 */
  CLQL_KV_Q4_1,    /**< "q4_1", 20 bytes per 32 */
  CLQL_KV_Q5_0,    /**< "q5_0", 22 bytes per 32 */
  CLQL_KV_Q5_1,    /**< "q5_1", 24 bytes per 32 */
  CLQL_KV_IQ4_NL,  /**< "iq4_nl", 18 bytes per 32 */
  CLQL_KV_TYPE_COUNT_
} clql_kv_type;

CLQL_API const char *clql_kv_type_name(clql_kv_type type);
/** Case-insensitive name to type; CLQL_ERR_INVALID_ARGUMENT for anything else. */
CLQL_API clql_status clql_kv_type_parse(const char *name, clql_kv_type *out);

typedef struct clql_inference_request {
  uint64_t context;     /**< tokens per sequence; 0: the longest that fits (at most the model's) */
  uint64_t sequences;   /**< sequences served at once; 0: as many as fit */
  clql_kv_type kv_type; /**< CLQL_KV_F16 when zero-initialized */
  uint64_t batch;       /**< tokens in flight per step; 0: one per sequence */
} clql_inference_request;

/** Why an inference plan stops where it does. */
typedef enum clql_inference_limit {
  CLQL_INFERENCE_BY_BUDGET = 0,      /**< "budget": one more would exceed the budget */
  CLQL_INFERENCE_BY_MAX_ALLOC = 1,   /**< "max_alloc": one more makes a buffer too large */
  CLQL_INFERENCE_BY_MAX_CONTEXT = 2, /**< "max_context": the model's maximum context */
  CLQL_INFERENCE_BY_REQUEST = 3      /**< "request": both were given and fit */
} clql_inference_limit;

CLQL_API const char *clql_inference_limit_name(clql_inference_limit limit);

typedef struct clql_inference_plan {
  clql_budget budget;
  uint64_t context, sequences; /**< what fits (the request's when it does not fit) */
  clql_inference_limit limited_by;
  int fits;                    /**< 1 when at least one sequence of one token fits */
  uint64_t tokens;             /**< tokens in flight per step */
  uint64_t weights_bytes;      /**< every tensor */
  uint64_t weights_by_kind[CLQL_TENSOR_KIND_COUNT_];
  uint64_t kv_bytes_per_token; /**< of one token of one sequence, all layers */
  uint64_t kv_bytes;           /**< kv_bytes_per_token x context x sequences */
  uint64_t kv_largest_buffer;  /**< the largest layer's K or V cache */
  uint64_t scratch_bytes, workspace_bytes;
  uint64_t need_bytes;         /**< weights + KV + scratch + workspace */
  uint64_t remaining_bytes;    /**< budget - need (0 when it does not fit) */
  uint64_t largest_buffer;     /**< the largest single buffer of the plan */
} clql_inference_plan;

/**
 * Plan an inference of model on a device (see the top of this file). Bad
 * input (NULL, a KV type whose blocks do not divide a layer's row, a model
 * without layers or KV heads) gives a status; a request that does not fit
 * is CLQL_SUCCESS with fits = 0 and the numbers at the request (context
 * open: 1 token; sequences open: 1).
 */
CLQL_API clql_status clql_plan_inference(const clql_memory_report *mem,
                                         const clql_budget_options *opts, const clql_model *model,
                                         const clql_inference_request *request,
                                         clql_inference_plan *out);

/** One device of an inference split: its run of layers and its own plan. */
typedef struct clql_inference_part {
  uint64_t layer_begin, layer_end; /**< its blocks [begin, end) */
  int embedding, output;           /**< it holds the token embedding / the output head */
  uint64_t weights_bytes, kv_bytes, scratch_bytes, workspace_bytes, need_bytes;
  clql_budget budget;
  int fits;
} clql_inference_part;

typedef struct clql_inference_split_plan {
  uint64_t context, sequences;
  clql_inference_limit limited_by;
  int fits;
  size_t devices;
  uint64_t kv_bytes_per_token;
} clql_inference_split_plan;

/**
 * An inference over several devices, layers split: each device holds a
 * contiguous run of the blocks with their KV cache (the first also the
 * token embedding, the last the output head, a tied one included; each
 * device its own scratch and workspace). Devices are filled in order, as
 * many blocks as each holds; the plan is the most sequences (or the longest
 * context) for which every block has a device. parts has one entry per
 * device.
 */
CLQL_API clql_status clql_plan_inference_split(const clql_split_device *devices, size_t count,
                                               const clql_model *model,
                                               const clql_inference_request *request,
                                               clql_inference_part *parts,
                                               clql_inference_split_plan *out);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_INFERENCE_H */
