/* clql-check: self-checks of the kernels on one device against the scalar
 * reference, with fresh random inputs (seed printed), and with --model a
 * whole model on one context against its budget. Exit codes: common/exit_codes.h
 * (1 only for an output that differs; a check the device cannot run is 4 or 5). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <clql.h>
#include "check_model.h"
#include "common/args.h"
#include "common/tool.h"


/* Each check returns an exit code: 0, TOOL_EXIT_DIFFERS when an output
 * differs from the reference, or why it could not run (tool_exit_for). */
static int check_failed(const char *what, clql_status st) {
  fprintf(stderr, "clql-check: %s: %s: %s\n", what, clql_status_message(st),
          clql_last_error_detail());
  return tool_exit_for(st);
}

static int check_actquant(clql_context *ctx) {
  const size_t tokens = 8, k = 2560;
  size_t nx = tokens * k;
  float *x = malloc(nx * sizeof *x), *s = malloc(tokens * sizeof *s),
        *sr = malloc(tokens * sizeof *sr);
  int8_t *q = malloc(nx), *qr = malloc(nx);
  int rc = TOOL_EXIT_INTERNAL;
  cl_mem dx = NULL, dq = NULL, ds = NULL;
  if (!x || !s || !sr || !q || !qr) goto done;
  for (size_t i = 0; i < nx; i++) x[i] = tool_uniform(-4.0f, 4.0f);
  cl_context cl = clql_context_cl_context(ctx);
  cl_command_queue queue = clql_context_queue(ctx);
  cl_int err = CL_SUCCESS;
  dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, nx * sizeof *x, x, &err);
  if (dx) dq = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, nx, NULL, &err);
  if (dq) ds = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, tokens * sizeof *s, NULL, &err);
  if (!ds) {
    fprintf(stderr, "clql-check: actquant: buffer allocation failed: %s\n", clql_status_name(err));
    rc = TOOL_EXIT_DEVICE_FAILED;
    goto done;
  }
  clql_status st = clql_quantize_activations(ctx, dx, tokens, k, dq, k, ds);
  if (st != CLQL_SUCCESS) {
    rc = check_failed("actquant", st);
    goto done;
  }
  if ((err = clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, nx, q, 0, NULL, NULL)) != CL_SUCCESS ||
      (err = clEnqueueReadBuffer(queue, ds, CL_TRUE, 0, tokens * sizeof *s, s, 0, NULL, NULL)) !=
          CL_SUCCESS) {
    fprintf(stderr, "clql-check: actquant: reading the result failed: %s\n", clql_status_name(err));
    rc = TOOL_EXIT_DEVICE_FAILED;
    goto done;
  }
  clql_ref_quantize_activations(x, tokens, k, qr, k, sr);
  size_t bad = 0;
  for (size_t i = 0; i < nx; i++) bad += q[i] != qr[i];
  for (size_t i = 0; i < tokens; i++) bad += memcmp(&s[i], &sr[i], sizeof *s) != 0;
  rc = bad ? TOOL_EXIT_DIFFERS : TOOL_EXIT_OK;
  printf("actquant  %zu tokens x %zu: %s (%zu of %zu values differ from the reference)\n", tokens,
         k, bad ? "FAIL" : "OK", bad, nx + tokens);
done:
  if (dx) clReleaseMemObject(dx);
  if (dq) clReleaseMemObject(dq);
  if (ds) clReleaseMemObject(ds);
  free(x), free(s), free(sr), free(q), free(qr);
  return rc;
}

/* A 2B4T gate/up-shaped layer of random ternary weights: a GEMV and a small
 * GEMM through the layer API, every output compared bit for bit. */
