/* clql-probe as a user runs it: its JSON parses with a real parser and has
 * the documented shape; bad options give exit code 2. The tool's path comes
 * from CLQL_PROBE_BIN (set by ctest). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;

static int run_probe(const char *args, char **out) {
  return clql_test_run_tool("CLQL_PROBE_BIN", args, out);
}

static void test_json_shape(void) {
  char *text = NULL;
  CU_ASSERT_EQUAL(run_probe("--json", &text), 0);
  json_error_t jerr;
  json_t *root = json_loads(text, 0, &jerr);
  free(text);
  CLQL_REQUIRE(root != NULL);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "schema")), 1);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "clql_version")),
                         clql_version_string());
  json_t *devs = json_object_get(root, "devices");
  CLQL_REQUIRE(json_is_array(devs) && json_array_size(devs) > 0);
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_devices_get(NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(json_array_size(devs), n);
  size_t i;
  json_t *d;
  json_array_foreach(devs, i, d) {
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(d, "index")), (json_int_t)i);
    CU_ASSERT(json_is_string(json_object_get(d, "platform")));
    CU_ASSERT(json_is_string(json_object_get(d, "name")));
    CU_ASSERT(json_is_string(json_object_get(d, "vendor")));
    CU_ASSERT(json_is_integer(json_object_get(d, "vendor_id")));
    const char *type = json_string_value(json_object_get(d, "type"));
    CU_ASSERT(type && (!strcmp(type, "cpu") || !strcmp(type, "gpu") || !strcmp(type, "accelerator")));
    CU_ASSERT(json_is_boolean(json_object_get(d, "host_unified_memory")));
    json_t *m = json_object_get(d, "memory");
    CLQL_REQUIRE(json_is_object(m));
    json_int_t total = json_integer_value(json_object_get(m, "total"));
    json_int_t max_alloc = json_integer_value(json_object_get(m, "max_alloc"));
    CU_ASSERT(total > 0);
    CU_ASSERT(max_alloc > 0 && max_alloc <= total);
    json_t *fr = json_object_get(m, "free");
    const char *src = json_string_value(json_object_get(m, "free_source"));
    CLQL_REQUIRE(src != NULL);
    CU_ASSERT(json_is_boolean(json_object_get(m, "free_measured")));
    if (json_is_null(fr)) {
      CU_ASSERT_STRING_EQUAL(src, "none");
    } else {
      CU_ASSERT(json_is_integer(fr));
      CU_ASSERT(json_integer_value(fr) <= total);
      CU_ASSERT_STRING_NOT_EQUAL(src, "none");
    }
    /* The same figures as the library reports. */
    clql_device_info info;
    char sel[32];
    snprintf(sel, sizeof sel, "%zu", i);
    CU_ASSERT_EQUAL(clql_device_select(sel, &info), CLQL_SUCCESS);
    CU_ASSERT_EQUAL((cl_ulong)total, info.memory.total);
    CU_ASSERT_EQUAL((cl_ulong)max_alloc, info.memory.max_alloc);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "name")), info.name);
  }
  json_decref(root);
}

static void test_cpu_device_reports_host_memory(void) {
  clql_device_info info;
  CLQL_REQUIRE(clql_device_select(NULL, &info) == CLQL_SUCCESS);
  if (!(info.type & CL_DEVICE_TYPE_CPU)) return; /* only meaningful on PoCL */
  CU_ASSERT_TRUE(info.memory.free_known);
  CU_ASSERT(info.memory.free_source == CLQL_MEM_SOURCE_HOST_MEMINFO ||
            info.memory.free_source == CLQL_MEM_SOURCE_CGROUP);
  CU_ASSERT(info.memory.free <= info.memory.total);
}

