/* clql-kernel-check: clql's OpenCL programs through GPU vendors' offline
 * compilers, with exactly the build options the library passes at run time
 * (clql_gpu_kernel_builds, the library's own list), and the resources each
 * kernel gets there.
 *
 *   --list                  the builds: program, options, kernels
 *   --source PROGRAM        a program's source as the library compiles it
 *   --target TARGET --work DIR [--json FILE] TOOLS...
 *                           every build for one target; any error or warning
 *                           of any step fails; resources into FILE
 *   --report [--json FILE] [--markdown] RESULT.json...
 *                           the targets' resources as a table (markdown: the
 *                           summary in docs/kernels.md), checked:
 *                           no kernel spills or uses scratch, and static plus
 *                           argument local memory fits the smallest target
 *
 * Targets and their chains (clang 14 and Debian's LLVM 14 tools):
 *   amdgpu:gfx906|gfx90a|gfx1030  clang -target amdgcn-amd-amdhsa -nogpulib, the
 *       OpenCL builtins from libclc linked before optimization, -O2 -S; the
 *       resources from the code object metadata
 *   nvptx:sm_80|sm_90  clang -target nvptx64-nvidia-nvcl with libclc's builtins,
 *       -O2 bitcode, llc to PTX for sm_80 (LLVM 14 has no sm_90), ptxas -v
 *       for the target architecture
 *   spirv  clang -target spir64 -O0 (what a front end hands a driver, which
 *       optimizes itself), llvm-spirv to SPIR-V 1.0, spirv-val for OpenCL 1.2;
 *       at -O2 clang 14 folds horizontal sums into llvm.vector.reduce.add,
 *       which llvm-spirv 14 cannot translate
 * libclc's bitcode names its targets nvptx64--nvidiacl and amdgcn--amdhsa,
 * which LLVM reads as other triples and warns about when linking; its triple
 * is rewritten to the compiled one first (same code).
 *
 * TOOLS: --clang --llc --llvm-dis --llvm-as --ptxas --llvm-spirv --spirv-val
 * (paths) and --libclc DIR; a missing tool skips (exit 77), or fails in CI (CI
 * set in the environment). --kernel-dir DIR reads the programs' NAME.cl from
 * DIR instead of the library's embedded copies (this tool's own tests).
 * Exit: 0 ok, 1 a failed build or check, 2 bad arguments. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "../lib/internal.h"

#define EXIT_SKIP 77
#define MAX_BUILDS 64
#define MAX_ARGS 64

typedef enum { CHAIN_AMDGPU, CHAIN_NVPTX, CHAIN_SPIRV } chain;

/* Local memory a work-group may use on each target: AMD's LDS per work-group,
 * the static shared memory of an NVIDIA block (what its OpenCL reports), and
 * for SPIR-V any OpenCL 1.2 device (CL_DEVICE_LOCAL_MEM_SIZE >= 32 KiB). */
static const struct target {
  const char *name;
  chain kind;
  const char *arch;
  long local_limit;
} targets[] = {
    {"amdgpu:gfx906", CHAIN_AMDGPU, "gfx906", 65536},
    {"amdgpu:gfx90a", CHAIN_AMDGPU, "gfx90a", 65536},
    {"amdgpu:gfx1030", CHAIN_AMDGPU, "gfx1030", 65536},
    {"nvptx:sm_80", CHAIN_NVPTX, "sm_80", 49152},
    {"nvptx:sm_90", CHAIN_NVPTX, "sm_90", 49152},
    {"spirv", CHAIN_SPIRV, NULL, 32768},
};
#define TARGET_COUNT (sizeof targets / sizeof targets[0])

static struct {
  const char *clang, *llc, *llvm_dis, *llvm_as, *ptxas, *llvm_spirv, *spirv_val, *libclc;
} tools;

/* One kernel's resources; -1 where the target does not report it. */
typedef struct {
  char name[64];
  long registers; /* VGPRs (AMD, AGPRs included), registers (NVIDIA) */
  long sgprs;
  long spills; /* AMD: registers spilled; NVIDIA: bytes of spill stores + loads */
  long local;  /* static local (LDS, shared) bytes */
  long scratch; /* private segment (AMD), stack frame (NVIDIA) bytes */
  long occupancy; /* AMD: waves per SIMD */
  int found;
} kernel_res;

/* ---- small helpers ---- */

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (cap - len < 2) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) free(buf);
      buf = bigger, cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

static int write_file(const char *path, const char *a, const char *b) {
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  int ok = fputs(a, f) >= 0 && (!b || fputs(b, f) >= 0);
  return fclose(f) == 0 && ok;
}

/* A path into buf (PATH_MAX bytes): paths here are the work directory and
 * short names; one that does not fit ends the program. */
CLQL_PRINTF(2, 3) static void pathf(char *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, PATH_MAX, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= PATH_MAX) {
    fprintf(stderr, "clql-kernel-check: path too long\n");
    exit(1);
  }
}

