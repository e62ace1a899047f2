/* Kernel launches (enqueued, or recorded into a command buffer) and
 * sequences of layer forwards replayed per token (include/clql/sequence.h). */
#include <stdlib.h>
#include <string.h>
#include <CL/cl_ext.h>
#include "../internal.h"

/* cl_khr_command_buffer's entry points, found per platform. */
typedef struct {
  clCreateCommandBufferKHR_fn create;
  clFinalizeCommandBufferKHR_fn finalize;
  clReleaseCommandBufferKHR_fn release;
  clEnqueueCommandBufferKHR_fn enqueue;
  clCommandNDRangeKernelKHR_fn ndrange;
} cmdbuf_fns;

typedef struct {
  clql_layer *layer;
  cl_mem x, y;
  uint64_t batch;
} step;

struct clql_sequence {
  clql_context *ctx;
  step *steps;
  size_t count, capacity;
  uint64_t max_batch;
  int use_cmdbuf, simultaneous;
  cmdbuf_fns fn;
  cl_command_buffer_khr cmdbuf; /* the recording, when held */
  uint64_t recorded_generation; /* the context's workspace generation it was made on */
  cl_event last;                /* the last replay, when the buffer cannot overlap itself */
  cl_kernel *kernels;           /* the recording's private kernel objects */
  size_t nkernels, kernels_cap;
  uint64_t launches;
  struct clql_sequence *next;   /* in the context's list */
};

static clql_sequence *recording_of(const clql_context *ctx) {
  clql_sequence *s = ctx->sequences;
  while (s && s->cmdbuf != ctx->recording) s = s->next;
  return s;
}

clql_status clql_launch_kernel(clql_context *ctx, cl_kernel kernel, cl_kernel *out) {
  *out = kernel;
  clql_sequence *s = ctx->recording ? recording_of(ctx) : NULL;
  if (!s) return CLQL_SUCCESS;
  if (s->nkernels == s->kernels_cap) {
    size_t cap = s->kernels_cap ? s->kernels_cap * 2 : 32;
    cl_kernel *k = clql_realloc(s->kernels, cap * sizeof *k);
    if (!k) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "recorded kernels");
    s->kernels = k;
    s->kernels_cap = cap;
  }
  cl_program program = NULL;
  char name[128];
  cl_int err = clGetKernelInfo(kernel, CL_KERNEL_PROGRAM, sizeof program, &program, NULL);
  if (err == CL_SUCCESS)
    err = clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
  cl_kernel copy = err == CL_SUCCESS ? clCreateKernel(program, name, &err) : NULL;
  if (err == CL_SUCCESS && !copy) err = CL_OUT_OF_HOST_MEMORY;
  if (err != CL_SUCCESS) {
    if (copy) clReleaseKernel(copy);
    return clql_fail((clql_status)err, "a kernel for the recording: %s", clql_status_name(err));
  }
  s->kernels[s->nkernels++] = copy;
  *out = copy;
  return CLQL_SUCCESS;
}

clql_status clql_launch(clql_context *ctx, cl_kernel kernel, const char *name, cl_uint dims,
                        const size_t *global, const size_t *local, cl_event *event) {
  cl_int err = clql_fault_check(ctx, CLQL_FAULT_ENQUEUE, 0);
  if (err == CL_SUCCESS && ctx->recording) {
    const clql_sequence *s = recording_of(ctx); /* its entry points */
    err = s ? s->fn.ndrange((cl_command_buffer_khr)ctx->recording, NULL, NULL, kernel, dims, NULL,
                            global, local, 0, NULL, NULL, NULL)
            : CL_INVALID_OPERATION;
  } else if (err == CL_SUCCESS) {
    cl_event *first = ctx->first_event && !*ctx->first_event ? ctx->first_event : NULL;
    cl_event own = NULL, *ev = event ? event : first || ctx->poll ? &own : NULL;
    err = clEnqueueNDRangeKernel(ctx->queue, kernel, dims, NULL, global, local, 0, NULL, ev);
    if (err == CL_SUCCESS && first) {
      *first = *ev;
      if (ev == event) clRetainEvent(*ev);
    }
    if (err == CL_SUCCESS && ctx->poll) { /* the event clql_context_finish polls */
      if (ev == event || first) clRetainEvent(*ev);
      clql_context_note_launch(ctx, *ev, 1);
    }
  }
  if (err != CL_SUCCESS)
    return clql_fail((clql_status)err, "%s of %s: %s", ctx->recording ? "recording" : "enqueue",
                     name, clql_status_name(err));
  ctx->launches++;
  return CLQL_SUCCESS;
}