static void test_exit_codes(void) {
  CU_ASSERT_EQUAL(run_probe("--no-such-option", NULL), 2);
  CU_ASSERT_EQUAL(run_probe("-x", NULL), 2);
  CU_ASSERT_EQUAL(run_probe("--device", NULL), 2);
  CU_ASSERT_EQUAL(run_probe("stray", NULL), 2);
  CU_ASSERT_EQUAL(run_probe("-d 1:", NULL), 2);
  CU_ASSERT_EQUAL(run_probe("-d 999", NULL), 6);
  CU_ASSERT_EQUAL(run_probe("-d 'no device has this name'", NULL), 6);
  char *text = NULL;
  CU_ASSERT_EQUAL(run_probe("--version", &text), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, clql_version_string()));
  free(text);
  CU_ASSERT_EQUAL(run_probe("--help", &text), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "exit codes"));
  free(text);
  CU_ASSERT_EQUAL(run_probe("-d 0:0 --list", &text), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "0:0"));
  free(text);
}

static void test_no_platform_exit_code(void) {
  /* An empty vendors directory: the loader finds no platform. */
  char *dir = clql_test_mkdtemp();
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "OCL_ICD_VENDORS='%s' OCL_ICD_FILENAMES= '%s' >/dev/null 2>&1", dir,
           getenv("CLQL_PROBE_BIN"));
  int status = system(cmd);
  CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 9);
  clql_test_rmtree(dir);
  free(dir);
}

/* ---- --plan ---- */

static json_t *probe_json(const char *args) {
  char *text = NULL;
  int rc = run_probe(args, &text);
  CU_ASSERT_EQUAL(rc, 0);
  json_error_t jerr;
  json_t *root = json_loads(text, 0, &jerr);
  free(text);
  CLQL_REQUIRE(root != NULL);
  return root;
}

static json_t *first_plan(json_t *root) {
  return json_object_get(json_array_get(json_object_get(root, "devices"), 0), "plan");
}

static uint64_t u64_of(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  CU_ASSERT(json_is_integer(v) && json_integer_value(v) >= 0);
  return (uint64_t)json_integer_value(v);
}

/* Every device's "plan" against the documented invariants, recomputed with
 * the library's byte counts for the same layers. */
static void check_plans(json_t *root, const clql_model_layer *l, size_t n, const char *model,
                        const char *qtype, uint64_t request) {
  const unsigned io = CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT;
  uint64_t weights = 0;
  CLQL_REQUIRE(clql_model_weight_bytes(l, n, &weights) == CLQL_SUCCESS);
  json_t *devs = json_object_get(root, "devices");
  CLQL_REQUIRE(json_is_array(devs) && json_array_size(devs) > 0);
  size_t i;
  json_t *d;
  json_array_foreach(devs, i, d) {
    json_t *m = json_object_get(d, "memory");
    json_t *p = json_object_get(d, "plan");
    CLQL_REQUIRE(json_is_object(p));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "model")), model);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "qtype")), qtype);
    json_t *fits = json_object_get(p, "fits");
    CLQL_REQUIRE(json_is_boolean(fits));
    CU_ASSERT(json_is_boolean(json_object_get(p, "free_is_fallback")));
    uint64_t total = u64_of(m, "total"), max_alloc = u64_of(m, "max_alloc");
    uint64_t budget = u64_of(p, "budget_bytes"), batch = u64_of(p, "max_batch");
    uint64_t ws_bytes = u64_of(p, "workspace_bytes"), largest = u64_of(p, "largest_buffer_bytes");
    uint64_t cap = u64_of(p, "batch_cap");
    const char *limited = json_string_value(json_object_get(p, "limited_by"));
    CLQL_REQUIRE(limited != NULL);
    CU_ASSERT_EQUAL(u64_of(p, "weight_bytes"), weights);
    CU_ASSERT(budget <= total);
    clql_workspace_bytes at, next;
    CLQL_REQUIRE(clql_model_workspace_bytes(l, n, batch ? batch : 1, io, &at) == CLQL_SUCCESS);
    CU_ASSERT_EQUAL(ws_bytes, at.total);
    if (!json_is_true(fits)) {
      CU_ASSERT_EQUAL(batch, 0);
      CU_ASSERT(!strcmp(limited, "budget") || !strcmp(limited, "max_alloc"));
      CU_ASSERT(weights + ws_bytes > budget || largest > max_alloc);
      CU_ASSERT(json_is_string(json_object_get(p, "reason")));
      continue;
    }
    CU_ASSERT(batch >= 1 && batch <= cap && (!request || batch <= request));
    CU_ASSERT(weights + ws_bytes <= budget);
    CU_ASSERT(largest <= max_alloc && at.largest <= largest);
    if (request && batch == request) {
      CU_ASSERT_STRING_EQUAL(limited, "request");
    } else if (batch == cap) {
      CU_ASSERT_STRING_EQUAL(limited, "cap");
    } else { /* one more token would not fit */
      CLQL_REQUIRE(clql_model_workspace_bytes(l, n, batch + 1, io, &next) == CLQL_SUCCESS);
      CU_ASSERT(weights + next.total > budget || next.largest > max_alloc);
    }
  }
}

