/* The clql context: one device, its OpenCL context and queue, and clql's
 * per-device caches (compiled programs). Not thread-safe: use one context per
 * thread (see README, "Thread safety"). */
#ifndef CLQL_CONTEXT_H
#define CLQL_CONTEXT_H

#include <clql/cl.h>
#include <clql/device.h>
#include <clql/export.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_context clql_context;

/**
 * Create a context on the device chosen by selector (see clql_device_select;
 * NULL means $CLQL_DEVICE or the default device). clql creates and owns the
 * OpenCL context and an in-order command queue.
 */
CLQL_API clql_status clql_context_create(const char *selector, clql_context **out);

/**
 * Wrap a caller's OpenCL objects. queue may be NULL (clql then creates one on
 * context/device). clql retains what it is given and releases it on destroy;
 * the caller keeps its own references. clql orders its commands by the
 * queue alone (a layer's chunks, and passes enqueued one after another with
 * clql_layer_enqueue), so a queue created with
 * CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE gives CLQL_ERR_UNSUPPORTED.
 */
CLQL_API clql_status clql_context_wrap(cl_context context, cl_device_id device,
                                       cl_command_queue queue, clql_context **out);

/** Release everything the context holds. NULL is a no-op. */
CLQL_API void clql_context_destroy(clql_context *ctx);

CLQL_API cl_context clql_context_cl_context(const clql_context *ctx);
CLQL_API cl_device_id clql_context_device(const clql_context *ctx);
CLQL_API cl_command_queue clql_context_queue(const clql_context *ctx);
/** The device description captured when the context was created. */
CLQL_API const clql_device_info *clql_context_device_info(const clql_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_CONTEXT_H */
