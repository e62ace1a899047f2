/* clql-check --model: a model on one context through the tool, its JSON
 * against the library's own figures, and its exit codes. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;

static char *dir;

static int suite_init(void) {
  dir = clql_test_mkdtemp();
  clql_test_write_file(dir, "m.txt", "# two shapes\nq 100 64 3\nd 64 100 2\n");
  return 0;
}

static int suite_clean(void) {
  clql_test_rmtree(dir);
  free(dir);
  unsetenv("CLQL_MEM_LIMIT");
  return 0;
}

static uint64_t u64(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  CU_ASSERT(json_is_integer(v) && json_integer_value(v) >= 0);
  return (uint64_t)json_integer_value(v);
}

static void test_model_json(void) {
  char args[4200], *out = NULL;
  snprintf(args, sizeof args, "--model '%s/m.txt' --qtype tl2 --batch 7 --json", dir);
  setenv("CLQL_MEM_LIMIT", "64M", 1);
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_CHECK_BIN", args, &out), 0);
  unsetenv("CLQL_MEM_LIMIT");
  json_t *o = json_loads(out, 0, NULL);
  free(out);
  CLQL_REQUIRE(o != NULL);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "qtype")), "TL2");
  CU_ASSERT_EQUAL(u64(o, "batch"), 7);
  CU_ASSERT_EQUAL(u64(o, "budget_bytes"), 64ull << 20);
  CU_ASSERT_EQUAL(u64(o, "layers"), 5);
  CU_ASSERT_TRUE(json_is_true(json_object_get(o, "exact")));
  CU_ASSERT(u64(o, "held_bytes") <= u64(o, "budget_bytes"));
  /* the library's own figures for this model */
  char path[4200];
  snprintf(path, sizeof path, "%s/m.txt", dir);
  clql_model_layer l[2];
  size_t n = 0;
  CLQL_REQUIRE(clql_model_load(path, CLQL_QTYPE_TL2, l, 2, &n) == CLQL_SUCCESS);
  uint64_t weights = 0;
  CU_ASSERT_EQUAL(clql_model_weight_bytes(l, n, &weights), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(u64(o, "resident_bytes"), weights);
  clql_workspace_bytes ws;
  CU_ASSERT_EQUAL(clql_model_workspace_bytes(l, n, 7, CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT,
                                             &ws),
                  CLQL_SUCCESS);
  CU_ASSERT_EQUAL(u64(o, "model_workspace_bytes"), ws.total);
  CU_ASSERT_EQUAL(u64(o, "workspace_bytes"), ws.total);
  CU_ASSERT_EQUAL(u64(o, "held_bytes"), weights + ws.total);
  json_decref(o);
}

static void test_does_not_fit(void) {
  char args[4200], *out = NULL;
  snprintf(args, sizeof args, "--model '%s/m.txt' --batch 3", dir);
  setenv("CLQL_MEM_LIMIT", "4K", 1); /* less than one layer's weights */
  CU_ASSERT_EQUAL(clql_test_run_tool_err("CLQL_CHECK_BIN", args, &out), 4);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "does not fit the budget"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "remain of the context's budget of 4096"));
  free(out);
  /* room for the weights but not for one token's workspace */
  setenv("CLQL_MEM_LIMIT", "12K", 1);
  CU_ASSERT_EQUAL(clql_test_run_tool_err("CLQL_CHECK_BIN", args, &out), 4);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "does not fit"));
  free(out);
  unsetenv("CLQL_MEM_LIMIT");
}

static void test_exit_codes(void) {
  char args[4200], *out = NULL;
  snprintf(args, sizeof args, "--model '%s/m.txt'", dir);
  setenv("CLQL_MEM_LIMIT", "lots", 1);
  CU_ASSERT_EQUAL(clql_test_run_tool_err("CLQL_CHECK_BIN", args, &out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "CLQL_MEM_LIMIT='lots'"));
  free(out);
  unsetenv("CLQL_MEM_LIMIT");
  const char *usage[] = {"--json", "--batch 3", "--model bitnet-b1.58-2b4t --batch 0",
                         "--model bitnet-b1.58-2b4t --batch x", "--model bitnet-b1.58-2b4t --qtype Q4",
                         "--model no-such-model-or-file", "--model", "--bogus"};
  for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++)
    CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_CHECK_BIN", usage[i], NULL), 2);
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_CHECK_BIN", "-d 999", NULL), 6);
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_CHECK_BIN", "--help", &out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "--model"));
  free(out);
}

/* A run whose kernels are built afresh (an empty PoCL cache) prints its
 * results only: on CPUs without AVX-512 PoCL's compiler otherwise writes a
 * count of notes on its own builtins ("62 warnings generated.") to stderr. */
static void test_quiet_build(void) {
  char args[4200], cache[4200], *out = NULL;
  const char *was = getenv("POCL_CACHE_DIR");
  char *saved = was ? strdup(was) : NULL;
  snprintf(cache, sizeof cache, "%s/pocl-cache", dir);
  setenv("POCL_CACHE_DIR", cache, 1);
  snprintf(args, sizeof args, "--model '%s/m.txt' --qtype tl2 --batch 2", dir);
  CU_ASSERT_EQUAL(clql_test_run_tool_err("CLQL_CHECK_BIN", args, &out), 0);
  CU_ASSERT_PTR_NULL(out ? strstr(out, "warning") : "no output");
  CU_ASSERT_PTR_NOT_NULL(out ? strstr(out, "OK") : NULL);
  free(out);
  if (saved) setenv("POCL_CACHE_DIR", saved, 1);
  else unsetenv("POCL_CACHE_DIR");
  free(saved);
}

/* A FIFO as the model file: refused, never waited on. */
static void test_fifo(void) { clql_test_fifo_refused("CLQL_CHECK_BIN", "--model", "", 2); }

static CU_TestInfo tests[] = {{"model_json", test_model_json},
                              {"does_not_fit", test_does_not_fit},
                              {"exit_codes", test_exit_codes},
                              {"fifo", test_fifo},
                              {"quiet_build", test_quiet_build},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "check_cli", .pInitFunc = suite_init, .pCleanupFunc = suite_clean, .pTests = tests},
    CU_SUITE_INFO_NULL};
