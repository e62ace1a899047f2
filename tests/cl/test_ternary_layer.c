/* The layer API: its three ways in, plans against allocations, chunking,
 * the out-of-memory halving (through the context's fault hook), logging and
 * bad input. Every result is compared with the reference bit for bit. */
#include "../../lib/internal.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

/* ---- helpers ---- */

/* The out-of-memory tests run on a context of their own: a halving caps
 * the whole context it happens on. */
static clql_context *test_ctx;
static clql_context *cur_ctx(void) { return test_ctx ? test_ctx : clql_test_ctx; }

static cl_mem device_copy(const float *v, uint64_t count) {
  cl_int err;
  cl_mem m = clCreateBuffer(clql_context_cl_context(cur_ctx()),
                            CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, count * sizeof(float),
                            (void *)v, &err);
  CLQL_REQUIRE(err == CL_SUCCESS);
  return m;
}

static float *read_back(cl_mem m, uint64_t count) {
  float *v = malloc(count * sizeof *v);
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(clql_context_queue(cur_ctx()), m, CL_TRUE, 0,
                                      count * sizeof *v, v, 0, NULL, NULL),
                  CL_SUCCESS);
  return v;
}

/* y equals the reference of x through w, bit for bit, every element written. */
static void expect_reference(const fixture_weights *w, const float *x, uint64_t batch,
                             const float *y) {
  float *ref = fixture_poisoned(batch * w->shape.n);
  CU_ASSERT_EQUAL(clql_ref_forward(&w->shape, w->t, w->scales, x, batch, ref), CLQL_SUCCESS);
  uint64_t bad = fixture_differ(y, ref, batch * w->shape.n);
  CU_ASSERT_EQUAL(bad, 0);
  if (bad) printf("\n%llu outputs differ from the reference\n", (unsigned long long)bad);
  free(ref);
}

static clql_layer *make_layer(const fixture_weights *w, const clql_budget_options *opts) {
  clql_layer *layer = NULL;
  clql_status st =
      clql_layer_create(cur_ctx(), &w->packed, opts, &layer);
  if (st != CLQL_SUCCESS) printf("\n%s: %s\n", clql_status_name(st), clql_last_error_detail());
  CU_ASSERT_EQUAL_FATAL(st, CLQL_SUCCESS);
  return layer;
}

static clql_layer_stats stats_of(const clql_layer *layer) {
  clql_layer_stats s;
  CU_ASSERT_EQUAL(clql_layer_get_stats(layer, &s), CLQL_SUCCESS);
  return s;
}

/* ---- the three ways in ---- */

