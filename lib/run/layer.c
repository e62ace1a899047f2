/* Ternary layers on a device: upload, planning, workspace, chunked forward
 * passes and the out-of-memory retry (include/clql/layer.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"
#include "layer.h"

/* The x86 kernels' blocks: a whole tile of 16 rows per work-item for GEMV;
 * for GEMM 8 rows x 4 tokens, which keeps the int32 accumulators and the
 * decoded weights in the 32 vector registers. TL2 takes 8 tokens: on AVX2
 * (16 registers, every 512-bit step two) its decode costs over twice I2S's
 * per weight, which 8 tokens share (docs/kernels.md: 0.88-0.93x the time
 * of 4 tokens on an AVX2-only CPU). */
#define X86_GEMV_ROWS 16u
#define X86_GEMM_ROWS 8u
#define X86_GEMM_TOKENS 4u
#define X86_GEMM_TOKENS_TL2 8u

/* x86 GEMV (batch 1, one launch): work-groups of X86_GEMV_LOCAL_MAX
 * work-items at most. Each quantizes x (K floats) once. On the context's
 * workspace one work-group per compute unit, whose work-items claim runs of
 * tiles from the workspace's counters: two quantizations, and a thread that
 * PoCL wakes late takes less. On a caller's workspace (counters unknown) a
 * static split: X86_GEMV_SPAN / K work-groups per compute unit, 1 to 8, to
 * even out the threads (docs/kernels.md). */
#define X86_GEMV_LOCAL_MAX 4u
#define X86_GEMV_SPAN 20480u

/* Splits of K in a K-split work-group (16 rows each): for GEMV enough that
 * every work-item has about KSPLIT_GEMV_UNITS units (of 32 weights, TL2 96),
 * at most 32; for GEMM the tokens give parallelism too, and 8 splits leave
 * more work-groups in flight. */
#define KSPLIT_GEMV_UNITS 4u
#define KSPLIT_GEMV_MAX 32u
#define KSPLIT_GEMM 8u

clql_status clql_buffer_create(clql_context *ctx, cl_mem_flags flags, uint64_t bytes, void *host,
                               const char *what, cl_mem *out) {
  *out = NULL;
  size_t size;
  if (bytes == 0 || !clql_to_size(bytes, &size))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%s buffer of %llu bytes", what,
                     (unsigned long long)bytes);
  cl_int err = clql_fault_check(ctx, CLQL_FAULT_ALLOC, size);
  if (err == CL_SUCCESS) *out = clCreateBuffer(ctx->context, flags, size, host, &err);
  if (err == CL_SUCCESS && !*out) err = CL_OUT_OF_HOST_MEMORY;
  if (err != CL_SUCCESS) {
    if (*out) clReleaseMemObject(*out);
    *out = NULL;
    return clql_fail((clql_status)err, "%s buffer of %llu bytes: %s", what,
                     (unsigned long long)bytes, clql_status_name(err));
  }
  return CLQL_SUCCESS;
}

static int is_oom(clql_status st) {
  return st == CL_MEM_OBJECT_ALLOCATION_FAILURE || st == CL_OUT_OF_RESOURCES;
}

static unsigned floor_pow2(uint64_t v, unsigned max) {
  unsigned p = 1;
  while (p * 2 <= max && p * 2 <= v) p *= 2;
  return p;
}

/* Rows per work-item: the device's preferred int vector width (1 to 16; 1
 * when the device does not say). Out of resources is an error, not a reason
 * to build slower kernels. */
static clql_status device_rows(clql_context *ctx, unsigned *rows) {
  cl_uint width = 1;
  cl_int err = clGetDeviceInfo(ctx->device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT, sizeof width,
                               &width, NULL);
  if (clql_cl_resource_error(err))
    return clql_fail((clql_status)err, "vector width query: %s", clql_status_name(err));
  if (err != CL_SUCCESS) width = 1;
  *rows = floor_pow2(width ? width : 1, CLQL_ROW_MULTIPLE);
  return CLQL_SUCCESS;
}

/* ---- kernels ---- */

static clql_status set_args(cl_kernel k, const char *name, size_t count, const size_t *sizes,
                            const void *const *values) {
  for (size_t i = 0; i < count; i++) {
    cl_int err = clSetKernelArg(k, (cl_uint)i, sizes[i], values[i]);
    if (err != CL_SUCCESS)
      return clql_fail(CLQL_ERR_INTERNAL, "argument %zu of %s: %s", i, name, clql_status_name(err));
  }
  return CLQL_SUCCESS;
}

static size_t round_up_size(size_t v, size_t m) { return (v + m - 1) / m * m; }

/* The portable and K-split kernels' program (ROWS x TOKENS block), or with
 * simd the x86 kernels' (VECS row vectors x TOKENS). */
static clql_status kernel_for(clql_layer *L, const char *name, int simd, unsigned block,
                              unsigned tokens, cl_kernel *out) {
  char opts[160];
  if (!clql_product_options(opts, sizeof opts, simd, block, tokens, L->x86, L->div_rn))
    return clql_fail(CLQL_ERR_INTERNAL, "build options of %s too long", name);
  return clql_kernel_get(L->ctx, "ternary", name, opts, out);
}

/* Whether the device divides correctly rounded when a program asks for it:
 * then every output's division is one instruction instead of a search. A
 * failed query is an error, not a "no": guessing would build and cache a
 * second variant of every program. */
