/* A ternary linear layer on a device: y[B][N] = x[B][K] * W^T.
 *
 * Weights and scales are uploaded once, at creation, after the context's
 * ledger has checked that they fit what its budget leaves beside the other
 * layers (CLQL_ERR_DOES_NOT_FIT otherwise, naming needed and remaining
 * bytes; a held workspace is released first when it is what stands in the
 * way). Every layer of a context uses the context's one workspace in turn:
 * a pass that it serves (enough tokens and parts) runs on it; otherwise the
 * context plans it again for all its layers (clql_model_workspace_bytes)
 * from what the budget leaves beside their weights, and allocates exactly
 * that. A larger B runs in chunks of the planned batch. The workspace stays
 * for the next pass; clql_layer_release_workspace() (or
 * clql_context_release_workspace()) frees it early.
 *
 * Out of memory: when creating a workspace buffer or running a chunk fails
 * with CL_MEM_OBJECT_ALLOCATION_FAILURE or CL_OUT_OF_RESOURCES, the context
 * frees its workspace, halves its batch (and keeps that cap for later passes
 * of every layer, until clql_context_refresh), plans again and continues
 * with the chunk that failed; after a failure at batch 1 the pass returns
 * CLQL_ERR_OUT_OF_DEVICE_MEMORY. x is only read, and the chunks already
 * finished stay written, so a retried pass still produces the whole output
 * exactly. A pass that fails for any reason leaves no workspace held.
 *
 * Each new workspace plan is logged once at info level (CLQL_LOG=info).
 * The forward passes return when the output is complete; clql_layer_enqueue
 * returns once its commands are enqueued, so that a whole token (many layers,
 * y of one the x of the next) waits only once. A layer is used by one thread
 * at a time, like its context, which must outlive it. */
#ifndef CLQL_LAYER_H
#define CLQL_LAYER_H

#include <stdint.h>
#include <clql/cl.h>
#include <clql/context.h>
#include <clql/export.h>
#include <clql/plan.h>
#include <clql/status.h>
#include <clql/ternary.h>
#include <clql/ternary.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_layer clql_layer;

/**
 * Create a layer from packed weights (validated as by clql_packed_check)
 * on ctx. opts (NULL: none) narrows the layer's own passes: the fields it
 * sets replace the context's configuration's for a plan of this layer
 * alone, whose batch caps the layer's chunks (and which must fit one token,
 * else CLQL_ERR_DOES_NOT_FIT); the context's budget still bounds what the
 * context holds. The packed buffers may be freed afterwards.
 */
CLQL_API clql_status clql_layer_create(clql_context *ctx, const clql_packed *packed,
                                       const clql_budget_options *opts, clql_layer **out);

/**
 * One layer from several weight matrices that read the same input (q, k, v;
 * gate, up): their rows concatenated in order, one product per pass, the
 * parts' outputs side by side in each token's row of y (part i's at
 * clql_layer_get_part's offset). Every part has the same K and qtype, and
 * row or tensor scales (a tensor scale becomes that value on each of its
 * rows, exactly) or groups of one size G. Results equal the parts' separate
 * layers bit for bit. opts as for clql_layer_create; the weights may be
 * freed afterwards.
 */
CLQL_API clql_status clql_layer_create_fused(clql_context *ctx, const clql_ternary_weights *parts,
                                             size_t count, const clql_budget_options *opts,
                                             clql_layer **out);

/** Where part `part` of a fused layer writes: columns [*offset, *offset + *rows) of y's rows
 *  (a layer made by clql_layer_create is one part); CLQL_ERR_NOT_FOUND past the last. */
CLQL_API clql_status clql_layer_get_part(const clql_layer *layer, size_t part, uint64_t *offset,
                                         uint64_t *rows);

/** Release the layer's device buffers. NULL is a no-op. */
CLQL_API void clql_layer_destroy(clql_layer *layer);

/**
 * Forward pass on host memory: x[batch][K] floats in, y[batch][N] floats
 * out. clql stages x and y in its workspace (CLQL_WS_WITH_INPUT |
 * CLQL_WS_WITH_OUTPUT).
 */
CLQL_API clql_status clql_layer_forward(clql_layer *layer, const float *x, uint64_t batch,
                                        float *y);

/**
 * Forward pass on the caller's buffers in the layer's context, without a
 * copy: x holds at least batch*K floats, y at least batch*N (they must not
 * be the same buffer). Enqueued on the context's queue after whatever the
 * caller enqueued before.
 */
