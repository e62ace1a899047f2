/* clql-bench: kernel and whole-model benchmarks on one OpenCL device, each
 * figure set against the device's own copy bandwidth and against peers run on
 * the same device in the same run (CLBlast fp32, the scalar C reference).
 * Method (docs/benchmarks.md): warm-up, median and spread of repeats,
 * inputs rotated, weights cycled through enough copies to defeat the caches,
 * outputs checked against the reference once per configuration. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <clql.h>
#include "common/args.h"
#include "common/tool.h"
#ifdef CLQL_HAVE_CLBLAST
#include <clblast_c.h>
#endif

#define MAX_SHAPES BENCH_MAX_SHAPES
#define MIB (1ull << 20)

typedef bench_args options;

typedef struct {
  clql_qtype qtype;
  bench_shape s;
  double median_us, min_us, max_us, device_us;
  double weight_bytes, weight_gbs, pct_of_copy, pct_of_read, gops;
  double pipelined_us, pipelined_gbs, pipelined_pct; /* per pass, enqueued back to back */
  double pipelined_pct_read;
  const char *kernels; /* the family that ran (clql_layer_kernels) */
  int copies;
  size_t mismatches;
} kernel_result;

typedef struct {
  const char *name;
  bench_shape s;
  double median_us, ratio; /* ratio = peer time / clql I2S time on the same shape */
  double pipelined_us, pipelined_ratio; /* the same, passes enqueued back to back */
  int ran;
  char note[96];
} peer_result;

static int progress_enabled;
static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...) {
  if (!progress_enabled) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "\r\033[K");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fflush(stderr);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}


/* A configuration that could not run: said, and its exit code (the first
 * such is the tool's; a kernel that disagrees is 1, once all have run). */
static int failed(const char *what, clql_status st, int rc) {
  fprintf(stderr, "clql-bench: %s: %s (%s)\n", what, clql_status_message(st), clql_last_error_detail());
  return rc ? rc : tool_exit_for(st);
}

/* ---- rooflines: the device's copy and read bandwidth with its own kernels ---- */

/* The read kernel: a read-only reduction that stores one word per `count`
 * 64-byte vectors read (a GEMV only reads its weights). Work-item i reads
 * vectors i * wi_stride + j * j_stride, j < count: a contiguous run on CPUs
 * (one stream per thread), interleaved across work-items on GPUs (their
 * loads coalesce). Four accumulators keep loads independent. */
static const char *roofline_source =
    "__kernel void clql_bench_copy(__global const float4 *src, __global float4 *dst) {\n"
    "  size_t i = get_global_id(0);\n"
    "  dst[i] = src[i];\n"
    "}\n"
    "__kernel void clql_bench_read(__global const uint16 *src, __global uint *out, uint count,\n"
    "                              ulong wi_stride, ulong j_stride) {\n"
    "  size_t i = get_global_id(0);\n"
    "  __global const uint16 *p = src + i * wi_stride;\n"
    "  uint16 a = (uint16)(0), b = a, c = a, d = a;\n"
    "  for (uint j = 0; j < count; j += 4) {\n"
    "    a ^= p[j * j_stride];\n"
    "    b ^= p[(j + 1) * j_stride];\n"
    "    c ^= p[(j + 2) * j_stride];\n"
    "    d ^= p[(j + 3) * j_stride];\n"
    "  }\n"
    "  a ^= b ^ c ^ d;\n"
    "  uint8 h = a.lo ^ a.hi;\n"
    "  uint4 q = h.lo ^ h.hi;\n"
    "  out[i] = q.x ^ q.y ^ q.z ^ q.w;\n"
    "}\n";

/* 64-byte vectors each work-item of the read kernel reads (a multiple of 4). */
#define READ_RUN 256u

static double event_us(cl_event ev) {
  cl_ulong t0 = 0, t1 = 0;
  if (clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) != CL_SUCCESS ||
      clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) != CL_SUCCESS)
    return NAN;
  return (double)(t1 - t0) / 1e3;
}

typedef struct {
  double copy_gbs; /* bytes read + written per second by a float4 copy */
  double read_gbs; /* bytes read per second by the read kernel */
  uint64_t bytes;  /* the buffer each reads: far larger than the caches */
} roofline;

/* Median of the kernel's profiled times over o->repeats runs after two
 * warm-up runs, in microseconds; NAN when it cannot run. */
static double time_kernel(cl_command_queue q, cl_kernel kern, size_t global, int reps) {
  double *t = calloc((size_t)reps, sizeof *t), med = NAN;
  int got = 0;
  for (int i = -2; t && i < reps; i++) {
    cl_event ev = NULL;
    if (clEnqueueNDRangeKernel(q, kern, 1, NULL, &global, NULL, 0, NULL, &ev) != CL_SUCCESS) break;
    clWaitForEvents(1, &ev);
    double us = event_us(ev);
    clReleaseEvent(ev);
    if (i >= 0 && !isnan(us)) t[got++] = us;
  }
  if (got) med = median(t, got);
  free(t);
  return med;
}

/* The copy and read rooflines over one large buffer: four times the
 * device's global memory cache, as STREAM sizes its arrays (a host CPU's
 * last-level cache can hold hundreds of MiB), and at least 256 MiB; 64 MiB
 * with --quick. */
static void measure_rooflines(clql_context *ctx, const options *o, roofline *out) {
  const clql_device_info *d = clql_context_device_info(ctx);
  cl_ulong cache = 0;
  if (clGetDeviceInfo(clql_context_device(ctx), CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, sizeof cache,
                      &cache, NULL) != CL_SUCCESS || cache > UINT64_MAX / 4)
    cache = 0;
  uint64_t bytes = o->quick ? 64 * MIB : 256 * MIB;
  if (!o->quick && 4 * cache > bytes) bytes = 4 * cache;
  if (bytes > d->memory.max_alloc) bytes = d->memory.max_alloc;
  if (d->memory.free_known && 2 * bytes > d->memory.free / 2) bytes = d->memory.free / 4;
  bytes &= ~(uint64_t)(1 * MIB - 1);
  out->copy_gbs = out->read_gbs = NAN;
  out->bytes = bytes;
  if (bytes == 0) return;
  cl_context cl = clql_context_cl_context(ctx);
  cl_device_id dev = clql_context_device(ctx);
  cl_command_queue q = clql_context_queue(ctx);
  cl_int err = CL_SUCCESS;
  cl_program prog = clCreateProgramWithSource(cl, 1, &roofline_source, NULL, &err);
  cl_kernel copy = NULL, read = NULL;
  cl_mem a = NULL, b = NULL;
  if (!prog || clBuildProgram(prog, 1, &dev, "", NULL, NULL) != CL_SUCCESS) goto done;
  copy = clCreateKernel(prog, "clql_bench_copy", &err);
  read = clCreateKernel(prog, "clql_bench_read", &err);
  a = clCreateBuffer(cl, CL_MEM_READ_WRITE, bytes, NULL, &err);
  b = clCreateBuffer(cl, CL_MEM_READ_WRITE, bytes, NULL, &err);
  if (!copy || !read || !a || !b) goto done;
  float one = 1.0f;
  clEnqueueFillBuffer(q, a, &one, sizeof one, 0, bytes, 0, NULL, NULL);
  clSetKernelArg(copy, 0, sizeof a, &a);
  clSetKernelArg(copy, 1, sizeof b, &b);
  double us = time_kernel(q, copy, (size_t)(bytes / 16), o->repeats);
  out->copy_gbs = 2.0 * (double)bytes / (us * 1e3);
  /* read: bytes / 64 vectors, READ_RUN per work-item (b receives the words) */
  const size_t items = (size_t)(bytes / 64 / READ_RUN);
  const int gpu = (d->type & CL_DEVICE_TYPE_GPU) != 0;
  cl_uint count = READ_RUN;
  cl_ulong wi_stride = gpu ? 1 : READ_RUN, j_stride = gpu ? items : 1;
  clSetKernelArg(read, 0, sizeof a, &a);
  clSetKernelArg(read, 1, sizeof b, &b);
  clSetKernelArg(read, 2, sizeof count, &count);
  clSetKernelArg(read, 3, sizeof wi_stride, &wi_stride);
  clSetKernelArg(read, 4, sizeof j_stride, &j_stride);
  us = time_kernel(q, read, items, o->repeats);
  out->read_gbs = (double)items * READ_RUN * 64 / (us * 1e3);
done:
  if (a) clReleaseMemObject(a);
  if (b) clReleaseMemObject(b);
  if (copy) clReleaseKernel(copy);
  if (read) clReleaseKernel(read);
  if (prog) clReleaseProgram(prog);
}