static clql_status device_div_rn(clql_context *ctx, int *out) {
  cl_device_fp_config fp = 0;
  cl_int err = clGetDeviceInfo(ctx->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL);
  if (err != CL_SUCCESS)
    return clql_fail((clql_status)err, "CL_DEVICE_SINGLE_FP_CONFIG query failed");
  *out = (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
  return CLQL_SUCCESS;
}

/* Weights per unit of the kernels' group loops: a 96-weight TL2 granule; a
 * 128-weight block (x86) or 32 weights (portable) for I2S and TL1. */
static uint64_t kernel_unit(const clql_layer *L, int simd) {
  return L->shape.qtype == CLQL_QTYPE_TL2 ? 96 : simd ? 128 : 32;
}

/* Rows in one vector register of the x86 kernels. */
static unsigned x86_row_vector(const clql_layer *L) {
  return L->shape.qtype == CLQL_QTYPE_TL2 ? 4 : 2;
}

/* Local memory of an x86 GEMV work-group of `local` work-items
 * (cl_kernels/ternary.cl, GEMV_ARGS): the activations, the group sums and
 * the partial maxima, each 64-byte aligned, and 64 bytes to align the
 * first. 0 when it overflows. */
static int x86_gemv_scratch(const clql_layer *L, size_t local, uint64_t *bytes) {
  const uint64_t act = (L->wb.k_padded + 63) / 64 * 64;
  const uint64_t sums = ((uint64_t)L->ngroups + 15) / 16 * 64;
  return clql_add_u64(act, sums, bytes) && clql_add_u64(*bytes, 64 + 4 * (uint64_t)local, bytes);
}

/* Work-items of a K-split work-group for a pass of `batch` tokens: a multiple
 * of 16 (one tile's rows) within what the device and kernel allow; 0 when
 * that is less than 16. */
static size_t ksplit_local(clql_layer *L, cl_kernel k, cl_uint batch) {
  const uint64_t units = L->wb.k_padded / kernel_unit(L, 0);
  const unsigned splits = batch == 1 ? floor_pow2(units / KSPLIT_GEMV_UNITS, KSPLIT_GEMV_MAX)
                                     : KSPLIT_GEMM;
  size_t local = clql_work_group_size(L->ctx, k, 16 * (size_t)splits);
  return local >= 16 ? local : 0;
}

/* Whether the device runs the K-split kernels of the layer, GEMV and GEMM:
 * work-groups of at least 16 work-items, and their local array within the
 * device's local memory (else every pass would fail with out of resources,
 * which the layer would take for out of memory). */
static clql_status ksplit_fits(clql_layer *L, int *fits) {
  *fits = 0;
  const cl_ulong have = L->ctx->info.local_mem;
  const unsigned tokens[2] = {1, L->tokens};
  for (int i = 0; i < 2; i++) {
    cl_kernel k;
    cl_ulong used = 0;
    clql_status st = kernel_for(L, clql_product_kernel_names[CLQL_FAMILY_KSPLIT][L->shape.qtype],
                                0, L->rows, tokens[i], &k);
    if (st != CLQL_SUCCESS) return st;
    cl_int err = clGetKernelWorkGroupInfo(k, L->ctx->device, CL_KERNEL_LOCAL_MEM_SIZE, sizeof used,
                                          &used, NULL);
    if (err != CL_SUCCESS)
      return clql_fail((clql_status)err, "CL_KERNEL_LOCAL_MEM_SIZE query: %s",
                       clql_status_name(err));
    if (used > have || !ksplit_local(L, k, tokens[i])) return CLQL_SUCCESS;
  }
  *fits = 1;
  return CLQL_SUCCESS;
}

/* Which kernels run. CLQL_KERNELS=portable, split, avx2, avx512 or vnni
 * forces a family or form (how the tests cover them all on PoCL; avx2,
 * avx512, vnni: the x86 kernels in that form, where they apply); otherwise GPUs and other accelerators take
 * the K-split kernels where the device runs work-groups of 16 or more, and
 * CPUs the x86 kernels where they apply: a kernel compiler that has them
 * (they are only defined there: elsewhere the program builds without them
 * and the kernel is not found) and scale groups of whole blocks. Anything
 * else runs the portable kernels. Failures other than a missing kernel are
 * errors. */
static clql_status choose_family(clql_layer *L, clql_kernel_family *out) {
  *out = CLQL_FAMILY_PORTABLE;
  int gpu;
  clql_kernels_choice forced;
  clql_status st = clql_kernels_gpu(L->ctx, &gpu, &forced);
  if (st != CLQL_SUCCESS || forced == CLQL_KERNELS_PORTABLE) return st;
  L->x86 = forced == CLQL_KERNELS_AVX2     ? CLQL_X86_256
           : forced == CLQL_KERNELS_AVX512 ? CLQL_X86_512
           : forced == CLQL_KERNELS_VNNI   ? CLQL_X86_512_VNNI
           : clql_host_vbmi()              ? CLQL_X86_VBMI
           : clql_host_vnni()              ? CLQL_X86_VNNI
                                           : CLQL_X86_NATIVE;
  const clql_qtype q = L->shape.qtype;
  cl_kernel k;
  if (gpu) {
    int fits = 0;
    st = ksplit_fits(L, &fits);
    if (st == CLQL_SUCCESS && fits) *out = CLQL_FAMILY_KSPLIT;
    if (st == CLQL_SUCCESS && !fits && forced == CLQL_KERNELS_KSPLIT)
      st = clql_fail(CLQL_ERR_UNSUPPORTED, "CLQL_KERNELS=ksplit: the device cannot run them "
                                           "(work-groups of 16, 16 KiB of local memory)");
    return st;
  }
  if (L->group_len % kernel_unit(L, 1) != 0) return CLQL_SUCCESS;
  uint64_t scratch;
  if (!x86_gemv_scratch(L, X86_GEMV_LOCAL_MAX, &scratch) || scratch > L->ctx->info.local_mem)
    return CLQL_SUCCESS;
  /* vpdpbusd on a CPU without it would be an illegal instruction */
  if (L->x86 == CLQL_X86_512_VNNI && !clql_host_vnni())
    return clql_fail(CLQL_ERR_UNSUPPORTED, "CLQL_KERNELS=vnni: the host CPU has no AVX512-VNNI");
  st = kernel_for(L, clql_product_kernel_names[CLQL_FAMILY_X86][q], 1,
                  X86_GEMV_ROWS / x86_row_vector(L), 1, &k);
  if (st == CLQL_STATUS_CL_INVALID_KERNEL_NAME && L->x86 == CLQL_X86_256)
    return clql_fail(CLQL_ERR_UNSUPPORTED, "CLQL_KERNELS=avx2: the device's kernel compiler "
                                           "has no AVX2 (or is not clang on x86-64)");
  if (st == CLQL_STATUS_CL_INVALID_KERNEL_NAME &&
      (L->x86 == CLQL_X86_512 || L->x86 == CLQL_X86_512_VNNI))
    return clql_fail(CLQL_ERR_UNSUPPORTED,
                     "CLQL_KERNELS=%s: the device's kernel compiler has no AVX-512BW (or is not "
                     "clang on x86-64)",
                     L->x86 == CLQL_X86_512 ? "avx512" : "vnni");
  if (st == CLQL_STATUS_CL_INVALID_KERNEL_NAME) {
    clql_clear_error();
    return CLQL_SUCCESS;
  }
  if (st == CLQL_SUCCESS) *out = CLQL_FAMILY_X86;
  return st;
}

/* Work-items per work-group along the rows: a warp-friendly size on GPUs; a
 * few on CPUs, where a work-group is the unit a core takes and PoCL compiles
 * one specialization per local size (so it should not vary with the shape). */
static size_t rows_local(clql_layer *L, cl_kernel k) {
  return clql_work_group_size(L->ctx, k, (L->ctx->info.type & CL_DEVICE_TYPE_GPU) ? 128 : 4);
}

/* y[y_off + b*N + n] for batch tokens from int8 activations and their scales;
 * event (NULL: none) receives the product kernel's event. */
static clql_status run_product(clql_layer *L, cl_mem act, cl_mem act_scales, cl_mem y,
                               uint64_t y_off, cl_uint batch, cl_event *event) {
  const int simd = L->family == CLQL_FAMILY_X86, gemm = batch > 1;
  const char *name = clql_product_kernel_names[L->family][L->shape.qtype];
  const unsigned x86_tokens =
      L->shape.qtype == CLQL_QTYPE_TL2 ? X86_GEMM_TOKENS_TL2 : X86_GEMM_TOKENS;
  const unsigned tokens = batch == 1 ? 1 : simd ? x86_tokens : L->tokens;
  const unsigned rows = simd ? (batch == 1 ? X86_GEMV_ROWS : X86_GEMM_ROWS) : L->rows;
  const unsigned block = simd ? rows / x86_row_vector(L) : rows;
  clql_status st = CLQL_SUCCESS;
  if (!L->product[gemm]) {
    cl_kernel found;
    if ((st = kernel_for(L, name, simd, block, tokens, &found)) != CLQL_SUCCESS) return st;
    /* K-split: a work-group per tile (ksplit_fits checked 16 or more) */
    L->product_local[gemm] =
        L->family == CLQL_FAMILY_KSPLIT ? ksplit_local(L, found, batch) : rows_local(L, found);
    L->product[gemm] = found;
  }
  cl_kernel k;
  if ((st = clql_launch_kernel(L->ctx, L->product[gemm], &k)) != CLQL_SUCCESS) return st;
  const size_t np = (size_t)L->wb.n_padded;
  cl_uint n = (cl_uint)L->shape.n, stride = (cl_uint)L->wb.k_padded;
  cl_uint upg = (cl_uint)(L->group_len / kernel_unit(L, simd));
  cl_ulong off = y_off;
  const size_t sizes[] = {sizeof(cl_mem),    sizeof(cl_mem),    sizeof(cl_mem), sizeof(cl_mem),
                          sizeof(cl_mem),    sizeof n,          sizeof L->ngroups, sizeof upg,
                          sizeof L->scale_g, sizeof L->scale_n, sizeof stride,  sizeof batch,
                          sizeof off};
  const void *const values[] = {&L->weights, &L->scales,  &act,    &act_scales, &y,
                                &n,          &L->ngroups, &upg,    &L->scale_g, &L->scale_n,
                                &stride,     &batch,      &off};
  if ((st = set_args(k, name, 13, sizes, values)) != CLQL_SUCCESS) return st;
  size_t local[2] = {L->product_local[gemm], 1};
  /* K-split: a work-group per tile, the padded rows' work-items included */
  size_t items = L->family == CLQL_FAMILY_KSPLIT ? np / 16 * local[0]
                                            : (L->shape.n + rows - 1) / rows;
  size_t global[2] = {round_up_size(items, local[0]), (batch + tokens - 1) / tokens};
  return clql_launch(L->ctx, k, name, 2, global, local, event);
}

/* The x86 GEMV: one token of x (from element x_off), quantized by the
 * product kernel itself, into y; event as run_product's. */
static clql_status run_x86_gemv(clql_layer *L, cl_mem x, uint64_t x_off, cl_mem y, uint64_t y_off,
                                cl_mem counters, cl_event *event) {
  const char *name = clql_product_kernel_names[CLQL_FAMILY_X86][L->shape.qtype];
  clql_status st = CLQL_SUCCESS;
  if (!L->product[0]) {
    cl_kernel found;
    st = kernel_for(L, name, 1, X86_GEMV_ROWS / x86_row_vector(L), 1, &found);
    if (st != CLQL_SUCCESS) return st;
    L->product_local[0] = clql_work_group_size(L->ctx, found, X86_GEMV_LOCAL_MAX);
    L->product[0] = found;
  }
  cl_kernel k;
  if ((st = clql_launch_kernel(L->ctx, L->product[0], &k)) != CLQL_SUCCESS) return st;
  const size_t local = L->product_local[0];
  uint64_t scratch64;
  if (!x86_gemv_scratch(L, local, &scratch64))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "x86 GEMV local memory");
  size_t scratch = (size_t)scratch64;
  clql_context *ctx = L->ctx;
  uint64_t at = 0;
  if (counters && (!clql_ws_counters_at(ctx->ws_batch, &at) || at / 4 > UINT_MAX))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "work counters of a %llu-token workspace",
                     (unsigned long long)ctx->ws_batch);
  if (counters && !ctx->counters_zeroed) {
    /* once per workspace; the kernel leaves them zero after each pass */
    const cl_uint zero = 0;
    cl_int err = clEnqueueFillBuffer(ctx->queue, counters, &zero, sizeof zero, (size_t)at,
                                     CLQL_WS_COUNTER_BYTES, 0, NULL, NULL);
    if (err != CL_SUCCESS)
      return clql_fail((clql_status)err, "zeroing the work counters: %s", clql_status_name(err));
    ctx->counters_zeroed = 1;
  }
  cl_uint counters_at = (cl_uint)(at / 4);
  cl_ulong xo = x_off, yo = y_off;
  cl_uint kk = (cl_uint)L->shape.k, n = (cl_uint)L->shape.n, stride = (cl_uint)L->wb.k_padded;
  cl_uint upg = (cl_uint)(L->group_len / kernel_unit(L, 1));
  const size_t sizes[] = {sizeof(cl_mem), sizeof(cl_mem),    sizeof(cl_mem), sizeof xo,
                          sizeof kk,      sizeof(cl_mem),    sizeof n,       sizeof L->ngroups,
                          sizeof upg,     sizeof L->scale_g, sizeof L->scale_n, sizeof stride,
                          sizeof yo,      scratch,           sizeof(cl_mem), sizeof counters_at};
  const void *const values[] = {&L->weights, &L->scales, &x,      &xo,        &kk,
                                &y,          &n,         &L->ngroups, &upg,   &L->scale_g,
                                &L->scale_n, &stride,    &yo,     NULL,       &counters,
                                &counters_at};
  if ((st = set_args(k, name, 16, sizes, values)) != CLQL_SUCCESS) return st;
  /* work-items run whole tiles: no more than there are tiles */
  const size_t tiles = (size_t)L->wb.n_padded / 16;
  size_t per_cu = 1; /* with counters: the work-items share the tiles out */
  if (!counters) {
    per_cu = X86_GEMV_SPAN / L->wb.k_padded;
    per_cu = per_cu < 1 ? 1 : per_cu > 8 ? 8 : per_cu;
  }
  size_t groups = (size_t)(ctx->info.compute_units ? ctx->info.compute_units : 1) * per_cu;
  if (groups > (tiles + local - 1) / local) groups = (tiles + local - 1) / local;
  size_t global[2] = {groups * local, 1}, lsize[2] = {local, 1};
  return clql_launch(ctx, k, name, 2, global, lsize, event);
}

