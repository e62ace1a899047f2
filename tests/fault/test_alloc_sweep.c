/* Host-allocation sweeps of the paths without OpenCL: device profiles
 * (parsing, reports, the host-memory probe on a fake /proc and /sys), plans
 * (layers, models, presets, model files, splits, environment knobs), packing
 * and the reference, and GGUF loading (open, metadata, import). Each
 * allocation libclql makes (and jansson's, routed through the same hook) is
 * failed in turn: every run succeeds or returns a clear status, inputs stay
 * unchanged, and a clean run gives the reference result. Leaks: valgrind
 * (unit label) and the asan preset. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "../../lib/internal.h"
#include "../../lib/test_hooks.h"
#include "fault.h"
#include "runner.h"

const int clql_test_needs_device = 0;

static char path[4][4096];
enum { QUIRKS, LAYER, MODEL_FILE, PROC };

/* jansson 2.14 does not always report its own failed allocations as such:
 * its parser often says "string or '}' expected", and its lexer ignores a
 * failed growth of its token buffer and drops that character, so a string can
 * come back one byte short with no error at all. clql cannot see either; runs
 * where a jansson allocation failed may give CLQL_ERR_PARSE or differ from
 * the reference, and the latter are counted instead of failed. */
static int jansson_failed;
static unsigned long jansson_lossy;

static void *json_alloc(size_t size) {
  unsigned long before = clql_alloc_fault_injected();
  void *p = clql_malloc(size);
  if (clql_alloc_fault_injected() != before) {
    jansson_failed = 1;
    clql_fault_foreign();
  }
  return p;
}

/* Equal to the reference, or (after a failed jansson allocation) counted. */
static void check_same(const void *a, const void *b, size_t n) {
  if (memcmp(a, b, n) == 0) return;
  if (jansson_failed)
    jansson_lossy++;
  else
    CU_FAIL("a run that succeeded differs from the reference");
}

static int setup(void) {
  const char *data = getenv("CLQL_TEST_DATA");
  if (!data || clql_test_dir_init() != 0) return 1;
  snprintf(path[QUIRKS], sizeof path[0], "%s/quirks.json", data);
  snprintf(path[LAYER], sizeof path[0], "%s/profile_layer.json", data);
  snprintf(path[MODEL_FILE], sizeof path[0], "%s/model.txt", clql_test_dir);
  clql_test_write_file(clql_test_dir, "model.txt",
                       "# name N K count\nq 2560 2560 30\r\ndown\t2560 6912 30\n\nup 6912 2560\n");
  snprintf(path[PROC], sizeof path[0], "%s/proc", clql_test_dir);
  clql_test_write_file(clql_test_dir, "proc/meminfo",
                       "MemTotal: 8000000 kB\nMemAvailable:    4000000 kB\n");
  clql_test_write_file(clql_test_dir, "proc/self/cgroup", "0::/clql/test\n");
  clql_test_write_file(clql_test_dir, "sys/fs/cgroup/clql/memory.max", "1000000\n");
  clql_test_write_file(clql_test_dir, "sys/fs/cgroup/clql/memory.current", "400000\n");
  clql_test_write_file(clql_test_dir, "sys/fs/cgroup/clql/test/memory.max", "max\n");
  /* jansson's allocations fail with libclql's, as a real shortage would. */
  json_set_alloc_funcs(json_alloc, clql_free);
  return 0;
}

static int cleanup(void) {
  json_set_alloc_funcs(malloc, free);
  return clql_test_dir_cleanup();
}

/* ---- device profiles ---- */

typedef struct {
  const char *file, *measure_id; /* measure_id: a record simulated on the fake machine */
  clql_device_info devs[16];
  size_t n;
  clql_memory_report measured;
} profile_result;

static clql_status profiles(profile_result *r) {
  memset(r, 0, sizeof *r);
  clql_status st = clql_profile_devices(path[QUIRKS], NULL, NULL, 0, &r->n);
  if (st == CLQL_SUCCESS && r->n > 16) st = CLQL_ERR_INTERNAL;
  if (st == CLQL_SUCCESS) st = clql_profile_devices(path[QUIRKS], NULL, r->devs, r->n, &r->n);
  if (st == CLQL_SUCCESS) st = clql_profile_memory_trace(path[LAYER], "layer-amd", &r->measured,
                                                         NULL, NULL);
  return st;
}

static profile_result profile_ref;