/* ---- ternary layers ---- */

/* Random ternary weights with per-row scales, packed once per shape. */
typedef struct {
  clql_layer_shape shape;
  clql_packed packed;
  int8_t *t;
  float *scales;
  uint64_t scale_count;
} host_weights;

static void host_weights_free(host_weights *w) {
  free(w->packed.weights);
  free(w->packed.scales);
  free(w->t);
  free(w->scales);
  memset(w, 0, sizeof *w);
}

static clql_status host_weights_make(clql_qtype q, uint64_t n, uint64_t k, int keep_logical,
                                     host_weights *w) {
  memset(w, 0, sizeof *w);
  w->shape = (clql_layer_shape){.n = n, .k = k, .qtype = q, .group_size = CLQL_GROUP_ROW};
  clql_weight_bytes wb;
  clql_status st = clql_layout_weight_bytes(&w->shape, &wb);
  if (st == CLQL_SUCCESS) st = clql_scale_count(&w->shape, &w->scale_count);
  if (st != CLQL_SUCCESS) return st;
  w->t = malloc(n * k);
  w->scales = malloc(w->scale_count * sizeof(float));
  w->packed = (clql_packed){.shape = w->shape, .weights = malloc(wb.weights),
                            .weights_bytes = wb.weights, .scales = malloc(wb.scales),
                            .scales_bytes = wb.scales};
  if (!w->t || !w->scales || !w->packed.weights || !w->packed.scales) {
    host_weights_free(w);
    return CLQL_ERR_OUT_OF_HOST_MEMORY;
  }
  for (uint64_t i = 0; i < n * k; i++) w->t[i] = (int8_t)((int)(tool_rand() % 3) - 1);
  for (uint64_t i = 0; i < w->scale_count; i++) w->scales[i] = tool_uniform(0.5f, 2.0f);
  st = clql_pack_ternary(&w->packed, w->t, n * k, w->scales, w->scale_count);
  if (st == CLQL_SUCCESS && !keep_logical) {
    free(w->t);
    w->t = NULL;
  }
  if (st != CLQL_SUCCESS) host_weights_free(w);
  return st;
}

/* Device time of a pass: the start of its first command to the end of its
 * last, from the commands' own profiling times. */
static double pass_span_us(cl_event first, cl_event last) {
  cl_ulong t0 = 0, t1 = 0;
  if (clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) != CL_SUCCESS ||
      clGetEventProfilingInfo(last, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) != CL_SUCCESS ||
      t1 < t0)
    return NAN;
  return (double)(t1 - t0) / 1e3;
}

/* Percent of a bandwidth (copy or read) that bytes moved in us microseconds make. */
static double pct_of(double bytes, double us, double gbs) {
  return isnan(gbs) ? NAN : 100.0 * bytes / (us * 1e3) / gbs;
}

/* Pipelined passes, as a token runs its layers: `count` passes over the
 * layers in turn (inputs rotated through nx buffers) enqueued with
 * clql_layer_enqueue and one wait (clql_context_finish); the median over `reps` sequences of
 * the time per pass. */
static clql_status time_pipelined(clql_context *ctx, clql_layer **layers, int nlayers,
                                  const cl_mem *xs, int nx, cl_mem y, uint64_t batch, int count,
                                  int reps, double *us_per_pass) {
  double t[8];
  clql_status st = CLQL_SUCCESS;
  if (reps > 8) reps = 8;
  for (int r = 0; r < reps && st == CLQL_SUCCESS; r++) {
    double t0 = now_us();
    for (int i = 0; i < count && st == CLQL_SUCCESS; i++)
      st = clql_layer_enqueue(layers[i % nlayers], xs[i % nx], y, batch, NULL);
    clql_status fst = clql_context_finish(ctx);
    if (st == CLQL_SUCCESS) st = fst;
    t[r] = (now_us() - t0) / count;
  }
  *us_per_pass = st == CLQL_SUCCESS ? median(t, reps) : NAN;
  return st;
}

/* One configuration of a shape's set: its weights, its layers (`copies`
 * of the same weights) and its samples. */
typedef struct {
  kernel_result *r;
  clql_status st; /* its first failure; a failed one leaves the rotation */
  host_weights w;
  int have_w, copies, got, count;
  clql_layer **layers;
  float *ref;
  double *times, *dtimes, pt[8];
} kernel_run;

/* The output of the last pass against the reference. */
static clql_status check_output(clql_context *ctx, kernel_run *k, cl_mem y, float *hy) {
  const bench_shape s = k->r->s;
  clql_status st = (clql_status)clEnqueueReadBuffer(clql_context_queue(ctx), y, CL_TRUE, 0,
                                                    s.b * s.n * sizeof(float), hy, 0, NULL, NULL);
  if (st != CLQL_SUCCESS) return st;
  for (uint64_t j = 0; j < s.b * s.n; j++)
    k->r->mismatches += memcmp(&hy[j], &k->ref[j], sizeof(float)) != 0;
  return CLQL_SUCCESS;
}

/* Layers, warm-up and the first check of one configuration. Its copies
 * cycle through cold_bytes / nq: the set's configurations take turns, so
 * between two uses of a copy the whole set's cycle (cold_bytes) passes. */
