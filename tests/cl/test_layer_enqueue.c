/* clql_layer_enqueue: chains of layers enqueued back to back (y of one the x
 * of the next) and waited for once, against the reference chain bit for bit;
 * its event; buffers released while passes are in flight; out of memory at
 * enqueue; failures that wait for the queue; bad input; the ways a context
 * waits (CLQL_WAIT, clql_context_finish). */
#include <signal.h>
#include <unistd.h>
#include "../../lib/internal.h"
#include "../../lib/test_hooks.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

/* Layer i maps dims[i] to dims[i + 1]: narrow and wide in turn, one ragged
 * width, every qtype, row, tensor and group scales. */
enum { LAYERS = 5 };
static const uint64_t dims[LAYERS + 1] = {256, 160, 384, 99, 64, 256};
static const clql_qtype qtypes[LAYERS] = {CLQL_QTYPE_I2S, CLQL_QTYPE_TL1, CLQL_QTYPE_TL2,
                                          CLQL_QTYPE_I2S, CLQL_QTYPE_TL1};
static const uint32_t groups[LAYERS] = {CLQL_GROUP_ROW, 128, CLQL_GROUP_TENSOR, 64,
                                        CLQL_GROUP_ROW};

typedef struct {
  uint64_t batch;
  fixture_weights w[LAYERS];
  clql_layer *layer[LAYERS];
  cl_mem act[LAYERS + 1]; /* act[0] is x; act[i + 1] is layer i's y */
  float *x, *ref;         /* ref: the reference chain's last output */
} chain;

static cl_command_queue queue(void) { return clql_context_queue(clql_test_ctx); }

/* Not an event: a failed call must overwrite it with NULL. */
static char not_an_event;
#define STALE_EVENT ((cl_event)(void *)&not_an_event)

static cl_mem buffer_of(uint64_t floats, const float *init) {
  cl_int err = CL_SUCCESS;
  cl_mem m = clCreateBuffer(clql_context_cl_context(clql_test_ctx),
                            CL_MEM_READ_WRITE | (init ? CL_MEM_COPY_HOST_PTR : 0),
                            floats * sizeof(float), (void *)init, &err);
  CLQL_REQUIRE(err == CL_SUCCESS && m);
  return m;
}

/* Poison every activation buffer but x, so that an element never written
 * cannot match. */
static void poison(chain *c) {
  for (int i = 1; i <= LAYERS; i++) {
    float *p = fixture_poisoned(c->batch * dims[i]);
    CU_ASSERT_EQUAL(clEnqueueWriteBuffer(queue(), c->act[i], CL_TRUE, 0,
                                         c->batch * dims[i] * sizeof(float), p, 0, NULL, NULL),
                    CL_SUCCESS);
    free(p);
  }
}

/* budget_tokens: 0, or a budget of the weights plus the workspace of that
 * many tokens, so that larger batches run in chunks. */
static void chain_make(chain *c, uint64_t batch, uint64_t budget_tokens) {
  memset(c, 0, sizeof *c);
  c->batch = batch;
  c->x = fixture_input(batch, dims[0], X_FLOAT);
  float *in = c->x;
  for (int i = 0; i < LAYERS; i++) {
    fixture_make(&c->w[i], fixture_shape(dims[i + 1], dims[i], qtypes[i], groups[i]), W_RANDOM);
    clql_budget_options opts = {.set = CLQL_BUDGET_LIMIT};
    if (budget_tokens) {
      clql_workspace_bytes ws;
      CU_ASSERT_EQUAL_FATAL(clql_layout_workspace_bytes(&c->w[i].shape, budget_tokens, 0, &ws),
                            CLQL_SUCCESS);
      opts.limit = c->w[i].packed.weights_bytes + c->w[i].packed.scales_bytes + ws.total;
    }
    clql_status st =
        clql_layer_create(clql_test_ctx, &c->w[i].packed, budget_tokens ? &opts : NULL,
                          &c->layer[i]);
    if (st != CLQL_SUCCESS) printf("\n%s: %s\n", clql_status_name(st), clql_last_error_detail());
    CU_ASSERT_EQUAL_FATAL(st, CLQL_SUCCESS);
    float *out = fixture_poisoned(batch * dims[i + 1]);
    CU_ASSERT_EQUAL_FATAL(
        clql_ref_forward(&c->w[i].shape, c->w[i].t, c->w[i].scales, in, batch, out), CLQL_SUCCESS);
    if (in != c->x) free(in);
    in = out;
  }
  c->ref = in;
  /* One layer on another kernel block (the portable kernels; with
   * CLQL_KERNELS=ksplit, the K-split ones with 2 tokens per work-item). */
  CU_ASSERT_EQUAL(clql_layer_set_block(c->layer[2], 4, 2), CLQL_SUCCESS);
  c->act[0] = buffer_of(batch * dims[0], c->x);
  for (int i = 1; i <= LAYERS; i++) c->act[i] = buffer_of(batch * dims[i], NULL);
  poison(c);
}

