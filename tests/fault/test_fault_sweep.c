/* Every OpenCL call (through the fault-injection loader layer) and every host
 * allocation (through libclql's allocator hook) of device enumeration,
 * probing, context creation, activation quantization, layer creation and
 * forward passes (host pointers, caller cl_mem, caller workspace, enqueued
 * without a wait; GEMV and a chunked GEMM; every qtype) is failed in turn. Each run returns a clear
 * status or succeeds with the exact reference result, the caller's inputs are
 * intact, and after a failed forward the same layer retried without faults
 * gives the exact reference. Leaks are caught by the asan preset. */
#include <string.h>
#include "../../lib/internal.h"
#include "fault.h"
#include "runner.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

/* ---- enumeration and probing ---- */

typedef struct {
  clql_device_info devs[8];
  size_t n;
} device_list;

/* Identity and sizes; free memory moves between runs. */
static int same_device(const clql_device_info *a, const clql_device_info *b) {
  return strcmp(a->name, b->name) == 0 && strcmp(a->vendor, b->vendor) == 0 &&
         strcmp(a->platform_name, b->platform_name) == 0 &&
         strcmp(a->driver_version, b->driver_version) == 0 && a->type == b->type &&
         a->vendor_id == b->vendor_id && a->compute_units == b->compute_units &&
         a->local_mem == b->local_mem && a->memory.total == b->memory.total &&
         a->memory.max_alloc == b->memory.max_alloc &&
         a->memory.free_source == b->memory.free_source && a->device == b->device;
}

static device_list enum_ref;

static clql_status enumerate(device_list *l) {
  l->n = 0;
  clql_status st = clql_devices_get(NULL, 0, &l->n);
  if (st == CLQL_SUCCESS && l->n > 8) l->n = 8;
  if (st == CLQL_SUCCESS) st = clql_devices_get(l->devs, l->n, &l->n);
  return st == CLQL_ERR_BUFFER_TOO_SMALL ? CLQL_SUCCESS : st;
}

/* strict: a run that succeeds must match the reference (a failed query of
 * an optional field with a non-resource error legitimately leaves it empty). */
static clql_status enumerate_scenario(void *user) {
  int strict = user != NULL;
  static device_list l;
  clql_status st = enumerate(&l);
  clql_fault_pause();
  if (st == CLQL_SUCCESS && strict) {
    CU_ASSERT_EQUAL(l.n, enum_ref.n);
    for (size_t i = 0; i < l.n && i < enum_ref.n; i++)
      CU_ASSERT(same_device(&l.devs[i], &enum_ref.devs[i]));
  }
  return st;
}

static void test_enumeration(void) {
  CU_ASSERT_EQUAL_FATAL(enumerate(&enum_ref), CLQL_SUCCESS);
  clql_fault_sweep_all("enumeration", enumerate_scenario, &enum_ref);
  /* A device that answers no optional query: never a crash or a failure. */
  clql_fault_sweep("enumeration, queries unanswered", "clGetDeviceInfo", CL_INVALID_VALUE,
                   enumerate_scenario, NULL);
}

static cl_device_id device;

static void trace_count(const char *source, int answered, const char *detail, void *user) {
  (void)source, (void)answered, (void)detail;
  ++*(int *)user;
}

static clql_status probe_scenario(void *user) {
  (void)user;
  clql_memory_report a, b, c;
  int traced = 0;
  clql_status st = clql_device_memory_refresh(device, &a);
  if (st == CLQL_SUCCESS) st = clql_device_memory(device, &b);
  if (st == CLQL_SUCCESS) st = clql_device_memory_trace(device, &c, trace_count, &traced);
  clql_fault_pause();
  if (st == CLQL_SUCCESS) {
    const clql_memory_report *ref = &enum_ref.devs[0].memory;
    CU_ASSERT(a.total == ref->total && b.total == ref->total && c.total == ref->total);
    CU_ASSERT(a.max_alloc == ref->max_alloc && c.max_alloc == ref->max_alloc);
    CU_ASSERT(a.free_source == ref->free_source && c.free_source == ref->free_source);
    CU_ASSERT(traced > 0);
  }
  return st;
}