/* One chunk: quantize x (from element x_off), product into y; event (NULL:
 * none) receives the event of the product, its last command. The x86 GEMV
 * quantizes in the product kernel: one launch. */
static clql_status run_chunk(clql_layer *L, cl_mem *part, cl_mem x, uint64_t x_off, cl_mem y,
                             uint64_t y_off, uint64_t batch, cl_event *event) {
  if (batch > UINT_MAX)
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "chunk of %llu tokens", (unsigned long long)batch);
  if (batch == 1 && L->family == CLQL_FAMILY_X86) /* the counters: in the context's workspace */
    return run_x86_gemv(L, x, x_off, y, y_off,
                        part == L->ctx->part ? part[CLQL_WS_ACT_SCALES] : NULL, event);
  cl_uint b = (cl_uint)batch;
  clql_status st = clql_quantize_activations_at(L->ctx, x, x_off, b, (size_t)L->shape.k,
                                                part[CLQL_WS_ACTIVATIONS], (size_t)L->wb.k_padded,
                                                part[CLQL_WS_ACT_SCALES]);
  if (st == CLQL_SUCCESS)
    st = run_product(L, part[CLQL_WS_ACTIVATIONS], part[CLQL_WS_ACT_SCALES], y, y_off, b, event);
  return st;
}

