/* clql-probe --profile and -v as a user runs them: the JSON parses and
 * matches clql_profile_devices, bad files and ids give their exit codes,
 * and -v names every source tried. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;

/* Run clql-probe with args (and env assignments before it); capture stdout
 * and stderr; return the exit status. */
static int run_probe(const char *env, const char *args, char **out, char **err) {
  char cmd[8192], err_path[4096];
  snprintf(err_path, sizeof err_path, "%s/stderr", clql_test_dir);
  snprintf(cmd, sizeof cmd, "%s '%s' %s 2>'%s'", env ? env : "", getenv("CLQL_PROBE_BIN"), args,
           err_path);
  FILE *p = popen(cmd, "r");
  CLQL_REQUIRE(p != NULL);
  size_t cap = 1 << 16, len = 0, n;
  char *buf = malloc(cap);
  while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
    len += n;
    if (len + 1 == cap) buf = realloc(buf, cap *= 2);
  }
  buf[len] = '\0';
  int status = pclose(p);
  *out = buf;
  FILE *f = fopen(err_path, "r");
  char *e = calloc(1, 65536);
  if (f && e && fread(e, 1, 65535, f) == 0) e[0] = '\0';
  if (f) fclose(f);
  if (err)
    *err = e;
  else
    free(e);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *quirks(void) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/quirks.json", getenv("CLQL_TEST_DATA"));
  return path;
}

static json_int_t integer(json_t *obj, const char *key) {
  return json_integer_value(json_object_get(obj, key));
}

static void test_json_matches_api(void) {
  char args[4200], *text = NULL;
  snprintf(args, sizeof args, "--profile '%s' --json", quirks());
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 0);
  json_error_t jerr;
  json_t *root = json_loads(text, 0, &jerr);
  free(text);
  CLQL_REQUIRE(root != NULL);
  CU_ASSERT_EQUAL(integer(root, "schema"), 1);
  json_t *devs = json_object_get(root, "devices");
  size_t n = 0;
  CLQL_REQUIRE(clql_profile_devices(quirks(), NULL, NULL, 0, &n) == CLQL_SUCCESS);
  clql_device_info *want = calloc(n, sizeof *want);
  CLQL_REQUIRE(clql_profile_devices(quirks(), NULL, want, n, &n) == CLQL_SUCCESS);
  CLQL_REQUIRE(json_array_size(devs) == n);
  for (size_t i = 0; i < n; i++) {
    json_t *d = json_array_get(devs, i), *m = json_object_get(d, "memory");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "profile_id")), want[i].profile_id);
    CU_ASSERT_EQUAL(integer(d, "index"), (json_int_t)i);
    CU_ASSERT_EQUAL(integer(d, "vendor_id"), (json_int_t)want[i].vendor_id);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "type")),
                           clql_device_type_name(want[i].type));
    CU_ASSERT_EQUAL(integer(m, "total"), (json_int_t)want[i].memory.total);
    CU_ASSERT_EQUAL(integer(m, "max_alloc"), (json_int_t)want[i].memory.max_alloc);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "free_source")),
                           clql_mem_source_name(want[i].memory.free_source));
    if (want[i].memory.free_known) {
      CU_ASSERT_EQUAL(integer(m, "free"), (json_int_t)want[i].memory.free);
    } else {
      CU_ASSERT_TRUE(json_is_null(json_object_get(m, "free")));
    }
    CU_ASSERT_TRUE(json_is_null(json_object_get(d, "numa"))); /* another machine's PCI ids */
    CU_ASSERT_PTR_NULL(json_object_get(d, "probe_trace"));      /* only with -v */
    json_t *pci = json_object_get(d, "pci");
    if (want[i].has_pci) {
      char bdf[32];
      snprintf(bdf, sizeof bdf, "%04x:%02x:%02x.%x", want[i].pci.domain, want[i].pci.bus,
               want[i].pci.device, want[i].pci.function);
      CU_ASSERT_STRING_EQUAL(json_string_value(pci), bdf);
    } else {
      CU_ASSERT_TRUE(json_is_null(pci));
    }
  }
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(devs, 2), "pci")),
                         "0000:c1:00.0");
  free(want);
  json_decref(root);
}

