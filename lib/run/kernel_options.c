/* The build options of clql's OpenCL programs, spelled in one place: the
 * library builds with these functions, and clql-kernel-check lists the sets
 * a GPU can build (clql_gpu_kernel_builds) for the offline compilers, so the
 * two cannot drift apart. */
#include <stdio.h>
#include <string.h>
#include "../internal.h"

const char *const clql_product_kernel_names[CLQL_FAMILY_COUNT][3] = {
    [CLQL_FAMILY_PORTABLE] = {"clql_i2s", "clql_tl1", "clql_tl2"},
    [CLQL_FAMILY_KSPLIT] = {"clql_i2s_ksplit", "clql_tl1_ksplit", "clql_tl2_ksplit"},
    [CLQL_FAMILY_X86] = {"clql_i2s_x86", "clql_tl1_x86", "clql_tl2_x86"},
};

int clql_product_options(char *buf, size_t size, int simd, unsigned block, unsigned tokens,
                         clql_x86_form x86, int div_rn) {
  static const char *const forms[] = {[CLQL_X86_NATIVE] = "", [CLQL_X86_256] = " -DCLQL_X86_256",
                                      [CLQL_X86_512] = " -DCLQL_X86_512",
                                      [CLQL_X86_VNNI] = " -DCLQL_VNNI",
                                      [CLQL_X86_512_VNNI] = " -DCLQL_X86_512 -DCLQL_VNNI",
                                      [CLQL_X86_VBMI] = " -DCLQL_VNNI -DCLQL_VBMI"};
  int n = snprintf(buf, size, "%s=%u -DTOKENS=%u%s%s", simd ? "-DCLQL_SIMD -DVECS" : "-DROWS",
                   block, tokens, simd ? forms[x86] : "",
                   div_rn ? " -cl-fp32-correctly-rounded-divide-sqrt -DCLQL_DIV_IS_RN" : "");
  return n > 0 && (size_t)n < size;
}

int clql_host_vnni(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
#else
  return 0;
#endif
}

int clql_host_vbmi(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return clql_host_vnni() && __builtin_cpu_supports("avx512vbmi");
#else
  return 0;
#endif
}

const char *clql_actquant_options(int gpu) { return gpu ? "-DCHUNK=16u -DACT_TREE" : NULL; }

size_t clql_gpu_kernel_builds(clql_kernel_build *out, size_t cap) {
  size_t n = 0;
  /* the activation quantization: the GPU variant, and the CPU one that
   * CLQL_KERNELS=portable builds on a GPU too */
  for (int gpu = 1; gpu >= 0; gpu--, n++) {
    if (n >= cap) continue;
    clql_kernel_build *b = &out[n];
    memset(b, 0, sizeof *b);
    b->program = "actquant";
    const char *o = clql_actquant_options(gpu);
    snprintf(b->options, sizeof b->options, "%s", o ? o : "");
    b->kernels[0] = "clql_quantize_activations";
    b->kernel_count = 1;
    b->dynamic_local = CLQL_ACTQUANT_LOCAL * sizeof(float);
  }
  /* the product kernels: rows per work-item from the device's preferred int
   * vector width (a power of two up to a tile), GEMV and GEMM tokens, with
   * and without the correctly rounded division */
  for (unsigned rows = 1; rows <= CLQL_ROW_MULTIPLE; rows *= 2)
    for (unsigned t = 0; t < 2; t++)
      for (int div_rn = 0; div_rn < 2; div_rn++, n++) {
        if (n >= cap) continue;
        clql_kernel_build *b = &out[n];
        memset(b, 0, sizeof *b);
        b->program = "ternary";
        clql_product_options(b->options, sizeof b->options, 0, rows, t ? CLQL_GEMM_TOKENS : 1,
                             CLQL_X86_NATIVE,
                             div_rn);
        for (int f = CLQL_FAMILY_PORTABLE; f <= CLQL_FAMILY_KSPLIT; f++)
          for (int q = 0; q < 3; q++)
            b->kernels[b->kernel_count++] = clql_product_kernel_names[f][q];
      }
  return n;
}