/* mkdir -p */
static int mkdirs(const char *path) {
  char buf[PATH_MAX];
  pathf(buf, "%s", path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p) continue;
    char c = *p;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return 0;
    if (!(*p = c)) return 1;
  }
}

/* Runs argv with stdout and stderr into log; the exit status, or -1. */
static int run(char *const argv[], const char *log) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    FILE *f = freopen(log, "w", stdout);
    if (!f || dup2(fileno(stdout), fileno(stderr)) < 0) _exit(127);
    execv(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int is_blank(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  return *s == '\0';
}

/* The next line of *text into buf (cut to fit), advancing *text; 0 at the
 * end. */
static int next_line(const char **text, char *buf, size_t size) {
  const char *p = *text;
  if (!p || !*p) return 0;
  const char *end = strchr(p, '\n');
  size_t len = end ? (size_t)(end - p) : strlen(p);
  snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), p);
  *text = p + len + (end != NULL);
  return 1;
}

/* Whether a step's output is clean: empty, or for ptxas -v only its info
 * lines (every warning or error is a failure). */
static int output_clean(const char *out, int ptxas) {
  if (!ptxas) return is_blank(out);
  char buf[512];
  for (const char *cursor = out; next_line(&cursor, buf, sizeof buf);) {
    const char *p = buf + strspn(buf, " \t");
    int info = strncmp(buf, "ptxas info", 10) == 0 || isdigit((unsigned char)*p) || *p == '\0';
    if (!info) return 0;
  }
  return 1;
}

/* Runs one step of a chain; on failure prints the command and its output. */
static int step(char *const argv[], const char *log, int ptxas, char **out) {
  int rc = run(argv, log);
  char *text = read_file(log);
  int ok = rc == 0 && text && output_clean(text, ptxas);
  if (!ok) {
    fprintf(stderr, "FAILED (exit %d%s):", rc, rc == 0 ? ", with diagnostics" : "");
    for (int i = 0; argv[i]; i++) fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, "\n%s\n", text ? text : "(no output)");
  }
  if (out && ok)
    *out = text;
  else
    free(text);
  return ok;
}

/* Splits options (words separated by spaces, no quoting: clql's options have
 * none) into argv at *argc. */
static void push_words(char **argv, int *argc, char *options) {
  for (char *w = strtok(options, " "); w && *argc < MAX_ARGS - 16; w = strtok(NULL, " "))
    argv[(*argc)++] = w;
}