static clql_status profile_scenario(void *user) {
  profile_result *r = user;
  jansson_failed = 0;
  clql_status st = profiles(r);
  clql_fault_pause();
  if (st == CLQL_SUCCESS) {
    CU_ASSERT_EQUAL(r->n, profile_ref.n);
    check_same(r->devs, profile_ref.devs, sizeof r->devs);
    check_same(&r->measured, &profile_ref.measured, sizeof r->measured);
  }
  return st;
}

static void test_profiles(void) {
  static profile_result r;
  CU_ASSERT_EQUAL_FATAL(profiles(&profile_ref), CLQL_SUCCESS);
  CU_ASSERT(profile_ref.n == 9);
  jansson_lossy = 0;
  clql_fault_sweep_alloc("profiles (parse, reports)", profile_scenario, &r);
  printf("    (%lu runs read a string one byte short after jansson's failed allocation)\n",
         jansson_lossy);
}

/* A recorded CPU simulated here: the host source reads the fake meminfo and
 * walks the fake cgroup tree. */
static clql_status measured_scenario(void *user) {
  clql_memory_report *m = user;
  memset(m, 0, sizeof *m);
  jansson_failed = 0;
  clql_status st = clql_profile_memory_trace(path[QUIRKS], "mib-decimal-cpu", m, NULL, NULL);
  clql_fault_pause();
  if (st == CLQL_SUCCESS) {
    CU_ASSERT_EQUAL(m->free_source, CLQL_MEM_SOURCE_CGROUP);
    CU_ASSERT_EQUAL(m->free, 600000u); /* below the record's 1.5 MiB */
  }
  return st;
}

static void test_probe_files(void) {
  char sys[4096];
  snprintf(sys, sizeof sys, "%s/sys", clql_test_dir);
  setenv("CLQL_PROFILE_MEASURE", "1", 1);
  setenv("CLQL_PROC_ROOT", path[PROC], 1);
  setenv("CLQL_SYSFS_ROOT", sys, 1);
  clql_memory_report m;
  clql_fault_sweep_alloc("profile measured on fake /proc and /sys", measured_scenario, &m);
  unsetenv("CLQL_PROFILE_MEASURE");
  unsetenv("CLQL_PROC_ROOT");
  unsetenv("CLQL_SYSFS_ROOT");
}

/* ---- plans ---- */

typedef struct {
  clql_layer_plan layer;
  clql_model_plan model;
  clql_split_plan split;
  clql_split_part parts[3];
  size_t problems;
  uint64_t model_layers;
} plan_result;

static const clql_memory_report plan_mem = {
    .total = 8ull << 30, .max_alloc = 2ull << 30, .free = 6ull << 30, .free_known = 1,
    .free_measured = 1, .free_source = CLQL_MEM_SOURCE_AMD_EXT};

static clql_status plans(plan_result *r) {
  memset(r, 0, sizeof *r);
  clql_layer_shape shape = {.n = 6912, .k = 2560, .qtype = CLQL_QTYPE_TL2, .group_size = 192};
  clql_status st = clql_plan_layer(&plan_mem, NULL, &shape, 300, CLQL_WS_WITH_INPUT, &r->layer);
  clql_model_layer preset[16], file[16];
  size_t np = 0, nf = 0;
  if (st == CLQL_SUCCESS)
    st = clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, preset, 16, &np);
  if (st == CLQL_SUCCESS) st = clql_model_load(path[MODEL_FILE], CLQL_QTYPE_TL1, file, 16, &nf);
  if (st == CLQL_SUCCESS)
    st = clql_plan_model(&plan_mem, NULL, file, nf, 0, CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT,
                         &r->model);
  clql_split_device devs[3] = {{plan_mem, NULL, 0}, {plan_mem, NULL, 0}, {plan_mem, NULL, 0}};
  devs[1].memory.free = 1ull << 30;
  if (st == CLQL_SUCCESS)
    st = clql_plan_split(devs, 3, preset, np, CLQL_SPLIT_LAYERS, 64, 0, r->parts, &r->split);
  /* Bad knobs are reported, never fatal. */
  if (st == CLQL_SUCCESS) st = clql_env_problems(NULL, 0, &r->problems);
  r->model_layers = np * 1000 + nf;
  return st;
}

static plan_result plan_ref;

static clql_status plan_scenario(void *user) {
  plan_result *r = user;
  clql_status st = plans(r);
  clql_fault_pause();
  if (st == CLQL_SUCCESS) CU_ASSERT_EQUAL(memcmp(r, &plan_ref, sizeof *r), 0);
  return st;
}