/* Wait for the queue after a failure, so that nothing clql enqueued still
 * reads x or writes y when the caller sees it, and what a retry frees is
 * free. The failure (and its detail) is what the caller gets, unless chunks
 * counted as done were never waited for (!waited) and the wait reports an
 * error: one of them failed on the device, which no retry of the failed
 * chunk mends, so that error is returned and *retry cleared. */
static clql_status settle(clql_context *ctx, clql_status failure, int waited, int *retry) {
  cl_int err = clql_context_drain(ctx);
  if (err == CL_SUCCESS) return failure;
  if (!waited) {
    *retry = 0;
    return clql_fail((clql_status)err, "clFinish after %s: %s (an enqueued chunk failed)",
                     clql_status_name(failure), clql_status_name(err));
  }
  clql_log(CLQL_LOG_WARN, "clFinish after %s: %s", clql_status_name(failure),
           clql_status_name(err));
  return failure;
}

/* ---- creation ---- */

clql_status clql_layer_create(clql_context *ctx, const clql_packed *packed,
                              const clql_budget_options *opts, clql_layer **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!ctx) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context is NULL");
  if (!packed) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "packed weights are NULL");
  /* The shape's limits first: no reading of buffers a shape this large
   * could not have. */
  const clql_layer_shape *s = &packed->shape;
  clql_weight_bytes wb;
  clql_status st = clql_layout_weight_bytes(s, &wb);
  if (st != CLQL_SUCCESS) return st;
  /* Kernel arguments and offsets within a row are 32-bit (with headroom). */
  if (wb.n_padded > UINT_MAX || wb.k_padded > UINT_MAX / 8)
    return clql_fail(CLQL_ERR_UNSUPPORTED, "shape %llux%llu exceeds the kernels' 32-bit indices",
                     (unsigned long long)s->n, (unsigned long long)s->k);
  if ((st = clql_packed_check(packed)) != CLQL_SUCCESS) return st;
  if (opts) { /* the layer's own budget must hold it and one token's workspace */
    clql_budget_options o = clql_budget_options_over(&ctx->config.budget, opts);
    clql_layer_plan p;
    if ((st = clql_plan_layer(&ctx->info.memory, &o, s, 1, 0, &p)) != CLQL_SUCCESS) return st;
    if (!p.fits)
      return clql_fail(CLQL_ERR_DOES_NOT_FIT,
                       "%s %llux%llu: %llu resident bytes + workspace of one token do not fit "
                       "the layer's budget options (budget %llu, max_alloc %llu)",
                       clql_qtype_name(s->qtype), (unsigned long long)s->n,
                       (unsigned long long)s->k, (unsigned long long)p.resident_bytes,
                       (unsigned long long)p.budget.bytes, (unsigned long long)p.budget.max_alloc);
  }
  const uint64_t resident = wb.weights + wb.scales; /* both bounded by layout's checks */

  unsigned rows = 1;
  if ((st = device_rows(ctx, &rows)) != CLQL_SUCCESS) return st;
  clql_layer *L = clql_calloc(1, sizeof *L);
  if (!L) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "layer");
  L->ctx = ctx;
  L->shape = *s;
  L->wb = wb;
  if (opts) L->opts = *opts, L->has_opts = 1;
  L->rows = rows;
  L->tokens = CLQL_GEMM_TOKENS;
  const int grouped = s->group_size != CLQL_GROUP_ROW && s->group_size != CLQL_GROUP_TENSOR;
  L->ngroups = (cl_uint)wb.groups;
  L->group_len = grouped ? s->group_size : wb.k_padded;
  L->scale_g = grouped ? (cl_uint)wb.n_padded : 0;
  L->scale_n = s->group_size == CLQL_GROUP_TENSOR ? 0 : 1;
  st = device_div_rn(ctx, &L->div_rn);
  if (st == CLQL_SUCCESS) st = choose_family(L, &L->family);
  /* The ledger first: nothing is allocated that the budget has no room for. */
  if (st == CLQL_SUCCESS) st = clql_context_add_layer(ctx, L, s, resident);
  if (st == CLQL_SUCCESS) L->accounted = 1;
  if (st == CLQL_SUCCESS)
    st = clql_buffer_create(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, wb.weights, packed->weights,
                          "weights", &L->weights);
  if (st == CLQL_SUCCESS)
    st = clql_buffer_create(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, wb.scales, packed->scales,
                            "scales", &L->scales);
  if (st != CLQL_SUCCESS) {
    clql_layer_destroy(L);
    return st;
  }
  *out = L;
  return CLQL_SUCCESS;
}