static clql_status run_setup(clql_context *ctx, const options *o, int nq, kernel_run *k,
                             const cl_mem *xs, int nx, const float *hx, cl_mem y, float *hy) {
  kernel_result *r = k->r;
  const bench_shape s = r->s;
  clql_status st = host_weights_make(r->qtype, s.n, s.k, 1, &k->w);
  if (st != CLQL_SUCCESS) return st;
  k->have_w = 1;
  r->weight_bytes = (double)(k->w.packed.weights_bytes + k->w.packed.scales_bytes);
  /* a cap of 64 copies left the 2B4T shapes at 105-283 MB, within a large
   * server's last-level cache; at most 1024, for tiny user shapes that stay
   * cached anyway */
  const uint64_t share = o->cold_bytes / (uint64_t)nq;
  uint64_t want = (share + (uint64_t)r->weight_bytes - 1) / (uint64_t)r->weight_bytes;
  k->copies = want < 1 ? 1 : want > 1024 ? 1024 : (int)want;
  k->layers = calloc((size_t)k->copies, sizeof *k->layers);
  k->ref = malloc(s.b * s.n * sizeof(float));
  k->times = calloc((size_t)o->repeats, sizeof *k->times);
  k->dtimes = calloc((size_t)o->repeats, sizeof *k->dtimes);
  if (!k->layers || !k->ref || !k->times || !k->dtimes) return CLQL_ERR_OUT_OF_HOST_MEMORY;
  for (int i = 0; i < k->copies && st == CLQL_SUCCESS; i++)
    st = clql_layer_create(ctx, &k->w.packed, NULL, &k->layers[i]);
  if (st != CLQL_SUCCESS) return st;
  r->copies = k->copies;
  r->kernels = clql_layer_kernels(k->layers[0]);
  /* every copy once (workspaces, program builds), ending on the input the
   * reference checks: xs[nx - 1], whose host copy is hx */
  for (int i = 0; i < k->copies && st == CLQL_SUCCESS; i++)
    st = clql_layer_forward_mem(k->layers[i], xs[nx - 1], y, s.b);
  if (st == CLQL_SUCCESS) st = clql_ref_forward(&k->w.shape, k->w.t, k->w.scales, hx, s.b, k->ref);
  if (st == CLQL_SUCCESS) st = check_output(ctx, k, y, hy);
  /* pipelined sequences: every copy once (at least 20 passes), a whole
   * number of input rotations, so each ends on the checked input */
  k->count = k->copies < 20 ? 20 : k->copies;
  k->count = (k->count + nx - 1) / nx * nx;
  return st;
}

static void run_free(kernel_run *k) {
  for (int i = 0; k->layers && i < k->copies; i++) clql_layer_destroy(k->layers[i]);
  free(k->layers), free(k->ref), free(k->times), free(k->dtimes);
  if (k->have_w) host_weights_free(&k->w);
}

/* Time forward passes of a shape's configurations (one per qtype) in
 * turns, A B C A B C ..., so that a drift of the machine's pace reaches
 * them alike and their ratios hold: each configuration's layers are its
 * weights' copies cycled (run_setup), inputs rotated through several
 * buffers. st[i] receives configuration i's status. */
static void bench_shape_set(clql_context *ctx, const options *o, const clql_qtype *qs, int nq,
                            bench_shape s, kernel_result *out, clql_status *st) {
  enum { NX = 4 };
  kernel_run runs[CLQL_QTYPE_COUNT_];
  memset(runs, 0, sizeof runs);
  cl_mem xs[NX] = {0}, y = NULL;
  float *hx = malloc(s.b * s.k * sizeof(float)), *hy = malloc(s.b * s.n * sizeof(float));
  cl_context cl = clql_context_cl_context(ctx);
  cl_int err = CL_SUCCESS;
  clql_status common = hx && hy ? CLQL_SUCCESS : CLQL_ERR_OUT_OF_HOST_MEMORY;
  for (int i = 0; i < NX && common == CLQL_SUCCESS; i++) {
    for (uint64_t j = 0; j < s.b * s.k; j++) hx[j] = tool_uniform(-2.0f, 2.0f);
    xs[i] = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, s.b * s.k * sizeof(float),
                           hx, &err);
    if (!xs[i]) common = (clql_status)err;
  }
  if (common == CLQL_SUCCESS) {
    y = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, s.b * s.n * sizeof(float), NULL, &err);
    if (!y) common = (clql_status)err;
  }
  for (int q = 0; q < nq; q++) {
    kernel_run *k = &runs[q];
    k->r = &out[q];
    memset(k->r, 0, sizeof *k->r);
    k->r->qtype = qs[q];
    k->r->s = s;
    k->st = common;
    if (k->st == CLQL_SUCCESS) k->st = run_setup(ctx, o, nq, k, xs, NX, hx, y, hy);
  }
  /* synchronous calls, enqueued and waited for as clql_layer_forward_mem */
  for (int i = 0; i < o->repeats; i++)
    for (int q = 0; q < nq; q++) {
      kernel_run *k = &runs[q];
      if (k->st != CLQL_SUCCESS) continue;
      cl_event first = NULL, last = NULL;
      double t0 = now_us();
      k->st = clql_layer_enqueue_events(k->layers[i % k->copies], xs[i % NX], y, s.b, &first,
                                        &last);
      if (k->st == CLQL_SUCCESS) k->st = clql_context_finish(ctx);
      double t1 = now_us();
      k->times[k->got] = t1 - t0;
      k->dtimes[k->got] = first && last ? pass_span_us(first, last) : NAN;
      k->got++;
      if (first) clReleaseEvent(first);
      if (last) clReleaseEvent(last);
    }
  /* pipelined sequences, in turns too; the last of each is checked */
  const int reps = o->quick ? 3 : 5;
  for (int rep = 0; rep < reps; rep++)
    for (int q = 0; q < nq; q++) {
      kernel_run *k = &runs[q];
      if (k->st != CLQL_SUCCESS) continue;
      k->st = time_pipelined(ctx, k->layers, k->copies, xs, NX, y, s.b, k->count, 1, &k->pt[rep]);
      if (k->st == CLQL_SUCCESS && rep == reps - 1) k->st = check_output(ctx, k, y, hy);
    }
  for (int q = 0; q < nq; q++) {
    kernel_run *k = &runs[q];
    kernel_result *r = k->r;
    if (k->st == CLQL_SUCCESS && k->got > 0) {
      double lo = k->times[0], hi = k->times[0];
      for (int i = 0; i < k->got; i++) lo = fmin(lo, k->times[i]), hi = fmax(hi, k->times[i]);
      r->min_us = lo;
      r->max_us = hi;
      r->median_us = median(k->times, k->got);
      r->device_us = median(k->dtimes, k->got);
      r->weight_gbs = r->weight_bytes / (r->median_us * 1e3);
      r->gops = 2.0 * (double)s.n * (double)s.k * (double)s.b / (r->median_us * 1e3);
      r->pipelined_us = median(k->pt, reps);
      r->pipelined_gbs = r->weight_bytes / (r->pipelined_us * 1e3);
    }
    st[q] = k->st;
    run_free(k);
  }
  for (int i = 0; i < NX; i++)
    if (xs[i]) clReleaseMemObject(xs[i]);
  if (y) clReleaseMemObject(y);
  free(hx), free(hy);
}

/* ---- a token: the linear layers of BitNet b1.58 2B4T ---- */

typedef enum {
  TOKEN_PLAIN,   /* 210 layers: q, k, v, o, gate, up, down */
  TOKEN_FUSED,   /* 120 layers: qkv, o, gate_up, down */
  TOKEN_REPLAYED /* the fused token as one clql_sequence */
} token_variant;