CLQL_API clql_status clql_layer_forward_mem(clql_layer *layer, cl_mem x, cl_mem y, uint64_t batch);

/**
 * clql_layer_forward_mem without the wait: the same checks, plan, workspace
 * and chunks, enqueued back to back on the context's (in-order) queue after
 * whatever was enqueued before, and nothing waited for. Passes enqueued one
 * after another, y of one the x of the next, run in order; wait for them
 * with clFinish on clql_context_queue() or with the event (both flush the
 * queue; nothing else here does, so a caller polling the event's status
 * calls clFlush first).
 *
 * done (may be NULL) receives a new event, the last command's, complete
 * when y is fully written; the caller releases it. It is NULL after a
 * failure.
 *
 * Out of memory when allocating the workspace or enqueueing a chunk is
 * retried by halving, as in the forward passes, unless the wait after that
 * failure reports an error of a chunk enqueued before it: that error is
 * returned, since redoing one chunk cannot mend another. Errors the device
 * reports after the call returned surface from the caller's clFinish or
 * clWaitForEvents and are not retried; y is then undefined. Any failure
 * (bad input included, unless layer is NULL) returns after a clFinish, so
 * that no command clql enqueued still reads x or writes y, and leaves no
 * workspace held. Releasing the workspace or destroying the layer while
 * passes are in flight is safe: OpenCL keeps a released buffer until the
 * commands that use it complete. Commands enqueued on the same queue later
 * see y complete; the host, or another queue, waits for done first.
 */
CLQL_API clql_status clql_layer_enqueue(clql_layer *layer, cl_mem x, cl_mem y, uint64_t batch,
                                        cl_event *done);

/**
 * clql_layer_enqueue, and first (may be NULL) receives a new event: the
 * pass's first command's (the same as done's when the pass is one launch),
 * NULL after a failure. On a queue with profiling, the device time of the
 * pass is first's CL_PROFILING_COMMAND_START to done's
 * CL_PROFILING_COMMAND_END. The caller releases both.
 */
CLQL_API clql_status clql_layer_enqueue_events(clql_layer *layer, cl_mem x, cl_mem y,
                                               uint64_t batch, cl_event *first, cl_event *done);

/**
 * The caller-owned workspace variant. Ask the size for a batch, then pass a
 * buffer of at least that many bytes (not a sub-buffer, not x or y); its
 * parts are used at CLQL_WORKSPACE_ALIGN offsets. The pass runs batch in one
 * go, without planning or allocating; a smaller buffer gives
 * CLQL_ERR_WORKSPACE_TOO_SMALL.
 */
CLQL_API clql_status clql_layer_workspace_bytes(const clql_layer *layer, uint64_t batch,
                                               uint64_t *bytes);
CLQL_API clql_status clql_layer_forward_workspace(clql_layer *layer, cl_mem x, cl_mem y,
                                                  uint64_t batch, cl_mem workspace);

/** What the layer's last pass ran with, and the context's workspace. */
typedef struct clql_layer_stats {
  clql_layer_plan plan;         /**< the last pass: its chunk batch, limit, this layer's workspace
                                     at that batch (all zero before the first pass) */
  uint64_t resident_bytes;      /**< weights + scales allocated on the device */
  uint64_t workspace_planned;   /**< the context's workspace plan (total bytes) */
  uint64_t workspace_allocated; /**< the context's workspace held now */
  uint64_t workspace_batch;     /**< batch of the held workspace (0 when none) */
  unsigned workspace_flags;     /**< its CLQL_WS_WITH_* flags */
  uint64_t batch_cap;           /**< the context's cap from out-of-memory failures (0: none) */
  uint64_t chunks;              /**< chunks run by the last pass */
  uint64_t halvings;            /**< the context's out-of-memory halvings */
} clql_layer_stats;

CLQL_API clql_status clql_layer_get_stats(const clql_layer *layer, clql_layer_stats *out);

/**
 * Which product kernels run the layer (docs/kernels.md): "x86" (x86 CPUs;
 * a batch-1 pass is one launch, the activations quantized in the product
 * kernel), "ksplit" (GPUs) or "portable" (a pass is two launches:
 * activation quantization, then the product). NULL for NULL.
 */
CLQL_API const char *clql_layer_kernels(const clql_layer *layer);

/** Free the context's shared workspace now (the next pass allocates it again). */
CLQL_API void clql_layer_release_workspace(clql_layer *layer);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_LAYER_H */