void clql_layer_release_workspace(clql_layer *layer) {
  if (layer) clql_context_release_workspace(layer->ctx);
}

void clql_layer_destroy(clql_layer *layer) {
  if (!layer) return;
  if (layer->accounted)
    clql_context_remove_layer(layer->ctx, layer, layer->wb.weights + layer->wb.scales);
  if (layer->weights) clReleaseMemObject(layer->weights);
  if (layer->scales) clReleaseMemObject(layer->scales);
  clql_free(layer->part_rows);
  clql_free(layer);
}

/* ---- fused layers ---- */

/* The fused layer's scale granularity, or CLQL_ERR_INVALID_ARGUMENT when the
 * parts' cannot be one layer's exactly. */
static clql_status fused_shape(const clql_ternary_weights *parts, size_t count,
                               clql_layer_shape *out) {
  const clql_layer_shape *s0 = &parts[0].shape;
  const int grouped0 = s0->group_size != CLQL_GROUP_ROW && s0->group_size != CLQL_GROUP_TENSOR;
  *out = (clql_layer_shape){.n = 0, .k = s0->k, .qtype = s0->qtype,
                            .group_size = grouped0 ? s0->group_size : CLQL_GROUP_ROW};
  for (size_t i = 0; i < count; i++) {
    const clql_ternary_weights *w = &parts[i];
    if (!w->t || !w->scales)
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "part %zu: t and scales are required", i);
    clql_weight_bytes wb;
    uint64_t nk, sc;
    clql_status st = clql_layout_weight_bytes(&w->shape, &wb); /* checks the shape */
    if (st == CLQL_SUCCESS) st = clql_scale_count(&w->shape, &sc);
    if (st != CLQL_SUCCESS) return st;
    if (!clql_mul_u64(w->shape.n, w->shape.k, &nk) || nk != w->t_count || sc != w->scale_count)
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "part %zu: %llu weights and %llu scales for "
                                                  "%llux%llu",
                       i, (unsigned long long)w->t_count, (unsigned long long)w->scale_count,
                       (unsigned long long)w->shape.n, (unsigned long long)w->shape.k);
    if (w->shape.k != s0->k || w->shape.qtype != s0->qtype)
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                       "part %zu: %s with K %llu; part 0 is %s with K %llu", i,
                       clql_qtype_name(w->shape.qtype), (unsigned long long)w->shape.k,
                       clql_qtype_name(s0->qtype), (unsigned long long)s0->k);
    const int grouped = w->shape.group_size != CLQL_GROUP_ROW &&
                        w->shape.group_size != CLQL_GROUP_TENSOR;
    /* a tensor scale is a row scale of one value, never a group's: a group
     * sum rounds differently from the whole row's */
    if (grouped != grouped0 || (grouped && w->shape.group_size != s0->group_size))
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                       "part %zu: scales of another granularity than part 0's (row and tensor "
                       "scales fuse with each other, groups only with groups of the same size)",
                       i);
    if (!clql_add_u64(out->n, w->shape.n, &out->n))
      return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "fused rows overflow 64 bits");
  }
  return CLQL_SUCCESS;
}

