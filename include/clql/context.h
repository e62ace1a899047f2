/* The clql context: one device, its OpenCL context and queue, clql's
 * per-device caches (compiled programs), and the device memory clql holds
 * there.
 *
 * Ownership. A context owns every device byte clql allocates for it: the
 * weights and scales of each layer created on it, and one workspace that
 * all its layers use in turn. Its ledger counts them; the sum never exceeds
 * the context's budget, the configured budget (clql_budget_compute with the
 * configuration's knobs) from the last memory probe, counting clql's own
 * bytes as its own. Layer creation checks the weights against what is left
 * before allocating; each pass plans the shared workspace for the layers
 * present from what is left beside their weights.
 *
 * When memory is probed: at creation, and at clql_context_refresh(); never
 * during a pass. When the environment is read: at creation with a NULL
 * configuration, once (include/clql/config.h).
 *
 * Not thread-safe: use one context per thread (docs/safety.md, "Thread safety"). */
#ifndef CLQL_CONTEXT_H
#define CLQL_CONTEXT_H

#include <stdint.h>
#include <clql/cl.h>
#include <clql/config.h>
#include <clql/device.h>
#include <clql/export.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_context clql_context;

/**
 * Create a context on the device chosen by selector (see clql_device_select;
 * NULL means the configuration's CLQL_DEVICE or the default device). clql
 * creates and owns the OpenCL context and an in-order command queue.
 * config is copied (NULL: the environment, read now); a bad value is
 * CLQL_ERR_INVALID_CONFIG naming the variable.
 */
CLQL_API clql_status clql_context_create(const char *selector, const clql_config *config,
                                         clql_context **out);

/**
 * Wrap a caller's OpenCL objects. queue may be NULL (clql then creates one on
 * context/device). clql retains what it is given and releases it on destroy;
 * the caller keeps its own references. clql orders its commands by the
 * queue alone (a layer's chunks, and passes enqueued one after another with
 * clql_layer_enqueue), so a queue created with
 * CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE gives CLQL_ERR_UNSUPPORTED.
 */
CLQL_API clql_status clql_context_wrap(cl_context context, cl_device_id device,
                                       cl_command_queue queue, const clql_config *config,
                                       clql_context **out);

/** Release everything the context holds. NULL is a no-op. */
CLQL_API void clql_context_destroy(clql_context *ctx);

CLQL_API cl_context clql_context_cl_context(const clql_context *ctx);
CLQL_API cl_device_id clql_context_device(const clql_context *ctx);
CLQL_API cl_command_queue clql_context_queue(const clql_context *ctx);
/** The device description; its memory report is the last probe's. */
CLQL_API const clql_device_info *clql_context_device_info(const clql_context *ctx);
/** The configuration the context was created with (owned by the context). */
CLQL_API const clql_config *clql_context_config(const clql_context *ctx);

/** What a context holds and what it may still hold. */
typedef struct clql_context_memory {
  clql_budget budget;         /**< the context's budget and the figures it came from */
  uint64_t total;             /**< device total */
  uint64_t free;              /**< free at the last probe (total when unknown) */
  int free_known;             /**< 0: no source measured free memory */
  clql_mem_source free_source;
  uint64_t held_at_probe;     /**< clql's bytes on this context when it was probed */
  uint64_t others_at_probe;   /**< used by others then: total - free - held_at_probe (0 when free is unknown) */
  uint64_t held;              /**< resident + workspace: every device byte clql holds here */
  uint64_t resident;          /**< weights and scales of the layers */
  uint64_t workspace;         /**< the shared workspace held now (0 when none) */
  uint64_t remaining;         /**< budget.bytes - held */
  uint64_t layers;            /**< layers on the context */
  uint64_t batch;             /**< batch of the held workspace (0 when none) */
  unsigned workspace_flags;   /**< its CLQL_WS_WITH_* flags */
  clql_limited_by limited_by; /**< what stopped its plan */
  uint64_t batch_cap;         /**< cap learned from out-of-memory failures (0: none) */
  uint64_t halvings;          /**< out-of-memory halvings over the context's life */
} clql_context_memory;

CLQL_API clql_status clql_context_get_memory(const clql_context *ctx, clql_context_memory *out);

/**
 * Probe the device's memory again (no cache) and recompute the budget: what
 * the device reports as used beyond the bytes this context holds belongs to
 * others. Fails, changing nothing, when the probe fails. The held workspace
 * stays until the next pass plans again; the batch cap learned from
 * out-of-memory failures is forgotten.
 */
CLQL_API clql_status clql_context_refresh(clql_context *ctx);

/** Free the shared workspace now (the next pass allocates it again). */
CLQL_API void clql_context_release_workspace(clql_context *ctx);

/** Kernel launches enqueued (or recorded, or replayed in a command buffer) on ctx so far:
 *  what a token costs in launches is the difference across it. 0 for NULL. */
CLQL_API uint64_t clql_context_launches(const clql_context *ctx);

/**
 * Wait for everything enqueued on the context's queue, as clql's own
 * synchronous calls wait (clql_layer_forward_mem, clql_layer_forward):
 * where the context polls (clql_context_wait_mode) and clql enqueued at most
 * two launches (one pass) since its last wait, by querying the status of
 * clql's last launch and yielding the core between queries for up to 2 ms,
 * then with clFinish, which then returns at once unless something else is
 * still queued; otherwise with clFinish alone. A command that failed on the
 * device gives its error. CLQL_ERR_INVALID_ARGUMENT for NULL.
 */
CLQL_API clql_status clql_context_finish(clql_context *ctx);

/**
 * "poll" or "block": how the context waits (CLQL_WAIT; auto polls on PoCL's
 * CPU device when POCL_AFFINITY=1 pins its worker threads, one per core,
 * and blocks elsewhere). NULL for NULL.
 */
CLQL_API const char *clql_context_wait_mode(const clql_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_CONTEXT_H */
