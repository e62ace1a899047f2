/* clql-check: self-checks of the kernels on one device against the scalar
 * reference, with fresh random inputs (seed printed). Exit 0 when all pass. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <clql.h>

static uint64_t rng;
static float uniform(float lo, float hi) {
  rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
  return lo + (hi - lo) * (float)(((rng * 2685821657736338717ULL) >> 40) * (1.0 / 16777216.0));
}

static int check_actquant(clql_context *ctx) {
  const size_t tokens = 8, k = 2560;
  size_t nx = tokens * k;
  float *x = malloc(nx * sizeof *x), *s = malloc(tokens * sizeof *s),
        *sr = malloc(tokens * sizeof *sr);
  int8_t *q = malloc(nx), *qr = malloc(nx);
  int ok = 0;
  cl_mem dx = NULL, dq = NULL, ds = NULL;
  if (!x || !s || !sr || !q || !qr) goto done;
  for (size_t i = 0; i < nx; i++) x[i] = uniform(-4.0f, 4.0f);
  cl_context cl = clql_context_cl_context(ctx);
  cl_command_queue queue = clql_context_queue(ctx);
  cl_int err = CL_SUCCESS;
  dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, nx * sizeof *x, x, &err);
  if (dx) dq = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, nx, NULL, &err);
  if (dq) ds = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, tokens * sizeof *s, NULL, &err);
  if (!ds) {
    fprintf(stderr, "clql-check: buffer allocation failed: %s\n", clql_status_name(err));
    goto done;
  }
  clql_status st = clql_quantize_activations(ctx, dx, tokens, k, dq, k, ds);
  if (st != CLQL_SUCCESS) {
    fprintf(stderr, "clql-check: %s: %s\n", clql_status_message(st), clql_last_error_detail());
    goto done;
  }
  if (clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, nx, q, 0, NULL, NULL) != CL_SUCCESS ||
      clEnqueueReadBuffer(queue, ds, CL_TRUE, 0, tokens * sizeof *s, s, 0, NULL, NULL) != CL_SUCCESS)
    goto done;
  clql_ref_quantize_activations(x, tokens, k, qr, k, sr);
  size_t bad = 0;
  for (size_t i = 0; i < nx; i++) bad += q[i] != qr[i];
  for (size_t i = 0; i < tokens; i++) bad += memcmp(&s[i], &sr[i], sizeof *s) != 0;
  ok = bad == 0;
  printf("actquant  %zu tokens x %zu: %s (%zu of %zu values differ from the reference)\n", tokens,
         k, ok ? "OK" : "FAIL", bad, nx + tokens);
done:
  if (dx) clReleaseMemObject(dx);
  if (dq) clReleaseMemObject(dq);
  if (ds) clReleaseMemObject(ds);
  free(x), free(s), free(sr), free(q), free(qr);
  return ok;
}

int main(int argc, char **argv) {
  const char *selector = NULL;
  for (int i = 1; i < argc; i++) {
    if ((strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--device") == 0) && i + 1 < argc) {
      selector = argv[++i];
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      printf("usage: clql-check [-d SEL]\nRun clql's kernels on one device and compare them "
             "with the scalar reference.\n");
      return 0;
    } else {
      fprintf(stderr, "clql-check: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  const char *seed_env = getenv("CLQL_TEST_SEED");
  rng = seed_env && *seed_env ? strtoull(seed_env, NULL, 0) : (uint64_t)time(NULL);
  if (rng == 0) rng = 1;
  clql_context *ctx = NULL;
  clql_status st = clql_context_create(selector, &ctx);
  if (st != CLQL_SUCCESS) {
    fprintf(stderr, "clql-check: %s: %s\n", clql_status_message(st), clql_last_error_detail());
    return st == CLQL_ERR_NO_PLATFORM ? 9 : st == CLQL_ERR_NO_DEVICE ? 6 : 255;
  }
  printf("clql-check on '%s' (seed %llu)\n", clql_context_device_info(ctx)->name,
         (unsigned long long)rng);
  int ok = check_actquant(ctx);
  clql_context_destroy(ctx);
  return ok ? 0 : 1;
}