static void test_plan_json(void) {
  clql_model_layer l[8];
  size_t n = 0;
  CLQL_REQUIRE(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, l, 8, &n) == CLQL_SUCCESS);
  json_t *root = probe_json("--plan bitnet-b1.58-2b4t --json");
  check_plans(root, l, n, "bitnet-b1.58-2b4t", "I2S", 0);
  json_t *p = first_plan(root);
  CU_ASSERT_EQUAL(u64_of(p, "weight_bytes"), 30ull * 17458176); /* docs/formats.md */
  CU_ASSERT(json_is_null(json_object_get(p, "requested_batch")));
  json_decref(root);

  CLQL_REQUIRE(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_TL2, l, 8, &n) == CLQL_SUCCESS);
  root = probe_json("--plan bitnet-b1.58-2b4t --qtype tl2 --batch 7 --json");
  check_plans(root, l, n, "bitnet-b1.58-2b4t", "TL2", 7);
  p = first_plan(root);
  CU_ASSERT_EQUAL(u64_of(p, "requested_batch"), 7);
  json_decref(root);
}

static void test_plan_env_and_file(void) {
  char *dir = clql_test_mkdtemp();
  clql_test_write_file(dir, "m.txt", "# a small model\nq 1000 999 3\ndown 999 4000 3\n");
  char args[4096];
  snprintf(args, sizeof args, "--plan '%s/m.txt' --qtype TL1 --json", dir);
  clql_model_layer l[2];
  size_t n = 0;
  CLQL_REQUIRE(clql_model_parse("q 1000 999 3\ndown 999 4000 3\n", CLQL_QTYPE_TL1, l, 2, &n) ==
               CLQL_SUCCESS);
  /* The child inherits the knobs: a cap of 3, then a limit nothing fits under. */
  setenv("CLQL_MAX_BATCH", "3", 1);
  json_t *root = probe_json(args);
  json_t *p = first_plan(root);
  CU_ASSERT_EQUAL(u64_of(p, "max_batch"), 3);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "limited_by")), "cap");
  char model[4200];
  snprintf(model, sizeof model, "%s/m.txt", dir);
  check_plans(root, l, n, model, "TL1", 0);
  json_decref(root);
  setenv("CLQL_MEM_LIMIT", "64K", 1);
  root = probe_json(args);
  p = first_plan(root);
  CU_ASSERT(json_is_false(json_object_get(p, "fits")));
  CU_ASSERT_EQUAL(u64_of(p, "budget_bytes"), 65536);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "limited_by")), "budget");
  CU_ASSERT_EQUAL(u64_of(p, "over_budget_bytes"), u64_of(p, "need_bytes") - 65536);
  check_plans(root, l, n, model, "TL1", 0);
  json_decref(root);
  /* A bad value is a usage error that names it: nothing is planned. */
  const char *bad[] = {"99999999999999999999G", "0", "1.5G", "8GB", "-1", "lots"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("CLQL_MEM_LIMIT", bad[i], 1);
    char *text = NULL;
    CU_ASSERT_EQUAL(clql_test_run_tool_err("CLQL_PROBE_BIN", args, &text), 2);
    char expect[128];
    snprintf(expect, sizeof expect, "CLQL_MEM_LIMIT='%s'", bad[i]);
    CU_ASSERT(text && strstr(text, expect));
    CU_ASSERT(!(text && strstr(text, "\"plan\"")));
    free(text);
  }
  unsetenv("CLQL_MEM_LIMIT");
  unsetenv("CLQL_MAX_BATCH");
  clql_test_rmtree(dir);
  free(dir);
}

