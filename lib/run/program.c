/* Kernel sources (embedded at build time, or read from CLQL_KERNEL_DIR) and
 * the per-context cache of built programs and their kernels. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

#define KERNEL_FILE_MAX (4u << 20)

typedef struct clql_kernel_entry {
  char *name;
  cl_kernel kernel;
  struct clql_kernel_entry *next;
} clql_kernel_entry;

struct clql_program_entry {
  char *name;
  char *options;
  cl_program program;
  clql_kernel_entry *kernels;
  struct clql_program_entry *next;
};

/* Source text of `name`.cl; *owned is set when the caller must free it. */
static clql_status load_source(const clql_context *ctx, const char *name, const char **text,
                               char **owned) {
  *owned = NULL;
  const char *dir = clql_config_text(&ctx->config, CLQL_KNOB_KERNEL_DIR);
  if (dir) {
    char path[PATH_MAX];
    if (!clql_path(path, sizeof path, "%s/%s.cl", dir, name))
      return clql_fail(CLQL_ERR_KERNEL_SOURCE, "CLQL_KERNEL_DIR: path of %s.cl too long", name);
    int got = clql_read_text_file(path, KERNEL_FILE_MAX, owned);
    if (got < 0) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "reading %s", path);
    if (!got) return clql_fail(CLQL_ERR_KERNEL_SOURCE, "CLQL_KERNEL_DIR: cannot read %s", path);
    *text = *owned;
    return CLQL_SUCCESS;
  }
  if ((*text = clql_embedded_source(name))) return CLQL_SUCCESS;
  return clql_fail(CLQL_ERR_KERNEL_SOURCE, "no embedded kernel source '%s'", name);
}

const char *clql_embedded_source(const char *name) {
  for (size_t i = 0; i < clql_kernel_source_count; i++)
    if (strcmp(clql_kernel_sources[i].name, name) == 0)
      return (const char *)clql_kernel_sources[i].data;
  return NULL;
}

/* Every program is built with CLQL_BASE_OPTIONS: no fast-math, so results
 * match the scalar reference bit for bit. */
int clql_build_options(char *buf, size_t size, const char *options) {
  int n = snprintf(buf, size, "%s %s", CLQL_BASE_OPTIONS, options ? options : "");
  return n > 0 && (size_t)n < size;
}

static clql_status build_program(clql_context *ctx, const char *name, const char *options,
                                 cl_program *out) {
  const char *text[2] = {NULL, NULL};
  char *owned[2] = {NULL, NULL};
  clql_status st = load_source(ctx, CLQL_PRELUDE, &text[0], &owned[0]);
  if (st == CLQL_SUCCESS) st = load_source(ctx, name, &text[1], &owned[1]);
  if (st != CLQL_SUCCESS) {
    clql_free(owned[0]);
    return st;
  }
  cl_int err = CL_SUCCESS;
  cl_program prog = clCreateProgramWithSource(ctx->context, 2, text, NULL, &err);
  clql_free(owned[0]);
  clql_free(owned[1]);
  if (!prog) return clql_fail((clql_status)err, "clCreateProgramWithSource(%s) failed", name);

  /* On CPU devices without AVX-512, PoCL's compiler prints a count of
   * ABI notes about its own float16 builtins to the process's stderr ("62
   * warnings generated.") for every build: noise in the caller's output
   * that no kernel source can avoid. A failing build still logs its errors. */
  const char *quiet = ctx->info.type & CL_DEVICE_TYPE_CPU ? " -w" : "";
  char opts[1024], given[1000];
  if (snprintf(given, sizeof given, "%s%s", options ? options : "", quiet) >= (int)sizeof given ||
      !clql_build_options(opts, sizeof opts, given)) {
    clReleaseProgram(prog);
    return clql_fail(CLQL_ERR_INTERNAL, "build options of %s too long", name);
  }
  err = clBuildProgram(prog, 1, &ctx->device, opts, NULL, NULL);
  if (err != CL_SUCCESS) {
    char log[6144] = "";
    size_t n = 0;
    if (clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, &n) !=
        CL_SUCCESS)
      clql_strlcpy(log, "(build log unavailable)", sizeof log);
    clReleaseProgram(prog);
    return clql_fail(CLQL_ERR_KERNEL_BUILD, "building %s.cl with '%s' failed (%s):\n%s", name,
                     opts, clql_status_name(err), log);
  }
  *out = prog;
  return CLQL_SUCCESS;
}

