/* What every tool shares: the one table of exit codes (tools/common/
 * exit_codes.h, README "Exit codes"), each code reached through the tools
 * that use it; and text a tool did not write itself (device, driver and
 * profile strings, names from files) reaching the terminal without a control
 * byte, in every output format of every tool. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <clql.h>
#include "gguf_build.h"
#include "runner.h"

const int clql_test_needs_device = 1;

static char *dir;

/* The tool named by env_bin with args: exit status, stdout and stderr in *out. */
static int run(const char *env_bin, const char *args, char **out) {
  return clql_test_run_tool_err(env_bin, args, out);
}

/* Exit status only, and that what the tool printed names `said` (NULL: anything). */
static int run_says(const char *env_bin, const char *args, const char *said) {
  char *out = NULL;
  int rc = run(env_bin, args, &out);
  if (said && !strstr(out, said)) {
    printf("\n  %s %s: no '%s' in:\n%s", env_bin, args, said, out);
    CU_FAIL("message");
  }
  free(out);
  return rc;
}

/* A copy of the kernel sources in dir/name, actquant.cl scaling by 126
 * instead of 127 when `wrong`: activations then differ from the reference. */
static void kernel_dir(const char *name, int wrong) {
  const char *src = getenv("CLQL_KERNEL_SRC");
  CLQL_REQUIRE(src != NULL);
  const char *files[] = {"common.cl", "actquant.cl", "ternary.cl"};
  for (size_t i = 0; i < 3; i++) {
    char path[4200], rel[256];
    snprintf(path, sizeof path, "%s/%s", src, files[i]);
    FILE *f = fopen(path, "rb");
    CLQL_REQUIRE(f != NULL);
    char *text = calloc(1, 1 << 20);
    CLQL_REQUIRE(text != NULL);
    size_t len = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    text[len] = '\0';
    snprintf(rel, sizeof rel, "%s/%s", name, files[i]);
    /* a wrong activation scale: in the activation kernel, and in the x86
     * GEMV, which quantizes the token itself */
    int changed = 0;
    for (char *p = text; wrong && i > 0 && (p = strstr(p, "clql_div_rn(127.0f")); changed++)
      p[14] = '6';
    CLQL_REQUIRE(changed || !wrong || i == 0);
    clql_test_write_file(dir, rel, text);
    free(text);
  }
}

static int suite_init(void) {
  dir = clql_test_mkdtemp();
  clql_test_write_file(dir, "m.txt", "q 64 128 2\n");
  clql_test_write_file(dir, "empty-kernels/README", "no kernels here\n");
  clql_test_write_file(dir, "no-vendors/README", "no ICD here\n");
  return 0;
}

static int suite_clean(void) {
  clql_test_rmtree(dir);
  free(dir);
  return 0;
}

static void env_dir(const char *var, const char *sub) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, sub);
  setenv(var, path, 1);
}

static const char *tools[] = {"CLQL_PROBE_BIN", "CLQL_CHECK_BIN", "CLQL_GGUF_BIN",
                              "CLQL_BENCH_BIN"};
#define BENCH_TINY "--quick -s 16x128x1 -q I2S --no-token --no-peers -r 10"

/* ---- exit codes: one test per code of the table ---- */

static void test_0_ok(void) {
  for (size_t i = 0; i < 4; i++) CU_ASSERT_EQUAL(run_says(tools[i], "--help", "exit codes"), 0);
  char args[4300];
  snprintf(args, sizeof args, "--model '%s/m.txt'", dir);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", args, "OK"), 0);
}

static void test_1_differs(void) {
  char args[4300];
  kernel_dir("wrong-kernels", 1);
  env_dir("CLQL_KERNEL_DIR", "wrong-kernels");
  snprintf(args, sizeof args, "--model '%s/m.txt'", dir);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", args, "FAIL"), 1);
  CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", BENCH_TINY, NULL), 1);
  unsetenv("CLQL_KERNEL_DIR");
}

