/* A ternary linear layer on a device: y[B][N] = x[B][K] * W^T.
 *
 * Weights and scales are uploaded once, at creation. Each forward pass plans
 * its batch with clql_plan_layer() from the context's device memory report,
 * allocates a workspace of exactly the parts clql_layout_workspace_bytes()
 * gives for that batch (one buffer per part), and runs a larger B in chunks
 * of the planned batch. The workspace is kept for the next pass of the same
 * plan; clql_layer_release_workspace() frees it early.
 *
 * Out of memory: when creating a workspace buffer or running a chunk fails
 * with CL_MEM_OBJECT_ALLOCATION_FAILURE or CL_OUT_OF_RESOURCES, the layer
 * frees its workspace, halves its batch (and keeps that cap for later
 * passes), plans again and continues with the chunk that failed; after a
 * failure at batch 1 it returns CLQL_ERR_OUT_OF_DEVICE_MEMORY. x is only
 * read, and the chunks already finished stay written, so a retried pass
 * still produces the whole output exactly. A pass that fails for any reason
 * leaves no workspace held.
 *
 * Each new plan decision is logged once at info level (CLQL_LOG=info).
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

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_layer clql_layer;

/**
 * Create a layer from packed weights (validated as by clql_packed_check)
 * on ctx. opts (NULL: environment and defaults) is copied and used by every
 * plan of the layer. The packed buffers may be freed afterwards.
 */
CLQL_API clql_status clql_layer_create(clql_context *ctx, const clql_packed *packed,
                                       const clql_budget_options *opts, clql_layer **out);

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
 * The caller-owned workspace variant. Ask the size for a batch, then pass a
 * buffer of at least that many bytes (not a sub-buffer, not x or y); its
 * parts are used at CLQL_WORKSPACE_ALIGN offsets. The pass runs batch in one
 * go, without planning or allocating; a smaller buffer gives
 * CLQL_ERR_WORKSPACE_TOO_SMALL.
 */
CLQL_API clql_status clql_layer_workspace_size(const clql_layer *layer, uint64_t batch,
                                               uint64_t *bytes);
CLQL_API clql_status clql_layer_forward_workspace(clql_layer *layer, cl_mem x, cl_mem y,
                                                  uint64_t batch, cl_mem workspace);

/** What the layer planned and what it really holds. */
typedef struct clql_layer_stats {
  clql_layer_plan plan;         /**< the last plan (all zero before the first pass) */
  uint64_t resident_bytes;      /**< weights + scales allocated on the device */
  uint64_t workspace_planned;   /**< sum of plan.workspace.part[]: what the plan counts */
  uint64_t workspace_allocated; /**< sum of the sizes of the workspace buffers held now */
  uint64_t workspace_batch;     /**< batch of the held workspace (0 when none) */
  unsigned workspace_flags;     /**< its CLQL_WS_WITH_* flags */
  uint64_t batch_cap;           /**< cap learned from out-of-memory failures (0: none) */
  uint64_t chunks;              /**< chunks run by the last pass */
  uint64_t halvings;            /**< out-of-memory halvings over the layer's life */
} clql_layer_stats;

CLQL_API clql_status clql_layer_get_stats(const clql_layer *layer, clql_layer_stats *out);

/** Free the workspace now (the next pass allocates it again). */
CLQL_API void clql_layer_release_workspace(clql_layer *layer);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_LAYER_H */