static void test_entry_points(void) {
  for (int q = 0; q < 3; q++) {
    fixture_weights w;
    fixture_make(&w, fixture_shape(99, 500, (clql_qtype)q, CLQL_GROUP_ROW), W_RANDOM);
    const uint64_t batch = 6;
    float *x = fixture_input(batch, 500, X_FLOAT), *y = fixture_poisoned(batch * 99);
    clql_layer *layer = make_layer(&w, NULL);
    /* host pointers */
    CU_ASSERT_EQUAL(clql_layer_forward(layer, x, batch, y), CLQL_SUCCESS);
    expect_reference(&w, x, batch, y);
    /* caller buffers, no staging */
    cl_mem dx = device_copy(x, batch * 500), dy = device_copy(y, batch * 99);
    float *poison = fixture_poisoned(batch * 99);
    CU_ASSERT_EQUAL(clEnqueueWriteBuffer(clql_context_queue(clql_test_ctx), dy, CL_TRUE, 0,
                                         batch * 99 * sizeof(float), poison, 0, NULL, NULL),
                    CL_SUCCESS);
    CU_ASSERT_EQUAL(clql_layer_forward_mem(layer, dx, dy, batch), CLQL_SUCCESS);
    float *ym = read_back(dy, batch * 99);
    expect_reference(&w, x, batch, ym);
    /* the host pass's input and output parts serve this one too */
    CU_ASSERT_EQUAL(stats_of(layer).workspace_flags, CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT);
    clql_layer_release_workspace(layer);
    CU_ASSERT_EQUAL(clql_layer_forward_mem(layer, dx, dy, batch), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(stats_of(layer).workspace_flags, 0); /* alone: no input/output parts */
    /* the caller's workspace: ask the size, then pass the buffer */
    uint64_t bytes = 0;
    CU_ASSERT_EQUAL(clql_layer_workspace_bytes(layer, batch, &bytes), CLQL_SUCCESS);
    clql_workspace_bytes ws;
    CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&w.shape, batch, 0, &ws), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(bytes, ws.total);
    cl_int err;
    cl_mem small = clCreateBuffer(clql_context_cl_context(clql_test_ctx), CL_MEM_READ_WRITE,
                                  bytes - 1, NULL, &err);
    CU_ASSERT_EQUAL(clql_layer_forward_workspace(layer, dx, dy, batch, small),
                    CLQL_ERR_WORKSPACE_TOO_SMALL);
    CU_ASSERT_EQUAL(clql_layer_forward_workspace(layer, dx, dy, batch, NULL),
                    CLQL_ERR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(clql_layer_forward_workspace(layer, dx, dy, batch, dx),
                    CLQL_ERR_INVALID_ARGUMENT); /* would overwrite the input */
    cl_mem mine = clCreateBuffer(clql_context_cl_context(clql_test_ctx), CL_MEM_READ_WRITE, bytes,
                                 NULL, &err);
    CU_ASSERT_EQUAL(clEnqueueWriteBuffer(clql_context_queue(clql_test_ctx), dy, CL_TRUE, 0,
                                         batch * 99 * sizeof(float), poison, 0, NULL, NULL),
                    CL_SUCCESS);
    CU_ASSERT_EQUAL(clql_layer_forward_workspace(layer, dx, dy, batch, mine), CLQL_SUCCESS);
    float *yw = read_back(dy, batch * 99);
    expect_reference(&w, x, batch, yw);
    /* a sub-buffer cannot hold sub-buffers: a status, not a crash */
    cl_buffer_region region = {0, (size_t)bytes - 4096};
    cl_mem sub =
        clCreateSubBuffer(mine, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &region, &err);
    CU_ASSERT_NOT_EQUAL(clql_layer_forward_workspace(layer, dx, dy, batch, sub), CLQL_SUCCESS);
    clReleaseMemObject(sub), clReleaseMemObject(mine), clReleaseMemObject(small);
    clReleaseMemObject(dx), clReleaseMemObject(dy);
    clql_layer_destroy(layer);
    free(x), free(y), free(ym), free(yw), free(poison);
    fixture_free(&w);
  }
}

/* The plan is what gets allocated: exactly its parts, for each qtype and
 * several batches, staged or not. */
static void test_plan_equals_allocation(void) {
  const uint64_t batches[] = {1, 7, 64, 333};
  for (int q = 0; q < 3; q++) {
    fixture_weights w;
    fixture_make(&w, fixture_shape(640, 2560, (clql_qtype)q, CLQL_GROUP_ROW), W_RANDOM);
    clql_layer *layer = make_layer(&w, NULL);
    for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
      const uint64_t b = batches[i];
      float *x = fixture_input(b, 2560, X_FLOAT), *y = fixture_poisoned(b * 640);
      CU_ASSERT_EQUAL(clql_layer_forward(layer, x, b, y), CLQL_SUCCESS);
      expect_reference(&w, x, b, y);
      clql_layer_stats s = stats_of(layer);
      CU_ASSERT_EQUAL(s.plan.batch, b);
      CU_ASSERT_EQUAL(s.workspace_batch, b);
      CU_ASSERT_EQUAL(s.chunks, 1);
      CU_ASSERT_EQUAL(s.workspace_flags, CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT);
      double ratio = (double)s.workspace_allocated / (double)s.workspace_planned;
      CU_ASSERT(ratio >= 0.7 && ratio <= 1.0);
      CU_ASSERT_EQUAL(s.workspace_allocated, s.workspace_planned);
      CU_ASSERT(s.workspace_planned <= s.plan.workspace.total);
      clql_weight_bytes wb;
      CU_ASSERT_EQUAL(clql_layout_weight_bytes(&w.shape, &wb), CLQL_SUCCESS);
      CU_ASSERT_EQUAL(s.resident_bytes, wb.weights + wb.scales);
      free(x), free(y);
    }
    clql_layer_release_workspace(layer);
    CU_ASSERT_EQUAL(stats_of(layer).workspace_allocated, 0);
    clql_layer_destroy(layer);
    fixture_free(&w);
  }
}