static void test_2_usage(void) {
  /* selectors: malformed, without a value, lists (as clql-probe refuses them) */
  const char *check[] = {"-d 1:", "-d -1", "-d ' '", "-d 0,0:0", "-d 0:0,0:0", "-d 0,,1"};
  for (size_t i = 0; i < sizeof check / sizeof check[0]; i++) {
    CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", check[i], NULL), 2);
    CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", check[i], NULL), 2);
    char probe[64];
    snprintf(probe, sizeof probe, "%s --list", check[i]);
    CU_ASSERT_EQUAL(run_says("CLQL_PROBE_BIN", probe, NULL), 2);
  }
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", "-d 0,0:0", "both choose device 0:0"), 2);
  CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", "-d 0,0:0", "both choose device 0:0"), 2);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", "-d", "option '-d' needs a value"), 2);
  CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", "-d", "option '-d' needs a value"), 2);
  CU_ASSERT_EQUAL(run_says("CLQL_PROBE_BIN", "-d", "option '-d' needs a value"), 2);
  CU_ASSERT_EQUAL(run_says("CLQL_GGUF_BIN", "--limit", "option '--limit' needs a value"), 2);
  /* a list of two devices, for a tool that runs on one */
  setenv("POCL_DEVICES", "pthread pthread", 1);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", "-d 0:0,0:1", "chooses 2 devices"), 2);
  CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", "-d 0:0,0:1", "chooses 2 devices"), 2);
  setenv("POCL_DEVICES", "pthread", 1);
  /* numbers in the option grammar: no overflow, sign, space or suffix */
  const char *bench[] = {"-r 4294967306", "-r 9", "-r 1e2", "-s 1x-1x1", "-s ' 16x16x1'",
                         "-s 16x16x1x", "-s 16x16", "-s 99999999999999999999x1x1",
                         "--plot \"a'b.png\"", "-q Q4", "stray"};
  for (size_t i = 0; i < sizeof bench / sizeof bench[0]; i++)
    CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", bench[i], NULL), 2);
  /* a bad CLQL_* value, in every tool */
  setenv("CLQL_MEM_LIMIT", "8GB", 1);
  for (size_t i = 0; i < 4; i++)
    CU_ASSERT_EQUAL(run_says(tools[i], i == 2 ? "x.gguf" : "", "CLQL_MEM_LIMIT='8GB'"), 2);
  unsetenv("CLQL_MEM_LIMIT");
}

static void test_3_bad_file(void) {
  clql_test_write_file(dir, "bad.gguf", "GGUF not really");
  char args[4300];
  snprintf(args, sizeof args, "'%s/bad.gguf'", dir);
  CU_ASSERT_EQUAL(run_says("CLQL_GGUF_BIN", args, "header: GGUF version"), 3);
}

static void test_4_does_not_fit(void) {
  char args[4300];
  snprintf(args, sizeof args, "--model '%s/m.txt'", dir);
  setenv("CLQL_MEM_LIMIT", "1K", 1);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", args, "does not fit"), 4);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", "", "does not fit"), 4); /* the 2B4T-shaped layers */
  CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", BENCH_TINY, "does not fit"), 4);
  unsetenv("CLQL_MEM_LIMIT");
}

static void test_5_device_failed(void) {
  char args[4300];
  env_dir("CLQL_KERNEL_DIR", "empty-kernels"); /* no kernel sources: nothing builds */
  snprintf(args, sizeof args, "--model '%s/m.txt'", dir);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", args, "CLQL_KERNEL_DIR"), 5);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", "", "CLQL_KERNEL_DIR"), 5);
  CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", BENCH_TINY, "CLQL_KERNEL_DIR"), 5);
  unsetenv("CLQL_KERNEL_DIR");
}

static void test_6_no_device(void) {
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", "-d 9:9", "item 1 ('9:9') matches no device"), 6);
  CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", "-d 9:9", "'9:9'"), 6);
  CU_ASSERT_EQUAL(run_says("CLQL_PROBE_BIN", "-d 9:9 --list", "item 1 ('9:9') matches no device"),
                  6);
  CU_ASSERT_EQUAL(run_says("CLQL_PROBE_BIN", "-d 0:0,7 --list", "item 2 ('7') matches no device"),
                  6);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", "-d 'no such device'", "'no such device'"), 6);
}

static void test_9_no_platform(void) {
  env_dir("OCL_ICD_VENDORS", "no-vendors");
  const char *saved = getenv("OCL_ICD_FILENAMES");
  char *keep = saved ? strdup(saved) : NULL;
  setenv("OCL_ICD_FILENAMES", "", 1);
  char args[4300];
  snprintf(args, sizeof args, "--plan '%s/m.txt'", dir);
  CU_ASSERT_EQUAL(run_says("CLQL_PROBE_BIN", "", NULL), 9);
  CU_ASSERT_EQUAL(run_says("CLQL_CHECK_BIN", "", NULL), 9);
  CU_ASSERT_EQUAL(run_says("CLQL_BENCH_BIN", "", NULL), 9);
  const char *fixtures = getenv("CLQL_GGUF_FIXTURES");
  CLQL_REQUIRE(fixtures != NULL);
  snprintf(args, sizeof args, "--plan '%s/ternary.gguf'", fixtures);
  CU_ASSERT_EQUAL(run_says("CLQL_GGUF_BIN", args, NULL), 9);
  setenv("OCL_ICD_VENDORS", getenv("CLQL_TEST_VENDORS"), 1);
  if (keep) setenv("OCL_ICD_FILENAMES", keep, 1);
  free(keep);
}