clql_status clql_layer_create_fused(clql_context *ctx, const clql_ternary_weights *parts,
                                    size_t count, const clql_budget_options *opts,
                                    clql_layer **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!ctx || !parts || count == 0)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "context and at least one part are required");
  clql_layer_shape s;
  clql_status st = fused_shape(parts, count, &s);
  clql_weight_bytes wb;
  uint64_t nk, sc;
  if (st == CLQL_SUCCESS) st = clql_layout_weight_bytes(&s, &wb);
  if (st == CLQL_SUCCESS) st = clql_scale_count(&s, &sc);
  size_t nk_size = 0, sc_size = 0, w_size = 0, s_size = 0;
  if (st == CLQL_SUCCESS &&
      (!clql_mul_u64(s.n, s.k, &nk) || !clql_to_size(nk, &nk_size) || !clql_to_size(sc, &sc_size) ||
       sc_size > SIZE_MAX / sizeof(float) || !clql_to_size(wb.weights, &w_size) ||
       !clql_to_size(wb.scales, &s_size)))
    st = clql_fail(CLQL_ERR_SIZE_OVERFLOW, "fused layer %llux%llu", (unsigned long long)s.n,
                   (unsigned long long)s.k);
  if (st != CLQL_SUCCESS) return st;
  int8_t *t = clql_malloc(nk_size);
  float *scales = clql_malloc(sc_size * sizeof *scales);
  uint64_t *rows = clql_malloc(count * sizeof *rows);
  clql_packed packed = {.shape = s, .weights = clql_malloc(w_size), .weights_bytes = wb.weights,
                        .scales = clql_malloc(s_size), .scales_bytes = wb.scales};
  if (!t || !scales || !rows || !packed.weights || !packed.scales)
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "fused layer");
  /* rows concatenated; host scales follow their rows (clql/ternary.h) */
  uint64_t at = 0, sat = 0;
  for (size_t i = 0; st == CLQL_SUCCESS && i < count; i++) {
    const clql_ternary_weights *w = &parts[i];
    memcpy(t + at * s.k, w->t, (size_t)w->t_count);
    if (w->shape.group_size == CLQL_GROUP_TENSOR)
      for (uint64_t r = 0; r < w->shape.n; r++) scales[sat + r] = w->scales[0];
    else
      memcpy(scales + sat, w->scales, (size_t)w->scale_count * sizeof *scales);
    sat += w->shape.group_size == CLQL_GROUP_TENSOR ? w->shape.n : w->scale_count;
    at += w->shape.n;
    rows[i] = w->shape.n;
  }
  if (st == CLQL_SUCCESS) st = clql_pack_ternary(&packed, t, nk, scales, sc);
  if (st == CLQL_SUCCESS) st = clql_layer_create(ctx, &packed, opts, out);
  clql_free(t);
  clql_free(scales);
  clql_free(packed.weights);
  clql_free(packed.scales);
  if (st != CLQL_SUCCESS) {
    clql_free(rows);
    return st;
  }
  (*out)->part_rows = rows;
  (*out)->nparts = count;
  return CLQL_SUCCESS;
}

clql_status clql_layer_get_part(const clql_layer *layer, size_t part, uint64_t *offset,
                                uint64_t *rows) {
  if (!layer || !offset || !rows)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer, offset and rows are required");
  const size_t n = layer->part_rows ? layer->nparts : 1;
  if (part >= n)
    return clql_fail(CLQL_ERR_NOT_FOUND, "part %zu of a layer of %zu parts", part, n);
  uint64_t off = 0;
  for (size_t i = 0; layer->part_rows && i < part; i++) off += layer->part_rows[i];
  *offset = off;
  *rows = layer->part_rows ? layer->part_rows[part] : layer->shape.n;
  return CLQL_SUCCESS;
}

/* ---- planning and the workspace ---- */

/* The tokens one chunk of L may run for a pass of `tokens`: the context's
 * workspace batch (held or planned now), narrowed by the layer's own budget
 * options when it has them (a plan of the layer alone under them). The
 * layer's plan records the outcome. */
static clql_status plan_pass(clql_layer *L, uint64_t tokens, unsigned flags, uint64_t *batch) {
  clql_context *ctx = L->ctx;
  uint64_t b = 0;
  clql_status st = clql_context_workspace(ctx, tokens, flags, &b);
  *batch = b;
  if (st != CLQL_SUCCESS) return st;
  clql_layer_plan p;
  memset(&p, 0, sizeof p);
  p.limited_by = ctx->plan.limited_by;
  if (L->has_opts) {
    clql_budget_options o = clql_budget_options_over(&ctx->config.budget, &L->opts);
    clql_layer_plan own;
    if ((st = clql_plan_layer(&ctx->info.memory, &o, &L->shape, tokens, flags, &own)) !=
        CLQL_SUCCESS)
      return st;
    if (!own.fits)
      return clql_fail(CLQL_ERR_DOES_NOT_FIT,
                       "%s %llux%llu: not even one token fits the layer's budget options "
                       "(budget %llu bytes, limited by %s)",
                       clql_qtype_name(L->shape.qtype), (unsigned long long)L->shape.n,
                       (unsigned long long)L->shape.k, (unsigned long long)own.budget.bytes,
                       clql_limited_by_name(own.limited_by));
    if (own.batch < b) b = own.batch, p.limited_by = own.limited_by;
  }
  if (b > tokens) b = tokens, p.limited_by = CLQL_LIMITED_BY_REQUEST;
  p.shape = L->shape;
  p.budget = ctx->budget;
  p.weights = L->wb;
  p.batch = b;
  p.fits = 1;
  p.resident_bytes = L->wb.weights + L->wb.scales;
  if ((st = clql_layout_workspace_bytes(&L->shape, b, flags, &p.workspace)) != CLQL_SUCCESS)
    return st;
  p.largest_buffer = p.workspace.largest;
  if (L->wb.weights > p.largest_buffer) p.largest_buffer = L->wb.weights;
  if (L->wb.scales > p.largest_buffer) p.largest_buffer = L->wb.scales;
  L->plan = p;
  *batch = b;
  return CLQL_SUCCESS;
}

