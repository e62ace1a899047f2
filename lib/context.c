#include <stdlib.h>
#include <string.h>
#include "internal.h"

void clql_program_cache_clear(clql_context *ctx);

static clql_status create_queue(clql_context *ctx) {
  cl_int err = CL_SUCCESS;
  /* Profiling lets benchmarks time kernels with events; its cost is negligible. */
  ctx->queue = clCreateCommandQueue(ctx->context, ctx->device, CL_QUEUE_PROFILING_ENABLE, &err);
  if (!ctx->queue) return clql_fail((clql_status)err, "clCreateCommandQueue failed");
  return CLQL_SUCCESS;
}

clql_status clql_context_create_on(const clql_device_info *info, clql_context **out) {
  *out = NULL;
  clql_context *ctx = clql_calloc(1, sizeof *ctx);
  if (!ctx) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "context");
  ctx->info = *info;
  ctx->device = ctx->info.device;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->info.platform,
                                   0};
  cl_int err = CL_SUCCESS;
  ctx->context = clCreateContext(props, 1, &ctx->device, NULL, NULL, &err);
  if (!ctx->context) {
    clql_free(ctx);
    return clql_fail((clql_status)err, "clCreateContext failed");
  }
  clql_status st = create_queue(ctx);
  if (st != CLQL_SUCCESS) {
    clReleaseContext(ctx->context);
    clql_free(ctx);
    return st;
  }
  clql_log(CLQL_LOG_INFO, "context on device %u:%u '%s'", ctx->info.platform_index,
           ctx->info.device_index, ctx->info.name);
  *out = ctx;
  return CLQL_SUCCESS;
}

clql_status clql_context_create(const char *selector, clql_context **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  clql_device_info info;
  clql_status st = clql_device_select(selector, &info);
  if (st != CLQL_SUCCESS) return st;
  return clql_context_create_on(&info, out);
}

clql_status clql_context_wrap(cl_context context, cl_device_id device, cl_command_queue queue,
                              clql_context **out) {
  if (!out || !context || !device)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context, device and out are required");
  *out = NULL;
  /* Chunks and passes follow each other without events between them. */
  if (queue) {
    cl_command_queue_properties props = 0;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    if (err != CL_SUCCESS)
      return clql_fail((clql_status)err, "CL_QUEUE_PROPERTIES query: %s", clql_status_name(err));
    if (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)
      return clql_fail(CLQL_ERR_UNSUPPORTED,
                       "the queue runs out of order; clql needs an in-order queue "
                       "(CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE not set)");
  }
  cl_platform_id platform = NULL;
  cl_int err = clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL);
  if (err != CL_SUCCESS) return clql_fail((clql_status)err, "CL_DEVICE_PLATFORM query failed");
  clql_context *ctx = clql_calloc(1, sizeof *ctx);
  if (!ctx) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "context");
  clql_status st = clql_device_fill(platform, device, &ctx->info);
  if (st != CLQL_SUCCESS) {
    clql_free(ctx);
    return st;
  }
  ctx->context = context;
  ctx->device = device;
  clRetainContext(context);
  if (queue) {
    ctx->queue = queue;
    clRetainCommandQueue(queue);
  } else if ((st = create_queue(ctx)) != CLQL_SUCCESS) {
    clReleaseContext(context);
    clql_free(ctx);
    return st;
  }
  *out = ctx;
  return CLQL_SUCCESS;
}

void clql_context_destroy(clql_context *ctx) {
  if (!ctx) return;
  clql_program_cache_clear(ctx);
  if (ctx->queue) clReleaseCommandQueue(ctx->queue);
  if (ctx->context) clReleaseContext(ctx->context);
  clql_free(ctx);
}

cl_context clql_context_cl_context(const clql_context *ctx) { return ctx ? ctx->context : NULL; }
cl_device_id clql_context_device(const clql_context *ctx) { return ctx ? ctx->device : NULL; }
cl_command_queue clql_context_queue(const clql_context *ctx) { return ctx ? ctx->queue : NULL; }
const clql_device_info *clql_context_device_info(const clql_context *ctx) {
  return ctx ? &ctx->info : NULL;
}