typedef struct {
  clql_qtype qtype;
  double ms, weight_bytes, weight_gbs, pct_of_copy, pct_of_read;
  double pipelined_ms, pipelined_gbs, pipelined_pct; /* enqueued, one wait */
  double pipelined_pct_read;
  const char *kernels; /* the family that ran (clql_layer_kernels) */
  uint64_t held_bytes, budget_bytes; /* what the context held for the token, of its budget */
  uint64_t launches;                 /* kernel launches of one token */
  int layers, ran, recorded;
} token_result;

/* Weight bandwidth as shares of the run's rooflines, once they are known. */
static void kernel_shares(kernel_result *r, const roofline *rf) {
  r->pct_of_copy = pct_of(r->weight_bytes, r->median_us, rf->copy_gbs);
  r->pct_of_read = pct_of(r->weight_bytes, r->median_us, rf->read_gbs);
  r->pipelined_pct = pct_of(r->weight_bytes, r->pipelined_us, rf->copy_gbs);
  r->pipelined_pct_read = pct_of(r->weight_bytes, r->pipelined_us, rf->read_gbs);
}

static void token_shares(token_result *t, const roofline *rf) {
  if (!t->ran) return;
  t->pct_of_copy = pct_of(t->weight_bytes, t->ms * 1e3, rf->copy_gbs);
  t->pct_of_read = pct_of(t->weight_bytes, t->ms * 1e3, rf->read_gbs);
  t->pipelined_pct = pct_of(t->weight_bytes, t->pipelined_ms * 1e3, rf->copy_gbs);
  t->pipelined_pct_read = pct_of(t->weight_bytes, t->pipelined_ms * 1e3, rf->read_gbs);
}

/* A block's layers, in order: (N, K) and the host weights they use. */
static const struct {
  uint64_t n, k;
} token_shapes[7] = {{2560, 2560}, {640, 2560}, {640, 2560}, {2560, 2560},
                     {6912, 2560}, {6912, 2560}, {2560, 6912}};
enum { BLOCKS = 30, PER_BLOCK = 7, PER_FUSED_BLOCK = 4 };

/* The layers of one block of the variant: plain, the 7 of token_shapes;
 * fused, qkv (parts 0-2), o, gate_up (parts 4-5) and down. w holds a block's
 * 7 host weights. */
static clql_status make_block(clql_context *ctx, token_variant v, host_weights *w,
                              clql_layer **out, double *bytes) {
  clql_status st = CLQL_SUCCESS;
  if (v == TOKEN_PLAIN) {
    for (int i = 0; i < PER_BLOCK && st == CLQL_SUCCESS; i++) {
      st = clql_layer_create(ctx, &w[i].packed, NULL, &out[i]);
      *bytes += (double)(w[i].packed.weights_bytes + w[i].packed.scales_bytes);
    }
    return st;
  }
  static const int runs[PER_FUSED_BLOCK][2] = {{0, 3}, {3, 4}, {4, 6}, {6, 7}};
  for (int f = 0; f < PER_FUSED_BLOCK && st == CLQL_SUCCESS; f++) {
    clql_ternary_weights parts[3];
    int n = 0;
    for (int i = runs[f][0]; i < runs[f][1]; i++, n++) {
      parts[n] = (clql_ternary_weights){.shape = w[i].shape, .t = w[i].t,
                                        .t_count = w[i].shape.n * w[i].shape.k,
                                        .scales = w[i].scales, .scale_count = w[i].scale_count};
      *bytes += (double)(w[i].packed.weights_bytes + w[i].packed.scales_bytes);
    }
    st = clql_layer_create_fused(ctx, parts, (size_t)n, NULL, &out[f]);
  }
  return st;
}

static json_t *num(double v);

/* A token's JSON object (null when it did not run). */
static json_t *token_json(const token_result *t) {
  if (!t->ran) return json_null();
  json_t *o = json_pack("{s:s,s:o,s:o,s:o,s:i,s:o,s:o,s:o,s:o,s:I,s:I,s:I}", "qtype",
                   clql_qtype_name(t->qtype), "ms", num(t->ms), "weight_gbs", num(t->weight_gbs),
                   "pct_of_copy", num(t->pct_of_copy), "layers", t->layers, "weight_bytes",
                   num(t->weight_bytes), "pipelined_ms", num(t->pipelined_ms),
                   "pipelined_weight_gbs", num(t->pipelined_gbs), "pipelined_pct_of_copy",
                   num(t->pipelined_pct), "held_bytes", (json_int_t)t->held_bytes,
                   "budget_bytes", (json_int_t)t->budget_bytes, "launches",
                   (json_int_t)t->launches);
  if (o) {
    json_object_set_new(o, "pct_of_read", num(t->pct_of_read));
    json_object_set_new(o, "pipelined_pct_of_read", num(t->pipelined_pct_read));
    json_object_set_new(o, "kernels", json_string(t->kernels ? t->kernels : ""));
  }
  return o;
}