static void test_probing(void) {
  CLQL_REQUIRE(enum_ref.n > 0);
  device = enum_ref.devs[0].device;
  clql_fault_sweep_all("probing (refresh, cached, trace)", probe_scenario, NULL);
}

/* clql_context_wrap around the caller's OpenCL objects, with and without its
 * queue: the caller's objects stay usable whatever fails. */
static cl_context own_cl;
static cl_command_queue own_queue;

static clql_status wrap_scenario(void *user) {
  clql_context *ctx = NULL;
  clql_status st = clql_context_wrap(own_cl, device, user ? own_queue : NULL, NULL, &ctx);
  clql_fault_pause();
  if (st == CLQL_SUCCESS) {
    CU_ASSERT(clql_context_cl_context(ctx) == own_cl);
    CU_ASSERT(same_device(clql_context_device_info(ctx), &enum_ref.devs[0]));
  } else {
    CU_ASSERT_PTR_NULL(ctx);
  }
  clql_context_destroy(ctx);
  cl_int err = clFinish(own_queue);
  CU_ASSERT_EQUAL(err, CL_SUCCESS);
  return st;
}

static void test_context_wrap(void) {
  cl_int err = CL_SUCCESS;
  own_cl = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
  CLQL_REQUIRE(own_cl != NULL);
  own_queue = clCreateCommandQueue(own_cl, device, 0, &err);
  CLQL_REQUIRE(own_queue != NULL);
  clql_fault_sweep_all("context wrap", wrap_scenario, NULL);
  clql_fault_sweep_all("context wrap with the caller's queue", wrap_scenario, &own_queue);
  clReleaseCommandQueue(own_queue);
  clReleaseContext(own_cl);
}

/* ---- context creation and activation quantization ---- */

enum { TOKENS = 3, K = 300 };
static float xq[TOKENS * K];

static clql_status quantize(void *user) {
  (void)user;
  clql_context *ctx = NULL;
  cl_mem dx = NULL, dq = NULL, ds = NULL;
  int8_t q[TOKENS * K], qr[TOKENS * K];
  float s[TOKENS], sr[TOKENS], back[TOKENS * K];
  clql_status st = clql_context_create(NULL, NULL, &ctx);
  if (st == CLQL_SUCCESS) {
    /* The test's own buffers (their failures are reported too). */
    cl_context cl = clql_context_cl_context(ctx);
    cl_int err = CL_SUCCESS;
    dx = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof xq, xq, &err);
    if (dx) dq = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof q, NULL, &err);
    if (dq) ds = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof s, NULL, &err);
    st = err == CL_SUCCESS ? clql_quantize_activations(ctx, dx, TOKENS, K, dq, K, ds)
                           : (clql_status)clql_fail((clql_status)err, "test buffer");
  }
  clql_fault_pause();
  if (ctx) {
    cl_command_queue queue = clql_context_queue(ctx);
    if (dx) {
      CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue, dx, CL_TRUE, 0, sizeof back, back, 0, NULL, NULL),
                      CL_SUCCESS);
      CU_ASSERT_EQUAL(memcmp(back, xq, sizeof xq), 0); /* input never touched */
    }
    if (st == CLQL_SUCCESS) {
      CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, sizeof q, q, 0, NULL, NULL),
                      CL_SUCCESS);
      CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue, ds, CL_TRUE, 0, sizeof s, s, 0, NULL, NULL),
                      CL_SUCCESS);
      clql_ref_quantize_activations(xq, TOKENS, K, qr, K, sr);
      CU_ASSERT_EQUAL(memcmp(q, qr, sizeof q), 0);
      CU_ASSERT_EQUAL(memcmp(s, sr, sizeof s), 0);
    }
  }
  if (dx) clReleaseMemObject(dx);
  if (dq) clReleaseMemObject(dq);
  if (ds) clReleaseMemObject(ds);
  clql_context_destroy(ctx);
  return st;
}

