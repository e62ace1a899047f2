/* Contexts and their ledger: what clql holds on the device, the budget it
 * holds it against, and the workspace every layer of the context shares
 * (include/clql/context.h). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../internal.h"

void clql_program_cache_clear(clql_context *ctx);

static clql_status create_queue(clql_context *ctx) {
  cl_int err = CL_SUCCESS;
  /* Profiling lets benchmarks time kernels with events; its cost is negligible. */
  ctx->queue = clCreateCommandQueue(ctx->context, ctx->device, CL_QUEUE_PROFILING_ENABLE, &err);
  if (!ctx->queue) return clql_fail((clql_status)err, "clCreateCommandQueue failed");
  return CLQL_SUCCESS;
}

/* The budget from report `mem`, taken while the context held `held`: those
 * bytes are the context's own, not used by others, so free counts them. */
static clql_status compute_budget(const clql_context *ctx, const clql_memory_report *mem,
                                  uint64_t held, clql_budget *out) {
  clql_memory_report own = *mem;
  if (own.free_known) {
    uint64_t f;
    own.free = clql_add_u64(own.free, held, &f) && f < own.total ? f : own.total;
  }
  return clql_budget_compute(&own, &ctx->config.budget, out);
}

/* A new context (no OpenCL objects yet) with config resolved. */
static clql_status context_new(const clql_config *config, clql_context **out) {
  *out = NULL;
  clql_context *ctx = clql_calloc(1, sizeof *ctx);
  if (!ctx) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "context");
  clql_status st = clql_config_resolve(config, &ctx->config);
  if (st != CLQL_SUCCESS) {
    clql_free(ctx);
    return st;
  }
  *out = ctx;
  return CLQL_SUCCESS;
}

static void context_drop(clql_context *ctx) {
  clql_config_clear(&ctx->config);
  clql_free(ctx->layers);
  clql_free(ctx->shapes);
  clql_free(ctx);
}

/* ctx has its device, info and config: open the OpenCL side (unless
 * wrapped) and compute the budget. */
static clql_status context_open(clql_context *ctx) {
  /* PoCL wakes its sleeping workers for each launch and the host thread
   * when they are done; the host thread yielding between status queries
   * saves the second wake-up. That pays only where the workers keep a core
   * each (POCL_AFFINITY=1): unpinned, the poller takes a core from them. */
  const clql_wait_choice w = ctx->config.wait;
  ctx->poll = w == CLQL_WAIT_POLL ||
              (w == CLQL_WAIT_AUTO && (ctx->info.type & CL_DEVICE_TYPE_CPU) &&
               strstr(ctx->info.platform_name, "Portable Computing Language") &&
               clql_env_pocl_affinity());
  clql_status st = compute_budget(ctx, &ctx->info.memory, 0, &ctx->budget);
  if (st != CLQL_SUCCESS || ctx->context) return st;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->info.platform,
                                   0};
  cl_int err = CL_SUCCESS;
  ctx->context = clCreateContext(props, 1, &ctx->device, NULL, NULL, &err);
  if (!ctx->context) return clql_fail((clql_status)err, "clCreateContext failed");
  return create_queue(ctx);
}

clql_status clql_context_create_on(const clql_device_info *info, const clql_config *config,
                                   clql_context **out) {
  clql_context *ctx;
  clql_status st = context_new(config, &ctx);
  if (st != CLQL_SUCCESS) return st;
  ctx->info = *info;
  ctx->device = ctx->info.device;
  if ((st = context_open(ctx)) != CLQL_SUCCESS) {
    clql_context_destroy(ctx);
    return st;
  }
  clql_log(CLQL_LOG_INFO, "context on device %u:%u '%s': budget %llu bytes", ctx->info.platform_index,
           ctx->info.device_index, ctx->info.name, (unsigned long long)ctx->budget.bytes);
  *out = ctx;
  return CLQL_SUCCESS;
}