static void test_plan_exit_codes(void) {
  const char *bad[] = {
      "--plan bitnet-b1.58-2b4t --qtype Q4",   "--plan bitnet-b1.58-2b4t --qtype ''",
      "--plan bitnet-b1.58-2b4t --batch 0",    "--plan bitnet-b1.58-2b4t --batch -1",
      "--plan bitnet-b1.58-2b4t --batch abc",  "--plan bitnet-b1.58-2b4t --batch 99999999999999999999",
      "--plan bitnet-b1.58-2b4t --batch 4K",   "--plan no-such-model",
      "--plan bitnet-b1.58-2b4t --list",       "--plan bitnet-b1.58-2b4t --csv --json",
      "--plan bitnet-b1.58-2b4t --plot x.pdf", "--qtype TL2",
      "--batch 3",                             "--csv",
      "--plan",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = run_probe(bad[i], NULL);
    CU_ASSERT_EQUAL(rc, 2);
    if (rc != 2) printf("\n  '%s' -> %d\n", bad[i], rc);
  }
  char *dir = clql_test_mkdtemp();
  clql_test_write_file(dir, "bad.txt", "q 2560 2560\nk 640 x\n");
  char args[4096];
  snprintf(args, sizeof args, "--plan '%s/bad.txt'", dir);
  CU_ASSERT_EQUAL(run_probe(args, NULL), 2);
  clql_test_write_file(dir, "huge.txt", "q 2560 2560 18446744073709551615\n");
  snprintf(args, sizeof args, "--plan '%s/huge.txt'", dir);
  CU_ASSERT_EQUAL(run_probe(args, NULL), 2); /* the weights overflow 64 bits */
  clql_test_rmtree(dir);
  free(dir);
}

static void test_plan_table_and_csv(void) {
  char *text = NULL;
  CU_ASSERT_EQUAL(run_probe("--plan bitnet-b1.58-2b4t --batch 5", &text), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "plan bitnet-b1.58-2b4t: I2S, 210 layers"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "request"));
  free(text);
  CU_ASSERT_EQUAL(run_probe("--plan bitnet-b1.58-2b4t --csv", &text), 0);
  size_t devices = 0;
  CU_ASSERT_EQUAL(clql_devices_get(NULL, 0, &devices), CLQL_SUCCESS);
  size_t lines = 0;
  for (const char *c = text; *c; c++) lines += *c == '\n';
  CU_ASSERT_EQUAL(lines, 1 + 3 * devices); /* header, then a row per device and qtype */
  CU_ASSERT_EQUAL(strncmp(text, "index,platform_index,device_index,name,total_bytes,", 51), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, ",I2S,,true,"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, ",TL2,,true,"));
  free(text);
  CU_ASSERT_EQUAL(run_probe("--plan bitnet-b1.58-2b4t --csv --qtype tl1", &text), 0);
  lines = 0;
  for (const char *c = text; *c; c++) lines += *c == '\n';
  CU_ASSERT_EQUAL(lines, 1 + devices);
  free(text);
}

