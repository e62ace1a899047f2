/* clql-probe --plan over several devices: the "split" and "split_plan" JSON
 * keys and the table, for recorded devices with different memory
 * (tests/data/split.json) and the live device; --split, CLQL_SPLIT and
 * device lists in -d. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;

static char split_json[4096];

static int init(void) {
  snprintf(split_json, sizeof split_json, "%s/split.json", getenv("CLQL_TEST_DATA"));
  unsetenv("CLQL_SPLIT");
  return 0;
}

static json_t *probe_json(const char *args) {
  char cmd[8192], *text = NULL;
  snprintf(cmd, sizeof cmd, "--plan bitnet-b1.58-2b4t --json %s", args);
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_PROBE_BIN", cmd, &text), 0);
  json_error_t err;
  json_t *root = json_loads(text, 0, &err);
  if (!root) printf("\nnot JSON (%s): %s\n", err.text, text);
  free(text);
  CLQL_REQUIRE(root != NULL);
  return root;
}

static uint64_t u64(json_t *obj, const char *key) {
  return (uint64_t)json_integer_value(json_object_get(obj, key));
}

/* Every device's rows of every layer follow one another and cover it. */
static void check_rows_cover(json_t *split) {
  json_t *first = json_object_get(json_array_get(split, 0), "rows");
  for (size_t l = 0; l < json_array_size(first); l++) {
    uint64_t next = 0;
    for (size_t d = 0; d < json_array_size(split); d++) {
      json_t *r = json_array_get(json_object_get(json_array_get(split, d), "rows"), l);
      CU_ASSERT_EQUAL(u64(r, "begin"), next);
      next = u64(r, "end");
    }
    CU_ASSERT_EQUAL(next, u64(json_array_get(first, l), "n"));
  }
}

static void check_parts_fit(json_t *split) {
  for (size_t d = 0; d < json_array_size(split); d++) {
    json_t *p = json_array_get(split, d);
    CU_ASSERT_TRUE(json_is_true(json_object_get(p, "fits")));
    CU_ASSERT(u64(p, "weight_bytes") + u64(p, "workspace_bytes") <= u64(p, "budget_bytes"));
    CU_ASSERT(u64(p, "largest_buffer_bytes") <= u64(p, "max_alloc_bytes"));
  }
}

static void test_rows_over_profiles(void) {
  char args[4200];
  snprintf(args, sizeof args, "--profile '%s'", split_json);
  json_t *root = probe_json(args);
  json_t *split = json_object_get(root, "split"), *sp = json_object_get(root, "split_plan");
  CLQL_REQUIRE(json_array_size(split) == 3);
  CU_ASSERT_EQUAL(json_array_size(json_object_get(root, "devices")), 3); /* as before */
  CU_ASSERT_PTR_NOT_NULL(
      json_object_get(json_array_get(json_object_get(root, "devices"), 0), "plan"));
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(sp, "mode")), "rows");
  CU_ASSERT_TRUE(json_is_true(json_object_get(sp, "fits")));
  CU_ASSERT_EQUAL(u64(sp, "layers"), 210);
  CU_ASSERT_EQUAL(u64(sp, "devices"), 3);
  const char *ids[3] = {"split-8g", "split-1g", "split-256m"};
  double share = 0, last = 2;
  for (size_t d = 0; d < 3; d++) {
    json_t *p = json_array_get(split, d), *dev = json_object_get(p, "device");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(dev, "profile_id")), ids[d]);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(p, "rows")), 7);
    CU_ASSERT_PTR_NULL(json_object_get(p, "layers"));
    double s = json_real_value(json_object_get(p, "share"));
    CU_ASSERT(s > 0 && s < last); /* the larger budget, the larger share */
    last = s;
    share += s;
  }
  CU_ASSERT(share > 0.999999 && share < 1.000001);
  check_rows_cover(split);
  check_parts_fit(split);
  json_decref(root);
}

