/* A recorded step: layer forwards on fixed buffers (y of one the x of a
 * later one), recorded once and replayed per token.
 *
 * Where the device offers cl_khr_command_buffer and it pays (not on CPU
 * devices, where a replay costs as much as the launches it holds), the
 * steps are recorded into a command buffer on the first replay and the
 * buffer is enqueued each time after; elsewhere each replay enqueues the
 * steps back to back, as clql_layer_enqueue does, with the same results.
 * CLQL_COMMAND_BUFFER=on|off|auto (the context's configuration) forces
 * either path.
 *
 * The sequence owns no device memory: its steps run on the context's shared
 * workspace, planned before recording for the largest step. When the
 * context plans its workspace again (a pass of more tokens, a new layer, a
 * release), the recording is dropped with it and made again at the next
 * replay. Layers and buffers given to a sequence must outlive it; it is used
 * by one thread at a time, like its context. */
#ifndef CLQL_SEQUENCE_H
#define CLQL_SEQUENCE_H

#include <stdint.h>
#include <clql/cl.h>
#include <clql/context.h>
#include <clql/export.h>
#include <clql/layer.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_sequence clql_sequence;

/**
 * An empty sequence on ctx. With CLQL_COMMAND_BUFFER=on and a device
 * without cl_khr_command_buffer (or whose command buffers need queue
 * properties the context's queue lacks): CLQL_ERR_UNSUPPORTED.
 */
CLQL_API clql_status clql_sequence_create(clql_context *ctx, clql_sequence **out);

/**
 * Append a forward of `batch` tokens of layer (on the sequence's context)
 * from x to y, checked as clql_layer_enqueue checks them.
 */
CLQL_API clql_status clql_sequence_add(clql_sequence *seq, clql_layer *layer, cl_mem x, cl_mem y,
                                       uint64_t batch);

/**
 * Run every step once, in order, on the context's queue, after whatever was
 * enqueued before; returns once enqueued (like clql_layer_enqueue). done
 * (may be NULL) receives the event of the last command; the caller releases
 * it. A failure returns after a clFinish, as clql_layer_enqueue's do.
 */
CLQL_API clql_status clql_sequence_enqueue(clql_sequence *seq, cl_event *done);

typedef struct clql_sequence_info {
  uint64_t steps;    /**< layer forwards */
  uint64_t launches; /**< kernel launches of one replay (0 before the first) */
  int recorded;      /**< 1: replays enqueue a command buffer */
} clql_sequence_info;

CLQL_API clql_status clql_sequence_get_info(const clql_sequence *seq, clql_sequence_info *out);

/** NULL is a no-op. Waits for nothing: OpenCL keeps what a pending replay uses. */
CLQL_API void clql_sequence_destroy(clql_sequence *seq);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_SEQUENCE_H */
