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

/* Text for a terminal: controls of every kind become '?', byte for byte. */
static void test_printable(void) {
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"plain name", "plain name"},
      {"\x1b]0;title\x07\x1b[2J", "?]0;title??[2J"},      /* OSC title, clear screen */
      {"a\x9b" "31mb", "a?31mb"},                           /* raw C1 CSI */
      {"a\xc2\x9b" "31mb", "a??31mb"},                       /* C1 CSI in UTF-8 */
      {"del\x7f", "del?"},
      {"tab\tnew\nline", "tab?new?line"},
      {"Radeon\xe2\x84\xa2 \xc3\xa9", "Radeon\xe2\x84\xa2 \xc3\xa9"}, /* UTF-8 kept */
      {"over\xc0\xaflong", "over??long"},
      {"surrogate\xed\xa0\x80", "surrogate???"},
      {"cut\xe2\x84", "cut??"},
      {"\xf4\x90\x80\x80", "????"}, /* beyond U+10FFFF */
  };
  char buf[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CU_ASSERT_EQUAL(clql_printable(cases[i].in, buf, sizeof buf, 0), strlen(cases[i].in));
    CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
  }
  CU_ASSERT_EQUAL(clql_printable("tab\tnew\nline\x1b", buf, sizeof buf, CLQL_PRINTABLE_KEEP_LINES),
                  13);
  CU_ASSERT_STRING_EQUAL(buf, "tab\tnew\nline?");
  /* ask the size, then pass the buffer; a cut falls on a character boundary */
  CU_ASSERT_EQUAL(clql_printable("a\xe2\x84\xa2", NULL, 0, 0), 4);
  CU_ASSERT_EQUAL(clql_printable("a\xe2\x84\xa2", buf, 4, 0), 4);
  CU_ASSERT_STRING_EQUAL(buf, "a");
  CU_ASSERT_EQUAL(clql_printable("abc", buf, 3, 0), 3);
  CU_ASSERT_STRING_EQUAL(buf, "ab");
  strcpy(buf, "in\x1bplace"); /* dst may be src */
  clql_printable(buf, buf, sizeof buf, 0);
  CU_ASSERT_STRING_EQUAL(buf, "in?place");
  CU_ASSERT_EQUAL(clql_printable(NULL, buf, sizeof buf, 0), 0);
  CU_ASSERT_STRING_EQUAL(buf, "");
}

static int logged;
static char last_log[256];
static void keep_log(clql_log_level level, const char *message, void *user) {
  (void)level, (void)user;
  logged++;
  snprintf(last_log, sizeof last_log, "%s", message);
}

/* Details and log lines go through the same function. */
static void test_details_and_log_printable(void) {
  clql_set_log_callback(keep_log, NULL, CLQL_LOG_DEBUG);
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_profile_devices("/nonexistent/\x1b[2J\xc2\x9b.json", NULL, NULL, 0, &n),
                  CLQL_ERR_IO);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "/nonexistent/?[2J??.json"));
  CU_ASSERT(logged > 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "?[2J??"));
  CU_ASSERT_PTR_NULL(strchr(last_log, 0x1b));
  clql_set_log_callback(NULL, NULL, CLQL_LOG_OFF);
}

static CU_TestInfo status_tests[] = {
    {"every_code_has_name_and_message", test_every_code_has_name_and_message},
    {"opencl_codes_pass_through", test_opencl_codes_pass_through},
    {"unknown_codes_are_static", test_unknown_codes_are_static},
    {"version_header_matches_library", test_version_header_matches_library},
    {"mem_source_names", test_mem_source_names},
    {"printable", test_printable},
    {"details_and_log_printable", test_details_and_log_printable},
    CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "status", .pTests = status_tests},
                                   CU_SUITE_INFO_NULL};