static void chain_free(chain *c) {
  for (int i = 0; i < LAYERS; i++) {
    clql_layer_destroy(c->layer[i]);
    fixture_free(&c->w[i]);
  }
  for (int i = 0; i <= LAYERS; i++)
    if (c->act[i]) clReleaseMemObject(c->act[i]);
  free(c->x), free(c->ref);
}

/* Every layer enqueued, the last one's event in *done (NULL: not asked). */
static void chain_enqueue(chain *c, cl_event *done) {
  for (int i = 0; i < LAYERS; i++) {
    clql_status st = clql_layer_enqueue(c->layer[i], c->act[i], c->act[i + 1], c->batch,
                                        i == LAYERS - 1 ? done : NULL);
    if (st != CLQL_SUCCESS) printf("\nlayer %d: %s: %s\n", i, clql_status_name(st),
                                   clql_last_error_detail());
    CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
  }
}

/* The chain's output, read on q, equals the reference bit for bit. */
static void expect_reference(const chain *c, cl_command_queue q) {
  uint64_t count = c->batch * dims[LAYERS];
  float *y = fixture_poisoned(count);
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(q, c->act[LAYERS], CL_TRUE, 0, count * sizeof(float), y, 0,
                                      NULL, NULL),
                  CL_SUCCESS);
  uint64_t bad = fixture_differ(y, c->ref, count);
  CU_ASSERT_EQUAL(bad, 0);
  if (bad) printf("\n%llu outputs differ from the reference\n", (unsigned long long)bad);
  free(y);
}

static cl_int event_status(cl_event e) {
  cl_int status = CL_QUEUED;
  CU_ASSERT_EQUAL(clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status,
                                 NULL),
                  CL_SUCCESS);
  return status;
}

static clql_layer_stats stats_of(const clql_layer *layer) {
  clql_layer_stats s;
  CU_ASSERT_EQUAL(clql_layer_get_stats(layer, &s), CLQL_SUCCESS);
  return s;
}

/* ---- chains ---- */

static void run_chain(uint64_t batch, uint64_t budget_tokens) {
  chain c;
  chain_make(&c, batch, budget_tokens);
  chain_enqueue(&c, NULL);
  CU_ASSERT_EQUAL(clFinish(queue()), CL_SUCCESS);
  expect_reference(&c, queue());
  for (int i = 0; i < LAYERS; i++) {
    clql_layer_stats s = stats_of(c.layer[i]);
    if (budget_tokens) {
      CU_ASSERT_EQUAL(s.plan.limited_by, CLQL_LIMITED_BY_BUDGET);
      CU_ASSERT(s.plan.batch >= budget_tokens && s.plan.batch < batch);
    }
    CU_ASSERT_EQUAL(s.chunks, (batch + s.plan.batch - 1) / s.plan.batch);
    /* the context's workspace, kept for the next pass, serves every chunk */
    CU_ASSERT(s.workspace_batch >= s.plan.batch);
  }
  /* Again on the held workspaces, twice before one wait: the second token
   * overwrites the same activations in order. */
  poison(&c);
  chain_enqueue(&c, NULL);
  chain_enqueue(&c, NULL);
  CU_ASSERT_EQUAL(clFinish(queue()), CL_SUCCESS);
  expect_reference(&c, queue());
  chain_free(&c);
}

static void test_chain_gemv(void) { run_chain(1, 0); }

/* 70 tokens where the budget holds the workspace of 5 (whole pages of
 * CLQL_WORKSPACE_ALIGN: 10 to 32 tokens): every layer chunks. */
static void test_chain_chunked(void) { run_chain(70, 5); }

/* ---- the event ---- */

/* done completes when y is written, all chunks of it: read through a second
 * queue, which does not wait for the context's. */