clql_status clql_context_create(const char *selector, const clql_config *config,
                                clql_context **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  clql_config cfg;
  clql_status st = clql_config_resolve(config, &cfg);
  if (st != CLQL_SUCCESS) return st;
  clql_device_info info;
  st = clql_device_select_with(selector, &cfg, &info);
  if (st == CLQL_SUCCESS) st = clql_context_create_on(&info, &cfg, out);
  clql_config_clear(&cfg);
  return st;
}

clql_status clql_context_wrap(cl_context context, cl_device_id device, cl_command_queue queue,
                              const clql_config *config, clql_context **out) {
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
  clql_context *ctx;
  clql_status st = context_new(config, &ctx);
  if (st != CLQL_SUCCESS) return st;
  ctx->context = context;
  ctx->device = device;
  clRetainContext(context);
  if (queue) {
    ctx->queue = queue;
    clRetainCommandQueue(queue);
  }
  st = clql_device_fill(platform, device, &ctx->config, &ctx->info);
  if (st == CLQL_SUCCESS) st = context_open(ctx); /* the budget; the context is the caller's */
  if (st == CLQL_SUCCESS && !queue) st = create_queue(ctx);
  if (st != CLQL_SUCCESS) {
    clql_context_destroy(ctx);
    return st;
  }
  *out = ctx;
  return CLQL_SUCCESS;
}

void clql_context_destroy(clql_context *ctx) {
  if (!ctx) return;
  if (ctx->last_launch) clReleaseEvent(ctx->last_launch);
  clql_context_release_workspace(ctx);
  clql_program_cache_clear(ctx);
  if (ctx->queue) clReleaseCommandQueue(ctx->queue);
  if (ctx->context) clReleaseContext(ctx->context);
  context_drop(ctx);
}

cl_context clql_context_cl_context(const clql_context *ctx) { return ctx ? ctx->context : NULL; }
cl_device_id clql_context_device(const clql_context *ctx) { return ctx ? ctx->device : NULL; }
cl_command_queue clql_context_queue(const clql_context *ctx) { return ctx ? ctx->queue : NULL; }
const clql_device_info *clql_context_device_info(const clql_context *ctx) {
  return ctx ? &ctx->info : NULL;
}
const clql_config *clql_context_config(const clql_context *ctx) {
  return ctx ? &ctx->config : NULL;
}
uint64_t clql_context_launches(const clql_context *ctx) { return ctx ? ctx->launches : 0; }

const char *clql_context_wait_mode(const clql_context *ctx) {
  return ctx ? ctx->poll ? "poll" : "block" : NULL;
}

void clql_context_note_launch(clql_context *ctx, cl_event ev, uint64_t launches) {
  if (ctx->last_launch) clReleaseEvent(ctx->last_launch);
  ctx->last_launch = ev;
  ctx->unwaited += launches;
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Poll for up to 2 ms, and only the wait of one pass's launches (a
 * quantization and a product): the wake-up it saves is tens of µs, which
 * longer work no longer notices, while the poller, yielding or not, still
 * shares a core with a worker. */
#define POLL_SECONDS 2e-3
#define POLL_LAUNCHES 2u

cl_int clql_context_drain(clql_context *ctx) {
  if (ctx->last_launch) clReleaseEvent(ctx->last_launch);
  ctx->last_launch = NULL;
  ctx->unwaited = 0;
  return clFinish(ctx->queue);
}

