/* clql-gguf as a user runs it: the table, the --json contract, --plan per
 * device, --verify, and the exit codes. The tool comes from $CLQL_GGUF_BIN,
 * the files from $CLQL_GGUF_FIXTURES (both set by ctest). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "gguf_build.h"
#include "runner.h"

const int clql_test_needs_device = 0;

static int run_tool(const char *args, char **out) {
  return clql_test_run_tool("CLQL_GGUF_BIN", args, out);
}

static int run_tool_err(const char *args, char **out) {
  return clql_test_run_tool_err("CLQL_GGUF_BIN", args, out);
}

static const char *fixture(const char *name) {
  static char path[4096];
  const char *dir = getenv("CLQL_GGUF_FIXTURES");
  CLQL_REQUIRE(dir != NULL);
  snprintf(path, sizeof path, "'%s/%s'", dir, name);
  return path;
}

static void test_table(void) {
  char *text = NULL;
  CU_ASSERT_EQUAL(run_tool(fixture("ternary.gguf"), &text), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "blk.0.ffn_up.weight"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "TQ1_0"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "[512, 3]"));
  free(text);
}

/* --json: {"tensors":[{"name","type","shape","bytes"}]} equal to the library's view. */
static void test_json(void) {
  char *text = NULL, args[8400];
  snprintf(args, sizeof args, "--json %s", fixture("nested.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  json_error_t err;
  json_t *root = json_loads(text, 0, &err);
  free(text);
  CLQL_REQUIRE(root != NULL);
  json_t *tensors = json_object_get(root, "tensors");
  CLQL_REQUIRE(json_is_array(tensors));
  char path[4096];
  snprintf(path, sizeof path, "%s/nested.gguf", getenv("CLQL_GGUF_FIXTURES"));
  clql_gguf *g = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_gguf_open(path, &g), CLQL_SUCCESS);
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_gguf_tensors(g, NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT(n > 0); /* the loop below checks something */
  CU_ASSERT_EQUAL(json_array_size(tensors), n);
  size_t i;
  json_t *t;
  json_array_foreach(tensors, i, t) {
    clql_gguf_tensor_info info;
    const char *name = json_string_value(json_object_get(t, "name"));
    CLQL_REQUIRE(name != NULL);
    CU_ASSERT_EQUAL_FATAL(clql_gguf_tensor_find(g, name, &info), CLQL_SUCCESS);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(t, "type")), info.type_name);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(t, "bytes")), (json_int_t)info.bytes);
    json_t *shape = json_object_get(t, "shape");
    CU_ASSERT(json_is_array(shape) && json_array_size(shape) == info.n_dims);
    for (size_t d = 0; d < json_array_size(shape); d++)
      CU_ASSERT(json_is_integer(json_array_get(shape, d)) &&
                json_integer_value(json_array_get(shape, d)) == (json_int_t)info.dims[d]);
  }
  CU_ASSERT_PTR_NULL(json_object_get(root, "plan")); /* only with --plan */
  clql_gguf_close(g);
  json_decref(root);
}