static int check_layer(clql_context *ctx, clql_qtype qtype) {
  const uint64_t n = 6912, k = 2560, tokens = 4;
  clql_layer_shape shape = {.n = n, .k = k, .qtype = qtype, .group_size = CLQL_GROUP_ROW};
  clql_weight_bytes wb;
  clql_layer *layer = NULL;
  int8_t *t = malloc(n * k);
  float *scales = malloc(n * sizeof *scales), *x = malloc(tokens * k * sizeof *x);
  float *y = malloc(tokens * n * sizeof *y), *ref = malloc(tokens * n * sizeof *ref);
  clql_packed packed = {.shape = shape};
  int rc = TOOL_EXIT_INTERNAL;
  clql_status st = clql_layout_weight_bytes(&shape, &wb);
  if (st == CLQL_SUCCESS) {
    packed.weights = malloc(wb.weights);
    packed.weights_bytes = wb.weights;
    packed.scales = malloc(wb.scales);
    packed.scales_bytes = wb.scales;
  }
  if (!t || !scales || !x || !y || !ref || !packed.weights || !packed.scales) goto done;
  for (uint64_t i = 0; i < n * k; i++) t[i] = (int8_t)((int)tool_uniform(0.0f, 3.0f) - 1);
  for (uint64_t i = 0; i < n; i++) scales[i] = tool_uniform(0.5f, 1.5f);
  for (uint64_t i = 0; i < tokens * k; i++) x[i] = tool_uniform(-4.0f, 4.0f);
  memset(y, 0xff, tokens * n * sizeof *y); /* NaN: every output must be written */
  if ((st = clql_pack_ternary(&packed, t, n * k, scales, n)) == CLQL_SUCCESS &&
      (st = clql_layer_create(ctx, &packed, NULL, &layer)) == CLQL_SUCCESS &&
      (st = clql_layer_forward(layer, x, 1, y)) == CLQL_SUCCESS)
    st = clql_layer_forward(layer, x + k, tokens - 1, y + n);
  if (st == CLQL_SUCCESS) st = clql_ref_forward(&shape, t, scales, x, tokens, ref);
  if (st != CLQL_SUCCESS) {
    char what[32];
    snprintf(what, sizeof what, "%s layer", clql_qtype_name(qtype));
    rc = check_failed(what, st);
    goto done;
  }
  size_t bad = 0;
  for (uint64_t i = 0; i < tokens * n; i++) bad += memcmp(&y[i], &ref[i], sizeof *y) != 0;
  rc = bad ? TOOL_EXIT_DIFFERS : TOOL_EXIT_OK;
  printf("%-9s %llux%llu, 1 + %llu tokens: %s (%zu of %llu outputs differ from the reference)\n",
         clql_qtype_name(qtype), (unsigned long long)n, (unsigned long long)k,
         (unsigned long long)(tokens - 1), bad ? "FAIL" : "OK", bad,
         (unsigned long long)(tokens * n));
done:
  clql_layer_destroy(layer);
  free(t), free(scales), free(x), free(y), free(ref), free(packed.weights), free(packed.scales);
  return rc;
}

/* A check that could not run outranks one whose output differs. */
static int worse(int a, int b) {
  if (a == TOOL_EXIT_OK || a == TOOL_EXIT_DIFFERS) return b == TOOL_EXIT_OK ? a : b;
  return a;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: clql-check [-d SEL] [--model NAME|FILE [--qtype Q] [--batch B] [--json]]\n"
          "Run clql's kernels on one device and compare them with the scalar reference.\n"
          "  -d, --device SEL   the device (P:D, index or name text; default: CLQL_DEVICE)\n"
          "  --model M          every layer of a preset (bitnet-b1.58-2b4t) or model file on\n"
          "                     one context, random weights, a forward of B tokens through\n"
          "                     each in turn, checked against the reference\n"
          "  --qtype Q          I2S (default), TL1 or TL2 (with --model)\n"
          "  --batch B          tokens per forward, >= 1 (default 1; with --model)\n"
          "  --json             one JSON object (with --model)\n"
          "  -h, --help         this help\n"
          "exit codes: 0 ok, 1 an output differs from the reference, 2 bad arguments or\n"
          "configuration, 4 the model or a layer does not fit the budget, 5 the device\n"
          "failed a check (a kernel does not build, a layer cannot be created or run),\n"
          "6 no such device, 9 no OpenCL platform, 255 internal error\n");
}

int main(int argc, char **argv) {
  check_args o;
  int rc = check_args_parse(argc, argv, &o);
  if (rc == TOOL_EXIT_OK && o.then == TOOL_SHOW_HELP) {
    usage(stdout);
    return TOOL_EXIT_OK;
  }
  if (rc) return rc;
  const char *selector = o.selector, *model = o.model;
  const int json = o.json;
  check_model_args a = {.model = model, .qtype = o.qtype, .batch = o.batch, .json = json};
  rc = tool_config_read("clql-check");
  if (!rc) rc = tool_one_device("clql-check", selector);
  if (rc) return rc;
  clql_model_layer *layers = NULL;
  size_t nlayers = 0;
  if (model && (rc = tool_model_load("clql-check", "--model", model, a.qtype, &layers, &nlayers)))
    return rc;
  const char *seed_env = getenv("CLQL_TEST_SEED");
  uint64_t seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 0) : (uint64_t)time(NULL);
  if (seed == 0) seed = 1;
  tool_rand_seed(seed);
  a.seed = seed;
  clql_context *ctx = NULL;
  clql_status st = clql_context_create(selector, tool_config, &ctx);
  if (st != CLQL_SUCCESS) {
    free(layers);
    return tool_fail("clql-check", st);
  }
  if (!json)
    printf("clql-check on '%s' (seed %llu)\n", tool_text(clql_context_device_info(ctx)->name),
           (unsigned long long)seed);
  if (model) {
    rc = check_model_run(ctx, &a, layers, nlayers, tool_uniform);
  } else {
    rc = check_actquant(ctx);
    for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) rc = worse(rc, check_layer(ctx, (clql_qtype)q));
  }
  clql_context_destroy(ctx);
  free(layers);
  return rc;
}