clql_status clql_context_finish(clql_context *ctx) {
  if (!ctx) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context is NULL");
  cl_event ev = ctx->last_launch; /* the context's until the drain below */
  cl_int err = CL_SUCCESS, status = CL_COMPLETE;
  if (ev && ctx->unwaited <= POLL_LAUNCHES) {
    err = clFlush(ctx->queue);
    const double until = seconds_now() + POLL_SECONDS;
    while (err == CL_SUCCESS) {
      err = clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL);
      if (err != CL_SUCCESS || status <= CL_COMPLETE || seconds_now() > until) break;
      sched_yield();
    }
  }
  /* the rest of the queue, or the wait the poll gave up on */
  cl_int ferr = clql_context_drain(ctx);
  if (err == CL_SUCCESS && status < 0) err = status;
  if (err == CL_SUCCESS) err = ferr;
  if (err != CL_SUCCESS)
    return clql_fail((clql_status)err, "waiting for the queue: %s", clql_status_name(err));
  return CLQL_SUCCESS;
}

/* ---- the ledger ---- */

uint64_t clql_context_held(const clql_context *ctx) { return ctx->resident + ctx->ws_bytes; }

static uint64_t remaining(const clql_context *ctx) {
  uint64_t held = clql_context_held(ctx);
  return ctx->budget.bytes > held ? ctx->budget.bytes - held : 0;
}

clql_status clql_context_get_memory(const clql_context *ctx, clql_context_memory *out) {
  if (!ctx || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context or output is NULL");
  memset(out, 0, sizeof *out);
  const clql_memory_report *m = &ctx->info.memory;
  out->budget = ctx->budget;
  out->total = m->total;
  out->free_known = m->free_known;
  out->free = m->free_known && m->free < m->total ? m->free : m->total;
  out->free_source = m->free_known ? m->free_source : CLQL_MEM_SOURCE_NONE;
  out->held_at_probe = ctx->held_at_probe;
  if (m->free_known && out->free + ctx->held_at_probe < out->total)
    out->others_at_probe = out->total - out->free - ctx->held_at_probe;
  out->resident = ctx->resident;
  out->workspace = ctx->ws_bytes;
  out->held = clql_context_held(ctx);
  out->remaining = remaining(ctx);
  out->layers = ctx->nlayers;
  out->batch = ctx->ws_batch;
  out->workspace_flags = ctx->ws_flags;
  out->limited_by = ctx->plan.limited_by;
  out->batch_cap = ctx->batch_cap;
  out->halvings = ctx->halvings;
  return CLQL_SUCCESS;
}

clql_status clql_context_refresh(clql_context *ctx) {
  if (!ctx) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context is NULL");
  clql_memory_report m;
  clql_status st = clql_device_memory_with(ctx->device, &ctx->config, 0, &m, NULL, NULL);
  if (st != CLQL_SUCCESS) return st;
  const uint64_t held = clql_context_held(ctx);
  clql_budget b;
  if ((st = compute_budget(ctx, &m, held, &b)) != CLQL_SUCCESS) return st;
  ctx->info.memory = m;
  ctx->held_at_probe = held;
  ctx->budget = b;
  ctx->batch_cap = 0; /* learned from an earlier state of the device */
  clql_log(CLQL_LOG_INFO, "context refreshed: %llu bytes free from %s, clql holds %llu, budget %llu",
           (unsigned long long)m.free, clql_mem_source_name(m.free_source),
           (unsigned long long)held, (unsigned long long)b.bytes);
  return CLQL_SUCCESS;
}

void clql_context_release_workspace(clql_context *ctx) {
  if (!ctx) return;
  if (ctx->ws_batch || ctx->ws_bytes) {
    ctx->ws_generation++;
    clql_sequences_drop_recordings(ctx); /* their command buffers hold these buffers */
  }
  for (int i = 0; i < CLQL_WS_PART_COUNT; i++) {
    if (ctx->part[i]) clReleaseMemObject(ctx->part[i]);
    ctx->part[i] = NULL;
  }
  ctx->ws_batch = ctx->ws_bytes = 0;
  ctx->ws_flags = 0;
  ctx->ws_grows = 0;
}

clql_status clql_context_add_layer(clql_context *ctx, clql_layer *layer,
                                   const clql_layer_shape *shape, uint64_t resident) {
  uint64_t after;
  if (!clql_add_u64(ctx->resident, resident, &after))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "resident bytes of the context overflow");
  if (after > ctx->budget.bytes)
    return clql_fail(CLQL_ERR_DOES_NOT_FIT,
                     "%s %llux%llu: weights and scales need %llu bytes; %llu remain of the "
                     "context's budget of %llu (layers hold %llu)",
                     clql_qtype_name(shape->qtype), (unsigned long long)shape->n,
                     (unsigned long long)shape->k, (unsigned long long)resident,
                     (unsigned long long)(ctx->budget.bytes - ctx->resident),
                     (unsigned long long)ctx->budget.bytes, (unsigned long long)ctx->resident);
  if (ctx->nlayers == ctx->layers_capacity) {
    size_t cap = ctx->layers_capacity ? ctx->layers_capacity * 2 : 16;
    clql_layer **l = clql_realloc(ctx->layers, cap * sizeof *l);
    if (l) ctx->layers = l;
    clql_model_layer *s = l ? clql_realloc(ctx->shapes, cap * sizeof *s) : NULL;
    if (s) ctx->shapes = s;
    if (!l || !s) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "context layer list");
    ctx->layers_capacity = cap;
  }
  /* The workspace is elastic: it makes room for weights, and its parts
   * follow the layers present, so the next pass plans it again. */
  clql_context_release_workspace(ctx);
  clql_model_layer *m = &ctx->shapes[ctx->nlayers];
  memset(m, 0, sizeof *m);
  m->shape = *shape;
  m->count = 1;
  ctx->layers[ctx->nlayers++] = layer;
  ctx->resident = after;
  return CLQL_SUCCESS;
}