static clql_status bench_token(clql_context *ctx, const options *o, clql_qtype q,
                               token_variant v, token_result *r) {
  memset(r, 0, sizeof *r);
  r->qtype = q;
  const int per_block = v == TOKEN_PLAIN ? PER_BLOCK : PER_FUSED_BLOCK;
  const int total = BLOCKS * per_block;
  host_weights w[PER_BLOCK]; /* one block's weights, reused by every block */
  memset(w, 0, sizeof w);
  clql_layer **layers = calloc((size_t)total, sizeof *layers);
  cl_mem x2560 = NULL, x6912 = NULL, y = NULL;
  double *times = NULL;
  clql_sequence *seq = NULL;
  clql_status st = layers ? CLQL_SUCCESS : CLQL_ERR_OUT_OF_HOST_MEMORY;
  for (int i = 0; i < PER_BLOCK && st == CLQL_SUCCESS; i++) /* fusing needs the logical form */
    st = host_weights_make(q, token_shapes[i].n, token_shapes[i].k, v != TOKEN_PLAIN, &w[i]);
  for (int b = 0; b < BLOCKS && st == CLQL_SUCCESS; b++) {
    st = make_block(ctx, v, w, layers + b * per_block, &r->weight_bytes);
    progress("token %s: uploading block %d/%d", clql_qtype_name(q), b + 1, BLOCKS);
  }
  cl_context cl = clql_context_cl_context(ctx);
  cl_int err = CL_SUCCESS;
  if (st == CLQL_SUCCESS) {
    float *h = malloc(6912 * sizeof(float));
    for (int i = 0; h && i < 6912; i++) h[i] = tool_uniform(-1.0f, 1.0f);
    x2560 = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 2560 * sizeof(float), h, &err);
    x6912 = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 6912 * sizeof(float), h, &err);
    y = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, 13824 * sizeof(float), NULL, &err);
    free(h);
    if (!x2560 || !x6912 || !y) st = err != CL_SUCCESS ? (clql_status)err : CLQL_ERR_OUT_OF_HOST_MEMORY;
  }
  /* each layer's input: 2560 wide but for down's 6912 (the last of a block) */
  cl_mem xs[PER_BLOCK];
  for (int i = 0; i < per_block; i++) xs[i] = i + 1 == per_block ? x6912 : x2560;
  if (st == CLQL_SUCCESS && v == TOKEN_REPLAYED) {
    st = clql_sequence_create(ctx, &seq);
    for (int i = 0; i < total && st == CLQL_SUCCESS; i++)
      st = clql_sequence_add(seq, layers[i], xs[i % per_block], y, 1);
  }
  int reps = o->quick ? 3 : 7, got = 0;
  times = calloc((size_t)reps, sizeof *times);
  if (!times) st = CLQL_ERR_OUT_OF_HOST_MEMORY;
  const uint64_t launches0 = clql_context_launches(ctx);
  for (int rep = -1; rep < reps && st == CLQL_SUCCESS; rep++) { /* one warm-up token */
    double t0 = now_us();
    if (seq) {
      st = clql_sequence_enqueue(seq, NULL);
      clql_status fst = clql_context_finish(ctx);
      if (st == CLQL_SUCCESS) st = fst;
    }
    for (int i = 0; !seq && i < total && st == CLQL_SUCCESS; i++)
      st = clql_layer_forward_mem(layers[i], xs[i % per_block], y, 1);
    double t1 = now_us();
    if (rep < 0) r->launches = clql_context_launches(ctx) - launches0;
    if (rep >= 0) times[got++] = t1 - t0;
    progress("token %s: %d/%d", clql_qtype_name(q), rep + 2, reps + 1);
  }
  if (st == CLQL_SUCCESS && got) {
    r->ran = 1;
    r->layers = total;
    r->ms = median(times, got) / 1e3;
    r->weight_gbs = r->weight_bytes / (r->ms * 1e6);
    r->kernels = clql_layer_kernels(layers[0]);
  }
  /* The same token with one wait: enqueued back to back (a sequence:
   * several tokens replayed, then one wait) */
  double us = NAN;
  if (st == CLQL_SUCCESS && !seq)
    st = time_pipelined(ctx, layers, total, xs, per_block, y, 1, total, reps, &us);
  if (st == CLQL_SUCCESS && seq) {
    double t0 = now_us();
    for (int i = 0; i < reps && st == CLQL_SUCCESS; i++) st = clql_sequence_enqueue(seq, NULL);
    clql_status fst = clql_context_finish(ctx);
    if (st == CLQL_SUCCESS) st = fst;
    us = (now_us() - t0) / reps / total;
  }
  clql_context_memory held;
  if (st == CLQL_SUCCESS && clql_context_get_memory(ctx, &held) == CLQL_SUCCESS)
    r->held_bytes = held.held, r->budget_bytes = held.budget.bytes;
  clql_sequence_info info;
  if (seq && clql_sequence_get_info(seq, &info) == CLQL_SUCCESS) r->recorded = info.recorded;
  if (st == CLQL_SUCCESS && r->ran) {
    r->pipelined_ms = us * total / 1e3;
    r->pipelined_gbs = r->weight_bytes / (r->pipelined_ms * 1e6);
  }
  clql_sequence_destroy(seq);
  for (int i = 0; layers && i < total; i++) clql_layer_destroy(layers[i]);
  free(layers);
  free(times);
  if (x2560) clReleaseMemObject(x2560);
  if (x6912) clReleaseMemObject(x6912);
  if (y) clReleaseMemObject(y);
  for (int i = 0; i < PER_BLOCK; i++) host_weights_free(&w[i]);
  return st;
}

/* ---- peers on the same device and host ---- */

static double bench_reference(bench_shape s, int repeats) {
  host_weights w;
  if (host_weights_make(CLQL_QTYPE_I2S, s.n, s.k, 1, &w) != CLQL_SUCCESS) return NAN;
  float *x = malloc(s.b * s.k * sizeof(float)), *y = malloc(s.b * s.n * sizeof(float));
  double *t = calloc((size_t)repeats, sizeof *t), med = NAN;
  if (x && y && t) {
    for (uint64_t i = 0; i < s.b * s.k; i++) x[i] = tool_uniform(-1.0f, 1.0f);
    for (int i = 0; i < repeats; i++) {
      double t0 = now_us();
      clql_ref_forward(&w.shape, w.t, w.scales, x, s.b, y);
      t[i] = now_us() - t0;
    }
    med = median(t, repeats);
  }
  free(x), free(y), free(t);
  host_weights_free(&w);
  return med;
}

#ifdef CLQL_HAVE_CLBLAST
/* The equivalent dense fp32 layer through CLBlast: sgemv for B = 1, else
 * sgemm Y[B][N] = X[B][K] * W[N][K]^T. */
/* One call of CLBlast's sgemv (B = 1) or sgemm on the dense fp32 layer. */
static CLBlastStatusCode clblast_call(bench_shape s, cl_mem a, cl_mem x, cl_mem y,
                                      cl_command_queue *queue) {
  return s.b == 1 ? CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, s.n, s.k, 1.0f, a, 0,
                                 s.k, x, 0, 1, 0.0f, y, 0, 1, queue, NULL)
                  : CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                                 s.b, s.n, s.k, 1.0f, x, 0, s.k, a, 0, s.k, 0.0f, y, 0, s.n, queue,
                                 NULL);
}

/* Median time of a synchronous call; *pipelined: per call of `repeats`
 * calls enqueued back to back with one clFinish. */
static double bench_clblast(clql_context *ctx, bench_shape s, int repeats, double *pipelined,
                            char *note, size_t nsize) {
  *pipelined = NAN;
  cl_context cl = clql_context_cl_context(ctx);
  cl_command_queue queue = clql_context_queue(ctx);
  cl_int err = CL_SUCCESS;
  uint64_t wbytes = s.n * s.k * sizeof(float);
  const clql_device_info *d = clql_context_device_info(ctx);
  if (wbytes > d->memory.max_alloc) {
    snprintf(note, nsize, "dense weights exceed max_alloc");
    return NAN;
  }
  cl_mem a = clCreateBuffer(cl, CL_MEM_READ_ONLY, wbytes, NULL, &err);
  cl_mem x = clCreateBuffer(cl, CL_MEM_READ_ONLY, s.b * s.k * sizeof(float), NULL, &err);
  cl_mem y = clCreateBuffer(cl, CL_MEM_READ_WRITE, s.b * s.n * sizeof(float), NULL, &err);
  double *t = calloc((size_t)repeats, sizeof *t), med = NAN;
  float one = 0.5f;
  int got = 0;
  if (a && x && y && t) {
    clEnqueueFillBuffer(queue, a, &one, sizeof one, 0, wbytes, 0, NULL, NULL);
    clEnqueueFillBuffer(queue, x, &one, sizeof one, 0, s.b * s.k * sizeof(float), 0, NULL, NULL);
    clFinish(queue);
    for (int i = -1; i < repeats; i++) {
      double t0 = now_us();
      CLBlastStatusCode sc = clblast_call(s, a, x, y, &queue);
      clFinish(queue);
      if (sc != CLBlastSuccess) {
        snprintf(note, nsize, "CLBlast status %d", (int)sc);
        break;
      }
      if (i >= 0) t[got++] = now_us() - t0;
    }
    if (got) med = median(t, got);
    if (got == repeats) {
      double t0 = now_us();
      CLBlastStatusCode sc = CLBlastSuccess;
      for (int i = 0; i < repeats && sc == CLBlastSuccess; i++) sc = clblast_call(s, a, x, y, &queue);
      clFinish(queue);
      if (sc == CLBlastSuccess) *pipelined = (now_us() - t0) / repeats;
    }
  } else {
    snprintf(note, nsize, "allocation failed");
  }
  if (a) clReleaseMemObject(a);
  if (x) clReleaseMemObject(x);
  if (y) clReleaseMemObject(y);
  free(t);
  return med;
}
#endif