static void test_quantize_path(void) {
  for (int i = 0; i < TOKENS * K; i++) xq[i] = clql_test_uniform(-3.0f, 3.0f);
  clql_fault_sweep_all("context + actquant", quantize, NULL);
  clql_fault_sweep_result r = clql_fault_sweep("context + actquant, buffers", "clCreateBuffer",
                                               CL_MEM_OBJECT_ALLOCATION_FAILURE, quantize, NULL);
  CU_ASSERT_EQUAL(r.calls, 3);
  CU_ASSERT_EQUAL(r.failed, 3);
}

/* ---- layers: creation and forward passes ---- */

typedef enum { HOST, MEM, WORKSPACE, ENQUEUE } io_mode;
static const char *const mode_names[] = {"host pointers", "caller cl_mem", "caller workspace",
                                         "caller cl_mem enqueued"};

typedef struct {
  clql_qtype qtype;
  uint32_t group;
  uint64_t batch, max_batch; /* max_batch: 0, or a budget cap that chunks the pass */
  io_mode mode;
  char label[96];
  fixture_weights w;
  uint8_t *packed_copy;
  float *x, *x_copy, *ref, *y;
  cl_mem dx, dy, ws;
} variant;

enum { N = 37, KL = 300 };
static clql_context *ctx;

/* clql_layer_enqueue, then the caller's wait for its event (a call of the
 * scenario, failed in turn like clql's). */
static clql_status enqueue_and_wait(variant *v, clql_layer *L) {
  cl_event done = NULL;
  clql_status st = clql_layer_enqueue(L, v->dx, v->dy, v->batch, &done);
  if (st != CLQL_SUCCESS) {
    CU_ASSERT_PTR_NULL(done);
    clql_layer_stats s;
    CU_ASSERT_EQUAL(clql_layer_get_stats(L, &s), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(s.workspace_allocated, 0); /* a failed pass holds nothing */
    return st;
  }
  cl_int err = clWaitForEvents(1, &done);
  clReleaseEvent(done);
  return err == CL_SUCCESS ? CLQL_SUCCESS
                           : clql_fail((clql_status)err, "waiting for the enqueued pass");
}

static clql_status run_forward(variant *v, clql_layer *L) {
  switch (v->mode) {
  case HOST: return clql_layer_forward(L, v->x, v->batch, v->y);
  case MEM: return clql_layer_forward_mem(L, v->dx, v->dy, v->batch);
  case ENQUEUE: return enqueue_and_wait(v, L);
  default: return clql_layer_forward_workspace(L, v->dx, v->dy, v->batch, v->ws);
  }
}

static clql_status make_layer(variant *v, clql_layer **L) {
  clql_budget_options o = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = v->max_batch};
  return clql_layer_create(ctx, &v->w.packed, v->max_batch ? &o : NULL, L);
}

/* y (read back from dy for the cl_mem modes) equals the reference, bit for bit. */
static void expect_reference(variant *v) {
  size_t bytes = (size_t)(v->batch * N * sizeof(float));
  if (v->mode != HOST)
    CU_ASSERT_EQUAL(clEnqueueReadBuffer(clql_context_queue(ctx), v->dy, CL_TRUE, 0, bytes, v->y,
                                        0, NULL, NULL),
                    CL_SUCCESS);
  CU_ASSERT_EQUAL(fixture_differ(v->y, v->ref, v->batch * N), 0);
}

/* Poison y (and dy) so an element never written cannot match. */
static void poison(variant *v) {
  size_t bytes = (size_t)(v->batch * N * sizeof(float));
  memset(v->y, 0xff, bytes);
  if (v->mode != HOST)
    CU_ASSERT_EQUAL(clEnqueueWriteBuffer(clql_context_queue(ctx), v->dy, CL_TRUE, 0, bytes, v->y,
                                         0, NULL, NULL),
                    CL_SUCCESS);
}