/* ---- forward passes ---- */

typedef struct {
  const float *x_host;
  float *y_host;
  cl_mem x, y; /* caller buffers when not staging */
} io_spec;

/* Chunk [done, done + nb): stage in, run, stage out. event (NULL: none)
 * receives the event of its last command; only unstaged passes ask. */
static clql_status chunk(clql_layer *L, const io_spec *io, uint64_t done, uint64_t nb,
                         cl_event *event) {
  clql_context *ctx = L->ctx;
  const uint64_t k = L->shape.k, n = L->shape.n;
  clql_status st = CLQL_SUCCESS;
  if (io->x_host) {
    cl_int err = clql_fault_check(ctx, CLQL_FAULT_ENQUEUE, 0);
    if (err == CL_SUCCESS)
      err = clEnqueueWriteBuffer(ctx->queue, ctx->part[CLQL_WS_INPUT], CL_FALSE, 0,
                                 (size_t)(nb * k * sizeof(float)), io->x_host + done * k, 0, NULL,
                                 NULL);
    if (err != CL_SUCCESS) st = clql_fail((clql_status)err, "staging x: %s", clql_status_name(err));
    if (st == CLQL_SUCCESS)
      st = run_chunk(L, ctx->part, ctx->part[CLQL_WS_INPUT], 0, ctx->part[CLQL_WS_OUTPUT], 0, nb,
                     NULL);
    if (st == CLQL_SUCCESS) {
      err = clEnqueueReadBuffer(ctx->queue, ctx->part[CLQL_WS_OUTPUT], CL_TRUE, 0,
                                (size_t)(nb * n * sizeof(float)), io->y_host + done * n, 0, NULL,
                                NULL);
      if (err != CL_SUCCESS)
        st = clql_fail((clql_status)err, "reading y: %s", clql_status_name(err));
    }
  } else {
    st = run_chunk(L, ctx->part, io->x, done * k, io->y, done * n, nb, event);
  }
  return st;
}

/* The chunk loop of the passes on the layer's own workspace. wait: finish
 * each chunk before the next (the synchronous passes), so that out of memory
 * while running a chunk is retried too; otherwise the chunks go back to back
 * and event (NULL: none) receives the event of the last one's last command.
 * Out of memory at allocation or enqueue is retried either way. */
static clql_status forward(clql_layer *L, const io_spec *io, uint64_t batch, int wait,
                           cl_event *event) {
  const unsigned flags = io->x_host ? CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT : 0;
  uint64_t done = 0;
  clql_status st = CLQL_SUCCESS;
  L->chunks = 0;
  while (st == CLQL_SUCCESS && done < batch) {
    uint64_t planned = 0;
    st = plan_pass(L, batch - done, flags, &planned);
    while (st == CLQL_SUCCESS && done < batch) {
      uint64_t nb = batch - done < planned ? batch - done : planned;
      st = chunk(L, io, done, nb, done + nb == batch ? event : NULL);
      if (st == CLQL_SUCCESS && wait) st = clql_context_finish(L->ctx);
      if (st == CLQL_SUCCESS) done += nb, L->chunks++;
    }
    /* Wait after a failure even without wait: the caller's buffers, and the
     * memory halving releases, must be free of clql's commands before it
     * returns or retries. */
    if (st != CLQL_SUCCESS) {
      int retry = is_oom(st);
      st = settle(L->ctx, st, wait, &retry);
      if (retry) st = clql_context_halve(L->ctx, planned, st);
    }
  }
  if (st != CLQL_SUCCESS) clql_context_release_workspace(L->ctx); /* a failed pass holds nothing */
  return st;
}

static clql_status check_batch(const clql_layer *L, uint64_t batch) {
  if (!L) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer is NULL");
  uint64_t xb, yb;
  if (batch == 0) return clql_fail(CLQL_ERR_INVALID_SHAPE, "batch must be at least 1");
  if (!clql_mul_u64(batch, L->shape.k * 4, &xb) || !clql_mul_u64(batch, L->shape.n * 4, &yb) ||
      !clql_to_size(xb, &(size_t){0}) || !clql_to_size(yb, &(size_t){0}))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "batch %llu", (unsigned long long)batch);
  return CLQL_SUCCESS;
}

static clql_status check_mem(const clql_layer *L, cl_mem m, uint64_t bytes, const char *what) {
  return clql_buffer_check(L->ctx, m, bytes, what);
}

static clql_status check_io_mem(const clql_layer *L, cl_mem x, cl_mem y, uint64_t batch) {
  clql_status st = check_batch(L, batch);
  if (st == CLQL_SUCCESS) st = check_mem(L, x, batch * L->shape.k * 4, "x");
  if (st == CLQL_SUCCESS) st = check_mem(L, y, batch * L->shape.n * 4, "y");
  if (st == CLQL_SUCCESS && x == y)
    st = clql_fail(CLQL_ERR_INVALID_ARGUMENT, "x and y are the same buffer");
  return st;
}

clql_context *clql_layer_context(const clql_layer *layer) { return layer->ctx; }

clql_status clql_layer_check_io(const clql_layer *layer, cl_mem x, cl_mem y, uint64_t batch) {
  return check_io_mem(layer, x, y, batch);
}

clql_status clql_layer_forward(clql_layer *layer, const float *x, uint64_t batch, float *y) {
  clql_status st = check_batch(layer, batch);
  if (st != CLQL_SUCCESS) return st;
  if (!x || !y) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "x and y are required");
  io_spec io = {.x_host = x, .y_host = y};
  return forward(layer, &io, batch, 1, NULL);
}

