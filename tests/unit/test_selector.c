/* The device-selection grammar, on a synthetic device list. */
#include <string.h>
#include "../../lib/internal.h"
#include "runner.h"

const int clql_test_needs_device = 0;

static clql_device_info devs[4];

static int init(void) {
  const struct {
    unsigned p, d;
    const char *plat, *name, *vendor;
    cl_device_type type;
  } spec[] = {
      {0, 0, "Portable Computing Language", "pthread-skylake", "GenuineIntel", CL_DEVICE_TYPE_CPU},
      {1, 0, "AMD Accelerated Parallel Processing", "gfx1030", "Advanced Micro Devices, Inc.",
       CL_DEVICE_TYPE_GPU},
      {1, 1, "AMD Accelerated Parallel Processing", "gfx1100", "Advanced Micro Devices, Inc.",
       CL_DEVICE_TYPE_GPU},
      {2, 0, "NVIDIA CUDA", "NVIDIA GeForce RTX 4090", "NVIDIA Corporation", CL_DEVICE_TYPE_GPU},
  };
  for (unsigned i = 0; i < 4; i++) {
    memset(&devs[i], 0, sizeof devs[i]);
    devs[i].index = i;
    devs[i].platform_index = spec[i].p;
    devs[i].device_index = spec[i].d;
    strcpy(devs[i].platform_name, spec[i].plat);
    strcpy(devs[i].name, spec[i].name);
    strcpy(devs[i].vendor, spec[i].vendor);
    devs[i].type = spec[i].type;
  }
  return 0;
}

static long pick(const char *text) {
  clql_selector sel;
  if (clql_selector_parse(text, &sel) != CLQL_SUCCESS) return -100;
  return clql_selector_match(&sel, devs, 4);
}

static void test_good_selectors(void) {
  CU_ASSERT_EQUAL(pick("1:1"), 2);
  CU_ASSERT_EQUAL(pick("2:0"), 3);
  CU_ASSERT_EQUAL(pick("0"), 0);
  CU_ASSERT_EQUAL(pick("3"), 3);
  CU_ASSERT_EQUAL(pick("007"), -1); /* index 7 does not exist */
  CU_ASSERT_EQUAL(pick("rtx 4090"), 3);
  CU_ASSERT_EQUAL(pick("GFX11"), 2);
  CU_ASSERT_EQUAL(pick("advanced micro"), 1); /* vendor */
  CU_ASSERT_EQUAL(pick("portable"), 0);       /* platform */
  CU_ASSERT_EQUAL(pick("nothing like it"), -1);
  CU_ASSERT_EQUAL(pick("5:0"), -1);
}

static void test_default_prefers_gpu(void) {
  CU_ASSERT_EQUAL(pick(NULL), 1);
  CU_ASSERT_EQUAL(pick(""), 1);
  clql_selector sel;
  CU_ASSERT_EQUAL(clql_selector_parse(NULL, &sel), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_selector_match(&sel, devs, 1), 0); /* CPU only: device 0 */
  CU_ASSERT_EQUAL(clql_selector_match(&sel, devs, 0), -1);
}

static void test_bad_selectors(void) {
  const char *bad[] = {"1:", ":2", "1:2:3", "::", "-1", "+3", "1:-1", "99999999999", "4294967296",
                       "0:4294967296", "   ", "\t"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    clql_selector sel;
    clql_status st = clql_selector_parse(bad[i], &sel);
    CU_ASSERT_EQUAL(st, CLQL_ERR_BAD_SELECTOR);
    if (st != CLQL_ERR_BAD_SELECTOR) printf("accepted bad selector '%s'\n", bad[i]);
    CU_ASSERT(strlen(clql_last_error_detail()) > 0);
  }
  CU_ASSERT_EQUAL(clql_selector_parse("0", NULL), CLQL_ERR_INVALID_ARGUMENT);
}

static void test_limits(void) {
  clql_selector sel;
  CU_ASSERT_EQUAL(clql_selector_parse("4294967295", &sel), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(sel.kind, CLQL_SEL_INDEX);
  CU_ASSERT_EQUAL(sel.index, 4294967295u);
  CU_ASSERT_EQUAL(clql_selector_parse("12:34", &sel), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(sel.kind, CLQL_SEL_PAIR);
  CU_ASSERT_EQUAL(sel.platform, 12u);
  CU_ASSERT_EQUAL(sel.device, 34u);
  CU_ASSERT_EQUAL(clql_selector_parse("gfx1030:xnack-", &sel), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(sel.kind, CLQL_SEL_NAME);
}

static CU_TestInfo selector_tests[] = {{"good_selectors", test_good_selectors},
                                       {"default_prefers_gpu", test_default_prefers_gpu},
                                       {"bad_selectors", test_bad_selectors},
                                       {"limits", test_limits},
                                       CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "selector", .pInitFunc = init, .pTests = selector_tests}, CU_SUITE_INFO_NULL};