static void expect_inputs_intact(variant *v) {
  size_t xb = (size_t)(v->batch * KL * sizeof(float));
  CU_ASSERT_EQUAL(memcmp(v->x, v->x_copy, xb), 0);
  CU_ASSERT_EQUAL(memcmp(v->w.packed.weights, v->packed_copy, v->w.packed.weights_bytes), 0);
  if (v->mode != HOST) {
    float *back = malloc(xb);
    CLQL_REQUIRE(back != NULL);
    CU_ASSERT_EQUAL(clEnqueueReadBuffer(clql_context_queue(ctx), v->dx, CL_TRUE, 0, xb, back, 0,
                                        NULL, NULL),
                    CL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(back, v->x, xb), 0);
    free(back);
  }
}

static clql_status forward_scenario(void *user) {
  variant *v = user;
  clql_layer *L = NULL;
  clql_status st = make_layer(v, &L);
  if (st == CLQL_SUCCESS) st = run_forward(v, L);
  clql_fault_pause();
  expect_inputs_intact(v);
  if (st == CLQL_SUCCESS) {
    expect_reference(v);
  } else if (L) {
    /* The layer that failed still works, exactly. */
    poison(v);
    clql_status again = run_forward(v, L);
    CU_ASSERT_EQUAL(again, CLQL_SUCCESS);
    if (again == CLQL_SUCCESS) expect_reference(v);
  }
  clql_layer_destroy(L);
  poison(v);
  /* A halving caps the context: forget it, so every run starts alike. */
  CU_ASSERT_EQUAL(clql_context_refresh(ctx), CLQL_SUCCESS);
  return st;
}

static void variant_init(variant *v) {
  fixture_make(&v->w, fixture_shape(N, KL, v->qtype, v->group), W_RANDOM);
  v->packed_copy = malloc(v->w.packed.weights_bytes);
  CLQL_REQUIRE(v->packed_copy != NULL);
  memcpy(v->packed_copy, v->w.packed.weights, v->w.packed.weights_bytes);
  size_t xb = (size_t)(v->batch * KL * sizeof(float));
  v->x = fixture_input(v->batch, KL, X_FLOAT);
  v->x_copy = malloc(xb);
  v->ref = malloc(v->batch * N * sizeof(float));
  v->y = fixture_poisoned(v->batch * N);
  CLQL_REQUIRE(v->x_copy && v->ref);
  memcpy(v->x_copy, v->x, xb);
  CU_ASSERT_EQUAL_FATAL(clql_ref_forward(&v->w.shape, v->w.t, v->w.scales, v->x, v->batch, v->ref),
                        CLQL_SUCCESS);
  cl_context cl = clql_context_cl_context(ctx);
  cl_int err = CL_SUCCESS;
  if (v->mode != HOST) {
    v->dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, xb, v->x, &err);
    v->dy = clCreateBuffer(cl, CL_MEM_READ_WRITE, v->batch * N * sizeof(float), NULL, &err);
    CLQL_REQUIRE(v->dx && v->dy);
  }
  clql_layer *L = NULL;
  CU_ASSERT_EQUAL_FATAL(make_layer(v, &L), CLQL_SUCCESS);
  if (v->mode == WORKSPACE) {
    uint64_t bytes = 0;
    CU_ASSERT_EQUAL_FATAL(clql_layer_workspace_bytes(L, v->batch, &bytes), CLQL_SUCCESS);
    v->ws = clCreateBuffer(cl, CL_MEM_READ_WRITE, (size_t)bytes, NULL, &err);
    CLQL_REQUIRE(v->ws != NULL);
  }
  clql_layer_destroy(L);
  snprintf(v->label, sizeof v->label, "%s %s, %llu token%s%s, %s", clql_qtype_name(v->qtype),
           v->batch == 1 ? "GEMV" : "GEMM", (unsigned long long)v->batch, v->batch == 1 ? "" : "s",
           v->max_batch ? " in chunks" : "", mode_names[v->mode]);
  /* Warm up: build the kernels, so each run makes the same calls. */
  CU_ASSERT_EQUAL(forward_scenario(v), CLQL_SUCCESS);
}

static void variant_free(variant *v) {
  if (v->dx) clReleaseMemObject(v->dx);
  if (v->dy) clReleaseMemObject(v->dy);
  if (v->ws) clReleaseMemObject(v->ws);
  free(v->packed_copy), free(v->x), free(v->x_copy), free(v->ref), free(v->y);
  fixture_free(&v->w);
}