static void test_one_record_and_errors(void) {
  char args[4200], *text = NULL, *err = NULL;
  snprintf(args, sizeof args, "--profile '%s:amd-one-value' --json", quirks());
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 0);
  json_t *root = json_loads(text, 0, NULL);
  free(text);
  CLQL_REQUIRE(root != NULL);
  json_t *devs = json_object_get(root, "devices");
  CU_ASSERT_EQUAL(json_array_size(devs), 1);
  json_t *m = json_object_get(json_array_get(devs, 0), "memory");
  CU_ASSERT_EQUAL(integer(m, "free"), 4LL << 30);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "free_source")), "amd-ext");
  json_decref(root);

  snprintf(args, sizeof args, "--profile '%s:no-such-record'", quirks());
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, &err), 6);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such-record"));
  free(text);
  free(err);
  CU_ASSERT_EQUAL(run_probe(NULL, "--profile /nonexistent/devices.json", &text, &err), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/devices.json"));
  free(text);
  free(err);
  clql_test_write_file(clql_test_dir, "bad.json", "[{\"id\": \"x\", \"global_mem_size\": -4}]");
  snprintf(args, sizeof args, "--profile '%s/bad.json'", clql_test_dir);
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, &err), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "global_mem_size"));
  free(text);
  free(err);
  snprintf(args, sizeof args, "--profile '%s' -d 0", quirks());
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 2);
  free(text);
}

static void test_verbose_names_sources(void) {
  char args[4200], *text = NULL;
  snprintf(args, sizeof args, "--profile '%s:nv-attribute-pci' -v", quirks());
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 0);
  const char *names[] = {"source amd-ext", "source nvml", "source level-zero", "source sysfs",
                         "source host"};
  for (size_t i = 0; i < 5; i++) CU_ASSERT_PTR_NOT_NULL(strstr(text, names[i]));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "no cl_amd_device_attribute_query"));
  /* A record is not a device of this machine: its NVML says nothing about it. */
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "a recorded device: this machine's nvml says nothing"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "pci 0001:81:1f.3"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "profile: nv-attribute-pci"));
  free(text);

  snprintf(args, sizeof args, "--profile '%s:amd-one-value' -v --json", quirks());
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 0);
  json_t *root = json_loads(text, 0, NULL);
  free(text);
  CLQL_REQUIRE(root != NULL);
  json_t *trace = json_object_get(json_array_get(json_object_get(root, "devices"), 0), "probe_trace");
  CLQL_REQUIRE(json_array_size(trace) == 1); /* the first source answered */
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(trace, 0), "source")),
                         "amd-ext");
  CU_ASSERT_TRUE(json_is_true(json_object_get(json_array_get(trace, 0), "answered")));
  json_decref(root);
}

/* The live device, with a bad CLQL_MEM_SOURCE (a usage error naming it) and
 * a forcing one. */
static void test_verbose_live(void) {
  char *text = NULL, *err = NULL;
  CU_ASSERT_EQUAL(run_probe("CLQL_MEM_SOURCE=nvml,-host", "-v -d 0", &text, &err), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "CLQL_MEM_SOURCE='nvml,-host'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "mixes forced and excluded"));
  CU_ASSERT_PTR_NULL(strstr(text, "source host")); /* nothing was probed */
  free(text);
  free(err);
  clql_device_info info;
  CLQL_REQUIRE(clql_device_select("0", &info) == CLQL_SUCCESS);
  if (!(info.type & CL_DEVICE_TYPE_CPU)) return; /* the rest is about PoCL's CPU device */
  CU_ASSERT_EQUAL(run_probe("CLQL_MEM_SOURCE=none", "-v -d 0 --json", &text, NULL), 0);
  json_t *root = json_loads(text, 0, NULL);
  free(text);
  CLQL_REQUIRE(root != NULL);
  json_t *d = json_array_get(json_object_get(root, "devices"), 0);
  json_t *m = json_object_get(d, "memory");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "free_source")), "none");
  CU_ASSERT_TRUE(json_is_null(json_object_get(m, "free")));
  CU_ASSERT_PTR_NULL(json_object_get(d, "profile_id"));
  CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "probe_trace")), 5);
  json_decref(root);
}

static uint64_t u64_at(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  CU_ASSERT(json_is_integer(v));
  return (uint64_t)json_integer_value(v);
}