static long field_long(const char *s, const char *key) {
  const char *p = strstr(s, key);
  return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ---- resources from the compilers' output ---- */

static kernel_res *find_kernel(kernel_res *k, unsigned n, const char *name) {
  for (unsigned i = 0; i < n; i++)
    if (strcmp(k[i].name, name) == 0) return &k[i];
  return NULL;
}

/* AMDGPU assembly: the code object metadata (amdhsa.kernels, one "  - "
 * entry per kernel, its fields at four spaces) and the occupancy comment
 * that follows each kernel's code. */
static void parse_amdgpu(const char *s, kernel_res *k, unsigned n) {
  int in_meta = 0;
  kernel_res cur;
  int have = 0;
  char label[64] = "";
  memset(&cur, 0, sizeof cur);
  char buf[512];
  for (const char *cursor = s; next_line(&cursor, buf, sizeof buf);) {
    const char *directive = buf + strspn(buf, " \t");
    if (strncmp(directive, ".amdgpu_metadata", 16) == 0) {
      in_meta = 1;
      continue;
    }
    if (!in_meta) {
      char name[64];
      if (sscanf(buf, "%63[A-Za-z0-9_]:", name) == 1 && buf[strlen(name)] == ':')
        snprintf(label, sizeof label, "%s", name);
      else if (strncmp(buf, "; Occupancy: ", 13) == 0) {
        kernel_res *r = find_kernel(k, n, label);
        if (r) r->occupancy = strtol(buf + 13, NULL, 10);
      }
      continue;
    }
    int entry = strncmp(buf, "  - ", 4) == 0, end_meta = strncmp(directive, ".end_amdgpu", 11) == 0;
    if ((entry || end_meta) && have) {
      kernel_res *r = find_kernel(k, n, cur.name);
      if (r) {
        long occ = r->occupancy;
        *r = cur;
        r->occupancy = occ;
        r->found = 1;
      }
      have = 0;
    }
    if (end_meta) break;
    if (entry) {
      memset(&cur, 0, sizeof cur);
      have = 1;
    }
    char key[64], value[128];
    if (!have || strncmp(buf, "    .", 5) != 0 ||
        sscanf(buf + 5, "%63[a-z_]: %127s", key, value) != 2)
      continue;
    long v = strtol(value, NULL, 10);
    if (strcmp(key, "name") == 0)
      snprintf(cur.name, sizeof cur.name, "%.63s", value);
    else if (strcmp(key, "vgpr_count") == 0)
      cur.registers = v;
    else if (strcmp(key, "sgpr_count") == 0)
      cur.sgprs = v;
    else if (strcmp(key, "sgpr_spill_count") == 0 || strcmp(key, "vgpr_spill_count") == 0)
      cur.spills += v;
    else if (strcmp(key, "group_segment_fixed_size") == 0)
      cur.local = v;
    else if (strcmp(key, "private_segment_fixed_size") == 0)
      cur.scratch = v;
  }
}

/* ptxas -v: per function "Function properties for F" and its stack frame and
 * spill bytes; per kernel "Compiling entry function 'K'", then "Used N
 * registers, ..., N bytes smem". Spills of a function a kernel still calls
 * count for every kernel. */
static long count_before(const char *buf, const char *suffix) {
  const char *end = strstr(buf, suffix);
  if (!end) return -1;
  const char *p = end;
  while (p > buf && isdigit((unsigned char)p[-1])) p--;
  return p < end ? strtol(p, NULL, 10) : -1;
}

static void parse_ptxas(const char *s, kernel_res *k, unsigned n) {
  kernel_res *cur = NULL;
  char props[64] = "";
  long callee_spills = 0;
  char buf[512];
  for (const char *cursor = s; next_line(&cursor, buf, sizeof buf);) {
    const char *q = strstr(buf, "Compiling entry function '");
    if (q) {
      char name[64];
      cur = sscanf(q + 26, "%63[A-Za-z0-9_]", name) == 1 ? find_kernel(k, n, name) : NULL;
      if (cur) cur->found = 1, cur->registers = cur->local = cur->scratch = cur->spills = 0;
      continue;
    }
    if ((q = strstr(buf, "Function properties for "))) {
      snprintf(props, sizeof props, "%s", q + 24);
      continue;
    }
    if (strstr(buf, "bytes stack frame")) {
      long st = count_before(buf, " bytes spill stores");
      long ld = count_before(buf, " bytes spill loads");
      long spills = (st > 0 ? st : 0) + (ld > 0 ? ld : 0);
      if (cur && strcmp(props, cur->name) == 0) {
        cur->scratch = strtol(buf, NULL, 10);
        cur->spills += spills;
      } else {
        callee_spills += spills;
      }
    } else if (cur && strstr(buf, "Used ")) {
      cur->registers = field_long(buf, "Used ");
      long smem = count_before(buf, " bytes smem");
      long stack = count_before(buf, " bytes cumulative stack size");
      if (smem >= 0) cur->local = smem;
      if (stack > cur->scratch) cur->scratch = stack;
    }
  }
  for (unsigned i = 0; i < n; i++)
    if (k[i].found) k[i].spills += callee_spills;
}

/* ---- one target ---- */

/* NAME.cl as the library has it embedded, or from --kernel-dir (the tests
 * of this tool); malloc'd. */
static const char *kernel_dir;
static char *program_source(const char *name) {
  if (!kernel_dir) {
    const char *text = clql_embedded_source(name);
    return text ? strdup(text) : NULL;
  }
  char path[PATH_MAX];
  pathf(path, "%s/%s.cl", kernel_dir, name);
  return read_file(path);
}

/* libclc's builtins for `triple` in dir, its triple rewritten (see the top). */
static char *libclc_for(const char *dir, const char *libclc_name, const char *triple) {
  char src[PATH_MAX], ll[PATH_MAX], fixed[PATH_MAX], out[PATH_MAX], log[PATH_MAX];
  pathf(src, "%s/%s.bc", tools.libclc, libclc_name);
  pathf(ll, "%s/libclc-%s.ll", dir, libclc_name);
  pathf(fixed, "%s/libclc-%s.fixed.ll", dir, triple);
  pathf(out, "%s/libclc-%s.bc", dir, triple);
  pathf(log, "%s/libclc-%s.log", dir, triple);
  char *dis[] = {(char *)tools.llvm_dis, src, "-o", ll, NULL};
  if (!step(dis, log, 0, NULL)) return NULL;
  char *text = read_file(ll);
  if (!text) return NULL;
  char *t = strstr(text, "\ntarget triple = \"");
  char *close = t ? strchr(t + 18, '"') : NULL;
  int ok = 0;
  if (close) {
    *t = '\0';
    char head[128];
    snprintf(head, sizeof head, "\ntarget triple = \"%s", triple);
    size_t n = strlen(text) + strlen(head) + strlen(close) + 1;
    char *joined = malloc(n);
    if (joined) {
      snprintf(joined, n, "%s%s%s", text, head, close);
      ok = write_file(fixed, joined, NULL);
      free(joined);
    }
  }
  free(text);
  remove(ll);
  if (!ok) {
    fprintf(stderr, "no target triple in %s\n", src);
    return NULL;
  }
  char *as[] = {(char *)tools.llvm_as, fixed, "-o", out, NULL};
  ok = step(as, log, 0, NULL);
  remove(fixed);
  return ok ? strdup(out) : NULL;
}

/* The line of `tool --version` output holding `key` (NULL: the first line):
 * the tool's version, for the report. */
static json_t *tool_version(const char *tool, const char *dir, const char *key) {
  char log[PATH_MAX];
  pathf(log, "%s/version.log", dir);
  char *argv[] = {(char *)tool, "--version", NULL};
  if (run(argv, log) != 0) return json_null();
  char *text = read_file(log), line[256] = "";
  for (const char *cursor = text; next_line(&cursor, line, sizeof line); line[0] = '\0')
    if (!is_blank(line) && (!key || strstr(line, key))) break;
  free(text);
  remove(log);
  return json_string(line);
}

static json_t *res_json(const kernel_res *r) {
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(r->name));
#define FIELD(key, v) json_object_set_new(o, key, (v) >= 0 ? json_integer(v) : json_null())
  FIELD("registers", r->registers);
  FIELD("sgprs", r->sgprs);
  FIELD("spills", r->spills);
  FIELD("local_bytes", r->local);
  FIELD("scratch_bytes", r->scratch);
  FIELD("occupancy", r->occupancy);
#undef FIELD
  return o;
}