static int layer_setup(void) { return clql_context_create(NULL, NULL, &ctx) == CLQL_SUCCESS ? 0 : 1; }

static int layer_cleanup(void) {
  clql_context_destroy(ctx);
  ctx = NULL;
  return 0;
}

static void sweep_variant(variant v) {
  variant_init(&v);
  clql_fault_sweep_all(v.label, forward_scenario, &v);
  variant_free(&v);
}

static void test_i2s_gemv_host(void) {
  sweep_variant((variant){.qtype = CLQL_QTYPE_I2S, .group = CLQL_GROUP_ROW, .batch = 1});
}

static void test_tl1_gemm_mem(void) {
  sweep_variant((variant){.qtype = CLQL_QTYPE_TL1, .group = 128, .batch = 3, .mode = MEM});
}

static void test_tl2_gemm_workspace(void) {
  sweep_variant(
      (variant){.qtype = CLQL_QTYPE_TL2, .group = CLQL_GROUP_TENSOR, .batch = 2, .mode = WORKSPACE});
}

/* A chunked pass under every fault, then with each buffer out of device
 * memory and each kernel out of resources, which also take the halving path. */
static void sweep_chunked(variant v) {
  variant_init(&v);
  clql_fault_sweep_all(v.label, forward_scenario, &v);
  char label[160];
  snprintf(label, sizeof label, "%s, buffers out of device memory", v.label);
  clql_fault_sweep_result r = clql_fault_sweep(label, "clCreateBuffer",
                                               CL_MEM_OBJECT_ALLOCATION_FAILURE,
                                               forward_scenario, &v);
  CU_ASSERT(r.recovered > 0); /* workspace failures halve the batch and succeed */
  snprintf(label, sizeof label, "%s, kernels out of resources", v.label);
  r = clql_fault_sweep(label, "clEnqueueNDRangeKernel", CL_OUT_OF_RESOURCES, forward_scenario,
                       &v);
  CU_ASSERT(r.recovered > 0);
  variant_free(&v);
}

/* 6 tokens in chunks of 4 and 2. */
static void test_i2s_chunked_host(void) {
  sweep_chunked((variant){.qtype = CLQL_QTYPE_I2S, .group = 96, .batch = 6, .max_batch = 4});
}

static void test_tl1_gemv_workspace(void) {
  sweep_variant((variant){.qtype = CLQL_QTYPE_TL1, .group = CLQL_GROUP_ROW, .batch = 1,
                          .mode = WORKSPACE});
}

static void test_tl2_chunked_mem(void) {
  sweep_variant((variant){.qtype = CLQL_QTYPE_TL2, .group = 192, .batch = 5, .max_batch = 2,
                          .mode = MEM});
}

static void test_i2s_gemv_enqueue(void) {
  sweep_variant(
      (variant){.qtype = CLQL_QTYPE_I2S, .group = CLQL_GROUP_ROW, .batch = 1, .mode = ENQUEUE});
}

/* 7 tokens in chunks of 3, 3 and 1, back to back. */
static void test_tl1_chunked_enqueue(void) {
  sweep_chunked((variant){.qtype = CLQL_QTYPE_TL1, .group = 128, .batch = 7, .max_batch = 3,
                          .mode = ENQUEUE});
}

/* An enqueued pass whose second chunk cannot be enqueued (out of resources)
 * while its first, never waited for, failed on the device (the wait after
 * the failure reports it, as NVIDIA's driver reports a faulted kernel): the
 * device's error comes back, and no retry or halving claims success over
 * the chunk that failed. */
static cl_int fail_fourth_enqueue(void *user, clql_fault_site site, size_t bytes) {
  (void)bytes;
  int *count = user;
  return site == CLQL_FAULT_ENQUEUE && ++*count == 4 ? CL_OUT_OF_RESOURCES : CL_SUCCESS;
}