static void test_layers_mode(void) {
  char args[4200];
  snprintf(args, sizeof args, "--profile '%s' --split LAYERS", split_json);
  json_t *root = probe_json(args);
  json_t *split = json_object_get(root, "split");
  CLQL_REQUIRE(json_array_size(split) == 3);
  uint64_t next = 0;
  for (size_t d = 0; d < 3; d++) {
    json_t *l = json_object_get(json_array_get(split, d), "layers");
    CU_ASSERT_EQUAL(u64(l, "begin"), next);
    next = u64(l, "end");
    CU_ASSERT(u64(l, "end") > u64(l, "begin"));
  }
  CU_ASSERT_EQUAL(next, 210);
  check_parts_fit(split);
  json_decref(root);
  /* CLQL_SPLIT chooses the mode when --split does not. */
  setenv("CLQL_SPLIT", "layers", 1);
  snprintf(args, sizeof args, "--profile '%s'", split_json);
  root = probe_json(args);
  json_t *sp = json_object_get(root, "split_plan");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(sp, "mode")), "layers");
  json_decref(root);
  snprintf(args, sizeof args, "--profile '%s' --split rows", split_json); /* --split wins */
  root = probe_json(args);
  sp = json_object_get(root, "split_plan");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(sp, "mode")), "rows");
  json_decref(root);
  unsetenv("CLQL_SPLIT");
}

static void test_table_and_bad_env(void) {
  char args[4200], *out = NULL;
  snprintf(args, sizeof args, "--plan bitnet-b1.58-2b4t --profile '%s'", split_json);
  setenv("CLQL_SPLIT", "columns", 1);
  CU_ASSERT_EQUAL(clql_test_run_tool_err("CLQL_PROBE_BIN", args, &out), 2);
  CU_ASSERT(strstr(out, "CLQL_SPLIT='columns': not rows or layers") != NULL);
  CU_ASSERT(strstr(out, "split bitnet-b1.58-2b4t") == NULL);
  free(out);
  setenv("CLQL_SPLIT", " Layers ", 1); /* words ignore case */
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_PROBE_BIN", args, &out), 0);
  CU_ASSERT(strstr(out, "split bitnet-b1.58-2b4t over 3 devices by layers: I2S, batch") != NULL);
  free(out);
  unsetenv("CLQL_SPLIT");
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_PROBE_BIN", args, &out), 0);
  CU_ASSERT(strstr(out, "split bitnet-b1.58-2b4t over 3 devices by rows: I2S, batch") != NULL);
  CU_ASSERT(strstr(out, "P:D   ROWS") != NULL);
  free(out);
  /* One device that cannot hold the model: the split says so. */
  snprintf(args, sizeof args, "--plan bitnet-b1.58-2b4t --profile '%s:split-256m' --split rows",
           split_json);
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_PROBE_BIN", args, &out), 0);
  CU_ASSERT(strstr(out, "over 1 device by rows: I2S, does not fit") != NULL);
  CU_ASSERT(strstr(out, "      does not fit: weights 499.48 MiB") != NULL);
  free(out);
  snprintf(args, sizeof args, "--profile '%s:split-256m' --split rows", split_json);
  json_t *root = probe_json(args);
  CU_ASSERT_TRUE(json_is_false(json_object_get(json_object_get(root, "split_plan"), "fits")));
  CU_ASSERT_TRUE(
      json_is_false(json_object_get(json_array_get(json_object_get(root, "split"), 0), "fits")));
  json_decref(root);
}

static void test_live_device(void) {
  /* One device and no --split: no split keys, as before. */
  json_t *root = probe_json("");
  CU_ASSERT_PTR_NULL(json_object_get(root, "split"));
  CU_ASSERT_PTR_NULL(json_object_get(root, "split_plan"));
  json_decref(root);
  root = probe_json("-d 0 --split rows");
  json_t *split = json_object_get(root, "split");
  CLQL_REQUIRE(json_array_size(split) == 1);
  CU_ASSERT_EQUAL(json_real_value(json_object_get(json_array_get(split, 0), "share")), 1.0);
  json_decref(root);
}

static void test_bad_arguments(void) {
  const char *bad[] = {"--plan bitnet-b1.58-2b4t --split cols",
                       "--split rows",
                       "--plan bitnet-b1.58-2b4t --split rows --csv",
                       "-d 0,0:0",
                       "-d 0,",
                       "-d ,0"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = clql_test_run_tool("CLQL_PROBE_BIN", bad[i], NULL);
    CU_ASSERT_EQUAL(rc, 2);
    if (rc != 2) printf("\n'%s' exited %d\n", bad[i], rc);
  }
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_PROBE_BIN", "-d 0:0,9:9", NULL), 6);
  CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_PROBE_BIN", "-d 0:0,0 --list", NULL), 2);
}

static CU_TestInfo split_tests[] = {
    {"rows_over_profiles", test_rows_over_profiles}, {"layers_mode", test_layers_mode},
    {"table_and_bad_env", test_table_and_bad_env},   {"live_device", test_live_device},
    {"bad_arguments", test_bad_arguments},           CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "probe_split", .pInitFunc = init, .pTests = split_tests}, CU_SUITE_INFO_NULL};