void clql_context_remove_layer(clql_context *ctx, clql_layer *layer, uint64_t resident) {
  for (size_t i = 0; i < ctx->nlayers; i++) {
    if (ctx->layers[i] != layer) continue;
    memmove(&ctx->layers[i], &ctx->layers[i + 1], (ctx->nlayers - i - 1) * sizeof *ctx->layers);
    memmove(&ctx->shapes[i], &ctx->shapes[i + 1], (ctx->nlayers - i - 1) * sizeof *ctx->shapes);
    ctx->nlayers--;
    ctx->resident -= resident;
    clql_context_release_workspace(ctx);
    return;
  }
}

/* Allocate the parts of ws, each rounded up to CLQL_WORKSPACE_ALIGN as
 * clql_workspace_sum counts it. */
static clql_status allocate_parts(clql_context *ctx, const clql_workspace_bytes *ws) {
  clql_status st = CLQL_SUCCESS;
  uint64_t held = 0;
  for (int i = 0; st == CLQL_SUCCESS && i < CLQL_WS_PART_COUNT; i++) {
    if (ws->part[i] == 0) continue;
    int ok = 1;
    uint64_t bytes = clql_round_up_u64(ws->part[i], CLQL_WORKSPACE_ALIGN, &ok);
    if (!ok) return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "workspace part");
    st = clql_buffer_create(ctx, CL_MEM_READ_WRITE, bytes, NULL,
                            clql_workspace_part_name((clql_workspace_part)i), &ctx->part[i]);
    if (st == CLQL_SUCCESS) held += bytes;
  }
  ctx->ws_bytes = held;
  ctx->counters_zeroed = 0;
  return st;
}