static void test_enqueue_device_error(void) {
  variant v = {.qtype = CLQL_QTYPE_TL1, .group = 128, .batch = 7, .max_batch = 3,
               .mode = ENQUEUE};
  variant_init(&v);
  clql_layer *L = NULL;
  CU_ASSERT_EQUAL_FATAL(make_layer(&v, &L), CLQL_SUCCESS);
  clql_layer_stats s;
  CU_ASSERT_EQUAL(clql_layer_get_stats(L, &s), CLQL_SUCCESS);
  const uint64_t halvings = s.halvings;
  int enqueues = 0; /* chunk 1: activations, product; chunk 2: activations, product */
  ctx->fault_hook = fail_fourth_enqueue;
  ctx->fault_user = &enqueues;
  clql_fault_arm_call("clFinish", 1, CL_OUT_OF_RESOURCES);
  clql_status st = clql_layer_enqueue(L, v.dx, v.dy, v.batch, NULL);
  clql_fault_pause();
  ctx->fault_hook = NULL;
  CU_ASSERT_EQUAL(st, (clql_status)CL_OUT_OF_RESOURCES);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "clFinish"));
  CU_ASSERT_EQUAL(enqueues, 4); /* nothing enqueued after the failure */
  CU_ASSERT_EQUAL(clql_layer_get_stats(L, &s), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(s.halvings, halvings);
  CU_ASSERT_EQUAL(s.batch_cap, 0);
  CU_ASSERT_EQUAL(s.workspace_allocated, 0);
  poison(&v);
  CU_ASSERT_EQUAL(clql_layer_enqueue(L, v.dx, v.dy, v.batch, NULL), CLQL_SUCCESS);
  expect_reference(&v);
  clql_layer_destroy(L);
  variant_free(&v);
}

/* ---- a fresh context's first forward: the programs are built ---- */

static variant first;

/* Whatever a failed run left (context, layer) must still complete the work. */
static clql_status first_forward_scenario(void *user) {
  (void)user;
  clql_context *own = NULL;
  clql_layer *L = NULL;
  clql_status st = clql_context_create(NULL, NULL, &own);
  if (st == CLQL_SUCCESS) st = clql_layer_create(own, &first.w.packed, NULL, &L);
  if (st == CLQL_SUCCESS) st = clql_layer_forward(L, first.x, first.batch, first.y);
  clql_fault_pause();
  expect_inputs_intact(&first);
  clql_status again = st;
  if (st != CLQL_SUCCESS) {
    memset(first.y, 0xff, first.batch * N * sizeof(float));
    again = own ? CLQL_SUCCESS : clql_context_create(NULL, NULL, &own);
    if (again == CLQL_SUCCESS && !L) again = clql_layer_create(own, &first.w.packed, NULL, &L);
    if (again == CLQL_SUCCESS) again = clql_layer_forward(L, first.x, first.batch, first.y);
    CU_ASSERT_EQUAL(again, CLQL_SUCCESS);
  }
  if (again == CLQL_SUCCESS) CU_ASSERT_EQUAL(fixture_differ(first.y, first.ref, first.batch * N), 0);
  clql_layer_destroy(L);
  clql_context_destroy(own);
  return st;
}

static void test_first_forward(void) {
  first = (variant){.qtype = CLQL_QTYPE_I2S, .group = CLQL_GROUP_ROW, .batch = 2};
  variant_init(&first);
  clql_fault_sweep_all("context + layer + first forward (kernel builds)", first_forward_scenario,
                       NULL);
  /* A device that stops answering altogether at any point. */
  clql_fault_sweep_every("context + layer + first forward, every call from one on", "*",
                         CL_OUT_OF_HOST_MEMORY, first_forward_scenario, NULL);
  variant_free(&first);
}

/* ---- a polling context: each call of its wait failed ---- */

/* Synchronous passes on a context that polls (CLQL_WAIT=poll): clFlush,
 * the status query and the closing clFinish each failed once (with an
 * error no retry mends) give that error, naming the wait, with nothing
 * left running, the inputs intact, and the same layer exact again; a wait
 * for three passes blocks without a status query. Not a sweep: how many
 * status queries a pass takes depends on the device's pace. */