static int check_target(const struct target *t, const char *work, const char *json_path) {
  clql_kernel_build builds[MAX_BUILDS];
  size_t nb = clql_gpu_kernel_builds(builds, MAX_BUILDS);
  if (nb > MAX_BUILDS) return fprintf(stderr, "more than %d builds\n", MAX_BUILDS), 1;
  char dir[PATH_MAX];
  pathf(dir, "%s/%s", work, t->name);
  for (char *c = dir + strlen(work) + 1; *c; c++)
    if (*c == ':') *c = '_';
  if (!mkdirs(dir)) return fprintf(stderr, "cannot create %s: %s\n", dir, strerror(errno)), 1;
  const char *triple = t->kind == CHAIN_AMDGPU  ? "amdgcn-amd-amdhsa"
                       : t->kind == CHAIN_NVPTX ? "nvptx64-nvidia-nvcl"
                                                : "spir64";
  char *libclc = NULL;
  if (t->kind != CHAIN_SPIRV) {
    libclc = libclc_for(dir, t->kind == CHAIN_AMDGPU ? "amdgcn--amdhsa" : "nvptx64--nvidiacl",
                        triple);
    if (!libclc) return 1;
  }
  json_t *root = json_object(), *jbuilds = json_array(), *jtools = json_object();
  json_object_set_new(root, "target", json_string(t->name));
  json_object_set_new(root, "local_limit", json_integer(t->local_limit));
  json_object_set_new(jtools, "clang", tool_version(tools.clang, dir, NULL));
  if (t->kind == CHAIN_NVPTX)
    json_object_set_new(jtools, "ptxas", tool_version(tools.ptxas, dir, "release"));
  if (t->kind == CHAIN_SPIRV)
    json_object_set_new(jtools, "spirv-val", tool_version(tools.spirv_val, dir, NULL));
  json_object_set_new(root, "tools", jtools);
  int failed = 0, kernels_total = 0;
  for (size_t i = 0; i < nb; i++) {
    const clql_kernel_build *b = &builds[i];
    char src[PATH_MAX], out[PATH_MAX], log[PATH_MAX], options[1024], obj[PATH_MAX], bin[PATH_MAX];
    pathf(src, "%s/%s.cl", dir, b->program);
    char *prelude = program_source(CLQL_PRELUDE), *text = program_source(b->program);
    int written = prelude && text && write_file(src, prelude, text);
    free(prelude), free(text);
    if (!written) {
      fprintf(stderr, "cannot write %s\n", src);
      failed = 1;
      break;
    }
    if (!clql_build_options(options, sizeof options, b->options)) {
      failed = 1;
      break;
    }
    char *argv[MAX_ARGS];
    int argc = 0;
    argv[argc++] = (char *)tools.clang;
    argv[argc++] = "-x";
    argv[argc++] = "cl";
    char words[1024];
    snprintf(words, sizeof words, "%s", options);
    push_words(argv, &argc, words);
    char *common[] = {"-Xclang", "-finclude-default-header", "-Wall", "-Wextra", "-Wpedantic",
                      "-target", (char *)triple};
    for (size_t c = 0; c < sizeof common / sizeof common[0]; c++) argv[argc++] = common[c];
    char march[64];
    snprintf(march, sizeof march, "%s=%s", t->kind == CHAIN_AMDGPU ? "-mcpu" : "-march",
             t->kind == CHAIN_AMDGPU ? t->arch : "sm_80");
    if (t->kind != CHAIN_SPIRV) {
      argv[argc++] = march;
      if (t->kind == CHAIN_AMDGPU) argv[argc++] = "-nogpulib";
      argv[argc++] = "-Xclang";
      argv[argc++] = "-mlink-builtin-bitcode";
      argv[argc++] = "-Xclang";
      argv[argc++] = libclc;
    }
    argv[argc++] = t->kind == CHAIN_SPIRV ? "-O0" : "-O2";
    if (t->kind == CHAIN_AMDGPU) {
      argv[argc++] = "-S";
    } else {
      argv[argc++] = "-emit-llvm";
      argv[argc++] = "-c";
    }
    pathf(obj, "%s/build%02zu.%s", dir, i, t->kind == CHAIN_AMDGPU ? "s" : "bc");
    argv[argc++] = "-o";
    argv[argc++] = obj;
    argv[argc++] = src;
    argv[argc] = NULL;
    pathf(log, "%s/build%02zu.clang.log", dir, i);
    kernel_res res[8];
    memset(res, 0, sizeof res);
    for (unsigned k = 0; k < b->kernel_count; k++) {
      snprintf(res[k].name, sizeof res[k].name, "%s", b->kernels[k]);
      res[k].registers = res[k].sgprs = res[k].spills = res[k].local = res[k].scratch =
          res[k].occupancy = -1;
    }
    int ok = step(argv, log, 0, NULL);
    char *output = NULL;
    if (ok && t->kind == CHAIN_AMDGPU) {
      if (!(output = read_file(obj))) ok = 0;
      if (ok) parse_amdgpu(output, res, b->kernel_count);
    } else if (ok && t->kind == CHAIN_NVPTX) {
      pathf(out, "%s/build%02zu.ptx", dir, i);
      pathf(log, "%s/build%02zu.llc.log", dir, i);
      char *llc[] = {(char *)tools.llc, "-O2", "-march=nvptx64", "-mcpu=sm_80", obj, "-o", out,
                     NULL};
      ok = step(llc, log, 0, NULL);
      char arch[32];
      snprintf(arch, sizeof arch, "-arch=%s", t->arch);
      pathf(bin, "%s/build%02zu.cubin", dir, i);
      pathf(log, "%s/build%02zu.ptxas.log", dir, i);
      char *ptxas[] = {(char *)tools.ptxas, arch, "-v", "--warning-as-error", out, "-o", bin, NULL};
      if (ok) ok = step(ptxas, log, 1, &output);
      if (ok) parse_ptxas(output, res, b->kernel_count);
    } else if (ok) {
      pathf(out, "%s/build%02zu.spv", dir, i);
      pathf(log, "%s/build%02zu.llvm-spirv.log", dir, i);
      char *spirv[] = {(char *)tools.llvm_spirv, "--spirv-max-version=1.0", obj, "-o", out, NULL};
      ok = step(spirv, log, 0, NULL);
      pathf(log, "%s/build%02zu.spirv-val.log", dir, i);
      char *val[] = {(char *)tools.spirv_val, "--target-env", "opencl1.2", out, NULL};
      if (ok) ok = step(val, log, 0, NULL);
      for (unsigned k = 0; k < b->kernel_count; k++) res[k].found = ok;
    }
    free(output);
    json_t *jb = json_object(), *jk = json_array();
    json_object_set_new(jb, "program", json_string(b->program));
    json_object_set_new(jb, "options", json_string(options));
    json_object_set_new(jb, "dynamic_local_bytes", json_integer(b->dynamic_local));
    for (unsigned k = 0; ok && k < b->kernel_count; k++) {
      if (!res[k].found) {
        fprintf(stderr, "%s: kernel %s missing from the output of build %02zu (%s)\n", t->name,
                res[k].name, i, options);
        ok = 0;
      }
      json_array_append_new(jk, res_json(&res[k]));
      kernels_total++;
    }
    json_object_set_new(jb, "kernels", jk);
    json_object_set_new(jb, "ok", json_boolean(ok));
    json_array_append_new(jbuilds, jb);
    printf("%-15s %-8s %-72s %s\n", t->name, b->program, options, ok ? "ok" : "FAILED");
    failed |= !ok;
  }
  json_object_set_new(root, "builds", jbuilds);
  json_object_set_new(root, "ok", json_boolean(!failed));
  if (json_path && json_dump_file(root, json_path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0) {
    fprintf(stderr, "cannot write %s\n", json_path);
    failed = 1;
  }
  json_decref(root);
  free(libclc);
  printf("%s: %zu builds, %d kernels%s\n", t->name, nb, kernels_total,
         failed ? ": FAILED" : ", no error or warning");
  return failed;
}

/* ---- the report ---- */

/* A build's variant for the table: TOKENS of the product kernels, the
 * activation kernel's reduction. */
static void variant_of(const char *program, const char *options, char *out, size_t size) {
  if (strcmp(program, "actquant") == 0) {
    snprintf(out, size, "%s", strstr(options, "ACT_TREE") ? "tree" : "serial");
    return;
  }
  long tokens = field_long(options, "-DTOKENS=");
  snprintf(out, size, "T=%ld", tokens);
}

typedef struct {
  const char *target;
  char kernel[64], variant[16];
  long reg_min, reg_max, spills, local, scratch, occ_min, dyn;
} summary_row;

static long jlong(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static void fmt_range(char *buf, size_t size, long lo, long hi) {
  if (hi < 0)
    snprintf(buf, size, "-");
  else if (lo == hi)
    snprintf(buf, size, "%ld", hi);
  else
    snprintf(buf, size, "%ld-%ld", lo, hi);
}

static int report(char **files, int count, const char *json_path, int markdown) {
  json_t *all = json_array();
  summary_row *rows = NULL;
  size_t nrows = 0;
  int failed = 0;
  long limit = -1;
  const char *limit_target = NULL;
  for (int f = 0; f < count; f++) {
    json_error_t err;
    json_t *root = json_load_file(files[f], 0, &err);
    if (!root || !json_is_true(json_object_get(root, "ok"))) {
      fprintf(stderr, "%s: %s\n", files[f], root ? "its target failed to build" : err.text);
      json_decref(root);
      failed = 1;
      continue;
    }
    json_array_append_new(all, root);
    const char *target = json_string_value(json_object_get(root, "target"));
    long lim = jlong(root, "local_limit");
    if (lim >= 0 && (limit < 0 || lim < limit)) limit = lim, limit_target = target;
    size_t bi;
    json_t *b;
    json_array_foreach(json_object_get(root, "builds"), bi, b) {
      char variant[16];
      const char *program = json_string_value(json_object_get(b, "program"));
      const char *options = json_string_value(json_object_get(b, "options"));
      if (!program || !options) continue;
      variant_of(program, options, variant, sizeof variant);
      long dyn = jlong(b, "dynamic_local_bytes");
      size_t ki;
      json_t *k;
      json_array_foreach(json_object_get(b, "kernels"), ki, k) {
        const char *name = json_string_value(json_object_get(k, "name"));
        if (!name) continue;
        summary_row *r = NULL;
        for (size_t i = 0; i < nrows && !r; i++)
          if (strcmp(rows[i].target, target) == 0 && strcmp(rows[i].kernel, name) == 0 &&
              strcmp(rows[i].variant, variant) == 0)
            r = &rows[i];
        if (!r) {
          summary_row *more = realloc(rows, (nrows + 1) * sizeof *rows);
          if (!more) return fprintf(stderr, "out of memory\n"), 1;
          rows = more;
          r = &rows[nrows++];
          memset(r, 0, sizeof *r);
          r->target = target;
          snprintf(r->kernel, sizeof r->kernel, "%s", name);
          snprintf(r->variant, sizeof r->variant, "%s", variant);
          r->reg_min = r->occ_min = LONG_MAX;
          r->reg_max = r->spills = r->local = r->scratch = -1;
        }
        long reg = jlong(k, "registers"), occ = jlong(k, "occupancy");
        if (reg >= 0 && reg < r->reg_min) r->reg_min = reg;
        if (reg > r->reg_max) r->reg_max = reg;
        if (occ >= 0 && occ < r->occ_min) r->occ_min = occ;
        long sp = jlong(k, "spills"), lo = jlong(k, "local_bytes"), sc = jlong(k, "scratch_bytes");
        if (sp > r->spills) r->spills = sp;
        if (lo > r->local) r->local = lo;
        if (sc > r->scratch) r->scratch = sc;
        if (dyn > r->dyn) r->dyn = dyn;
      }
    }
  }
  /* the checks */
  for (size_t i = 0; i < nrows; i++) {
    summary_row *r = &rows[i];
    long local = (r->local > 0 ? r->local : 0) + r->dyn;
    if (r->spills > 0) {
      fprintf(stderr, "%s %s (%s): spills (%ld)\n", r->target, r->kernel, r->variant, r->spills);
      failed = 1;
    }
    if (r->scratch > 0) {
      fprintf(stderr, "%s %s (%s): %ld bytes of scratch (private arrays or calls in memory)\n",
              r->target, r->kernel, r->variant, r->scratch);
      failed = 1;
    }
    if (limit >= 0 && local > limit) {
      fprintf(stderr, "%s %s (%s): %ld bytes of local memory, over the %ld of %s\n", r->target,
              r->kernel, r->variant, local, limit, limit_target);
      failed = 1;
    }
  }
  if (markdown) {
    /* kernels down, targets with resources across: registers (range over
     * the other options) */
    const char *cols[TARGET_COUNT];
    size_t ncols = 0;
    for (size_t i = 0; i < nrows; i++) {
      int seen = 0, has = rows[i].reg_max >= 0;
      for (size_t c = 0; c < ncols; c++) seen |= strcmp(cols[c], rows[i].target) == 0;
      if (!seen && has && ncols < TARGET_COUNT) cols[ncols++] = rows[i].target;
    }
    printf("| kernel | build |");
    for (size_t c = 0; c < ncols; c++) printf(" %s |", strchr(cols[c], ':') + 1);
    printf("\n|---|---|");
    for (size_t c = 0; c < ncols; c++) printf("---|");
    printf("\n");
    for (size_t i = 0; i < nrows; i++) {
      if (strcmp(rows[i].target, cols[0]) != 0) continue;
      printf("| `%s` | %s |", rows[i].kernel, rows[i].variant);
      for (size_t c = 0; c < ncols; c++)
        for (size_t j = 0; j < nrows; j++)
          if (strcmp(rows[j].target, cols[c]) == 0 && strcmp(rows[j].kernel, rows[i].kernel) == 0 &&
              strcmp(rows[j].variant, rows[i].variant) == 0) {
            char cell[96];
            fmt_range(cell, sizeof cell, rows[j].reg_min, rows[j].reg_max);
            size_t l = strlen(cell);
            if (rows[j].occ_min != LONG_MAX)
              snprintf(cell + l, sizeof cell - l, " (%ld)", rows[j].occ_min);
            l = strlen(cell);
            if (rows[j].scratch > 0)
              snprintf(cell + l, sizeof cell - l, ", %ld B scratch", rows[j].scratch);
            printf(" %s |", cell);
          }
      printf("\n");
    }
  } else {
    printf("%-15s %-26s %-7s %9s %6s %7s %7s %9s %4s\n", "TARGET", "KERNEL", "BUILD", "REGISTERS",
           "SPILLS", "LOCAL", "+ARGS", "SCRATCH", "OCC");
    for (size_t i = 0; i < nrows; i++) {
      summary_row *r = &rows[i];
      char regs[48], occ[24] = "-";
      fmt_range(regs, sizeof regs, r->reg_min, r->reg_max);
      if (r->occ_min != LONG_MAX) snprintf(occ, sizeof occ, "%ld", r->occ_min);
      if (r->reg_max < 0) continue; /* SPIR-V: validated, no figures (below) */
      printf("%-15s %-26s %-7s %9s %6ld %7ld %7ld %9ld %4s\n", r->target, r->kernel, r->variant,
             regs, r->spills, r->local, r->dyn, r->scratch, occ);
    }
    for (int f = 0; f < (int)json_array_size(all); f++) {
      json_t *t = json_array_get(all, (size_t)f);
      int figures = 0;
      for (size_t i = 0; i < nrows; i++)
        figures |= rows[i].reg_max >= 0 &&
                   strcmp(rows[i].target, json_string_value(json_object_get(t, "target"))) == 0;
      if (!figures)
        printf("%s: %zu builds validated (no resource figures from this target)\n",
               json_string_value(json_object_get(t, "target")),
               json_array_size(json_object_get(t, "builds")));
    }
    printf("REGISTERS: VGPRs (AMD, AGPRs included) or registers (NVIDIA), the range over the "
           "builds' ROWS and division options; SPILLS: registers (AMD) or bytes (NVIDIA); LOCAL: "
           "static bytes; +ARGS: local memory passed as arguments; OCC: waves per SIMD (AMD)\n");
    printf("local memory limit: %ld bytes (%s); %s\n", limit, limit_target ? limit_target : "-",
           failed ? "FAILED" : "no spills, no scratch, local memory within it");
  }
  if (json_path) {
    json_t *root = json_object();
    json_object_set_new(root, "local_limit", json_integer(limit));
    json_object_set_new(root, "ok", json_boolean(!failed));
    json_object_set(root, "targets", all);
    if (json_dump_file(root, json_path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0) failed = 1;
    json_decref(root);
  }
  json_decref(all);
  free(rows);
  return failed;
}

/* ---- main ---- */

static void usage(FILE *f) {
  fprintf(f,
          "usage: clql-kernel-check --list | --source PROGRAM\n"
          "       clql-kernel-check --target TARGET --work DIR [--json FILE] --clang PATH\n"
          "         --llc PATH --llvm-dis PATH --llvm-as PATH --ptxas PATH --llvm-spirv PATH\n"
          "         --spirv-val PATH --libclc DIR [--kernel-dir DIR]\n"
          "       clql-kernel-check --report [--json FILE] [--markdown] RESULT.json...\n"
          "targets:");
  for (size_t i = 0; i < TARGET_COUNT; i++) fprintf(f, " %s", targets[i].name);
  fprintf(f, "\n");
}

/* Whether path is usable: an executable (or, for dir, a directory). */
static int have(const char *what, const char *path, int dir) {
  struct stat st;
  if (path && *path && !strstr(path, "NOTFOUND") && stat(path, &st) == 0 &&
      (dir ? S_ISDIR(st.st_mode) : access(path, X_OK) == 0))
    return 1;
  fprintf(stderr, "%s not found (%s)\n", what, path && *path ? path : "not given");
  return 0;
}

int main(int argc, char **argv) {
  enum { O_LIST = 1, O_SOURCE, O_TARGET, O_WORK, O_JSON, O_REPORT, O_MARKDOWN, O_CLANG, O_LLC,
         O_DIS, O_AS, O_PTXAS, O_SPIRV, O_VAL, O_LIBCLC, O_KERNEL_DIR };
  static const struct option longopts[] = {
      {"list", no_argument, NULL, O_LIST},         {"source", required_argument, NULL, O_SOURCE},
      {"target", required_argument, NULL, O_TARGET}, {"work", required_argument, NULL, O_WORK},
      {"json", required_argument, NULL, O_JSON},   {"report", no_argument, NULL, O_REPORT},
      {"markdown", no_argument, NULL, O_MARKDOWN}, {"clang", required_argument, NULL, O_CLANG},
      {"llc", required_argument, NULL, O_LLC},     {"llvm-dis", required_argument, NULL, O_DIS},
      {"llvm-as", required_argument, NULL, O_AS},  {"ptxas", required_argument, NULL, O_PTXAS},
      {"llvm-spirv", required_argument, NULL, O_SPIRV},
      {"spirv-val", required_argument, NULL, O_VAL},
      {"libclc", required_argument, NULL, O_LIBCLC},
      {"kernel-dir", required_argument, NULL, O_KERNEL_DIR}, {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int list = 0, rep = 0, markdown = 0, opt;
  const char *source = NULL, *target = NULL, *work = NULL, *json = NULL;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
    case O_LIST: list = 1; break;
    case O_SOURCE: source = optarg; break;
    case O_TARGET: target = optarg; break;
    case O_WORK: work = optarg; break;
    case O_JSON: json = optarg; break;
    case O_REPORT: rep = 1; break;
    case O_MARKDOWN: markdown = 1; break;
    case O_CLANG: tools.clang = optarg; break;
    case O_LLC: tools.llc = optarg; break;
    case O_DIS: tools.llvm_dis = optarg; break;
    case O_AS: tools.llvm_as = optarg; break;
    case O_PTXAS: tools.ptxas = optarg; break;
    case O_SPIRV: tools.llvm_spirv = optarg; break;
    case O_VAL: tools.spirv_val = optarg; break;
    case O_LIBCLC: tools.libclc = optarg; break;
    case O_KERNEL_DIR: kernel_dir = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (list + rep + !!source + !!target != 1 || (!rep && optind < argc) || (rep && optind == argc)) {
    usage(stderr);
    return 2;
  }
  if (list) {
    clql_kernel_build builds[MAX_BUILDS];
    size_t n = clql_gpu_kernel_builds(builds, MAX_BUILDS);
    for (size_t i = 0; i < n && i < MAX_BUILDS; i++) {
      char options[1024];
      clql_build_options(options, sizeof options, builds[i].options);
      printf("%s\t%s\t", builds[i].program, options);
      for (unsigned k = 0; k < builds[i].kernel_count; k++)
        printf("%s%s", k ? " " : "", builds[i].kernels[k]);
      printf("\n");
    }
    return 0;
  }
  if (source) {
    char *prelude = program_source(CLQL_PRELUDE), *text = program_source(source);
    int ok = prelude && text && strcmp(source, CLQL_PRELUDE) != 0;
    if (ok) fputs(prelude, stdout), fputs(text, stdout);
    else fprintf(stderr, "clql-kernel-check: no program '%s'\n", source);
    free(prelude), free(text);
    return ok ? 0 : 2;
  }
  if (rep) return report(argv + optind, argc - optind, json, markdown);
  const struct target *t = NULL;
  for (size_t i = 0; i < TARGET_COUNT; i++)
    if (strcmp(targets[i].name, target) == 0) t = &targets[i];
  if (!t || !work) {
    if (!t) fprintf(stderr, "clql-kernel-check: unknown target '%s'\n", target);
    usage(stderr);
    return 2;
  }
  if (json) remove(json); /* no stale result when this run is skipped */
  int ok = have("clang", tools.clang, 0);
  if (t->kind != CHAIN_SPIRV)
    ok &= have("llvm-dis", tools.llvm_dis, 0) & have("llvm-as", tools.llvm_as, 0) &
          have("libclc", tools.libclc, 1);
  if (t->kind == CHAIN_NVPTX) ok &= have("llc", tools.llc, 0) & have("ptxas", tools.ptxas, 0);
  if (t->kind == CHAIN_SPIRV)
    ok &= have("llvm-spirv", tools.llvm_spirv, 0) & have("spirv-val", tools.spirv_val, 0);
  if (!ok) {
    const char *ci = getenv("CI");
    if (ci && *ci) return fprintf(stderr, "FAILED: a compiler is missing (CI)\n"), 1;
    printf("SKIP: a compiler is missing (tools/install-deps.sh installs them)\n");
    return EXIT_SKIP;
  }
  return check_target(t, work, json);
}
