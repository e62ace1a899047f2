/* clql-probe as a user runs it: its JSON parses with a real parser and has
 * the documented shape; bad options give exit code 2. The tool's path comes
 * from CLQL_PROBE_BIN (set by ctest). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
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

static CU_TestInfo cli_tests[] = {{"json_shape", test_json_shape},
                                  {"cpu_device_reports_host_memory",
                                   test_cpu_device_reports_host_memory},
                                  {"exit_codes", test_exit_codes},
                                  {"no_platform_exit_code", test_no_platform_exit_code},
                                  CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "probe_cli", .pTests = cli_tests}, CU_SUITE_INFO_NULL};