static void test_done_event(void) {
  chain c;
  chain_make(&c, 70, 5);
  cl_event done = NULL;
  chain_enqueue(&c, &done);
  CLQL_REQUIRE(done != NULL);
  CU_ASSERT_EQUAL(clWaitForEvents(1, &done), CL_SUCCESS);
  CU_ASSERT_EQUAL(event_status(done), CL_COMPLETE);
  cl_command_type type = 0;
  cl_command_queue on = NULL;
  CU_ASSERT_EQUAL(clGetEventInfo(done, CL_EVENT_COMMAND_TYPE, sizeof type, &type, NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(clGetEventInfo(done, CL_EVENT_COMMAND_QUEUE, sizeof on, &on, NULL), CL_SUCCESS);
  CU_ASSERT_EQUAL(type, CL_COMMAND_NDRANGE_KERNEL);
  CU_ASSERT_PTR_EQUAL(on, queue());
  cl_int err = CL_SUCCESS;
  cl_command_queue other = clCreateCommandQueue(clql_context_cl_context(clql_test_ctx),
                                                clql_context_device(clql_test_ctx), 0, &err);
  CLQL_REQUIRE(other != NULL);
  expect_reference(&c, other);
  clReleaseEvent(done);
  clReleaseCommandQueue(other);
  chain_free(&c);
}

/* The first command's event: a kernel of the context's queue, profiled
 * (the context's queue profiles), starting no later than done ends; the
 * same event as done where the pass is one launch (the x86 GEMV), another
 * where it is two or several chunks. Bad input leaves both NULL. */
/* A layer of random n x k weights (kept in *w) with row scales. */
static clql_layer *random_layer(fixture_weights *w, uint64_t n, uint64_t k, clql_qtype q) {
  fixture_make(w, fixture_shape(n, k, q, CLQL_GROUP_ROW), W_RANDOM);
  clql_layer *layer = NULL;
  CLQL_REQUIRE(clql_layer_create(clql_test_ctx, &w->packed, NULL, &layer) == CLQL_SUCCESS);
  return layer;
}

static void test_first_event(void) {
  fixture_weights w;
  clql_layer *layer = random_layer(&w, 40, 300, CLQL_QTYPE_TL1);
  cl_mem dx = buffer_of(3 * 300, NULL), dy = buffer_of(3 * 40, NULL);
  for (uint64_t batch = 1; batch <= 3; batch += 2) {
    cl_event first = STALE_EVENT, done = STALE_EVENT;
    const uint64_t launches = clql_context_launches(clql_test_ctx);
    CU_ASSERT_EQUAL(clql_layer_enqueue_events(layer, dx, dy, batch, &first, &done), CLQL_SUCCESS);
    const uint64_t used = clql_context_launches(clql_test_ctx) - launches;
    CLQL_REQUIRE(first != NULL && done != NULL && first != STALE_EVENT);
    CU_ASSERT_EQUAL(clWaitForEvents(1, &done), CL_SUCCESS);
    CU_ASSERT_EQUAL(used, batch == 1 && strcmp(clql_layer_kernels(layer), "x86") == 0 ? 1 : 2);
    if (used == 1) CU_ASSERT_PTR_EQUAL(first, done);
    if (used > 1) CU_ASSERT_PTR_NOT_EQUAL(first, done);
    cl_command_type type = 0;
    cl_command_queue on = NULL;
    CU_ASSERT_EQUAL(clGetEventInfo(first, CL_EVENT_COMMAND_TYPE, sizeof type, &type, NULL),
                    CL_SUCCESS);
    CU_ASSERT_EQUAL(clGetEventInfo(first, CL_EVENT_COMMAND_QUEUE, sizeof on, &on, NULL),
                    CL_SUCCESS);
    CU_ASSERT_EQUAL(type, CL_COMMAND_NDRANGE_KERNEL);
    CU_ASSERT_PTR_EQUAL(on, queue());
    cl_ulong start = 0, end = 0;
    CU_ASSERT_EQUAL(clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_START, sizeof start,
                                            &start, NULL),
                    CL_SUCCESS);
    CU_ASSERT_EQUAL(
        clGetEventProfilingInfo(done, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL),
        CL_SUCCESS);
    CU_ASSERT(start > 0 && start <= end);
    clReleaseEvent(first);
    clReleaseEvent(done);
  }
  cl_event first = STALE_EVENT, done = STALE_EVENT;
  CU_ASSERT_EQUAL(clql_layer_enqueue_events(layer, dx, dy, 0, &first, &done),
                  CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_PTR_NULL(first);
  CU_ASSERT_PTR_NULL(done);
  first = STALE_EVENT;
  CU_ASSERT_EQUAL(clql_layer_enqueue_events(NULL, dx, dy, 1, &first, NULL),
                  CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(first);
  clReleaseMemObject(dx), clReleaseMemObject(dy);
  clql_layer_destroy(layer);
  fixture_free(&w);
}

static void waited(int sig) {
  static const char msg[] = "\nclql_layer_enqueue waited for the queue\n";
  (void)sig;
  if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) _exit(2);
  _exit(1);
}

/* Nothing waits: behind a command of the caller's that waits for a user
 * event, the whole chunked chain is enqueued and none of it has run. A call
 * that waited would never return (the alarm ends the test). */
static void test_no_wait(void) {
  chain c;
  chain_make(&c, 70, 5);
  cl_int err = CL_SUCCESS;
  cl_event gate = clCreateUserEvent(clql_context_cl_context(clql_test_ctx), &err);
  CLQL_REQUIRE(gate != NULL);
  CU_ASSERT_EQUAL(clEnqueueMarkerWithWaitList(queue(), 1, &gate, NULL), CL_SUCCESS);
  cl_event done = NULL;
  signal(SIGALRM, waited);
  alarm(120);
  chain_enqueue(&c, &done);
  alarm(0);
  signal(SIGALRM, SIG_DFL);
  CLQL_REQUIRE(done != NULL);
  CU_ASSERT_NOT_EQUAL(event_status(done), CL_COMPLETE);
  CU_ASSERT_EQUAL(clSetUserEventStatus(gate, CL_COMPLETE), CL_SUCCESS);
  CU_ASSERT_EQUAL(clWaitForEvents(1, &done), CL_SUCCESS);
  expect_reference(&c, queue());
  clReleaseEvent(done);
  clReleaseEvent(gate);
  chain_free(&c);
}

/* Workspaces replaced, released and a layer destroyed while its passes are
 * still queued: OpenCL keeps the buffers until the commands complete. */
static void test_release_in_flight(void) {
  chain c;
  chain_make(&c, 4, 0);
  cl_mem extra = buffer_of(dims[1], NULL);
  float *one = fixture_poisoned(dims[1]);
  CU_ASSERT_EQUAL(clql_ref_forward(&c.w[0].shape, c.w[0].t, c.w[0].scales, c.x, 1, one),
                  CLQL_SUCCESS);
  /* Held behind a user event, so that nothing has run when the buffers go. */
  cl_int err = CL_SUCCESS;
  cl_event gate = clCreateUserEvent(clql_context_cl_context(clql_test_ctx), &err);
  CLQL_REQUIRE(gate != NULL);
  CU_ASSERT_EQUAL(clEnqueueMarkerWithWaitList(queue(), 1, &gate, NULL), CL_SUCCESS);
  chain_enqueue(&c, NULL);
  /* A pass of another batch replaces the context's workspace behind the first. */
  clql_layer_release_workspace(c.layer[0]);
  CU_ASSERT_EQUAL(clql_layer_enqueue(c.layer[0], c.act[0], extra, 1, NULL), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(stats_of(c.layer[0]).workspace_batch, 1);
  clql_layer_release_workspace(c.layer[1]);
  clql_layer_destroy(c.layer[LAYERS - 1]);
  c.layer[LAYERS - 1] = NULL;
  CU_ASSERT_EQUAL(clSetUserEventStatus(gate, CL_COMPLETE), CL_SUCCESS);
  CU_ASSERT_EQUAL(clFinish(queue()), CL_SUCCESS);
  clReleaseEvent(gate);
  expect_reference(&c, queue());
  float *y = fixture_poisoned(dims[1]);
  CU_ASSERT_EQUAL(
      clEnqueueReadBuffer(queue(), extra, CL_TRUE, 0, dims[1] * sizeof(float), y, 0, NULL, NULL),
      CL_SUCCESS);
  CU_ASSERT_EQUAL(fixture_differ(y, one, dims[1]), 0);
  clReleaseMemObject(extra);
  free(one), free(y);
  chain_free(&c);
}

/* ---- failures ---- */

typedef struct {
  int enqueues, fail_at;
  cl_int error;
} enqueue_faults;

static cl_int fail_enqueue(void *user, clql_fault_site site, size_t bytes) {
  (void)bytes;
  enqueue_faults *f = user;
  return site == CLQL_FAULT_ENQUEUE && ++f->enqueues == f->fail_at ? f->error : CL_SUCCESS;
}

static void with_faults(enqueue_faults *f) {
  clql_test_ctx->fault_hook = f ? fail_enqueue : NULL;
  clql_test_ctx->fault_user = f;
}

/* Out of resources at the enqueue of a chunk's product: the layer halves
 * its batch and redoes that chunk; the chain is still exact. */
static void test_oom_at_enqueue(void) {
  chain c;
  chain_make(&c, 8, 0);
  clql_budget_options opts = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 4};
  clql_layer *capped = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(clql_test_ctx, &c.w[1].packed, &opts, &capped),
                        CLQL_SUCCESS);
  clql_layer_destroy(c.layer[1]);
  c.layer[1] = capped;
  /* Layer 0 enqueues 2 kernels; layer 1's second chunk's product is the 6th. */
  enqueue_faults f = {.fail_at = 6, .error = CL_OUT_OF_RESOURCES};
  const uint64_t before = stats_of(capped).halvings;
  with_faults(&f);
  chain_enqueue(&c, NULL);
  with_faults(NULL);
  CU_ASSERT_EQUAL(clFinish(queue()), CL_SUCCESS);
  expect_reference(&c, queue());
  clql_layer_stats s = stats_of(capped);
  CU_ASSERT_EQUAL(s.halvings, before + 1);
  CU_ASSERT_EQUAL(s.plan.batch, 2);
  CU_ASSERT_EQUAL(s.batch_cap, 2); /* the cap is the context's */
  CU_ASSERT_EQUAL(stats_of(c.layer[2]).batch_cap, 2);
  CU_ASSERT_EQUAL(s.chunks, 3); /* 4, then the failed 4 as 2 + 2 */
  /* a fresh probe forgets the cap */
  CU_ASSERT_EQUAL(clql_context_refresh(clql_test_ctx), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(stats_of(capped).batch_cap, 0);
  chain_free(&c);
}

/* Any failure returns with the queue drained (the earlier layers' passes
 * complete without a wait of the caller's), no event and no workspace. */
static void test_failure_waits(void) {
  chain c;
  chain_make(&c, 2, 0);
  cl_event first = NULL, done = NULL;
  CU_ASSERT_EQUAL(clql_layer_enqueue(c.layer[0], c.act[0], c.act[1], 2, &first), CLQL_SUCCESS);
  const uint64_t halvings = stats_of(c.layer[1]).halvings;
  enqueue_faults f = {.fail_at = 2, .error = CL_INVALID_KERNEL_ARGS};
  with_faults(&f);
  done = STALE_EVENT;
  CU_ASSERT_EQUAL(clql_layer_enqueue(c.layer[1], c.act[1], c.act[2], 2, &done),
                  CL_INVALID_KERNEL_ARGS);
  with_faults(NULL);
  CU_ASSERT_PTR_NULL(done);
  CU_ASSERT_EQUAL(event_status(first), CL_COMPLETE);
  CU_ASSERT_EQUAL(stats_of(c.layer[1]).workspace_allocated, 0);
  CU_ASSERT_EQUAL(stats_of(c.layer[1]).halvings, halvings); /* not an out-of-memory error */
  clReleaseEvent(first);
  /* Bad input waits too. */
  CU_ASSERT_EQUAL(clql_layer_enqueue(c.layer[0], c.act[0], c.act[1], 2, &first), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_layer_enqueue(c.layer[1], c.act[1], c.act[2], 0, &done),
                  CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(event_status(first), CL_COMPLETE);
  clReleaseEvent(first);
  /* The layer still works. */
  poison(&c);
  chain_enqueue(&c, NULL);
  CU_ASSERT_EQUAL(clFinish(queue()), CL_SUCCESS);
  expect_reference(&c, queue());
  chain_free(&c);
}

/* The statuses of clql_layer_forward_mem for the same input, and no event. */
static void test_bad_input(void) {
  fixture_weights w;
  clql_layer *layer = random_layer(&w, 40, 100, CLQL_QTYPE_I2S);
  cl_mem dx = buffer_of(2 * 100, NULL), dy = buffer_of(2 * 40, NULL);
  clql_context *other = NULL;
  CLQL_REQUIRE(clql_context_create(NULL, NULL, &other) == CLQL_SUCCESS);
  cl_int err = CL_SUCCESS;
  cl_mem foreign =
      clCreateBuffer(clql_context_cl_context(other), CL_MEM_READ_WRITE, 4096, NULL, &err);
  CLQL_REQUIRE(foreign != NULL);
  const struct {
    clql_layer *layer;
    cl_mem x, y;
    uint64_t batch;
    clql_status expect;
  } cases[] = {
      {NULL, dx, dy, 1, CLQL_ERR_INVALID_ARGUMENT},
      {layer, NULL, dy, 1, CLQL_ERR_INVALID_ARGUMENT},
      {layer, dx, NULL, 1, CLQL_ERR_INVALID_ARGUMENT},
      {layer, dx, dx, 1, CLQL_ERR_INVALID_ARGUMENT},
      {layer, dx, dy, 0, CLQL_ERR_INVALID_SHAPE},
      {layer, dx, dy, UINT64_MAX / 8, CLQL_ERR_SIZE_OVERFLOW},
      {layer, dx, dy, 3, CLQL_ERR_BUFFER_TOO_SMALL},
      {layer, foreign, dy, 1, CLQL_ERR_INVALID_ARGUMENT},
      {layer, dx, foreign, 1, CLQL_ERR_INVALID_ARGUMENT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cl_event done = STALE_EVENT;
    clql_status st = clql_layer_enqueue(cases[i].layer, cases[i].x, cases[i].y, cases[i].batch,
                                        &done);
    CU_ASSERT_EQUAL(st, cases[i].expect);
    CU_ASSERT_EQUAL(clql_layer_forward_mem(cases[i].layer, cases[i].x, cases[i].y,
                                           cases[i].batch),
                    cases[i].expect);
    CU_ASSERT_PTR_NULL(done);
    if (st != cases[i].expect) printf("\ncase %zu: %s: %s\n", i, clql_status_name(st),
                                      clql_last_error_detail());
  }
  /* Still works, without asking for an event. */
  CU_ASSERT_EQUAL(clql_layer_enqueue(layer, dx, dy, 2, NULL), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clFinish(queue()), CL_SUCCESS);
  clReleaseMemObject(foreign);
  clql_context_destroy(other);
  clReleaseMemObject(dx), clReleaseMemObject(dy);
  clql_layer_destroy(layer);
  fixture_free(&w);
}

/* ---- waiting: CLQL_WAIT and clql_context_finish ---- */

/* A context on the test device with CLQL_WAIT = mode (NULL: unset). */
static clql_context *context_waiting(const char *mode) {
  clql_config *cfg = NULL;
  CLQL_REQUIRE(clql_config_create(&cfg) == CLQL_SUCCESS);
  if (mode) CLQL_REQUIRE(clql_config_set(cfg, "CLQL_WAIT", mode) == CLQL_SUCCESS);
  const clql_device_info *d = clql_context_device_info(clql_test_ctx);
  char sel[32];
  snprintf(sel, sizeof sel, "%u:%u", d->platform_index, d->device_index);
  clql_context *ctx = NULL;
  clql_status st = clql_context_create(sel, cfg, &ctx);
  clql_config_destroy(cfg);
  CLQL_REQUIRE(st == CLQL_SUCCESS);
  return ctx;
}

/* auto polls exactly on PoCL's CPU device with POCL_AFFINITY=1 (PoCL reads
 * any value starting with 1 as true); poll and block are what they say. */
static void test_wait_modes(void) {
  const clql_device_info *d = clql_context_device_info(clql_test_ctx);
  const int pocl_cpu = (d->type & CL_DEVICE_TYPE_CPU) &&
                       strstr(d->platform_name, "Portable Computing Language") != NULL;
  const char *was = getenv("POCL_AFFINITY");
  char *saved = was ? strdup(was) : NULL;
  const struct {
    const char *affinity, *mode;
    int polls;
  } cases[] = {{"1", NULL, pocl_cpu},  {"1", "auto", pocl_cpu}, {"10", "auto", pocl_cpu},
               {"0", "auto", 0},       {"", "auto", 0},         {NULL, "auto", 0},
               {"true", "auto", 0},    {"1", "block", 0},       {NULL, "poll", 1},
               {"0", "poll", 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (cases[i].affinity) setenv("POCL_AFFINITY", cases[i].affinity, 1);
    else unsetenv("POCL_AFFINITY");
    clql_context *ctx = context_waiting(cases[i].mode);
    const char *want = cases[i].polls ? "poll" : "block";
    if (strcmp(clql_context_wait_mode(ctx), want) != 0)
      printf("\nPOCL_AFFINITY=%s CLQL_WAIT=%s: %s, not %s\n",
             cases[i].affinity ? cases[i].affinity : "(unset)",
             cases[i].mode ? cases[i].mode : "(unset)", clql_context_wait_mode(ctx), want);
    CU_ASSERT_STRING_EQUAL(clql_context_wait_mode(ctx), want);
    CU_ASSERT_EQUAL(clql_context_finish(ctx), CLQL_SUCCESS); /* nothing enqueued yet */
    clql_context_destroy(ctx);
  }
  if (saved) setenv("POCL_AFFINITY", saved, 1);
  else unsetenv("POCL_AFFINITY");
  free(saved);
  CU_ASSERT_PTR_NULL(clql_context_wait_mode(NULL));
  CU_ASSERT_EQUAL(clql_context_finish(NULL), CLQL_ERR_INVALID_ARGUMENT);
}

/* A polling context: synchronous passes (one launch, two, chunks) equal the
 * reference; clql_context_finish also waits for what the caller enqueued
 * after clql's last launch, both where it polls (one pass enqueued) and
 * where it blocks (the whole chain). */
static void test_poll_waits(void) {
  clql_context *const shared = clql_test_ctx;
  clql_test_ctx = context_waiting("poll");
  for (uint64_t batch = 1; batch <= 70; batch += 69) {
    chain c;
    chain_make(&c, batch, batch > 1 ? 5 : 0);
    for (int i = 0; i < LAYERS; i++)
      CU_ASSERT_EQUAL(clql_layer_forward_mem(c.layer[i], c.act[i], c.act[i + 1], batch),
                      CLQL_SUCCESS);
    expect_reference(&c, queue());
    for (int whole = 1; whole >= 0; whole--) {
      if (whole) {
        poison(&c);
        chain_enqueue(&c, NULL);
      } else { /* the last layer alone, on the input the chain left */
        float *p = fixture_poisoned(batch * dims[LAYERS]);
        CU_ASSERT_EQUAL(clEnqueueWriteBuffer(queue(), c.act[LAYERS], CL_TRUE, 0,
                                             batch * dims[LAYERS] * sizeof(float), p, 0, NULL, NULL),
                        CL_SUCCESS);
        free(p);
        CU_ASSERT_EQUAL(clql_layer_enqueue(c.layer[LAYERS - 1], c.act[LAYERS - 1], c.act[LAYERS],
                                           batch > 1 ? 5 : 1, NULL),
                        CLQL_SUCCESS);
      }
      const uint64_t count = (whole ? batch : batch > 1 ? 5 : 1) * dims[LAYERS];
      float *y = fixture_poisoned(count);
      cl_event read = NULL;
      CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue(), c.act[LAYERS], CL_FALSE, 0,
                                          count * sizeof(float), y, 0, NULL, &read),
                      CL_SUCCESS);
      CU_ASSERT_EQUAL(clql_context_finish(clql_test_ctx), CLQL_SUCCESS);
      CU_ASSERT_EQUAL(event_status(read), CL_COMPLETE);
      CU_ASSERT_EQUAL(fixture_differ(y, c.ref, count), 0);
      clReleaseEvent(read);
      free(y);
    }
    chain_free(&c);
  }
  clql_context_destroy(clql_test_ctx);
  clql_test_ctx = shared;
}

static CU_TestInfo enqueue_tests[] = {{"chain_gemv", test_chain_gemv},
                                      {"chain_chunked", test_chain_chunked},
                                      {"done_event", test_done_event},
                                      {"first_event", test_first_event},
                                      {"no_wait", test_no_wait},
                                      {"release_in_flight", test_release_in_flight},
                                      {"oom_at_enqueue", test_oom_at_enqueue},
                                      {"failure_waits", test_failure_waits},
                                      {"bad_input", test_bad_input},
                                      {"wait_modes", test_wait_modes},
                                      {"poll_waits", test_poll_waits},
                                      CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "layer_enqueue",
                                    .pInitFunc = clql_test_context_open,
                                    .pCleanupFunc = clql_test_context_close,
                                    .pTests = enqueue_tests},
                                   CU_SUITE_INFO_NULL};