/* ---- cost of the memory logic per forward ---- */

typedef struct {
  double probe_cached_us, probe_uncached_us, plan_us, gemv_us, pct_cached, pct_uncached;
} overhead_result;

static void bench_overhead(clql_context *ctx, double gemv_us, overhead_result *r) {
  memset(r, 0, sizeof *r);
  cl_device_id dev = clql_context_device(ctx);
  clql_memory_report m;
  clql_layer_shape s = {.n = 2560, .k = 2560, .qtype = CLQL_QTYPE_I2S, .group_size = CLQL_GROUP_ROW};
  clql_layer_plan p;
  const int cached_n = 2000, uncached_n = 100, plan_n = 2000;
  clql_device_memory(dev, &m); /* fill the cache */
  double t0 = now_us();
  for (int i = 0; i < cached_n; i++) clql_device_memory(dev, &m);
  r->probe_cached_us = (now_us() - t0) / cached_n;
  t0 = now_us();
  for (int i = 0; i < uncached_n; i++) clql_device_memory_refresh(dev, &m);
  r->probe_uncached_us = (now_us() - t0) / uncached_n;
  t0 = now_us();
  for (int i = 0; i < plan_n; i++)
    clql_plan_layer(&m, &tool_budget, &s, 1, CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT, &p);
  r->plan_us = (now_us() - t0) / plan_n;
  r->gemv_us = gemv_us;
  r->pct_cached = 100.0 * (r->probe_cached_us + r->plan_us) / gemv_us;
  r->pct_uncached = 100.0 * (r->probe_uncached_us + r->plan_us) / gemv_us;
}

/* ---- output ---- */

static json_t *num(double v) { return isnan(v) ? json_null() : json_real(v); }

static void usage(FILE *out) {
  fprintf(out,
          "usage: clql-bench [options]\n"
          "Benchmark clql's ternary kernels on one OpenCL device against its own copy\n"
          "bandwidth, CLBlast fp32 (when built with it) and the scalar C reference.\n\n"
          "  -d, --device SEL    device (P:D, index or name text; default: CLQL_DEVICE or the default)\n"
          "  -q, --qtype Q       I2S, TL1 or TL2 (repeatable; default all three)\n"
          "  -s, --shape NxKxB   a layer shape to time (repeatable; default: the 2B4T shapes\n"
          "                      at B=1 and 2560x6912 at B=128)\n"
          "  -r, --repeats N     timed repeats per configuration (>= 10; default 20)\n"
          "      --quick         a run of well under a minute on a 2-core machine\n"
          "      --no-token      skip the 210-layer token\n"
          "      --no-peers      skip CLBlast and the host reference\n"
          "      --json          results as JSON on stdout\n"
          "      --csv           results as CSV on stdout\n"
          "      --plot FILE     PNG of GB/s per shape against the copy bandwidth (gnuplot)\n"
          "  -h, --help          this help\n\n"
          "exit codes: 0 ok, 1 a kernel disagreed with the reference, 2 bad arguments,\n"
          "            4 a layer does not fit the budget, 5 the device failed a benchmark\n"
          "            (a kernel does not build, a layer cannot be created or run),\n"
          "            6 no such device, 9 no OpenCL platform, 255 internal error\n");
}

static void plot(const char *file, const char *device, double copy_gbs, const kernel_result *r, int n) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
    fprintf(stderr, "clql-bench: gnuplot not installed; no plot written (apt-get install gnuplot-nox)\n");
    return;
  }
  FILE *g = popen("gnuplot", "w");
  if (!g) return;
  char title[CLQL_NAME_MAX];
  tool_gnuplot_text(device, title, sizeof title); /* the driver's text inside a gnuplot string */
  fprintf(g, "set terminal pngcairo size 1000,560 noenhanced\nset output '%s'\n", file);
  fprintf(g, "set title 'clql on %s: weight GB/s per layer shape'\nset ylabel 'GB/s'\n", title);
  fprintf(g, "set style data histograms\nset style fill solid 0.8\nset boxwidth 0.8\n"
             "set xtics rotate by -30\nset key top left\nset yrange [0:*]\n");
  if (!isnan(copy_gbs)) fprintf(g, "set arrow from graph 0, first %g to graph 1, first %g nohead lw 2 lc 'red'\n"
                                   "set label 'copy bandwidth %.1f GB/s' at graph 0.6, first %g offset 0,0.7\n",
                                copy_gbs, copy_gbs, copy_gbs, copy_gbs);
  fprintf(g, "plot '-' using 2:xtic(1) title 'GB/s of weights'\n");
  for (int i = 0; i < n; i++)
    fprintf(g, "\"%s %llux%llu B%llu\" %g\n", clql_qtype_name(r[i].qtype), (unsigned long long)r[i].s.n,
            (unsigned long long)r[i].s.k, (unsigned long long)r[i].s.b, r[i].weight_gbs);
  fprintf(g, "e\n");
  if (pclose(g) != 0) fprintf(stderr, "clql-bench: gnuplot failed\n");
}

