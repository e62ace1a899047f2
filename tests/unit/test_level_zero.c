/* The Level Zero source through the stand-in loader (tests/fakes/fake_ze.c) on
 * recorded Intel GPUs: opt-in, matching by UUID or PCI address, the sum over
 * device-local modules, and failures. */
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

static char profile[4096];

static int setup(void) {
  clql_test_dir_init();
  clql_test_write_file(
      clql_test_dir, "intel.json",
      "[{\"id\": \"arc-uuid\", \"device_type\": \"GPU\", \"vendor_id\": \"0x8086\","
      "  \"global_mem_size\": 17179869184, \"host_unified_memory\": false,"
      "  \"device_uuid\": \"8680a056-0800-0000-0300-000000000000\"},"
      " {\"id\": \"arc-pci\", \"device_type\": \"GPU\", \"vendor_id\": \"0x8086\","
      "  \"global_mem_size\": 17179869184, \"host_unified_memory\": false,"
      "  \"pci_bus_id\": \"0000:03:00.0\"},"
      " {\"id\": \"elsewhere\", \"device_type\": \"GPU\", \"global_mem_size\": 1073741824,"
      "  \"host_unified_memory\": false, \"pci_bus_id\": \"0000:09:00.0\"}]");
  snprintf(profile, sizeof profile, "%s/intel.json", clql_test_dir);
  return 0;
}

static char detail[512];

/* Each test starts from the same stand-in and knobs, whatever ran before it:
 * one Arc GPU with two device-local modules (4 + 1 GB) and a system one, no
 * opt-in. (The loader itself is loaded once per process, by the first
 * opted-in probe.) */
static void fresh(void) {
  setenv("FAKE_ZE_UUID", "8680a056-0800-0000-0300-000000000000", 1);
  setenv("FAKE_ZE_PCI", "0000:03:00.0", 1);
  setenv("FAKE_ZE_MODULES", "device:4000000000,system:9000000000,device:1000000000", 1);
  unsetenv("FAKE_ZE_FAIL");
  unsetenv("CLQL_LEVEL_ZERO");
  unsetenv("CLQL_MEM_SOURCE");
  detail[0] = '\0';
}
static void keep_detail(const char *source, int answered, const char *why, void *user) {
  (void)answered, (void)user;
  if (strcmp(source, "level-zero") == 0) snprintf(detail, sizeof detail, "%s", why);
}

static clql_memory_report probe(const char *id) {
  clql_memory_report m;
  memset(&m, 0, sizeof m);
  CU_ASSERT_EQUAL(clql_profile_memory_trace(profile, id, &m, keep_detail, NULL), CLQL_SUCCESS);
  return m;
}

/* Without opting in nothing is loaded and the environment is untouched: in a
 * fresh process (ctest makes ZES_ENABLE_SYSMAN empty) it stays empty, and
 * after another test loaded the stand-in it keeps that test's value. */
static void test_off_by_default(void) {
  fresh();
  const char *before = getenv("ZES_ENABLE_SYSMAN");
  char sysman[64];
  snprintf(sysman, sizeof sysman, "%s", before ? before : "(unset)");
  clql_memory_report m = probe("arc-uuid");
  CU_ASSERT_FALSE(m.free_known);
  CU_ASSERT_PTR_NOT_NULL(strstr(detail, "CLQL_LEVEL_ZERO=1"));
  const char *after = getenv("ZES_ENABLE_SYSMAN");
  CU_ASSERT_STRING_EQUAL(after ? after : "(unset)", sysman);
}

static void test_sum_of_device_modules(void) {
  fresh();
  setenv("CLQL_LEVEL_ZERO", "1", 1);
  clql_memory_report m = probe("arc-uuid");
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_LEVEL_ZERO);
  CU_ASSERT_EQUAL(m.free, 5000000000ULL); /* the system-memory module does not count */
  CU_ASSERT_TRUE(m.free_measured);
  /* Sysman needed the variable before zeInit; clql set it. */
  CU_ASSERT_STRING_EQUAL(getenv("ZES_ENABLE_SYSMAN"), "1");
  m = probe("arc-pci");
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_LEVEL_ZERO);
  CU_ASSERT_EQUAL(m.free, 5000000000ULL);
  unsetenv("CLQL_LEVEL_ZERO");
}

static void test_forced_counts_as_opt_in(void) {
  fresh();
  setenv("CLQL_MEM_SOURCE", "level-zero", 1);
  clql_memory_report m = probe("arc-uuid");
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_LEVEL_ZERO);
  CU_ASSERT_EQUAL(m.free, 5000000000ULL);
  unsetenv("CLQL_MEM_SOURCE");
}

static void test_failures(void) {
  fresh();
  setenv("CLQL_LEVEL_ZERO", "1", 1);
  clql_memory_report m = probe("elsewhere");
  CU_ASSERT_FALSE(m.free_known);
  CU_ASSERT_PTR_NOT_NULL(strstr(detail, "no Level Zero device"));
  setenv("FAKE_ZE_MODULES", "system:9000000000", 1);
  m = probe("arc-uuid");
  CU_ASSERT_FALSE(m.free_known);
  CU_ASSERT_PTR_NOT_NULL(strstr(detail, "no device-local memory module"));
  setenv("FAKE_ZE_MODULES", "device:4000000000", 1);
  setenv("FAKE_ZE_FAIL", "zesMemoryGetState:0x78000003", 1);
  m = probe("arc-uuid");
  CU_ASSERT_FALSE(m.free_known);
  CU_ASSERT_PTR_NOT_NULL(strstr(detail, "zesMemoryGetState: error 0x78000003"));
  unsetenv("FAKE_ZE_FAIL");
  setenv("FAKE_ZE_MODULES", "device:18446744073709551615,device:1", 1);
  m = probe("arc-uuid");
  CU_ASSERT_FALSE(m.free_known);
  CU_ASSERT_PTR_NOT_NULL(strstr(detail, "overflows"));
  setenv("FAKE_ZE_MODULES", "device:4000000000", 1);
  m = probe("arc-uuid");
  CU_ASSERT_EQUAL(m.free, 4000000000ULL);
  unsetenv("CLQL_LEVEL_ZERO");
}

static CU_TestInfo tests[] = {{"off_by_default", test_off_by_default},
                              {"sum_of_device_modules", test_sum_of_device_modules},
                              {"forced_counts_as_opt_in", test_forced_counts_as_opt_in},
                              {"failures", test_failures},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "level_zero", .pInitFunc = setup, .pCleanupFunc = clql_test_dir_cleanup, .pTests = tests},
    CU_SUITE_INFO_NULL};