/* 255, internal error: gnuplot failing under clql-probe --plot (cl/probe_cli,
 * test plot) is the one way to reach it from outside. */

/* ---- escapes ---- */

/* Strings with terminal escapes (OSC title, clear screen, C1 CSI, BEL, CR). */
#define EVIL_NAME "name\x1b[2J\xc2\x9b" "31m\xc3\xa9"
static const char evil_profile[] =
    "[{\"id\": \"evil\\u001b]0;pwned\\u0007\","
    " \"platform_name\": \"plat\\u0007\\u001b]2;t\\u0007\","
    " \"device_name\": \"name\\u001b[2J\\u009b31m\\u00e9\", \"device_vendor\": \"vend\\u001b[5m\","
    " \"vendor_id\": \"0x8086\", \"device_type\": \"CPU\","
    " \"driver_version\": \"drv\\u009b1;1H\\r\","
    " \"global_mem_size\": 4294967296, \"max_mem_alloc_size_mib\": 1024,"
    " \"host_unified_memory\": true},\n"
    " {\"id\": \"second\\u001b[K\", \"device_name\": \"two\\u001b[1m\", \"device_type\": \"GPU\","
    " \"global_mem_size\": 8589934592}]\n";

static void expect_printable(const char *what, const char *args, const char *out) {
  if (!clql_test_printable(out)) {
    printf("\n  %s %s printed a control byte:\n%s\n", what, args, out);
    CU_FAIL("control byte on the terminal");
  }
}

/* Run, expect success and no control byte; *out kept when asked. */
static void printable_run(const char *env_bin, const char *args, char **keep) {
  char *out = NULL;
  CU_ASSERT_EQUAL(run(env_bin, args, &out), 0);
  expect_printable(env_bin, args, out);
  if (keep) *keep = out;
  else free(out);
}

/* The JSON still carries the exact name: jansson escaped it, nothing was lost. */
static void expect_name_in_json(const char *text, const char *path) {
  json_t *root = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
  CU_ASSERT_PTR_NOT_NULL(root);
  json_t *v = root ? json_object_get(root, path) : NULL;
  if (v && json_is_array(v)) v = json_object_get(json_array_get(v, 0), "name");
  CU_ASSERT(v && json_is_string(v) && strcmp(json_string_value(v), EVIL_NAME) == 0);
  json_decref(root);
}

static void test_profile_strings(void) {
  clql_test_write_file(dir, "evil.json", evil_profile);
  char args[4300], *out = NULL;
  const char *forms[] = {"",
                         "--list",
                         "-v",
                         "--plan bitnet-b1.58-2b4t",
                         "--plan bitnet-b1.58-2b4t --csv",
                         "--plan bitnet-b1.58-2b4t --split layers",
                         "-v --json --plan bitnet-b1.58-2b4t"};
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    snprintf(args, sizeof args, "--profile '%s/evil.json' %s", dir, forms[i]);
    printable_run("CLQL_PROBE_BIN", args, &out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, i == 6 ? "\\u009B31m" : "name?[2J??31m"));
    if (i == 6) expect_name_in_json(out, "devices");
    free(out);
  }
  snprintf(args, sizeof args, "--profile '%s/evil.json:nosuch\x1b[2J'", dir);
  CU_ASSERT_EQUAL(run("CLQL_PROBE_BIN", args, &out), 6);
  expect_printable("CLQL_PROBE_BIN", args, out);
  free(out);
}