/* --plot with a stand-in gnuplot that keeps the script, one that fails, and none. */
static void test_plot(void) {
  char *dir = clql_test_mkdtemp();
  char path[8192], args[8192];
  const char *old = getenv("PATH");
  char *saved = strdup(old ? old : "");
  snprintf(path, sizeof path, "%s/fake/gnuplot", dir);
  clql_test_write_file(dir, "fake/gnuplot", "#!/bin/sh\ncat > \"$(dirname \"$0\")/script.gp\"\n");
  chmod(path, 0755);
  snprintf(path, sizeof path, "%s/fake:%s", dir, saved);
  setenv("PATH", path, 1);
  snprintf(args, sizeof args, "--plan bitnet-b1.58-2b4t --plot '%s/chart.svg'", dir);
  CU_ASSERT_EQUAL(run_probe(args, NULL), 0);
  snprintf(path, sizeof path, "%s/fake/script.gp", dir);
  FILE *f = fopen(path, "r");
  CLQL_REQUIRE(f != NULL);
  char script[8192];
  size_t len = fread(script, 1, sizeof script - 1, f);
  script[len] = '\0';
  fclose(f);
  CU_ASSERT_PTR_NOT_NULL(strstr(script, "set terminal svg"));
  CU_ASSERT_PTR_NOT_NULL(strstr(script, "chart.svg'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(script, "$I2S << EOD\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(script, "$TL2 << EOD\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(script, "plot $I2S using 1:2"));
  CU_ASSERT_PTR_NOT_NULL(strstr(script, "title \"TL1\""));

  clql_test_write_file(dir, "fail/gnuplot", "#!/bin/sh\ncat >/dev/null\nexit 1\n");
  snprintf(path, sizeof path, "%s/fail/gnuplot", dir);
  chmod(path, 0755);
  snprintf(path, sizeof path, "%s/fail:%s", dir, saved);
  setenv("PATH", path, 1);
  CU_ASSERT_EQUAL(run_probe(args, NULL), 255);

  /* No gnuplot at all: a note, no chart, and success. */
  snprintf(path, sizeof path, "%s/empty", dir);
  setenv("PATH", path, 1);
  CU_ASSERT_EQUAL(run_probe(args, NULL), 0);
  snprintf(path, sizeof path, "%s/chart.svg", dir);
  CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
  setenv("PATH", saved, 1);

  /* The real one, where it is installed. */
  if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
    CU_ASSERT_EQUAL(run_probe(args, NULL), 0);
    f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL(f);
    if (f) {
      len = fread(script, 1, 64, f);
      script[len] = '\0';
      CU_ASSERT_PTR_NOT_NULL(strstr(script, "<?xml"));
      fclose(f);
    }
  }
  free(saved);
  clql_test_rmtree(dir);
  free(dir);
}

/* FIFOs as the model file and the profile file: refused, never waited on. */
static void test_fifo(void) {
  clql_test_fifo_refused("CLQL_PROBE_BIN", "--plan", "", 2);
  clql_test_fifo_refused("CLQL_PROBE_BIN", "--profile", "", 2);
  clql_test_fifo_refused("CLQL_PROBE_BIN", "--profile", ":some-id", 2);
}

static CU_TestInfo cli_tests[] = {{"json_shape", test_json_shape},
                                  {"cpu_device_reports_host_memory",
                                   test_cpu_device_reports_host_memory},
                                  {"exit_codes", test_exit_codes},
                                  {"no_platform_exit_code", test_no_platform_exit_code},
                                  {"plan_json", test_plan_json},
                                  {"plan_env_and_file", test_plan_env_and_file},
                                  {"plan_exit_codes", test_plan_exit_codes},
                                  {"fifo", test_fifo},
                                  {"plan_table_and_csv", test_plan_table_and_csv},
                                  {"plot", test_plot},
                                  CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "probe_cli", .pTests = cli_tests}, CU_SUITE_INFO_NULL};