/* A budget smaller than the batch: planned chunks, same result. */
static void test_chunks_by_budget(void) {
  for (int q = 0; q < 3; q++) {
    fixture_weights w;
    fixture_make(&w, fixture_shape(320, 1000, (clql_qtype)q, CLQL_GROUP_TENSOR), W_RANDOM);
    clql_workspace_bytes one;
    CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&w.shape, 10, 3, &one), CLQL_SUCCESS);
    clql_budget_options opts = {
        .set = CLQL_BUDGET_LIMIT,
        .limit = w.packed.weights_bytes + w.packed.scales_bytes + one.total};
    clql_layer *layer = make_layer(&w, &opts);
    const uint64_t batch = 57;
    float *x = fixture_input(batch, 1000, X_FLOAT), *y = fixture_poisoned(batch * 320);
    CU_ASSERT_EQUAL(clql_layer_forward(layer, x, batch, y), CLQL_SUCCESS);
    expect_reference(&w, x, batch, y);
    clql_layer_stats s = stats_of(layer);
    CU_ASSERT(s.plan.batch >= 10 && s.plan.batch < batch);
    CU_ASSERT_EQUAL(s.plan.limited_by, CLQL_LIMITED_BY_BUDGET);
    CU_ASSERT_EQUAL(s.chunks, (batch + s.plan.batch - 1) / s.plan.batch);
    CU_ASSERT_EQUAL(s.halvings, 0);
    clql_layer_destroy(layer);
    free(x), free(y);
    fixture_free(&w);
  }
}

/* ---- out of memory, through the fault hook ---- */

typedef struct {
  int allocs, enqueues;
  int fail_alloc_at;      /* fail this allocation (1-based; 0: none) */
  size_t fail_alloc_over; /* fail allocations larger than this (0: none) */
  int fail_enqueue_at;    /* fail this enqueue */
  int fail_all;           /* fail everything */
  cl_int error;
} faults;

static cl_int fault(void *user, clql_fault_site site, size_t bytes) {
  faults *f = user;
  if (site == CLQL_FAULT_ALLOC) {
    f->allocs++;
    if (f->fail_all || f->allocs == f->fail_alloc_at ||
        (f->fail_alloc_over && bytes > f->fail_alloc_over))
      return f->error;
  } else {
    f->enqueues++;
    if (f->fail_all || f->enqueues == f->fail_enqueue_at) return f->error;
  }
  return CL_SUCCESS;
}

/* Faults on a fresh context (f NULL: back to the suite's). */
static void with_faults(faults *f) {
  if (f && !test_ctx) CLQL_REQUIRE(clql_context_create(NULL, NULL, &test_ctx) == CLQL_SUCCESS);
  if (!test_ctx) return;
  test_ctx->fault_hook = f ? fault : NULL;
  test_ctx->fault_user = f;
}

static void fresh_context_done(void) {
  clql_context_destroy(test_ctx);
  test_ctx = NULL;
}

/* Run a host forward of batch tokens under f; the result must still be the
 * reference, x untouched. Returns the layer's stats. */