static void test_plan(void) {
  size_t devices = 0;
  int have = clql_devices_get(NULL, 0, &devices) == CLQL_SUCCESS && devices > 0;
  char *text = NULL, args[8400];
  snprintf(args, sizeof args, "--json --plan %s", fixture("bitnet-i2s.gguf"));
  int rc = run_tool(args, &text);
  if (!have) {
    CU_ASSERT_EQUAL(rc, 9);
    free(text);
    return;
  }
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  json_error_t err;
  json_t *root = json_loads(text, 0, &err);
  free(text);
  CLQL_REQUIRE(root != NULL);
  json_t *plans = json_object_get(root, "plan");
  CU_ASSERT_EQUAL(json_array_size(plans), devices);
  size_t i;
  json_t *p;
  json_array_foreach(plans, i, p) {
    json_t *layers = json_object_get(p, "layers"), *file = json_object_get(p, "file");
    CU_ASSERT_EQUAL(json_array_size(layers), 2);
    size_t j;
    json_t *l;
    json_array_foreach(layers, j, l) {
      CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(l, "format")), "I2_S");
      CU_ASSERT(json_is_boolean(json_object_get(l, "fits")));
      CU_ASSERT(json_integer_value(json_object_get(l, "batch")) >= 1);
      CU_ASSERT(json_is_string(json_object_get(l, "limited_by")));
    }
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(layers, 0), "k")), 256);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(file, "layers")), 2);
    CU_ASSERT(json_is_true(json_object_get(file, "fits")));
    CU_ASSERT(json_integer_value(json_object_get(file, "batch")) >= 1);
  }
  json_decref(root);
  /* Under a 1 KiB budget nothing fits: no layer, no whole file. */
  snprintf(args, sizeof args, "--json --plan --limit 1K %s", fixture("bitnet-i2s.gguf"));
  CU_ASSERT_EQUAL_FATAL(run_tool(args, &text), 0);
  root = json_loads(text, 0, &err);
  free(text);
  CLQL_REQUIRE(root != NULL);
  CU_ASSERT_EQUAL(json_array_size(json_object_get(root, "plan")), devices);
  json_array_foreach(json_object_get(root, "plan"), i, p) {
    CU_ASSERT(json_is_false(json_object_get(json_array_get(json_object_get(p, "layers"), 0), "fits")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "budget_bytes")), 1024);
    json_t *file = json_object_get(p, "file");
    CU_ASSERT(json_is_false(json_object_get(file, "fits")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(file, "batch")), 0);
  }
  json_decref(root);
  /* The table form names the whole-file line. */
  snprintf(args, sizeof args, "--plan %s", fixture("ternary.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "whole file: 2 layers"));
  free(text);
}

/* --plan --ctx on the gguf package's model files: the KV cache from the
 * metadata; a file without the model's keys names the missing one. */
static void test_inference(void) {
  char args[8400], *text = NULL;
  snprintf(args, sizeof args, "--json --plan --ctx 256 --kv-type f32 %s",
           fixture("model-llama.gguf"));
  CU_ASSERT_EQUAL_FATAL(run_tool(args, &text), 0);
  json_t *root = json_loads(text, 0, NULL);
  free(text);
  CLQL_REQUIRE(root != NULL);
  json_t *inf = json_object_get(json_array_get(json_object_get(root, "plan"), 0), "inference");
  CLQL_REQUIRE(json_is_object(inf));
  /* 1 + 1 + 2 KV heads x (16 + 24) x 4 bytes */
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(inf, "kv_bytes_per_token")), 4 * 40 * 4);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(inf, "ctx")), 256);
  CU_ASSERT_TRUE(json_is_true(json_object_get(inf, "fits")));
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(inf, "kv_type")), "f32");
  json_decref(root);
  snprintf(args, sizeof args, "--plan --ctx 512 %s", fixture("model-bitnet.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  CU_ASSERT(text && strstr(text, "inference bitnet-b1.58: 2 layers") != NULL);
  free(text);
  /* a file that is no model: its missing key, exit 3 */
  snprintf(args, sizeof args, "--plan --ctx 512 %s", fixture("ternary.gguf"));
  CU_ASSERT_EQUAL(run_tool_err(args, &text), 3);
  CU_ASSERT(text && strstr(text, "clql-test.block_count is missing") != NULL);
  free(text);
  snprintf(args, sizeof args, "--ctx 512 %s", fixture("model-bitnet.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, NULL), 2); /* --ctx needs --plan */
}

static void test_exit_codes(void) {
  char args[8400];
  CU_ASSERT_EQUAL(run_tool("", NULL), 2);
  CU_ASSERT_EQUAL(run_tool("--bogus x.gguf", NULL), 2);
  snprintf(args, sizeof args, "%s extra.gguf", fixture("ternary.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, NULL), 2);
  CU_ASSERT_EQUAL(run_tool("/nonexistent/x.gguf", NULL), 3);
  /* --limit has CLQL_MEM_LIMIT's grammar: what the variable refuses, it refuses */
  const char *bad_limits[] = {"12X", "0", "8GB", "1.5G", "-1", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++) {
    snprintf(args, sizeof args, "--plan --limit %s %s", bad_limits[i], fixture("ternary.gguf"));
    CU_ASSERT_EQUAL(run_tool(args, NULL), 2);
  }
  char *text = NULL;
  snprintf(args, sizeof args, "--json --plan --limit 1GiB %s", fixture("ternary.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  CU_ASSERT(text && strstr(text, "\"budget_bytes\": 1073741824"));
  free(text);
  setenv("CLQL_MEM_LIMIT", "8G", 1); /* the option wins over the variable */
  snprintf(args, sizeof args, "--json --plan --limit 1t %s", fixture("ternary.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  unsetenv("CLQL_MEM_LIMIT");
  CU_ASSERT(!(text && strstr(text, "\"budget_bytes\": 8589934592")));
  free(text);
  snprintf(args, sizeof args, "--plan --limit %s", fixture("ternary.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, NULL), 2); /* the file taken as the value: no FILE left */
  snprintf(args, sizeof args, "--verify %s", fixture("nested.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, NULL), 0);

  /* A truncated file, and a TQ2_0 tensor holding a code 3 (caught by --verify only). */
  char *dir = clql_test_mkdtemp(), path[4096];
  gguf_builder b;
  gguf_init(&b);
  uint8_t block[66];
  memset(block, 0x55, sizeof block);
  block[3] = 0xFF;
  gguf_tensor(&b, "w", 35, 2, (uint64_t[]){256, 1}, block, sizeof block);
  size_t len;
  uint8_t *file = gguf_finish(&b, 3, &len, NULL);
  for (int cut = 0; cut < 2; cut++) {
    snprintf(path, sizeof path, "%s/%s.gguf", dir, cut ? "cut" : "code3");
    FILE *f = fopen(path, "wb");
    CLQL_REQUIRE(f != NULL);
    fwrite(file, 1, cut ? len - 1 : len, f);
    fclose(f);
    snprintf(args, sizeof args, "'%s'", path);
    CU_ASSERT_EQUAL(run_tool(args, NULL), cut ? 3 : 0);
    snprintf(args, sizeof args, "--verify '%s'", path);
    CU_ASSERT_EQUAL(run_tool(args, NULL), 3);
  }
  free(file);
  gguf_free(&b);
  clql_test_rmtree(dir);
  free(dir);
}

/* Write a finished builder to dir/name; the path in path. */
static void write_gguf(gguf_builder *b, const char *dir, const char *name, char *path,
                       size_t size) {
  size_t len;
  uint8_t *file = gguf_finish(b, 3, &len, NULL);
  snprintf(path, size, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  CLQL_REQUIRE(f != NULL);
  fwrite(file, 1, len, f);
  fclose(f);
  free(file);
  gguf_free(b);
}

/* budget_bytes of the first device in --plan --json output. */
static long long first_budget(const char *text) {
  json_t *root = json_loads(text ? text : "", 0, NULL);
  json_t *p = json_array_get(json_object_get(root, "plan"), 0);
  long long b = json_is_integer(json_object_get(p, "budget_bytes"))
                    ? (long long)json_integer_value(json_object_get(p, "budget_bytes"))
                    : -1;
  json_decref(root);
  return b;
}

/* --limit in CLQL_MEM_LIMIT's grammar, which is 1024-based and any case. */
static void test_limit_grammar(void) {
  char args[4400], *text = NULL;
  long long budget[4];
  const char *same[] = {"8g", "8GiB", "8G", "8192m"};
  for (size_t i = 0; i < 4; i++) {
    snprintf(args, sizeof args, "--plan --json --limit %s %s", same[i], fixture("ternary.gguf"));
    CU_ASSERT_EQUAL(run_tool(args, &text), 0);
    budget[i] = first_budget(text);
    free(text);
    CU_ASSERT(budget[i] > 0 && budget[i] <= (8ll << 30) && budget[i] == budget[0]);
  }
  setenv("CLQL_MEM_LIMIT", "8g", 1); /* the variable means the same */
  snprintf(args, sizeof args, "--plan --json %s", fixture("ternary.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  unsetenv("CLQL_MEM_LIMIT");
  CU_ASSERT_EQUAL(first_budget(text), budget[0]);
  free(text);
  snprintf(args, sizeof args, "--plan --json --limit 1T %s", fixture("ternary.gguf"));
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  CU_ASSERT(first_budget(text) > 0);
  free(text);
  const char *bad[] = {"99999999999999999999", "8GB", "8 G", "0x10", "1e9"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(args, sizeof args, "--plan --limit '%s' %s", bad[i], fixture("ternary.gguf"));
    CU_ASSERT_EQUAL(clql_test_run_tool_err("CLQL_GGUF_BIN", args, &text), 2);
    CU_ASSERT(text && strstr(text, "--limit, read as CLQL_MEM_LIMIT"));
    free(text);
  }
}

/* A file without ternary layers still reports the device's budget. */
static void test_plan_without_layers(void) {
  char *dir = clql_test_mkdtemp(), path[4300], args[4400], *text = NULL;
  gguf_builder b;
  gguf_init(&b);
  float w[4] = {1, 2, 3, 4};
  gguf_tensor(&b, "norm", 0, 1, (uint64_t[]){4}, w, sizeof w);
  write_gguf(&b, dir, "f32.gguf", path, sizeof path);
  snprintf(args, sizeof args, "--plan --json --limit 1M '%s'", path);
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  CU_ASSERT_EQUAL(first_budget(text), 1ll << 20);
  CU_ASSERT(text && strstr(text, "\"file\": null"));
  free(text);
  snprintf(args, sizeof args, "--plan --limit 1M '%s'", path);
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  CU_ASSERT(text && strstr(text, "budget 1.0 MiB\n  no ternary layers to plan"));
  free(text);
  clql_test_rmtree(dir);
  free(dir);
}

/* --verify checks tensors of more than 2 dimensions row by row, and says
 * which tensors have nothing to check. */
static void test_verify_every_ternary_tensor(void) {
  char *dir = clql_test_mkdtemp(), path[4300], args[4400], *text = NULL;
  uint8_t blocks[4 * 66];
  memset(blocks, 0x55, sizeof blocks); /* codes 1: t = 0; fp16 scale bits 0x5555 */
  for (int bad = 0; bad < 2; bad++) {
    gguf_builder b;
    gguf_init(&b);
    gguf_tensor(&b, "flat", 35, 2, (uint64_t[]){256, 1}, blocks, 66);
    if (bad) blocks[3 * 66 + 5] = 0xFF; /* a code 3 in the last row of the 3-D tensor */
    gguf_tensor(&b, "experts", 35, 3, (uint64_t[]){256, 2, 2}, blocks, sizeof blocks);
    gguf_tensor(&b, "empty", 35, 2, (uint64_t[]){256, 0}, blocks, 0);
    write_gguf(&b, dir, bad ? "bad.gguf" : "good.gguf", path, sizeof path);
    snprintf(args, sizeof args, "--verify '%s'", path);
    CU_ASSERT_EQUAL(clql_test_run_tool_err("CLQL_GGUF_BIN", args, &text), bad ? 3 : 0);
    if (bad) {
      CU_ASSERT(text && strstr(text, "tensor 'experts'"));
    } else {
      CU_ASSERT(
          text && strstr(text, "verified 2 ternary tensors (1 of more than 2 dimensions"));
      CU_ASSERT(
          text && strstr(text, "not verified: tensor 'empty' (TQ2_0 [256, 0]) has no elements"));
    }
    free(text);
  }
  snprintf(args, sizeof args, "--verify --json '%s/good.gguf'", dir);
  CU_ASSERT_EQUAL(run_tool(args, &text), 0);
  json_t *root = json_loads(text ? text : "", 0, NULL);
  free(text);
  json_t *v = json_object_get(root, "verify");
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "verified")), 2);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "by_rows")), 1);
  json_t *skipped = json_array_get(json_object_get(v, "skipped"), 0);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(skipped, "name")), "empty");
  json_decref(root);
  clql_test_rmtree(dir);
  free(dir);
}

/* A FIFO as FILE: refused as not a regular file, never waited on. */
static void test_fifo(void) { clql_test_fifo_refused("CLQL_GGUF_BIN", "", "", 3); }

static CU_TestInfo cli_tests[] = {{"table", test_table},
                                  {"json", test_json},
                                  {"plan", test_plan},
                                  {"inference", test_inference},
                                  {"exit_codes", test_exit_codes},
                                  {"fifo", test_fifo},
                                  {"limit_grammar", test_limit_grammar},
                                  {"plan_without_layers", test_plan_without_layers},
                                  {"verify_every_ternary_tensor", test_verify_every_ternary_tensor},
                                  CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "gguf_cli", .pTests = cli_tests}, CU_SUITE_INFO_NULL};