/* --plan MODEL --ctx N on replayed records (4 GiB to 80 GiB): each device's
 * "inference" object is the library's plan of that record, the most
 * sequences that fit; without --ctx the output has no such key. */
static void test_inference_plan(void) {
  char path[4096], args[4400], *text = NULL, *err = NULL;
  snprintf(path, sizeof path, "%s/inference.json", getenv("CLQL_TEST_DATA"));
  snprintf(args, sizeof args, "--profile '%s' --plan bitnet-b1.58-2b4t --ctx 4096 --json", path);
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 0);
  json_t *root = json_loads(text, 0, NULL);
  free(text);
  CLQL_REQUIRE(root != NULL);
  clql_device_info devs[8];
  size_t n = 0;
  CLQL_REQUIRE(clql_profile_devices(path, NULL, devs, 8, &n) == CLQL_SUCCESS);
  clql_model *m = NULL;
  CLQL_REQUIRE(clql_model_from_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, &m) == CLQL_SUCCESS);
  json_t *arr = json_object_get(root, "devices");
  CU_ASSERT_EQUAL(json_array_size(arr), n);
  for (size_t d = 0; d < n; d++) {
    json_t *inf = json_object_get(json_array_get(arr, d), "inference");
    CLQL_REQUIRE(json_is_object(inf));
    clql_inference_request r = {.context = 4096};
    clql_inference_plan p;
    CU_ASSERT_EQUAL(clql_plan_inference(&devs[d].memory, NULL, m, &r, &p), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(u64_at(inf, "kv_bytes_per_token"), 76800);
    CU_ASSERT_EQUAL(u64_at(inf, "ctx"), 4096);
    CU_ASSERT_EQUAL(u64_at(inf, "sequences"), p.sequences);
    CU_ASSERT_EQUAL(u64_at(inf, "kv_bytes"), p.kv_bytes);
    CU_ASSERT_EQUAL(u64_at(inf, "weights_bytes"), p.weights_bytes);
    CU_ASSERT_EQUAL(u64_at(inf, "scratch_bytes"), p.scratch_bytes);
    CU_ASSERT_EQUAL(u64_at(inf, "budget_bytes"), p.budget.bytes);
    CU_ASSERT_EQUAL(json_is_true(json_object_get(inf, "fits")), p.fits);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(inf, "limited_by")),
                           clql_inference_limit_name(p.limited_by));
  }
  json_t *split = json_object_get(root, "inference_split");
  CU_ASSERT(json_is_object(split));
  CU_ASSERT_EQUAL(json_array_size(json_object_get(split, "devices")), n);
  json_decref(root);
  clql_model_destroy(m);
  /* the table; and --plan alone keeps its output */
  snprintf(args, sizeof args, "--profile '%s:inf-80g' --plan bitnet-b1.58-2b4t --ctx 4096", path);
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "inference bitnet-b1.58-2b4t: 30 layers"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "76800 B"));
  free(text);
  snprintf(args, sizeof args, "--profile '%s' --plan bitnet-b1.58-2b4t --json", path);
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 0);
  CU_ASSERT_PTR_NULL(strstr(text, "\"inference"));
  free(text);
  /* bad values are usage errors */
  const char *bad[] = {"--ctx 0", "--ctx x", "--sequences -1", "--ctx 4096 --kv-type q3_k",
                       "--kv-type f16"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(args, sizeof args, "--profile '%s' --plan bitnet-b1.58-2b4t %s", path, bad[i]);
    CU_ASSERT_EQUAL(run_probe(NULL, args, &text, &err), 2);
    free(text), free(err);
  }
  snprintf(args, sizeof args, "--profile '%s' --ctx 4096", path);
  CU_ASSERT_EQUAL(run_probe(NULL, args, &text, NULL), 2); /* --ctx needs --plan */
  free(text);
}

static CU_TestInfo tests[] = {{"json_matches_api", test_json_matches_api},
                              {"inference_plan", test_inference_plan},
                              {"one_record_and_errors", test_one_record_and_errors},
                              {"verbose_names_sources", test_verbose_names_sources},
                              {"verbose_live", test_verbose_live},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "probe_profile", .pInitFunc = clql_test_dir_init,
     .pCleanupFunc = clql_test_dir_cleanup, .pTests = tests},
    CU_SUITE_INFO_NULL};
