/* clql-bench --quick as CI runs it: it finishes, its JSON has the documented
 * keys (synchronous and pipelined figures), and every timed configuration
 * matched the reference (the pipelined passes' output too). A shape's
 * qtypes are timed in turns, their weight copies sharing the cold cycle
 * (64 MiB with --quick). No timing is asserted. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;

static void test_quick_json(void) {
  char *text = NULL;
  int rc = clql_test_run_tool("CLQL_BENCH_BIN", "--quick --json -s 640x2560x1 -s 256x512x9",
                              &text);
  CU_ASSERT_EQUAL(rc, 0);
  json_error_t err;
  json_t *root = json_loads(text, 0, &err);
  free(text);
  CLQL_REQUIRE(root != NULL);
  CU_ASSERT(json_is_string(json_object_get(root, "device")));
  CU_ASSERT(json_number_value(json_object_get(root, "copy_gbs")) > 0);
  CU_ASSERT(json_number_value(json_object_get(root, "read_gbs")) > 0);
  CU_ASSERT(json_integer_value(json_object_get(root, "read_bytes")) > 0);
  /* measured before and after the kernels; the roofline is the higher */
  const char *const rooflines[] = {"copy_gbs", "read_gbs"};
  for (size_t i = 0; i < 2; i++) {
    char before[32], after[32];
    snprintf(before, sizeof before, "%s_before", rooflines[i]);
    snprintf(after, sizeof after, "%s_after", rooflines[i]);
    const double b = json_number_value(json_object_get(root, before)),
                 a = json_number_value(json_object_get(root, after)),
                 top = json_number_value(json_object_get(root, rooflines[i]));
    CU_ASSERT(b > 0 && a > 0);
    CU_ASSERT_DOUBLE_EQUAL(top, b > a ? b : a, 1e-3 * top);
  }
  CU_ASSERT(json_is_true(json_object_get(root, "quick")));
  json_t *overhead = json_object_get(root, "overhead");
  CU_ASSERT(json_is_object(overhead));
  CU_ASSERT(json_number_value(json_object_get(overhead, "plan_us")) > 0);
  json_t *results = json_object_get(root, "results");
  /* GEMV in every qtype; --quick times the GEMM in I2S only. */
  CU_ASSERT_EQUAL(json_array_size(results), 4);
  size_t i;
  json_t *r;
  json_array_foreach(results, i, r) {
    const char *keys[] = {"qtype", "n", "k", "b", "median_us", "weight_gbs", "pct_of_copy",
                          "pct_of_read", "pipelined_pct_of_read", "kernels"};
    for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++)
      CU_ASSERT_PTR_NOT_NULL(json_object_get(r, keys[j]));
    CU_ASSERT(json_is_integer(json_object_get(r, "mismatches")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "mismatches")), 0);
    CU_ASSERT(json_number_value(json_object_get(r, "median_us")) > 0);
    CU_ASSERT(json_number_value(json_object_get(r, "pipelined_us")) > 0);
    CU_ASSERT(json_is_number(json_object_get(r, "pipelined_pct_of_copy")));
    /* the pass's own kernel time: within the synchronous call's */
    const double dev_us = json_number_value(json_object_get(r, "device_us"));
    CU_ASSERT(dev_us > 0);
    CU_ASSERT(dev_us <= json_number_value(json_object_get(r, "max_us")));
    /* the GEMV shape's three qtypes share the cycle: a third each */
    if (json_integer_value(json_object_get(r, "b")) == 1) {
      clql_layer_shape sh = {.n = (uint64_t)json_integer_value(json_object_get(r, "n")),
                             .k = (uint64_t)json_integer_value(json_object_get(r, "k")),
                             .group_size = CLQL_GROUP_ROW};
      clql_weight_bytes wb;
      CU_ASSERT_EQUAL_FATAL(
          clql_qtype_parse(json_string_value(json_object_get(r, "qtype")), &sh.qtype),
          CLQL_SUCCESS);
      CU_ASSERT_EQUAL_FATAL(clql_layout_weight_bytes(&sh, &wb), CLQL_SUCCESS);
      const uint64_t bytes = wb.weights + wb.scales, share = (64ull << 20) / 3;
      CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "weight_copies")),
                      (json_int_t)((share + bytes - 1) / bytes));
    }
  }
  json_t *token = json_object_get(root, "token");
  CU_ASSERT(json_is_object(token));
  CU_ASSERT(json_number_value(json_object_get(token, "ms")) > 0);
  CU_ASSERT(json_number_value(json_object_get(token, "pipelined_ms")) > 0);
  CU_ASSERT(json_is_number(json_object_get(token, "pipelined_pct_of_copy")));
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(token, "qtype")), "I2S");
  /* two launches per layer, quantization and product, but one where the
   * product kernel quantizes (the x86 GEMV) */
  const char *kernels = json_string_value(json_object_get(root, "kernels"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(kernels);
  /* how its synchronous calls waited: what CLQL_WAIT forces, else poll or block */
  const char *wait = json_string_value(json_object_get(root, "wait"));
  const char *forced = getenv("CLQL_WAIT");
  CU_ASSERT_PTR_NOT_NULL_FATAL(wait);
  CU_ASSERT(strcmp(wait, "poll") == 0 || strcmp(wait, "block") == 0);
  if (forced && (strcmp(forced, "poll") == 0 || strcmp(forced, "block") == 0))
    CU_ASSERT_STRING_EQUAL(wait, forced);
  const json_int_t per_layer = strcmp(kernels, "x86") == 0 ? 1 : 2;
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(token, "launches")), per_layer * 210);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(token, "layers")), 210);
  /* fused q/k/v and gate/up: 120 layers; replayed as a sequence, the same */
  const char *fused[] = {"token_fused", "token_replayed"};
  for (size_t t = 0; t < 2; t++) {
    json_t *f = json_object_get(root, fused[t]);
    CU_ASSERT(json_is_object(f));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(f, "layers")), 120);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(f, "launches")), per_layer * 120);
    CU_ASSERT(json_number_value(json_object_get(f, "ms")) > 0);
    CU_ASSERT(json_number_value(json_object_get(f, "pipelined_ms")) > 0);
    CU_ASSERT_EQUAL(json_number_value(json_object_get(f, "weight_bytes")),
                    json_number_value(json_object_get(token, "weight_bytes")));
    CU_ASSERT(json_integer_value(json_object_get(f, "held_bytes")) <=
              json_integer_value(json_object_get(f, "budget_bytes")));
  }
  CU_ASSERT(json_is_boolean(json_object_get(json_object_get(root, "token_replayed"), "recorded")));
  /* --quick runs the peers on the GEMV shape: the reference, and CLBlast
   * when it was found at build time. */
  json_t *peers = json_object_get(root, "peers");
  int clblast = 0;
  json_array_foreach(peers, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "name")), "clblast-fp32") == 0) {
      clblast++;
      CU_ASSERT(json_number_value(json_object_get(r, "ratio")) > 0);
    }
    const char *keys[] = {"name", "n", "k", "b", "median_us", "ratio", "pipelined_us",
                          "pipelined_ratio"};
    for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++)
      CU_ASSERT_PTR_NOT_NULL(json_object_get(r, keys[j]));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "b")), 1);
  }
#ifdef CLQL_HAVE_CLBLAST
  CU_ASSERT_EQUAL(json_array_size(peers), 2);
  CU_ASSERT_EQUAL(clblast, 1);
#else
  CU_ASSERT_EQUAL(json_array_size(peers), 1);
  CU_ASSERT_EQUAL(clblast, 0);
#endif
  json_decref(root);
}

static void test_bad_arguments(void) {
  const char *bad[] = {"--shape 0x5x1", "--shape 5x5", "--qtype Q4", "--repeats 3", "--json --csv",
                       "--nope", "stray"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CU_ASSERT_EQUAL(clql_test_run_tool("CLQL_BENCH_BIN", bad[i], NULL), 2);
}

static CU_TestInfo bench_tests[] = {{"quick_json", test_quick_json},
                                    {"bad_arguments", test_bad_arguments},
                                    CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "bench_cli", .pTests = bench_tests}, CU_SUITE_INFO_NULL};