int main(int argc, char **argv) {
  options o;
  int rc = bench_args_parse(argc, argv, &o);
  if (rc == TOOL_EXIT_OK && o.then == TOOL_SHOW_HELP) {
    usage(stdout);
    return TOOL_EXIT_OK;
  }
  if (rc == TOOL_EXIT_OK) rc = tool_config_read("clql-bench");
  if (rc == TOOL_EXIT_OK) rc = tool_one_device("clql-bench", o.selector);
  if (rc != TOOL_EXIT_OK) return rc;
  progress_enabled = isatty(2);
  clql_context *ctx = NULL;
  clql_status st = clql_context_create(o.selector, tool_config, &ctx);
  if (st != CLQL_SUCCESS) return tool_fail("clql-bench", st);
  const clql_device_info *dev = clql_context_device_info(ctx);
  if (o.quick) o.repeats = o.repeats > 10 ? 10 : o.repeats;

  progress("copy and read bandwidth");
  roofline before, after, rf;
  measure_rooflines(ctx, &o, &before);

  kernel_result results[MAX_SHAPES * CLQL_QTYPE_COUNT_];
  int nres = 0, bad = 0;
  double gemv_2560_us = NAN, i2s_us[MAX_SHAPES], i2s_pipelined_us[MAX_SHAPES];
  for (int i = 0; i < o.nshapes; i++) i2s_us[i] = i2s_pipelined_us[i] = NAN;
  for (int i = 0; i < o.nshapes; i++) {
    clql_qtype qs[CLQL_QTYPE_COUNT_];
    int nq = 0;
    for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) {
      if (!(o.qtypes & (1u << q))) continue;
      /* --quick: GEMM only for I2S */
      if (o.quick && o.shapes[i].b > 1 && q != CLQL_QTYPE_I2S) continue;
      qs[nq++] = (clql_qtype)q;
    }
    if (nq == 0) continue;
    progress("%llux%llu B=%llu", (unsigned long long)o.shapes[i].n,
             (unsigned long long)o.shapes[i].k, (unsigned long long)o.shapes[i].b);
    clql_status sts[CLQL_QTYPE_COUNT_];
    const int base = nres;
    bench_shape_set(ctx, &o, qs, nq, o.shapes[i], &results[base], sts);
    for (int q = 0; q < nq; q++) {
      if (sts[q] != CLQL_SUCCESS) {
        rc = failed("kernel benchmark", sts[q], rc);
        continue;
      }
      kernel_result *r = &results[nres];
      if (nres != base + q) *r = results[base + q]; /* close the gap of a failed one */
      bad += r->mismatches != 0;
      if (qs[q] == CLQL_QTYPE_I2S) {
        i2s_us[i] = r->median_us;
        i2s_pipelined_us[i] = r->pipelined_us;
        if (o.shapes[i].n == 2560 && o.shapes[i].k == 2560 && o.shapes[i].b == 1)
          gemv_2560_us = r->median_us;
      }
      nres++;
    }
  }

  token_result token = {0}, token_fused = {0}, token_replayed = {0};
  if (o.token) {
    clql_qtype tq = (o.qtypes & 1u) ? CLQL_QTYPE_I2S : (o.qtypes & 2u) ? CLQL_QTYPE_TL1 : CLQL_QTYPE_TL2;
    st = bench_token(ctx, &o, tq, TOKEN_PLAIN, &token);
    if (st != CLQL_SUCCESS) rc = failed("token", st, rc);
    st = bench_token(ctx, &o, tq, TOKEN_FUSED, &token_fused);
    if (st != CLQL_SUCCESS) rc = failed("token_fused", st, rc);
    st = bench_token(ctx, &o, tq, TOKEN_REPLAYED, &token_replayed);
    if (st != CLQL_SUCCESS) rc = failed("token_replayed", st, rc);
  }

  /* The rooflines again: the VM or the host may have changed pace. */
  progress("copy and read bandwidth again");
  measure_rooflines(ctx, &o, &after);
  /* each the higher of the two, what the device showed it can do during
   * the run (NAN where neither ran) */
  rf = before;
  rf.copy_gbs = fmax(before.copy_gbs, after.copy_gbs);
  rf.read_gbs = fmax(before.read_gbs, after.read_gbs);
  for (int i = 0; i < nres; i++) kernel_shares(&results[i], &rf);
  token_shares(&token, &rf);
  token_shares(&token_fused, &rf);
  token_shares(&token_replayed, &rf);

  peer_result peers[2 * MAX_SHAPES];
  int npeers = 0;
  for (int i = 0; o.peers && i < o.nshapes; i++) {
    if (o.quick && o.shapes[i].b > 1) continue; /* the host reference of a GEMM takes seconds */
    peer_result *p = &peers[npeers++];
    memset(p, 0, sizeof *p);
    p->name = "reference-c";
    p->s = o.shapes[i];
    progress("host reference %llux%llu", (unsigned long long)p->s.n, (unsigned long long)p->s.k);
    p->median_us = p->pipelined_us = bench_reference(p->s, o.quick ? 3 : 5); /* no queue */
    p->ran = !isnan(p->median_us);
    p->ratio = p->median_us / i2s_us[i];
    p->pipelined_ratio = p->median_us / i2s_pipelined_us[i];
#ifdef CLQL_HAVE_CLBLAST
    p = &peers[npeers++];
    memset(p, 0, sizeof *p);
    p->name = "clblast-fp32";
    p->s = o.shapes[i];
    progress("CLBlast %llux%llu", (unsigned long long)p->s.n, (unsigned long long)p->s.k);
    p->median_us = bench_clblast(ctx, p->s, o.quick ? 3 : 10, &p->pipelined_us, p->note,
                                 sizeof p->note);
    p->ran = !isnan(p->median_us);
    p->ratio = p->median_us / i2s_us[i];
    p->pipelined_ratio = p->pipelined_us / i2s_pipelined_us[i];
#endif
  }
#ifndef CLQL_HAVE_CLBLAST
  const char *clblast_note = "CLBlast not found at build time (apt-get install libclblast-dev)";
#else
  const char *clblast_note = NULL;