clql_status clql_context_workspace(clql_context *ctx, uint64_t request, unsigned flags,
                                   uint64_t *batch) {
  const int held = ctx->ws_batch > 0;
  if (held && (ctx->ws_flags & flags) == flags && (ctx->ws_batch >= request || !ctx->ws_grows)) {
    *batch = ctx->ws_batch;
    return CLQL_SUCCESS;
  }
  /* Plan again: never for fewer tokens or parts than the held workspace
   * serves, and without it in the ledger. */
  const unsigned want = flags | (held ? ctx->ws_flags : 0u);
  if (held && ctx->ws_batch > request) request = ctx->ws_batch;
  if (ctx->batch_cap && request > ctx->batch_cap) request = ctx->batch_cap;
  clql_context_release_workspace(ctx);
  clql_model_plan p;
  clql_status st = clql_plan_model_in(&ctx->budget, ctx->shapes, ctx->nlayers, 0, request, want, &p);
  if (st != CLQL_SUCCESS) return st;
  if (!p.fits)
    return clql_fail(CLQL_ERR_DOES_NOT_FIT,
                     "%zu layers holding %llu bytes: the workspace of one token (%llu bytes%s) "
                     "does not fit the context's budget of %llu bytes",
                     ctx->nlayers, (unsigned long long)ctx->resident,
                     (unsigned long long)p.workspace.total,
                     p.limited_by == CLQL_LIMITED_BY_MAX_ALLOC ? ", a part over max_alloc" : "",
                     (unsigned long long)ctx->budget.bytes);
  ctx->plan = p;
  *batch = p.batch; /* what an out-of-memory failure below halves */
  if ((st = allocate_parts(ctx, &p.workspace)) != CLQL_SUCCESS) {
    clql_context_release_workspace(ctx);
    return st;
  }
  ctx->ws_batch = p.batch;
  ctx->ws_generation++;
  ctx->ws_flags = want;
  ctx->ws_grows = p.limited_by == CLQL_LIMITED_BY_REQUEST && (!ctx->batch_cap || p.batch < ctx->batch_cap);
  clql_log(CLQL_LOG_INFO,
           "workspace of %zu layers: batch %llu (limited by %s%s), %llu bytes; the context holds "
           "%llu of its budget of %llu bytes (free %llu from %s%s, max_alloc %llu)",
           ctx->nlayers, (unsigned long long)p.batch, clql_limited_by_name(p.limited_by),
           ctx->batch_cap ? ", out-of-memory cap" : "", (unsigned long long)ctx->ws_bytes,
           (unsigned long long)clql_context_held(ctx), (unsigned long long)ctx->budget.bytes,
           (unsigned long long)ctx->budget.free, clql_mem_source_name(ctx->budget.free_source),
           ctx->budget.free_is_fallback ? ", fallback to total" : "",
           (unsigned long long)ctx->budget.max_alloc);
  *batch = p.batch;
  return CLQL_SUCCESS;
}

clql_status clql_context_halve(clql_context *ctx, uint64_t batch, clql_status cause) {
  clql_context_release_workspace(ctx);
  if (batch <= 1)
    return clql_fail(CLQL_ERR_OUT_OF_DEVICE_MEMORY, "%s at batch 1 (after %llu halvings)",
                     clql_status_name(cause), (unsigned long long)ctx->halvings);
  ctx->batch_cap = batch / 2;
  ctx->halvings++;
  clql_log(CLQL_LOG_WARN, "%s at batch %llu: retrying with batch %llu", clql_status_name(cause),
           (unsigned long long)batch, (unsigned long long)ctx->batch_cap);
  return CLQL_SUCCESS;
}

clql_status clql_buffer_check(const clql_context *ctx, cl_mem m, uint64_t bytes,
                              const char *what) {
  if (!m) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "%s buffer is NULL", what);
  size_t size = 0;
  cl_context c = NULL;
  cl_int err = clGetMemObjectInfo(m, CL_MEM_SIZE, sizeof size, &size, NULL);
  if (err == CL_SUCCESS) err = clGetMemObjectInfo(m, CL_MEM_CONTEXT, sizeof c, &c, NULL);
  if (err != CL_SUCCESS)
    return clql_fail((clql_status)err, "%s buffer: %s", what, clql_status_name(err));
  if (c != ctx->context)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "%s buffer belongs to another context", what);
  if (size < bytes)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%s buffer has %zu bytes; %llu needed", what, size,
                     (unsigned long long)bytes);
  return CLQL_SUCCESS;
}