static clql_layer_stats run_with_faults(clql_qtype q, uint64_t batch, faults *f,
                                        const clql_budget_options *opts, clql_status expect) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(640, 2560, q, CLQL_GROUP_ROW), W_RANDOM);
  with_faults(f);
  faults none = {0};
  test_ctx->fault_user = &none; /* creation runs without faults */
  clql_layer *layer = make_layer(&w, opts);
  float *x = fixture_input(batch, 2560, X_FLOAT), *y = fixture_poisoned(batch * 640);
  float *x_copy = malloc(batch * 2560 * sizeof *x);
  memcpy(x_copy, x, batch * 2560 * sizeof *x);
  test_ctx->fault_user = f;
  clql_status st = clql_layer_forward(layer, x, batch, y);
  with_faults(NULL);
  CU_ASSERT_EQUAL(st, expect);
  if (st != expect) printf("\n%s: %s\n", clql_status_name(st), clql_last_error_detail());
  CU_ASSERT_EQUAL(memcmp(x, x_copy, batch * 2560 * sizeof *x), 0);
  if (expect == CLQL_SUCCESS) expect_reference(&w, x, batch, y);
  clql_layer_stats s = stats_of(layer);
  if (expect != CLQL_SUCCESS) {
    /* nothing held after a failure, and the layer still works */
    CU_ASSERT_EQUAL(s.workspace_allocated, 0);
    CU_ASSERT_EQUAL(clql_layer_forward(layer, x, batch, y), CLQL_SUCCESS);
    expect_reference(&w, x, batch, y);
  }
  clql_layer_destroy(layer);
  fresh_context_done();
  free(x), free(y), free(x_copy);
  fixture_free(&w);
  return s;
}

static void test_oom_large_buffers(void) {
  /* A device that cannot allocate buffers over 100 kB: 64 tokens of input
   * (655 kB) need three halvings, down to 8. */
  for (int q = 0; q < 3; q++) {
    faults f = {.fail_alloc_over = 100000, .error = CL_MEM_OBJECT_ALLOCATION_FAILURE};
    clql_layer_stats s = run_with_faults((clql_qtype)q, 64, &f, NULL, CLQL_SUCCESS);
    CU_ASSERT(s.halvings >= 3);
    CU_ASSERT(s.batch_cap <= 8);
    CU_ASSERT_EQUAL(s.chunks, (64 + s.plan.batch - 1) / s.plan.batch);
    CU_ASSERT_EQUAL(s.workspace_allocated, s.workspace_planned);
  }
}

static void test_oom_nth_allocation(void) {
  for (int n = 1; n <= 4; n++) {
    faults f = {.fail_alloc_at = n, .error = CL_MEM_OBJECT_ALLOCATION_FAILURE};
    clql_layer_stats s = run_with_faults(CLQL_QTYPE_TL1, 20, &f, NULL, CLQL_SUCCESS);
    CU_ASSERT_EQUAL(s.halvings, 1);
    CU_ASSERT_EQUAL(s.batch_cap, 10);
    CU_ASSERT_EQUAL(s.chunks, 2);
  }
}

/* A chunk fails to run after earlier chunks finished: those stay written,
 * the failed one is redone at half the batch. */
static void test_oom_mid_pass(void) {
  clql_budget_options opts = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 16};
  for (int q = 0; q < 3; q++) {
    /* per host chunk: write x, quantize, product */
    int per_chunk = 3;
    faults f = {.fail_enqueue_at = per_chunk + 2, .error = CL_OUT_OF_RESOURCES};
    clql_layer_stats s = run_with_faults((clql_qtype)q, 64, &f, &opts, CLQL_SUCCESS);
    CU_ASSERT_EQUAL(s.halvings, 1);
    CU_ASSERT_EQUAL(s.plan.batch, 8);
    CU_ASSERT_EQUAL(s.chunks, 7); /* 1 of 16 before the failure, then 6 of 8 */
  }
}

static void test_oom_exhausted(void) {
  faults f = {.fail_all = 1, .error = CL_MEM_OBJECT_ALLOCATION_FAILURE};
  clql_layer_stats s = run_with_faults(CLQL_QTYPE_I2S, 37, &f, NULL, CLQL_ERR_OUT_OF_DEVICE_MEMORY);
  CU_ASSERT_EQUAL(s.batch_cap, 1);
  CU_ASSERT_EQUAL(s.halvings, 5); /* 37 -> 18 -> 9 -> 4 -> 2 -> 1, then it fails at 1 */
  faults g = {.fail_enqueue_at = 1, .fail_all = 0, .error = CL_OUT_OF_RESOURCES};
  run_with_faults(CLQL_QTYPE_TL2, 1, &g, NULL, CLQL_ERR_OUT_OF_DEVICE_MEMORY);
  /* other errors pass through at once, without halving */
  faults h = {.fail_enqueue_at = 2, .error = CL_INVALID_KERNEL_ARGS};
  s = run_with_faults(CLQL_QTYPE_I2S, 8, &h, NULL, CL_INVALID_KERNEL_ARGS);
  CU_ASSERT_EQUAL(s.halvings, 0);
}