/* Live devices answering from the record, through the profile layer. */
static void test_device_strings(void) {
  char path[4300], args[4300], *out = NULL;
  snprintf(path, sizeof path, "%s/evil.json", dir);
  setenv("OPENCL_LAYERS", getenv("CLQL_TEST_PROFILE_LAYER"), 1);
  setenv("CLQL_PROFILE_FILE", path, 1);
  setenv("CLQL_PROFILE_ID", "evil\x1b]0;pwned\x07", 1);
  printable_run("CLQL_PROBE_BIN", "", &out);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "name?[2J??31m"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "platform: plat??]2;t?; vendor: vend?[5m"));
  free(out);
  printable_run("CLQL_PROBE_BIN", "--json", NULL);
  snprintf(args, sizeof args, "--model '%s/m.txt'", dir);
  printable_run("CLQL_CHECK_BIN", args, NULL);
  snprintf(args, sizeof args, "--model '%s/m.txt' --json", dir);
  printable_run("CLQL_CHECK_BIN", args, NULL);
  printable_run("CLQL_BENCH_BIN", BENCH_TINY, NULL);
  printable_run("CLQL_BENCH_BIN", BENCH_TINY " --csv", NULL);
  printable_run("CLQL_BENCH_BIN", BENCH_TINY " --json", &out);
  expect_name_in_json(out, "device");
  free(out);
  const char *fixtures = getenv("CLQL_GGUF_FIXTURES");
  snprintf(args, sizeof args, "--plan '%s/ternary.gguf'", fixtures);
  printable_run("CLQL_GGUF_BIN", args, NULL);
  snprintf(args, sizeof args, "--plan --json '%s/ternary.gguf'", fixtures);
  printable_run("CLQL_GGUF_BIN", args, NULL);
  unsetenv("OPENCL_LAYERS");
  unsetenv("CLQL_PROFILE_FILE");
  unsetenv("CLQL_PROFILE_ID");
}

/* Names from a GGUF file, in its table, its JSON and --verify's message. */
static void test_file_strings(void) {
  gguf_builder b;
  gguf_init(&b);
  uint8_t block[66];
  memset(block, 0x55, sizeof block);
  block[3] = 0xFF; /* a code 3: --verify names the tensor */
  gguf_kv_str(&b, "general.name\x1b]0;t\x07", "x");
  gguf_tensor(&b, "w\x1b[2J\xc2\x9b\xff", 35, 2, (uint64_t[]){256, 1}, block, sizeof block);
  block[3] = 0x55;
  gguf_tensor(&b, "v\x1b[2J\xc2\x9b", 35, 2, (uint64_t[]){256, 1}, block, sizeof block);
  size_t len;
  uint8_t *file = gguf_finish(&b, 3, &len, NULL);
  char path[4300], args[4400], *out = NULL;
  snprintf(path, sizeof path, "%s/evil\x1b[2J.gguf", dir);
  FILE *f = fopen(path, "wb");
  CLQL_REQUIRE(f != NULL);
  fwrite(file, 1, len, f);
  fclose(f);
  free(file);
  gguf_free(&b);
  const char *forms[] = {"", "--json", "--plan"};
  for (size_t i = 0; i < 3; i++) {
    snprintf(args, sizeof args, "%s '%s'", forms[i], path);
    printable_run("CLQL_GGUF_BIN", args, &out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "w?[2J???")); /* not UTF-8: '?' in JSON too */
    if (i != 2) /* UTF-8 with controls: escaped in JSON, '?' in the table */
      CU_ASSERT_PTR_NOT_NULL(strstr(out, i == 1 ? "v\\u001B[2J\\u009B" : "v?[2J??"));
    free(out);
  }
  snprintf(args, sizeof args, "--verify '%s'", path);
  CU_ASSERT_EQUAL(run("CLQL_GGUF_BIN", args, &out), 3);
  expect_printable("CLQL_GGUF_BIN", args, out);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "tensor 'w?[2J??" "?'"));
  free(out);
  /* the user's own arguments, echoed in messages */
  printable_run("CLQL_PROBE_BIN", "--help", NULL);
  const char *bad[] = {"--bogus\x1b[2J", "-d '\x1b[2J\xc2\x9b'"};
  for (size_t i = 0; i < 2; i++)
    for (size_t t = 0; t < 4; t++) {
      CU_ASSERT_NOT_EQUAL(run(tools[t], bad[i], &out), 0);
      expect_printable(tools[t], bad[i], out);
      free(out);
    }
}

static CU_TestInfo exit_tests[] = {{"0_ok", test_0_ok},
                                   {"1_differs", test_1_differs},
                                   {"2_usage", test_2_usage},
                                   {"3_bad_file", test_3_bad_file},
                                   {"4_does_not_fit", test_4_does_not_fit},
                                   {"5_device_failed", test_5_device_failed},
                                   {"6_no_device", test_6_no_device},
                                   {"9_no_platform", test_9_no_platform},
                                   CU_TEST_INFO_NULL};

static CU_TestInfo escape_tests[] = {{"profile_strings", test_profile_strings},
                                     {"device_strings", test_device_strings},
                                     {"file_strings", test_file_strings},
                                     CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "exit_codes", .pInitFunc = suite_init, .pCleanupFunc = suite_clean,
     .pTests = exit_tests},
    {.pName = "escapes", .pInitFunc = suite_init, .pCleanupFunc = suite_clean,
     .pTests = escape_tests},
    CU_SUITE_INFO_NULL};