static clql_status find_program(clql_context *ctx, const char *name, const char *options,
                                struct clql_program_entry **out) {
  const char *opts = options ? options : "";
  for (struct clql_program_entry *e = ctx->programs; e; e = e->next) {
    if (strcmp(e->name, name) == 0 && strcmp(e->options, opts) == 0) {
      *out = e;
      return CLQL_SUCCESS;
    }
  }
  struct clql_program_entry *e = clql_calloc(1, sizeof *e);
  if (!e) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "program cache entry");
  e->name = clql_strdup(name);
  e->options = clql_strdup(opts);
  clql_status st = (e->name && e->options)
                       ? build_program(ctx, name, opts, &e->program)
                       : clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "program cache entry");
  if (st != CLQL_SUCCESS) {
    clql_free(e->name);
    clql_free(e->options);
    clql_free(e);
    return st;
  }
  e->next = ctx->programs;
  ctx->programs = e;
  *out = e;
  return CLQL_SUCCESS;
}

clql_status clql_kernel_get(clql_context *ctx, const char *program, const char *kernel,
                            const char *options, cl_kernel *out) {
  struct clql_program_entry *p = NULL;
  clql_status st = find_program(ctx, program, options, &p);
  if (st != CLQL_SUCCESS) return st;
  for (clql_kernel_entry *k = p->kernels; k; k = k->next) {
    if (strcmp(k->name, kernel) == 0) {
      *out = k->kernel;
      return CLQL_SUCCESS;
    }
  }
  clql_kernel_entry *k = clql_calloc(1, sizeof *k);
  if (!k || !(k->name = clql_strdup(kernel))) {
    clql_free(k);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "kernel cache entry");
  }
  cl_int err = CL_SUCCESS;
  k->kernel = clCreateKernel(p->program, kernel, &err);
  if (!k->kernel) {
    clql_free(k->name);
    clql_free(k);
    return clql_fail((clql_status)err, "clCreateKernel(%s) failed", kernel);
  }
  k->next = p->kernels;
  p->kernels = k;
  *out = k->kernel;
  return CLQL_SUCCESS;
}

void clql_program_cache_clear(clql_context *ctx) {
  struct clql_program_entry *p = ctx->programs;
  while (p) {
    struct clql_program_entry *pn = p->next;
    clql_kernel_entry *k = p->kernels;
    while (k) {
      clql_kernel_entry *kn = k->next;
      clReleaseKernel(k->kernel);
      clql_free(k->name);
      clql_free(k);
      k = kn;
    }
    clReleaseProgram(p->program);
    clql_free(p->name);
    clql_free(p->options);
    clql_free(p);
    p = pn;
  }
  ctx->programs = NULL;
}

clql_status clql_kernels_gpu(const clql_context *ctx, int *gpu, clql_kernels_choice *forced) {
  *forced = ctx->config.kernels;
  *gpu = *forced == CLQL_KERNELS_AUTO ? !(ctx->info.type & CL_DEVICE_TYPE_CPU)
                                      : *forced == CLQL_KERNELS_KSPLIT;
  return CLQL_SUCCESS;
}

size_t clql_work_group_size(clql_context *ctx, cl_kernel kernel, size_t wanted) {
  size_t dev_max = 1, kern_max = 1;
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof dev_max, &dev_max,
                      NULL) != CL_SUCCESS)
    dev_max = 1;
  if (clGetKernelWorkGroupInfo(kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kern_max,
                               &kern_max, NULL) != CL_SUCCESS)
    kern_max = dev_max;
  size_t limit = wanted;
  if (dev_max < limit) limit = dev_max;
  if (kern_max < limit) limit = kern_max;
  size_t p = 1;
  while (p * 2 <= limit) p *= 2;
  return p;
}
