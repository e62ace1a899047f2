/* Status tables and versions: no OpenCL needed. */
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

static void test_every_code_has_name_and_message(void) {
  static const int codes[] = {
#define CODE_(name, value, msg) value,
      CLQL_OPENCL_STATUS_LIST(CODE_) CLQL_OWN_STATUS_LIST(CODE_)
#undef CODE_
  };
  static const char *const names[] = {
#define NAME_(name, value, msg) #name,
      CLQL_OPENCL_STATUS_LIST(NAME_) CLQL_OWN_STATUS_LIST(NAME_)
#undef NAME_
  };
  size_t n = sizeof codes / sizeof codes[0];
  CU_ASSERT(n > 60);
  for (size_t i = 0; i < n; i++) {
    CU_ASSERT_STRING_EQUAL(clql_status_name(codes[i]), names[i]);
    const char *msg = clql_status_message(codes[i]);
    CU_ASSERT(msg && strlen(msg) > 3);
    CU_ASSERT_STRING_NOT_EQUAL(msg, clql_status_message(123456));
    for (size_t j = 0; j < i; j++) CU_ASSERT(codes[j] != codes[i]); /* values are unique */
  }
}

static void test_opencl_codes_pass_through(void) {
  CU_ASSERT_EQUAL(CLQL_STATUS_CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_MEM_OBJECT_ALLOCATION_FAILURE);
  CU_ASSERT_EQUAL(CLQL_STATUS_CL_OUT_OF_RESOURCES, CL_OUT_OF_RESOURCES);
  CU_ASSERT_EQUAL(CLQL_STATUS_CL_INVALID_VALUE, CL_INVALID_VALUE);
  CU_ASSERT_STRING_EQUAL(clql_status_name(CL_BUILD_PROGRAM_FAILURE), "CL_BUILD_PROGRAM_FAILURE");
  CU_ASSERT_STRING_EQUAL(clql_status_name(CLQL_SUCCESS), "CLQL_SUCCESS");
  CU_ASSERT(CLQL_ERR_INVALID_ARGUMENT <= -10000);
}

static void test_unknown_codes_are_static(void) {
  CU_ASSERT_STRING_EQUAL(clql_status_name(-9999), "CLQL_UNKNOWN_STATUS");
  CU_ASSERT_STRING_EQUAL(clql_status_name(77), "CLQL_UNKNOWN_STATUS");
  CU_ASSERT_PTR_EQUAL(clql_status_message(-9999), clql_status_message(4242));
}

static void test_version_header_matches_library(void) {
  CU_ASSERT_EQUAL(clql_version(), (unsigned)CLQL_VERSION_HEX);
  CU_ASSERT_EQUAL(clql_version() >> 16, (unsigned)CLQL_VERSION_MAJOR);
  CU_ASSERT_STRING_EQUAL(clql_version_string(), CLQL_VERSION_STRING);
  char expect[32];
  snprintf(expect, sizeof expect, "%d.%d.%d", CLQL_VERSION_MAJOR, CLQL_VERSION_MINOR,
           CLQL_VERSION_PATCH);
  CU_ASSERT_STRING_EQUAL(clql_version_string(), expect);
}

static void test_mem_source_names(void) {
  CU_ASSERT_STRING_EQUAL(clql_mem_source_name(CLQL_MEM_SOURCE_NONE), "none");
  CU_ASSERT_STRING_EQUAL(clql_mem_source_name(CLQL_MEM_SOURCE_HOST_MEMINFO), "host-meminfo");
  CU_ASSERT_STRING_EQUAL(clql_mem_source_name(CLQL_MEM_SOURCE_AMD_EXT), "amd-ext");
  CU_ASSERT_STRING_EQUAL(clql_mem_source_name(CLQL_MEM_SOURCE_CGROUP), "cgroup");
  CU_ASSERT_STRING_EQUAL(clql_mem_source_name((clql_mem_source)99), "unknown");
}

static CU_TestInfo status_tests[] = {
    {"every_code_has_name_and_message", test_every_code_has_name_and_message},
    {"opencl_codes_pass_through", test_opencl_codes_pass_through},
    {"unknown_codes_are_static", test_unknown_codes_are_static},
    {"version_header_matches_library", test_version_header_matches_library},
    {"mem_source_names", test_mem_source_names},
    CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "status", .pTests = status_tests},
                                   CU_SUITE_INFO_NULL};