clql_status clql_layer_forward_mem(clql_layer *layer, cl_mem x, cl_mem y, uint64_t batch) {
  clql_status st = check_io_mem(layer, x, y, batch);
  if (st != CLQL_SUCCESS) return st;
  io_spec io = {.x = x, .y = y};
  return forward(layer, &io, batch, 1, NULL);
}

clql_status clql_layer_enqueue_events(clql_layer *layer, cl_mem x, cl_mem y, uint64_t batch,
                                      cl_event *first, cl_event *done) {
  if (done) *done = NULL;
  if (first) *first = NULL;
  clql_status st = check_io_mem(layer, x, y, batch);
  /* Bad input waits too: no failed call leaves passes in flight, such as
   * the one enqueued before that writes x. */
  if (st != CLQL_SUCCESS) return layer ? settle(layer->ctx, st, 1, &(int){0}) : st;
  io_spec io = {.x = x, .y = y};
  layer->ctx->first_event = first;
  st = forward(layer, &io, batch, 0, done);
  layer->ctx->first_event = NULL;
  if (st != CLQL_SUCCESS && first && *first) {
    clReleaseEvent(*first);
    *first = NULL;
  }
  return st;
}

clql_status clql_layer_enqueue(clql_layer *layer, cl_mem x, cl_mem y, uint64_t batch,
                               cl_event *done) {
  return clql_layer_enqueue_events(layer, x, y, batch, NULL, done);
}

clql_status clql_layer_workspace_bytes(const clql_layer *layer, uint64_t batch, uint64_t *bytes) {
  if (!layer || !bytes) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer or bytes is NULL");
  clql_workspace_bytes ws;
  clql_status st = clql_layout_workspace_bytes(&layer->shape, batch, 0, &ws);
  if (st == CLQL_SUCCESS) *bytes = ws.total;
  return st;
}

clql_status clql_layer_forward_workspace(clql_layer *layer, cl_mem x, cl_mem y, uint64_t batch,
                                         cl_mem workspace) {
  clql_status st = check_io_mem(layer, x, y, batch);
  if (st != CLQL_SUCCESS) return st;
  clql_workspace_bytes ws;
  if ((st = clql_layout_workspace_bytes(&layer->shape, batch, 0, &ws)) != CLQL_SUCCESS) return st;
  /* of this context (check_mem also rejects NULL), not x or y, large enough */
  if ((st = check_mem(layer, workspace, 0, "workspace")) != CLQL_SUCCESS) return st;
  if (workspace == x || workspace == y)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "the workspace is also x or y");
  size_t have = 0;
  cl_int err = clGetMemObjectInfo(workspace, CL_MEM_SIZE, sizeof have, &have, NULL);
  if (err != CL_SUCCESS || have < ws.total)
    return clql_fail(CLQL_ERR_WORKSPACE_TOO_SMALL,
                     "workspace of %zu bytes; batch %llu needs %llu (clql_layer_workspace_bytes)",
                     have, (unsigned long long)batch, (unsigned long long)ws.total);
  cl_uint align_bits = 0;
  clGetDeviceInfo(layer->ctx->device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits, &align_bits,
                  NULL);
  if (align_bits / 8 > CLQL_WORKSPACE_ALIGN ||
      (align_bits && CLQL_WORKSPACE_ALIGN % (align_bits / 8)))
    return clql_fail(CLQL_ERR_UNSUPPORTED, "device sub-buffer alignment of %u bits", align_bits);
  /* Parts at aligned offsets in part order, as clql_layout_workspace_bytes
   * counts them. */
  cl_mem part[CLQL_WS_PART_COUNT] = {NULL};
  uint64_t offset = 0;
  for (int i = 0; st == CLQL_SUCCESS && i < CLQL_WS_PART_COUNT; i++) {
    if (ws.part[i] == 0) continue;
    cl_buffer_region region = {(size_t)offset, (size_t)ws.part[i]};
    err = clql_fault_check(layer->ctx, CLQL_FAULT_ALLOC, region.size);
    if (err == CL_SUCCESS)
      part[i] = clCreateSubBuffer(workspace, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION,
                                  &region, &err);
    if (err != CL_SUCCESS)
      st = clql_fail((clql_status)err, "%s part of the workspace: %s",
                     clql_workspace_part_name((clql_workspace_part)i), clql_status_name(err));
    offset += (ws.part[i] + CLQL_WORKSPACE_ALIGN - 1) / CLQL_WORKSPACE_ALIGN * CLQL_WORKSPACE_ALIGN;
  }
  if (st == CLQL_SUCCESS) {
    st = run_chunk(layer, part, x, 0, y, 0, batch, NULL);
    clql_status fst = clql_context_finish(layer->ctx);
    if (st == CLQL_SUCCESS) st = fst;
  }
  for (int i = 0; i < CLQL_WS_PART_COUNT; i++)
    if (part[i]) clReleaseMemObject(part[i]);
  return st;
}

const char *clql_layer_kernels(const clql_layer *layer) {
  static const char *const names[CLQL_FAMILY_COUNT] = {
      [CLQL_FAMILY_PORTABLE] = "portable", [CLQL_FAMILY_KSPLIT] = "ksplit", [CLQL_FAMILY_X86] = "x86"};
  return layer ? names[layer->family] : NULL;
}

clql_status clql_layer_get_stats(const clql_layer *layer, clql_layer_stats *out) {
  if (!layer || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer or output is NULL");
  const clql_context *ctx = layer->ctx;
  memset(out, 0, sizeof *out);
  out->plan = layer->plan;
  out->resident_bytes = layer->wb.weights + layer->wb.scales;
  out->workspace_planned = ctx->ws_batch ? ctx->plan.workspace.total : 0;
  out->workspace_allocated = ctx->ws_bytes;
  out->workspace_batch = ctx->ws_batch;
  out->workspace_flags = ctx->ws_flags;
  out->batch_cap = ctx->batch_cap;
  out->chunks = layer->chunks;
  out->halvings = ctx->halvings;
  return CLQL_SUCCESS;
}