static void drop_recording(clql_sequence *s) {
  if (s->cmdbuf) s->fn.release(s->cmdbuf);
  s->cmdbuf = NULL;
  for (size_t i = 0; i < s->nkernels; i++) clReleaseKernel(s->kernels[i]);
  s->nkernels = 0;
  if (s->last) clReleaseEvent(s->last);
  s->last = NULL;
}

void clql_sequences_drop_recordings(clql_context *ctx) {
  for (clql_sequence *s = ctx->sequences; s; s = s->next)
    if (s->cmdbuf && !ctx->recording) drop_recording(s);
}

/* Whether the device lists extension `name`. */
static clql_status device_offers(const clql_context *ctx, const char *name, int *offered) {
  size_t n = 0;
  *offered = 0;
  cl_int err = clGetDeviceInfo(ctx->device, CL_DEVICE_EXTENSIONS, 0, NULL, &n);
  char *ext = err == CL_SUCCESS && n ? clql_malloc(n + 1) : NULL;
  if (err == CL_SUCCESS && n && !ext) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "extensions");
  if (ext && (err = clGetDeviceInfo(ctx->device, CL_DEVICE_EXTENSIONS, n, ext, NULL)) == CL_SUCCESS) {
    ext[n] = '\0';
    *offered = clql_has_extension(ext, name);
  }
  clql_free(ext);
  if (clql_cl_resource_error(err))
    return clql_fail((clql_status)err, "CL_DEVICE_EXTENSIONS: %s", clql_status_name(err));
  return CLQL_SUCCESS;
}

/* Whether seq records: the configuration's choice, the device's extension,
 * and the queue properties its command buffers need. */
static clql_status choose_path(clql_sequence *seq) {
  clql_context *ctx = seq->ctx;
  const clql_cmdbuf_choice choice = ctx->config.command_buffer;
  if (choice == CLQL_CMDBUF_OFF) return CLQL_SUCCESS;
  const int cpu = (ctx->info.type & CL_DEVICE_TYPE_CPU) != 0;
  if (choice == CLQL_CMDBUF_AUTO && cpu) return CLQL_SUCCESS; /* no faster than enqueues there */
  const char *why = NULL;
  int offered = 0;
  clql_status st = device_offers(ctx, "cl_khr_command_buffer", &offered);
  if (st != CLQL_SUCCESS) return st;
  if (!offered) {
    why = "the device does not offer cl_khr_command_buffer";
  } else {
    const struct {
      const char *name;
      void *fn;
    } entry[] = {{"clCreateCommandBufferKHR", &seq->fn.create},
                 {"clFinalizeCommandBufferKHR", &seq->fn.finalize},
                 {"clReleaseCommandBufferKHR", &seq->fn.release},
                 {"clEnqueueCommandBufferKHR", &seq->fn.enqueue},
                 {"clCommandNDRangeKernelKHR", &seq->fn.ndrange}};
    for (size_t i = 0; !why && i < sizeof entry / sizeof entry[0]; i++) {
      void *p = clGetExtensionFunctionAddressForPlatform(ctx->info.platform, entry[i].name);
      if (!p) why = "the platform lacks an entry point of cl_khr_command_buffer";
      else memcpy(entry[i].fn, &p, sizeof p); /* POSIX: object and function pointers agree */
    }
    cl_command_queue_properties need = 0, have = 0;
    cl_ulong caps = 0;
    if (!why &&
        (clGetDeviceInfo(ctx->device, CL_DEVICE_COMMAND_BUFFER_REQUIRED_QUEUE_PROPERTIES_KHR,
                         sizeof need, &need, NULL) != CL_SUCCESS ||
         clGetCommandQueueInfo(ctx->queue, CL_QUEUE_PROPERTIES, sizeof have, &have, NULL) !=
             CL_SUCCESS))
      why = "the command-buffer queue properties cannot be queried";
    else if (!why && (need & ~have))
      why = "its command buffers need queue properties the context's queue lacks";
    if (!why &&
        clGetDeviceInfo(ctx->device, CL_DEVICE_COMMAND_BUFFER_CAPABILITIES_KHR, sizeof caps, &caps,
                        NULL) == CL_SUCCESS)
      seq->simultaneous = (caps & CL_COMMAND_BUFFER_CAPABILITY_SIMULTANEOUS_USE_KHR) != 0;
  }
  if (!why) {
    seq->use_cmdbuf = 1;
    return CLQL_SUCCESS;
  }
  if (choice == CLQL_CMDBUF_AUTO) {
    clql_clear_error();
    return CLQL_SUCCESS;
  }
  return clql_fail(CLQL_ERR_UNSUPPORTED, "CLQL_COMMAND_BUFFER=on: %s", why);
}