static void test_poll_wait_failures(void) {
  clql_context *const plain = ctx;
  clql_config *cfg = NULL;
  CLQL_REQUIRE(clql_config_create(&cfg) == CLQL_SUCCESS);
  CLQL_REQUIRE(clql_config_set(cfg, "CLQL_WAIT", "poll") == CLQL_SUCCESS);
  clql_status st = clql_context_create(NULL, cfg, &ctx);
  clql_config_destroy(cfg);
  CLQL_REQUIRE(st == CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(clql_context_wait_mode(ctx), "poll");
  const variant kinds[] = {{.qtype = CLQL_QTYPE_I2S, .group = CLQL_GROUP_ROW, .batch = 1, .mode = MEM},
                           {.qtype = CLQL_QTYPE_TL2, .group = CLQL_GROUP_ROW, .batch = 5,
                            .max_batch = 2, .mode = MEM},
                           {.qtype = CLQL_QTYPE_TL1, .group = 128, .batch = 3, .mode = HOST}};
  const char *const calls[] = {"clFlush", "clGetEventInfo", "clFinish"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    variant v = kinds[i];
    variant_init(&v);
    clql_layer *L = NULL;
    CU_ASSERT_EQUAL_FATAL(make_layer(&v, &L), CLQL_SUCCESS);
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
      poison(&v);
      clql_fault_arm_call(calls[c], 1, CL_INVALID_COMMAND_QUEUE);
      st = run_forward(&v, L);
      clql_fault_pause();
      CU_ASSERT_EQUAL(st, (clql_status)CL_INVALID_COMMAND_QUEUE);
      if (st != (clql_status)CL_INVALID_COMMAND_QUEUE)
        printf("\n%s, %s failed: %s\n", v.label, calls[c], clql_status_name(st));
      CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "waiting for the queue"));
      expect_inputs_intact(&v);
      poison(&v);
      CU_ASSERT_EQUAL(run_forward(&v, L), CLQL_SUCCESS);
      expect_reference(&v);
    }
    if (v.mode == MEM) { /* three passes queued: the wait blocks, no status query */
      poison(&v);
      for (int p = 0; p < 3; p++)
        CU_ASSERT_EQUAL(clql_layer_enqueue(L, v.dx, v.dy, v.batch, NULL), CLQL_SUCCESS);
      clql_fault_arm_call("clGetEventInfo", 1, CL_INVALID_COMMAND_QUEUE);
      CU_ASSERT_EQUAL(clql_context_finish(ctx), CLQL_SUCCESS);
      clql_fault_pause();
      expect_reference(&v);
    }
    clql_layer_destroy(L);
    variant_free(&v);
  }
  clql_context_destroy(ctx);
  ctx = plain;
}

static int setup(void) { return clql_fault_available() ? 0 : 1; }

static CU_TestInfo device_tests[] = {{"enumeration", test_enumeration},
                                     {"probing", test_probing},
                                     {"context_wrap", test_context_wrap},
                                     {"quantize_path", test_quantize_path},
                                     CU_TEST_INFO_NULL};

static CU_TestInfo layer_tests[] = {{"i2s_gemv_host", test_i2s_gemv_host},
                                    {"i2s_chunked_host", test_i2s_chunked_host},
                                    {"tl1_gemm_mem", test_tl1_gemm_mem},
                                    {"tl1_gemv_workspace", test_tl1_gemv_workspace},
                                    {"tl2_gemm_workspace", test_tl2_gemm_workspace},
                                    {"tl2_chunked_mem", test_tl2_chunked_mem},
                                    {"i2s_gemv_enqueue", test_i2s_gemv_enqueue},
                                    {"tl1_chunked_enqueue", test_tl1_chunked_enqueue},
                                    {"enqueue_device_error", test_enqueue_device_error},
                                    {"first_forward", test_first_forward},
                                    {"poll_wait_failures", test_poll_wait_failures},
                                    CU_TEST_INFO_NULL};

static int layers_init(void) { return setup() || layer_setup(); }

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "fault_sweep", .pInitFunc = setup, .pTests = device_tests},
    {.pName = "layer_sweep", .pInitFunc = layers_init, .pCleanupFunc = layer_cleanup,
     .pTests = layer_tests},
    CU_SUITE_INFO_NULL};