/* The caller's buffers path: the input buffer is never written, and a retry
 * after a mid-pass failure still fills every output. */
static void test_oom_caller_buffers(void) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(200, 777, CLQL_QTYPE_TL2, 192), W_RANDOM);
  clql_budget_options opts = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 5};
  faults f = {.fail_enqueue_at = 8, .error = CL_MEM_OBJECT_ALLOCATION_FAILURE};
  with_faults(&f);
  faults none = {0};
  test_ctx->fault_user = &none;
  clql_layer *layer = make_layer(&w, &opts);
  const uint64_t batch = 23;
  float *x = fixture_input(batch, 777, X_FLOAT), *poison = fixture_poisoned(batch * 200);
  cl_mem dx = device_copy(x, batch * 777), dy = device_copy(poison, batch * 200);
  test_ctx->fault_user = &f;
  CU_ASSERT_EQUAL(clql_layer_forward_mem(layer, dx, dy, batch), CLQL_SUCCESS);
  with_faults(NULL);
  float *xb = read_back(dx, batch * 777), *y = read_back(dy, batch * 200);
  CU_ASSERT_EQUAL(memcmp(xb, x, batch * 777 * sizeof *x), 0);
  expect_reference(&w, x, batch, y);
  CU_ASSERT_EQUAL(stats_of(layer).halvings, 1);
  cl_uint refs = 0;
  clGetMemObjectInfo(dx, CL_MEM_REFERENCE_COUNT, sizeof refs, &refs, NULL);
  CU_ASSERT_EQUAL(refs, 1); /* clql keeps no reference to caller buffers */
  clReleaseMemObject(dx), clReleaseMemObject(dy);
  clql_layer_destroy(layer);
  fresh_context_done();
  free(x), free(poison), free(xb), free(y);
  fixture_free(&w);
}

/* ---- logging ---- */

static int plan_messages;
static char last_message[1024];
static void on_log(clql_log_level level, const char *message, void *user) {
  (void)user;
  if (level == CLQL_LOG_INFO && strncmp(message, "workspace of ", 13) == 0) {
    plan_messages++;
    snprintf(last_message, sizeof last_message, "%s", message);
  }
}

/* Each plan of the context's workspace is logged once: passes it serves
 * plan nothing. */
