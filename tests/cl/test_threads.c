/* The documented thread model: a context and everything made on it (layers,
 * its queue, its kernel cache) is used by one thread at a time; separate
 * contexts run concurrently; functions without a context may be called from
 * any thread. Every result must equal the reference. Run under the tsan
 * preset to catch races in clql's own state (probe caches, program caches,
 * allocator hook, logging, error details). CUnit is not thread-safe, so the
 * threads only record what they saw and the main thread asserts. */
#include <pthread.h>
#include <string.h>
#include <clql.h>
#include "runner.h"
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

enum { THREADS = 2, ROUNDS = 4, TOKENS = 4, K = 1000 };

/* ---- activation quantization, one context per thread ---- */

typedef struct {
  float x[TOKENS * K];
  int mismatches;
  clql_status status;
} worker;

static void *run(void *arg) {
  worker *w = arg;
  clql_context *ctx = NULL;
  w->status = clql_context_create(NULL, NULL, &ctx);
  if (w->status != CLQL_SUCCESS) return NULL;
  cl_context cl = clql_context_cl_context(ctx);
  cl_command_queue queue = clql_context_queue(ctx);
  cl_int err;
  cl_mem dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof w->x, w->x, &err);
  cl_mem dq = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, TOKENS * K, NULL, &err);
  cl_mem ds = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, TOKENS * sizeof(float), NULL, &err);
  static _Thread_local int8_t q[TOKENS * K], qr[TOKENS * K];
  float s[TOKENS], sr[TOKENS];
  clql_ref_quantize_activations(w->x, TOKENS, K, qr, K, sr);
  for (int r = 0; r < ROUNDS && w->status == CLQL_SUCCESS; r++) {
    w->status = clql_quantize_activations(ctx, dx, TOKENS, K, dq, K, ds);
    if (w->status == CLQL_SUCCESS)
      w->status = (clql_status)clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, sizeof q, q, 0, NULL, NULL);
    if (w->status == CLQL_SUCCESS)
      w->status = (clql_status)clEnqueueReadBuffer(queue, ds, CL_TRUE, 0, sizeof s, s, 0, NULL, NULL);
    w->mismatches += memcmp(q, qr, sizeof q) != 0 || memcmp(s, sr, sizeof s) != 0;
    /* Device reports are re-read concurrently too. */
    clql_memory_report m;
    if (clql_device_memory(clql_context_device(ctx), &m) != CLQL_SUCCESS) w->mismatches++;
  }
  clReleaseMemObject(dx), clReleaseMemObject(dq), clReleaseMemObject(ds);
  clql_context_destroy(ctx);
  return NULL;
}

static void test_context_per_thread(void) {
  static worker w[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    for (int j = 0; j < TOKENS * K; j++) w[i].x[j] = clql_test_uniform(-10.0f, 10.0f);
  for (int i = 0; i < THREADS; i++) CU_ASSERT_EQUAL(pthread_create(&t[i], NULL, run, &w[i]), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) {
    CU_ASSERT_EQUAL(w[i].status, CLQL_SUCCESS);
    CU_ASSERT_EQUAL(w[i].mismatches, 0);
  }
}

/* ---- layer forwards ---- */

enum { LN = 70, LK = 640, LB = 5 };

typedef struct {
  clql_qtype qtype;
  int use_mem;             /* caller cl_mem instead of host pointers */
  fixture_weights w;       /* made by the main thread */
  float *x, *ref;          /* the inputs and the reference, LB tokens */
  float y[LB * LN];
  clql_context *shared_ctx; /* when set: use this context and layer under lock */
  clql_layer *shared;
  pthread_mutex_t *lock;
  clql_status status;
  int mismatches, rounds;
} layer_worker;

/* One forward of all LB tokens on L, into w->y (through caller buffers when use_mem). */
static clql_status forward_once(layer_worker *w, clql_context *ctx, clql_layer *L) {
  memset(w->y, 0xff, sizeof w->y);
  if (!w->use_mem) return clql_layer_forward(L, w->x, LB, w->y);
  cl_int err = CL_SUCCESS;
  cl_context cl = clql_context_cl_context(ctx);
  cl_mem dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, LB * LK * sizeof(float),
                             w->x, &err);
  cl_mem dy = err == CL_SUCCESS ? clCreateBuffer(cl, CL_MEM_WRITE_ONLY, sizeof w->y, NULL, &err)
                                : NULL;
  clql_status st = err == CL_SUCCESS ? clql_layer_forward_mem(L, dx, dy, LB) : (clql_status)err;
  if (st == CLQL_SUCCESS)
    st = (clql_status)clEnqueueReadBuffer(clql_context_queue(ctx), dy, CL_TRUE, 0, sizeof w->y,
                                          w->y, 0, NULL, NULL);
  if (dx) clReleaseMemObject(dx);
  if (dy) clReleaseMemObject(dy);
  return st;
}

static void *run_layer(void *arg) {
  layer_worker *w = arg;
  clql_context *ctx = w->shared_ctx;
  clql_layer *L = w->shared;
  if (!L) {
    w->status = clql_context_create(NULL, NULL, &ctx);
    if (w->status == CLQL_SUCCESS) w->status = clql_layer_create(ctx, &w->w.packed, NULL, &L);
  }
  for (int r = 0; r < w->rounds && w->status == CLQL_SUCCESS; r++) {
    if (w->lock) pthread_mutex_lock(w->lock);
    w->status = forward_once(w, ctx, L);
    if (w->lock) pthread_mutex_unlock(w->lock);
    if (w->status == CLQL_SUCCESS) w->mismatches += fixture_differ(w->y, w->ref, LB * LN) != 0;
  }
  if (!w->shared) {
    clql_layer_destroy(L);
    clql_context_destroy(ctx);
  }
  return NULL;
}