clql_status clql_sequence_create(clql_context *ctx, clql_sequence **out) {
  if (!ctx || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context or out is NULL");
  *out = NULL;
  clql_sequence *seq = clql_calloc(1, sizeof *seq);
  if (!seq) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "sequence");
  seq->ctx = ctx;
  clql_status st = choose_path(seq);
  if (st != CLQL_SUCCESS) {
    clql_free(seq);
    return st;
  }
  seq->next = ctx->sequences;
  ctx->sequences = seq;
  *out = seq;
  return CLQL_SUCCESS;
}

void clql_sequence_destroy(clql_sequence *seq) {
  if (!seq) return;
  drop_recording(seq);
  for (clql_sequence **p = &seq->ctx->sequences; *p; p = &(*p)->next)
    if (*p == seq) {
      *p = seq->next;
      break;
    }
  clql_free(seq->kernels);
  clql_free(seq->steps);
  clql_free(seq);
}

clql_status clql_sequence_add(clql_sequence *seq, clql_layer *layer, cl_mem x, cl_mem y,
                              uint64_t batch) {
  if (!seq || !layer) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "sequence or layer is NULL");
  if (clql_layer_context(layer) != seq->ctx)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "the layer belongs to another context");
  clql_status st = clql_layer_check_io(layer, x, y, batch);
  if (st != CLQL_SUCCESS) return st;
  if (seq->count == seq->capacity) {
    size_t cap = seq->capacity ? seq->capacity * 2 : 32;
    step *s = clql_realloc(seq->steps, cap * sizeof *s);
    if (!s) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "sequence steps");
    seq->steps = s;
    seq->capacity = cap;
  }
  seq->steps[seq->count++] = (step){layer, x, y, batch};
  if (batch > seq->max_batch) seq->max_batch = batch;
  drop_recording(seq); /* a new step: record again */
  return CLQL_SUCCESS;
}

/* Enqueue every step; done (may be NULL) receives the last one's event. */
static clql_status run_plain(clql_sequence *seq, cl_event *done) {
  clql_status st = CLQL_SUCCESS;
  const uint64_t before = seq->ctx->launches;
  for (size_t i = 0; st == CLQL_SUCCESS && i < seq->count; i++) {
    const step *s = &seq->steps[i];
    st = clql_layer_enqueue(s->layer, s->x, s->y, s->batch, i + 1 == seq->count ? done : NULL);
  }
  if (st == CLQL_SUCCESS) seq->launches = seq->ctx->launches - before;
  return st;
}

/* Record every step into a new command buffer on the workspace planned for
 * the largest. */