#endif

  overhead_result ov;
  bench_overhead(ctx, gemv_2560_us, &ov);
  progress("%s", "");
  if (progress_enabled) fprintf(stderr, "\r\033[K");

  if (o.json) {
    json_t *res = json_array(), *pj = json_array();
    for (int i = 0; i < nres; i++) {
      const kernel_result *r = &results[i];
      json_t *one = json_pack("{s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:I}",
          "qtype", clql_qtype_name(r->qtype), "n", (json_int_t)r->s.n, "k", (json_int_t)r->s.k,
          "b", (json_int_t)r->s.b, "median_us", num(r->median_us), "min_us", num(r->min_us),
          "max_us", num(r->max_us), "device_us", num(r->device_us), "weight_gbs", num(r->weight_gbs),
          "pct_of_copy", num(r->pct_of_copy), "gops", num(r->gops), "weight_copies", r->copies,
          "mismatches", (json_int_t)r->mismatches);
      json_object_set_new(one, "pipelined_us", num(r->pipelined_us));
      json_object_set_new(one, "pipelined_weight_gbs", num(r->pipelined_gbs));
      json_object_set_new(one, "pipelined_pct_of_copy", num(r->pipelined_pct));
      json_object_set_new(one, "pct_of_read", num(r->pct_of_read));
      json_object_set_new(one, "pipelined_pct_of_read", num(r->pipelined_pct_read));
      json_object_set_new(one, "kernels", json_string(r->kernels ? r->kernels : ""));
      json_array_append_new(res, one);
    }
    for (int i = 0; i < npeers; i++) {
      const peer_result *p = &peers[i];
      json_array_append_new(pj, json_pack("{s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "name", p->name,
          "n", (json_int_t)p->s.n, "k", (json_int_t)p->s.k, "b", (json_int_t)p->s.b, "median_us",
          num(p->median_us), "ratio", num(p->ratio), "pipelined_us", num(p->pipelined_us),
          "pipelined_ratio", num(p->pipelined_ratio)));
    }
    json_t *tok = token_json(&token), *tok_fused = token_json(&token_fused),
           *tok_replayed = token_json(&token_replayed);
    if (tok_replayed && token_replayed.ran)
      json_object_set_new(tok_replayed, "recorded", json_boolean(token_replayed.recorded));
    json_t *root = json_pack("{s:o,s:o,s:I,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "device",
        tool_json_string(dev->name), "copy_gbs", num(rf.copy_gbs), "copy_bytes",
        (json_int_t)rf.bytes, "read_gbs", num(rf.read_gbs), "read_bytes", (json_int_t)rf.bytes,
        "results", res, "token", tok, "token_fused", tok_fused,
        "token_replayed", tok_replayed, "peers", pj,
        "overhead", json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "probe_cached_us", num(ov.probe_cached_us),
                              "probe_uncached_us", num(ov.probe_uncached_us), "plan_us", num(ov.plan_us),
                              "gemv_2560_us", num(ov.gemv_us), "pct_cached", num(ov.pct_cached),
                              "pct_uncached", num(ov.pct_uncached)),
        "quick", o.quick);
    if (clblast_note) json_object_set_new(root, "clblast", json_string(clblast_note));
    /* the kernel family the token's layers (else the first result's) ran */
    const char *fam = token.ran ? token.kernels : nres ? results[0].kernels : NULL;
    json_object_set_new(root, "kernels", fam ? json_string(fam) : json_null());
    json_object_set_new(root, "wait", json_string(clql_context_wait_mode(ctx)));
    json_object_set_new(root, "copy_gbs_before", num(before.copy_gbs));
    json_object_set_new(root, "copy_gbs_after", num(after.copy_gbs));
    json_object_set_new(root, "read_gbs_before", num(before.read_gbs));
    json_object_set_new(root, "read_gbs_after", num(after.read_gbs));
    char *text = json_dumps(root, TOOL_JSON_FLAGS | JSON_REAL_PRECISION(6));
    if (text) puts(text);
    free(text);
    json_decref(root);
  } else if (o.csv) {
    printf("kind,qtype,n,k,b,median_us,min_us,max_us,weight_gbs,pct_of_copy,ratio,"
           "pipelined_us,pipelined_pct_of_copy,pipelined_ratio,device_us,pct_of_read,"
           "pipelined_pct_of_read\n");
    for (int i = 0; i < nres; i++) {
      const kernel_result *r = &results[i];
      printf("kernel,%s,%llu,%llu,%llu,%.2f,%.2f,%.2f,%.3f,%.1f,,%.2f,%.1f,,%.2f,%.1f,%.1f\n",
             clql_qtype_name(r->qtype), (unsigned long long)r->s.n, (unsigned long long)r->s.k,
             (unsigned long long)r->s.b, r->median_us, r->min_us, r->max_us, r->weight_gbs,
             r->pct_of_copy, r->pipelined_us, r->pipelined_pct, r->device_us, r->pct_of_read,
             r->pipelined_pct_read);
    }
    for (int i = 0; i < npeers; i++)
      printf("%s,,%llu,%llu,%llu,%.2f,,,,,%.2f,%.2f,,%.2f,,,\n", peers[i].name,
             (unsigned long long)peers[i].s.n, (unsigned long long)peers[i].s.k,
             (unsigned long long)peers[i].s.b, peers[i].median_us, peers[i].ratio,
             peers[i].pipelined_us, peers[i].pipelined_ratio);
    const token_result *toks[3] = {&token, &token_fused, &token_replayed};
    const char *tok_names[3] = {"token", "token_fused", "token_replayed"};
    for (int t = 0; t < 3; t++)
      if (toks[t]->ran)
        printf("%s,%s,%d,,1,%.2f,,,%.3f,%.1f,,%.2f,%.1f,,,%.1f,%.1f\n", tok_names[t],
               clql_qtype_name(toks[t]->qtype), toks[t]->layers, toks[t]->ms * 1e3,
               toks[t]->weight_gbs, toks[t]->pct_of_copy, toks[t]->pipelined_ms * 1e3,
               toks[t]->pipelined_pct, toks[t]->pct_of_read, toks[t]->pipelined_pct_read);
  } else {
    printf("device: %s\n", tool_text(dev->name));
    printf("copy bandwidth: %.2f GB/s (read + write of %llu MiB, median of %d; %.2f before and "
           "%.2f after the kernels)\n",
           rf.copy_gbs, (unsigned long long)(rf.bytes / MIB), o.repeats, before.copy_gbs,
           after.copy_gbs);
    printf("read bandwidth: %.2f GB/s (read of %llu MiB, median of %d; %.2f before and %.2f "
           "after)\n",
           rf.read_gbs, (unsigned long long)(rf.bytes / MIB), o.repeats, before.read_gbs,
           after.read_gbs);
    printf("kernels: %s, synchronous calls %s (CLQL_WAIT)\n\n",
           nres ? results[0].kernels : token.ran ? token.kernels : "-", clql_context_wait_mode(ctx));
    printf("%-4s %6s %6s %5s %9s %11s %9s %8s %6s %9s %6s %6s %5s\n", "QT", "N", "K", "B",
           "sync_us", "min..max", "device_us", "GB/s", "%read", "piped_us", "%read", "%copy",
           "exact");
    for (int i = 0; i < nres; i++) {
      const kernel_result *r = &results[i];
      char range[32];
      snprintf(range, sizeof range, "%.0f..%.0f", r->min_us, r->max_us);
      printf("%-4s %6llu %6llu %5llu %9.1f %11s %9.1f %8.2f %5.1f%% %9.1f %5.1f%% %5.1f%% %5s\n",
             clql_qtype_name(r->qtype), (unsigned long long)r->s.n, (unsigned long long)r->s.k,
             (unsigned long long)r->s.b, r->median_us, range, r->device_us, r->weight_gbs,
             r->pct_of_read, r->pipelined_us, r->pipelined_pct_read, r->pipelined_pct,
             r->mismatches ? "NO" : "yes");
    }
    const token_result *toks[3] = {&token, &token_fused, &token_replayed};
    const char *tok_titles[3] = {"token", "token, fused layers",
                                 "token, fused layers replayed as one sequence"};
    for (int t = 0; t < 3; t++)
      if (toks[t]->ran)
        printf("\n%s (%d layers of 2B4T, %s, %.0f MB of weights, %llu launches%s):\n"
               "  a wait per %-10s %7.2f ms, %8.2f GB/s, %5.1f%% of read, %5.1f%% of copy\n"
               "  one wait per token     %7.2f ms, %8.2f GB/s, %5.1f%% of read, %5.1f%% of copy\n",
               tok_titles[t], toks[t]->layers, clql_qtype_name(toks[t]->qtype),
               toks[t]->weight_bytes / 1e6, (unsigned long long)toks[t]->launches,
               t == 2 ? (toks[t]->recorded ? ", command buffer" : ", enqueued") : "",
               t == 2 ? "token" : "layer", toks[t]->ms, toks[t]->weight_gbs,
               toks[t]->pct_of_read, toks[t]->pct_of_copy, toks[t]->pipelined_ms,
               toks[t]->pipelined_gbs, toks[t]->pipelined_pct_read, toks[t]->pipelined_pct);
    if (npeers)
      printf("\npeers (ratio = peer time / clql I2S time, same shape; synchronous, pipelined;\n"
             "the peers reuse one copy of their weights, so they may run from cache):\n");
    for (int i = 0; i < npeers; i++)
      printf("  %-13s %6llu %6llu %5llu %11.1f us %7.2fx %11.1f us %7.2fx %s\n", peers[i].name,
             (unsigned long long)peers[i].s.n, (unsigned long long)peers[i].s.k,
             (unsigned long long)peers[i].s.b, peers[i].median_us, peers[i].ratio,
             peers[i].pipelined_us, peers[i].pipelined_ratio, peers[i].note);
    if (clblast_note) printf("  %s\n", clblast_note);
    printf("\nmemory logic per forward: probe %.2f us cached, %.1f us uncached; plan %.2f us;\n"
           "  = %.3f%% (cached) / %.2f%% (uncached) of a 2560x2560 I2S GEMV (%.1f us)\n",
           ov.probe_cached_us, ov.probe_uncached_us, ov.plan_us, ov.pct_cached, ov.pct_uncached,
           ov.gemv_us);
  }
  if (o.plot) plot(o.plot, dev->name, rf.copy_gbs, results, nres);
  clql_context_destroy(ctx);
  return rc ? rc : bad ? TOOL_EXIT_DIFFERS : TOOL_EXIT_OK;
}