static void layer_worker_init(layer_worker *w, clql_qtype q, int use_mem) {
  memset(w, 0, sizeof *w);
  w->qtype = q;
  w->use_mem = use_mem;
  w->rounds = ROUNDS;
  fixture_make(&w->w, fixture_shape(LN, LK, q, CLQL_GROUP_ROW), W_RANDOM);
  w->x = fixture_input(LB, LK, X_FLOAT);
  w->ref = malloc(LB * LN * sizeof(float));
  CLQL_REQUIRE(w->ref != NULL);
  CU_ASSERT_EQUAL_FATAL(clql_ref_forward(&w->w.shape, w->w.t, w->w.scales, w->x, LB, w->ref),
                        CLQL_SUCCESS);
}

static void layer_worker_free(layer_worker *w) {
  fixture_free(&w->w);
  free(w->x);
  free(w->ref);
}

static void run_workers(layer_worker *w, int n) {
  pthread_t t[THREADS];
  for (int i = 0; i < n; i++) CU_ASSERT_EQUAL(pthread_create(&t[i], NULL, run_layer, &w[i]), 0);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < n; i++) {
    CU_ASSERT_EQUAL(w[i].status, CLQL_SUCCESS);
    CU_ASSERT_EQUAL(w[i].mismatches, 0);
    if (w[i].status != CLQL_SUCCESS) printf("\n  thread %d: %s\n", i, clql_status_name(w[i].status));
  }
}

/* Two threads, each with its own context and layer, forwards at the same time. */
static void test_layers_per_thread(void) {
  static layer_worker w[THREADS];
  layer_worker_init(&w[0], CLQL_QTYPE_I2S, 0);
  layer_worker_init(&w[1], CLQL_QTYPE_TL2, 1);
  run_workers(w, THREADS);
  for (int i = 0; i < THREADS; i++) layer_worker_free(&w[i]);
}

/* One context and layer used by two threads, one call at a time: a layer is
 * not tied to the thread that made it. */
static void test_shared_layer_serialized(void) {
  static layer_worker w[THREADS];
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  layer_worker_init(&w[0], CLQL_QTYPE_TL1, 0);
  layer_worker_init(&w[1], CLQL_QTYPE_TL1, 1);
  /* Both threads run the first worker's weights; each has its own inputs. */
  CU_ASSERT_EQUAL_FATAL(clql_ref_forward(&w[0].w.shape, w[0].w.t, w[0].w.scales, w[1].x, LB,
                                         w[1].ref),
                        CLQL_SUCCESS);
  clql_context *ctx = NULL;
  clql_layer *L = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_context_create(NULL, NULL, &ctx), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(clql_layer_create(ctx, &w[0].w.packed, NULL, &L), CLQL_SUCCESS);
  for (int i = 0; i < THREADS; i++) w[i].shared_ctx = ctx, w[i].shared = L, w[i].lock = &lock;
  run_workers(w, THREADS);
  clql_layer_destroy(L);
  clql_context_destroy(ctx);
  for (int i = 0; i < THREADS; i++) layer_worker_free(&w[i]);
}

/* ---- functions without a context, from every thread at once ---- */

typedef struct {
  int id;
  int failures;
} free_worker;

static void *run_free(void *arg) {
  free_worker *w = arg;
  for (int r = 0; r < 20; r++) {
    size_t n = 0;
    clql_device_info devs[4];
    if (clql_devices_get(devs, 4, &n) != CLQL_SUCCESS || n == 0) w->failures++;
    clql_memory_report m;
    if (n && clql_device_memory(devs[0].device, &m) != CLQL_SUCCESS) w->failures++;
    if (n && clql_device_memory_refresh(devs[0].device, &m) != CLQL_SUCCESS) w->failures++;
    /* Error details are per thread: each sees its own. */
    char sel[32];
    snprintf(sel, sizeof sel, "%d:", w->id);
    clql_device_info d;
    if (clql_device_select(sel, &d) != CLQL_ERR_BAD_SELECTOR ||
        !strstr(clql_last_error_detail(), sel))
      w->failures++;
    clql_layer_plan p;
    clql_layer_shape s = {.n = 2560, .k = 6912, .qtype = CLQL_QTYPE_TL2};
    if (clql_plan_layer(&devs[0].memory, NULL, &s, 64, 0, &p) != CLQL_SUCCESS) w->failures++;
    if (strcmp(clql_status_name(CLQL_ERR_PARSE), "CLQL_ERR_PARSE") != 0) w->failures++;
  }
  return NULL;
}

static void test_context_free_functions(void) {
  static free_worker w[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) {
    w[i] = (free_worker){.id = i + 1};
    CU_ASSERT_EQUAL(pthread_create(&t[i], NULL, run_free, &w[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) CU_ASSERT_EQUAL(w[i].failures, 0);
}

static CU_TestInfo thread_tests[] = {{"context_per_thread", test_context_per_thread},
                                     {"layers_per_thread", test_layers_per_thread},
                                     {"shared_layer_serialized", test_shared_layer_serialized},
                                     {"context_free_functions", test_context_free_functions},
                                     CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "threads", .pTests = thread_tests}, CU_SUITE_INFO_NULL};