static void test_plan_logged_once(void) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(64, 256, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  clql_layer *layer = make_layer(&w, NULL);
  clql_layer_release_workspace(layer);
  float *x = fixture_input(5, 256, X_FLOAT), *y = fixture_poisoned(5 * 64);
  plan_messages = 0;
  clql_set_log_callback(on_log, NULL, CLQL_LOG_INFO);
  CU_ASSERT_EQUAL(clql_layer_forward(layer, x, 3, y), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_layer_forward(layer, x, 3, y), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(plan_messages, 1);
  CU_ASSERT_EQUAL(clql_layer_forward(layer, x, 5, y), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(plan_messages, 2);
  clql_set_log_callback(NULL, NULL, CLQL_LOG_OFF);
  const char *words[] = {"batch 5", "limited by request", "budget",
                         "free",    "max_alloc",          "workspace"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    CU_ASSERT_PTR_NOT_NULL(strstr(last_message, words[i]));
  clql_layer_destroy(layer);
  free(x), free(y);
  fixture_free(&w);
}

/* ---- bad input ---- */

static void test_bad_input(void) {
  fixture_weights w;
  fixture_make(&w, fixture_shape(40, 100, CLQL_QTYPE_I2S, CLQL_GROUP_ROW), W_RANDOM);
  clql_layer *layer = NULL;
  CU_ASSERT_EQUAL(clql_layer_create(NULL, &w.packed, NULL, &layer), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layer_create(clql_test_ctx, NULL, NULL, &layer), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layer_create(clql_test_ctx, &w.packed, NULL, NULL),
                  CLQL_ERR_INVALID_ARGUMENT);
  clql_packed p = w.packed;
  p.weights_bytes = 10;
  CU_ASSERT_EQUAL(clql_layer_create(clql_test_ctx, &p, NULL, &layer), CLQL_ERR_BUFFER_TOO_SMALL);
  ((unsigned char *)w.packed.weights)[3] |= 0xC0; /* an I2S code 11 */
  CU_ASSERT_EQUAL(clql_layer_create(clql_test_ctx, &w.packed, NULL, &layer),
                  CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT_PTR_NULL(layer);
  CU_ASSERT_EQUAL(clql_pack_ternary(&w.packed, w.t, 4000, w.scales, 40), CLQL_SUCCESS);
  clql_budget_options tiny = {.set = CLQL_BUDGET_LIMIT, .limit = 1024};
  CU_ASSERT_EQUAL(clql_layer_create(clql_test_ctx, &w.packed, &tiny, &layer),
                  CLQL_ERR_DOES_NOT_FIT);

  layer = make_layer(&w, NULL);
  float x[2 * 100] = {0}, y[2 * 40];
  CU_ASSERT_EQUAL(clql_layer_forward(NULL, x, 1, y), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layer_forward(layer, NULL, 1, y), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layer_forward(layer, x, 0, y), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_layer_forward(layer, x, UINT64_MAX / 8, y), CLQL_ERR_SIZE_OVERFLOW);
  cl_mem dx = device_copy(x, 2 * 100), dy = device_copy(y, 2 * 40);
  CU_ASSERT_EQUAL(clql_layer_forward_mem(layer, dx, dy, 3), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_layer_forward_mem(layer, dx, dx, 1), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layer_forward_mem(layer, NULL, dy, 1), CLQL_ERR_INVALID_ARGUMENT);
  /* a buffer of another OpenCL context */
  clql_context *other = NULL;
  CLQL_REQUIRE(clql_context_create(NULL, NULL, &other) == CLQL_SUCCESS);
  cl_int err;
  cl_mem foreign =
      clCreateBuffer(clql_context_cl_context(other), CL_MEM_READ_WRITE, 4096, NULL, &err);
  CU_ASSERT_EQUAL(clql_layer_forward_mem(layer, foreign, dy, 1), CLQL_ERR_INVALID_ARGUMENT);
  clReleaseMemObject(foreign);
  clql_context_destroy(other);
  uint64_t bytes;
  CU_ASSERT_EQUAL(clql_layer_workspace_bytes(layer, 0, &bytes), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_layer_workspace_bytes(NULL, 1, &bytes), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_layer_get_stats(layer, NULL), CLQL_ERR_INVALID_ARGUMENT);
  /* still works after all that */
  CU_ASSERT_EQUAL(clql_layer_forward_mem(layer, dx, dy, 2), CLQL_SUCCESS);
  clReleaseMemObject(dx), clReleaseMemObject(dy);
  clql_layer_destroy(layer);
  clql_layer_destroy(NULL);
  clql_layer_release_workspace(NULL);
  fixture_free(&w);
}

static CU_TestInfo layer_tests[] = {{"entry_points", test_entry_points},
                                    {"plan_equals_allocation", test_plan_equals_allocation},
                                    {"chunks_by_budget", test_chunks_by_budget},
                                    {"oom_large_buffers", test_oom_large_buffers},
                                    {"oom_nth_allocation", test_oom_nth_allocation},
                                    {"oom_mid_pass", test_oom_mid_pass},
                                    {"oom_exhausted", test_oom_exhausted},
                                    {"oom_caller_buffers", test_oom_caller_buffers},
                                    {"plan_logged_once", test_plan_logged_once},
                                    {"bad_input", test_bad_input},
                                    CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "layer",
                                    .pInitFunc = clql_test_context_open,
                                    .pCleanupFunc = clql_test_context_close,
                                    .pTests = layer_tests},
                                   CU_SUITE_INFO_NULL};