static void test_plans(void) {
  static plan_result r;
  setenv("CLQL_MEM_LIMIT", "1.5G", 1);
  setenv("CLQL_MAX_BATCH", "-3", 1);
  CU_ASSERT_EQUAL_FATAL(plans(&plan_ref), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(plan_ref.problems, 2);
  CU_ASSERT(plan_ref.model.fits && plan_ref.layer.fits);
  clql_fault_sweep_alloc("plans (layer, preset, model file, split, knobs)", plan_scenario, &r);
  unsetenv("CLQL_MEM_LIMIT");
  unsetenv("CLQL_MAX_BATCH");
}

/* ---- packing and the reference ---- */

enum { PN = 19, PK = 200, PB = 3 };
static float pw[PN * PK], px[PB * PK];

typedef struct {
  uint8_t weights[PN * PK], scales[4096];
  float y[PB * PN];
} pack_result;

static clql_status pack(pack_result *r) {
  memset(r, 0, sizeof *r);
  clql_layer_shape s = {.n = PN, .k = PK, .qtype = CLQL_QTYPE_TL2, .group_size = 96};
  clql_weight_bytes wb;
  clql_status st = clql_layout_weight_bytes(&s, &wb);
  if (st != CLQL_SUCCESS) return st;
  if (wb.weights > sizeof r->weights || wb.scales > sizeof r->scales) return CLQL_ERR_INTERNAL;
  clql_packed p = {s, r->weights, wb.weights, (float *)(void *)r->scales, wb.scales};
  st = clql_pack_float(&p, pw, PN * PK);
  int8_t t[PN * PK];
  float scales[PN * 3];
  uint64_t ns = 0;
  if (st == CLQL_SUCCESS) st = clql_scale_count(&s, &ns);
  if (st == CLQL_SUCCESS) st = clql_unpack_ternary(&p, t, PN * PK, scales, ns);
  if (st == CLQL_SUCCESS) st = clql_ref_forward(&s, t, scales, px, PB, r->y);
  return st;
}

static pack_result pack_ref;

static clql_status pack_scenario(void *user) {
  pack_result *r = user;
  float w0[PN * PK], x0[PB * PK];
  memcpy(w0, pw, sizeof w0);
  memcpy(x0, px, sizeof x0);
  clql_status st = pack(r);
  clql_fault_pause();
  CU_ASSERT_EQUAL(memcmp(w0, pw, sizeof w0), 0);
  CU_ASSERT_EQUAL(memcmp(x0, px, sizeof x0), 0);
  if (st == CLQL_SUCCESS) CU_ASSERT_EQUAL(memcmp(r, &pack_ref, sizeof *r), 0);
  return st;
}

static void test_pack(void) {
  static pack_result r;
  for (int i = 0; i < PN * PK; i++) pw[i] = clql_test_uniform(-1.0f, 1.0f);
  for (int i = 0; i < PB * PK; i++) px[i] = clql_test_uniform(-4.0f, 4.0f);
  CU_ASSERT_EQUAL_FATAL(pack(&pack_ref), CLQL_SUCCESS);
  clql_fault_sweep_alloc("pack_float + reference forward", pack_scenario, &r);
}

/* ---- GGUF ---- */

static const char *const fixtures[] = {"ternary.gguf", "bitnet-i2s.gguf", "nested.gguf"};
enum { NFIX = sizeof fixtures / sizeof fixtures[0] };

/* FNV-1a over everything a caller reads from a file, imports included. */
static void mix(uint64_t *h, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++) *h = (*h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
}

static clql_status digest_of(const clql_gguf *g, uint64_t *h) {
  size_t n = clql_gguf_meta_count(g), nt = 0;
  mix(h, &n, sizeof n);
  for (size_t i = 0; i < n; i++) {
    const char *key;
    clql_gguf_value v;
    clql_status st = clql_gguf_meta_at(g, i, &key, &v);
    if (st != CLQL_SUCCESS) return st;
    mix(h, key, strlen(key));
    mix(h, &v.count, sizeof v.count);
  }
  clql_status st = clql_gguf_tensors(g, NULL, 0, &nt);
  clql_gguf_tensor_info t[16];
  if (st == CLQL_SUCCESS && nt > 16) return CLQL_ERR_INTERNAL;
  if (st == CLQL_SUCCESS) st = clql_gguf_tensors(g, t, nt, &nt);
  for (size_t i = 0; st == CLQL_SUCCESS && i < nt; i++) {
    mix(h, t[i].name, strlen(t[i].name));
    mix(h, t[i].dims, sizeof t[i].dims);
    mix(h, &t[i].offset, sizeof t[i].offset);
    if (t[i].ternary == CLQL_TERNARY_NONE) continue;
    clql_ternary_sizes s;
    st = clql_gguf_import(g, t[i].name, NULL, 0, NULL, 0, &s);
    int8_t *w = st == CLQL_SUCCESS ? malloc(s.weights) : NULL;
    float *sc = st == CLQL_SUCCESS ? malloc(s.scales * sizeof *sc) : NULL;
    if (st == CLQL_SUCCESS && (!w || !sc)) st = CLQL_ERR_INTERNAL;
    if (st == CLQL_SUCCESS) st = clql_gguf_import(g, t[i].name, w, s.weights, sc, s.scales, NULL);
    if (st == CLQL_SUCCESS) {
      mix(h, w, s.weights);
      mix(h, sc, s.scales * sizeof *sc);
    }
    free(w);
    free(sc);
  }
  return st;
}

typedef struct {
  uint8_t *bytes[NFIX];
  size_t size[NFIX];
  uint64_t digest[NFIX], ref[NFIX];
} gguf_state;

static gguf_state gs;

static clql_status gguf_load(uint64_t *digest) {
  const char *dir = getenv("CLQL_GGUF_FIXTURES");
  clql_status st = CLQL_SUCCESS;
  for (int i = 0; st == CLQL_SUCCESS && i < NFIX; i++) {
    char file[4096];
    snprintf(file, sizeof file, "%s/%s", dir, fixtures[i]);
    clql_gguf *a = NULL, *b = NULL;
    digest[i] = 14695981039346656037ull;
    uint64_t again = digest[i];
    st = clql_gguf_open(file, &a);
    if (st == CLQL_SUCCESS) st = digest_of(a, &digest[i]);
    if (st == CLQL_SUCCESS) st = clql_gguf_open_memory(gs.bytes[i], gs.size[i], &b);
    if (st == CLQL_SUCCESS) st = digest_of(b, &again);
    if (st == CLQL_SUCCESS && again != digest[i]) st = CLQL_ERR_INTERNAL;
    clql_gguf_close(a);
    clql_gguf_close(b);
  }
  return st;
}

static clql_status gguf_scenario(void *user) {
  (void)user;
  uint8_t *copy[NFIX];
  for (int i = 0; i < NFIX; i++) {
    copy[i] = malloc(gs.size[i]);
    CLQL_REQUIRE(copy[i] != NULL);
    memcpy(copy[i], gs.bytes[i], gs.size[i]);
  }
  clql_status st = gguf_load(gs.digest);
  clql_fault_pause();
  for (int i = 0; i < NFIX; i++) {
    CU_ASSERT_EQUAL(memcmp(copy[i], gs.bytes[i], gs.size[i]), 0);
    free(copy[i]);
  }
  if (st == CLQL_SUCCESS) CU_ASSERT_EQUAL(memcmp(gs.digest, gs.ref, sizeof gs.ref), 0);
  return st;
}

static void test_gguf(void) {
  const char *dir = getenv("CLQL_GGUF_FIXTURES");
  CLQL_REQUIRE(dir != NULL);
  for (int i = 0; i < NFIX; i++) {
    char file[4096];
    snprintf(file, sizeof file, "%s/%s", dir, fixtures[i]);
    FILE *f = fopen(file, "rb");
    CLQL_REQUIRE(f != NULL);
    gs.bytes[i] = malloc(1 << 16);
    CLQL_REQUIRE(gs.bytes[i] != NULL);
    gs.size[i] = fread(gs.bytes[i], 1, 1 << 16, f);
    fclose(f);
  }
  CU_ASSERT_EQUAL_FATAL(gguf_load(gs.ref), CLQL_SUCCESS);
  clql_fault_sweep_alloc("GGUF open, metadata, import", gguf_scenario, NULL);
  for (int i = 0; i < NFIX; i++) free(gs.bytes[i]);
}

static CU_TestInfo tests[] = {{"profiles", test_profiles},
                              {"probe_files", test_probe_files},
                              {"plans", test_plans},
                              {"pack", test_pack},
                              {"gguf", test_gguf},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "alloc_sweep", .pInitFunc = setup, .pCleanupFunc = cleanup, .pTests = tests},
    CU_SUITE_INFO_NULL};