static clql_status record(clql_sequence *seq) {
  clql_context *ctx = seq->ctx;
  uint64_t batch;
  clql_status st = clql_context_workspace(ctx, seq->max_batch, 0, &batch);
  if (st != CLQL_SUCCESS) return st;
  const uint64_t generation = ctx->ws_generation;
  cl_int err = clql_fault_check(ctx, CLQL_FAULT_ENQUEUE, 0);
  cl_command_buffer_khr cb = NULL;
  if (err == CL_SUCCESS) cb = seq->fn.create(1, &ctx->queue, NULL, &err);
  if (err == CL_SUCCESS && !cb) err = CL_OUT_OF_HOST_MEMORY;
  if (err != CL_SUCCESS)
    return clql_fail((clql_status)err, "clCreateCommandBufferKHR: %s", clql_status_name(err));
  seq->cmdbuf = cb;
  ctx->recording = cb;
  const uint64_t before = ctx->launches;
  for (size_t i = 0; st == CLQL_SUCCESS && i < seq->count; i++) {
    const step *s = &seq->steps[i];
    st = clql_layer_enqueue(s->layer, s->x, s->y, s->batch, NULL);
  }
  ctx->recording = NULL;
  if (st == CLQL_SUCCESS && ctx->ws_generation != generation) /* planned for the largest */
    st = clql_fail(CLQL_ERR_INTERNAL, "the workspace changed while recording");
  if (st == CLQL_SUCCESS) {
    err = seq->fn.finalize(cb);
    if (err != CL_SUCCESS)
      st = clql_fail((clql_status)err, "clFinalizeCommandBufferKHR: %s", clql_status_name(err));
  }
  if (st != CLQL_SUCCESS) {
    drop_recording(seq);
    return st;
  }
  seq->recorded_generation = generation;
  seq->launches = ctx->launches - before;
  return CLQL_SUCCESS;
}

static clql_status replay(clql_sequence *seq, cl_event *done) {
  clql_context *ctx = seq->ctx;
  if (seq->cmdbuf && seq->recorded_generation != ctx->ws_generation) drop_recording(seq);
  clql_status st = seq->cmdbuf ? CLQL_SUCCESS : record(seq);
  if (st != CLQL_SUCCESS) return st;
  /* a buffer that cannot overlap itself waits for its last replay */
  cl_int err = CL_SUCCESS;
  if (!seq->simultaneous && seq->last) err = clWaitForEvents(1, &seq->last);
  if (err != CL_SUCCESS)
    return clql_fail((clql_status)err, "waiting for the last replay: %s", clql_status_name(err));
  cl_event ev = NULL;
  err = clql_fault_check(ctx, CLQL_FAULT_ENQUEUE, 0);
  if (err == CL_SUCCESS) err = seq->fn.enqueue(0, NULL, seq->cmdbuf, 0, NULL, &ev);
  if (err != CL_SUCCESS)
    return clql_fail((clql_status)err, "clEnqueueCommandBufferKHR: %s", clql_status_name(err));
  if (seq->last) clReleaseEvent(seq->last);
  seq->last = ev;
  if (ctx->poll) {
    clRetainEvent(ev);
    clql_context_note_launch(ctx, ev, seq->launches);
  }
  if (done) {
    clRetainEvent(ev);
    *done = ev;
  }
  ctx->launches += seq->launches;
  return CLQL_SUCCESS;
}

clql_status clql_sequence_enqueue(clql_sequence *seq, cl_event *done) {
  if (done) *done = NULL;
  if (!seq) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "sequence is NULL");
  if (seq->count == 0) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "the sequence has no steps");
  clql_status st = seq->use_cmdbuf ? replay(seq, done) : run_plain(seq, done);
  if (st != CLQL_SUCCESS) {
    /* as clql_layer_enqueue: nothing clql enqueued still runs when it returns */
    cl_int err = clql_context_drain(seq->ctx);
    (void)err; /* the failure that brought us here is the one to report */
  }
  return st;
}

clql_status clql_sequence_get_info(const clql_sequence *seq, clql_sequence_info *out) {
  if (!seq || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "sequence or out is NULL");
  out->steps = seq->count;
  out->launches = seq->launches;
  out->recorded = seq->use_cmdbuf;
  return CLQL_SUCCESS;
}
