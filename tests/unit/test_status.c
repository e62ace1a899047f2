/* Status tables and versions: no OpenCL needed. */
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

/* Every status of include/clql/status.h, written out here rather than taken
 * from its X-macro lists: the enum constant, its value, its name and how its
 * message begins. */
static const struct {
  clql_status status;
  int value;
  const char *name, *message_prefix;
} expected_statuses[] = {
      {CLQL_SUCCESS, 0, "CLQL_SUCCESS", "success"},
      {CLQL_STATUS_CL_DEVICE_NOT_FOUND, -1, "CL_DEVICE_NOT_FOUND", "no OpenCL device"},
      {CLQL_STATUS_CL_DEVICE_NOT_AVAILABLE, -2, "CL_DEVICE_NOT_AVAILABLE", "OpenCL device not"},
      {CLQL_STATUS_CL_COMPILER_NOT_AVAILABLE, -3,
       "CL_COMPILER_NOT_AVAILABLE", "OpenCL compiler not"},
      {CLQL_STATUS_CL_MEM_OBJECT_ALLOCATION_FAILURE, -4,
       "CL_MEM_OBJECT_ALLOCATION_FAILURE", "device memory allocation"},
      {CLQL_STATUS_CL_OUT_OF_RESOURCES, -5, "CL_OUT_OF_RESOURCES", "device out of"},
      {CLQL_STATUS_CL_OUT_OF_HOST_MEMORY, -6, "CL_OUT_OF_HOST_MEMORY", "OpenCL runtime out"},
      {CLQL_STATUS_CL_PROFILING_INFO_NOT_AVAILABLE, -7,
       "CL_PROFILING_INFO_NOT_AVAILABLE", "profiling information not"},
      {CLQL_STATUS_CL_MEM_COPY_OVERLAP, -8, "CL_MEM_COPY_OVERLAP", "overlapping memory copy"},
      {CLQL_STATUS_CL_IMAGE_FORMAT_MISMATCH, -9,
       "CL_IMAGE_FORMAT_MISMATCH", "image format mismatch"},
      {CLQL_STATUS_CL_IMAGE_FORMAT_NOT_SUPPORTED, -10,
       "CL_IMAGE_FORMAT_NOT_SUPPORTED", "image format not"},
      {CLQL_STATUS_CL_BUILD_PROGRAM_FAILURE, -11,
       "CL_BUILD_PROGRAM_FAILURE", "OpenCL program build"},
      {CLQL_STATUS_CL_MAP_FAILURE, -12, "CL_MAP_FAILURE", "memory map failed"},
      {CLQL_STATUS_CL_MISALIGNED_SUB_BUFFER_OFFSET, -13,
       "CL_MISALIGNED_SUB_BUFFER_OFFSET", "misaligned sub-buffer offset"},
      {CLQL_STATUS_CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST, -14,
       "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST", "an event in"},
      {CLQL_STATUS_CL_COMPILE_PROGRAM_FAILURE, -15,
       "CL_COMPILE_PROGRAM_FAILURE", "OpenCL program compilation"},
      {CLQL_STATUS_CL_LINKER_NOT_AVAILABLE, -16, "CL_LINKER_NOT_AVAILABLE", "OpenCL linker not"},
      {CLQL_STATUS_CL_LINK_PROGRAM_FAILURE, -17, "CL_LINK_PROGRAM_FAILURE", "OpenCL program link"},
      {CLQL_STATUS_CL_DEVICE_PARTITION_FAILED, -18,
       "CL_DEVICE_PARTITION_FAILED", "device partition failed"},
      {CLQL_STATUS_CL_KERNEL_ARG_INFO_NOT_AVAILABLE, -19,
       "CL_KERNEL_ARG_INFO_NOT_AVAILABLE", "kernel argument info"},
      {CLQL_STATUS_CL_INVALID_VALUE, -30, "CL_INVALID_VALUE", "invalid value passed"},
      {CLQL_STATUS_CL_INVALID_DEVICE_TYPE, -31, "CL_INVALID_DEVICE_TYPE", "invalid OpenCL device"},
      {CLQL_STATUS_CL_INVALID_PLATFORM, -32, "CL_INVALID_PLATFORM", "invalid OpenCL platform"},
      {CLQL_STATUS_CL_INVALID_DEVICE, -33, "CL_INVALID_DEVICE", "invalid OpenCL device"},
      {CLQL_STATUS_CL_INVALID_CONTEXT, -34, "CL_INVALID_CONTEXT", "invalid OpenCL context"},
      {CLQL_STATUS_CL_INVALID_QUEUE_PROPERTIES, -35,
       "CL_INVALID_QUEUE_PROPERTIES", "invalid command-queue properties"},
      {CLQL_STATUS_CL_INVALID_COMMAND_QUEUE, -36,
       "CL_INVALID_COMMAND_QUEUE", "invalid OpenCL command"},
      {CLQL_STATUS_CL_INVALID_HOST_PTR, -37, "CL_INVALID_HOST_PTR", "invalid host pointer"},
      {CLQL_STATUS_CL_INVALID_MEM_OBJECT, -38, "CL_INVALID_MEM_OBJECT", "invalid OpenCL memory"},
      {CLQL_STATUS_CL_INVALID_IMAGE_FORMAT_DESCRIPTOR, -39,
       "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", "invalid image format"},
      {CLQL_STATUS_CL_INVALID_IMAGE_SIZE, -40, "CL_INVALID_IMAGE_SIZE", "invalid image size"},
      {CLQL_STATUS_CL_INVALID_SAMPLER, -41, "CL_INVALID_SAMPLER", "invalid sampler"},
      {CLQL_STATUS_CL_INVALID_BINARY, -42, "CL_INVALID_BINARY", "invalid program binary"},
      {CLQL_STATUS_CL_INVALID_BUILD_OPTIONS, -43,
       "CL_INVALID_BUILD_OPTIONS", "invalid program build"},
      {CLQL_STATUS_CL_INVALID_PROGRAM, -44, "CL_INVALID_PROGRAM", "invalid OpenCL program"},
      {CLQL_STATUS_CL_INVALID_PROGRAM_EXECUTABLE, -45,
       "CL_INVALID_PROGRAM_EXECUTABLE", "program not built"},
      {CLQL_STATUS_CL_INVALID_KERNEL_NAME, -46, "CL_INVALID_KERNEL_NAME", "no kernel of"},
      {CLQL_STATUS_CL_INVALID_KERNEL_DEFINITION, -47,
       "CL_INVALID_KERNEL_DEFINITION", "invalid kernel definition"},
      {CLQL_STATUS_CL_INVALID_KERNEL, -48, "CL_INVALID_KERNEL", "invalid OpenCL kernel"},
      {CLQL_STATUS_CL_INVALID_ARG_INDEX, -49, "CL_INVALID_ARG_INDEX", "invalid kernel argument"},
      {CLQL_STATUS_CL_INVALID_ARG_VALUE, -50, "CL_INVALID_ARG_VALUE", "invalid kernel argument"},
      {CLQL_STATUS_CL_INVALID_ARG_SIZE, -51, "CL_INVALID_ARG_SIZE", "invalid kernel argument"},
      {CLQL_STATUS_CL_INVALID_KERNEL_ARGS, -52, "CL_INVALID_KERNEL_ARGS", "kernel arguments not"},
      {CLQL_STATUS_CL_INVALID_WORK_DIMENSION, -53,
       "CL_INVALID_WORK_DIMENSION", "invalid work dimension"},
      {CLQL_STATUS_CL_INVALID_WORK_GROUP_SIZE, -54,
       "CL_INVALID_WORK_GROUP_SIZE", "invalid work-group size"},
      {CLQL_STATUS_CL_INVALID_WORK_ITEM_SIZE, -55,
       "CL_INVALID_WORK_ITEM_SIZE", "invalid work-item size"},
      {CLQL_STATUS_CL_INVALID_GLOBAL_OFFSET, -56,
       "CL_INVALID_GLOBAL_OFFSET", "invalid global offset"},
      {CLQL_STATUS_CL_INVALID_EVENT_WAIT_LIST, -57,
       "CL_INVALID_EVENT_WAIT_LIST", "invalid event wait"},
      {CLQL_STATUS_CL_INVALID_EVENT, -58, "CL_INVALID_EVENT", "invalid event"},
      {CLQL_STATUS_CL_INVALID_OPERATION, -59, "CL_INVALID_OPERATION", "invalid OpenCL operation"},
      {CLQL_STATUS_CL_INVALID_GL_OBJECT, -60, "CL_INVALID_GL_OBJECT", "invalid GL object"},
      {CLQL_STATUS_CL_INVALID_BUFFER_SIZE, -61, "CL_INVALID_BUFFER_SIZE", "invalid buffer size"},
      {CLQL_STATUS_CL_INVALID_MIP_LEVEL, -62, "CL_INVALID_MIP_LEVEL", "invalid mip level"},
      {CLQL_STATUS_CL_INVALID_GLOBAL_WORK_SIZE, -63,
       "CL_INVALID_GLOBAL_WORK_SIZE", "invalid global work"},
      {CLQL_STATUS_CL_INVALID_PROPERTY, -64, "CL_INVALID_PROPERTY", "invalid property"},
      {CLQL_STATUS_CL_INVALID_IMAGE_DESCRIPTOR, -65,
       "CL_INVALID_IMAGE_DESCRIPTOR", "invalid image descriptor"},
      {CLQL_STATUS_CL_INVALID_COMPILER_OPTIONS, -66,
       "CL_INVALID_COMPILER_OPTIONS", "invalid compiler options"},
      {CLQL_STATUS_CL_INVALID_LINKER_OPTIONS, -67,
       "CL_INVALID_LINKER_OPTIONS", "invalid linker options"},
      {CLQL_STATUS_CL_INVALID_DEVICE_PARTITION_COUNT, -68,
       "CL_INVALID_DEVICE_PARTITION_COUNT", "invalid device partition"},
      {CLQL_STATUS_CL_PLATFORM_NOT_FOUND_KHR, -1001,
       "CL_PLATFORM_NOT_FOUND_KHR", "no OpenCL platform"},
      {CLQL_ERR_INVALID_ARGUMENT, -10000, "CLQL_ERR_INVALID_ARGUMENT", "invalid argument"},
      {CLQL_ERR_OUT_OF_HOST_MEMORY, -10001, "CLQL_ERR_OUT_OF_HOST_MEMORY", "out of host"},
      {CLQL_ERR_SIZE_OVERFLOW, -10002, "CLQL_ERR_SIZE_OVERFLOW", "size computation overflows"},
      {CLQL_ERR_NO_PLATFORM, -10003, "CLQL_ERR_NO_PLATFORM", "no OpenCL platform"},
      {CLQL_ERR_NO_DEVICE, -10004, "CLQL_ERR_NO_DEVICE", "no OpenCL device"},
      {CLQL_ERR_BAD_SELECTOR, -10005, "CLQL_ERR_BAD_SELECTOR", "malformed device selector"},
      {CLQL_ERR_BUFFER_TOO_SMALL, -10006, "CLQL_ERR_BUFFER_TOO_SMALL", "caller buffer too"},
      {CLQL_ERR_KERNEL_BUILD, -10007, "CLQL_ERR_KERNEL_BUILD", "OpenCL kernel build"},
      {CLQL_ERR_KERNEL_SOURCE, -10008, "CLQL_ERR_KERNEL_SOURCE", "kernel source not"},
      {CLQL_ERR_IO, -10009, "CLQL_ERR_IO", "file could not"},
      {CLQL_ERR_PARSE, -10010, "CLQL_ERR_PARSE", "malformed input"},
      {CLQL_ERR_UNSUPPORTED, -10011, "CLQL_ERR_UNSUPPORTED", "not supported on"},
      {CLQL_ERR_WORKSPACE_TOO_SMALL, -10012,
       "CLQL_ERR_WORKSPACE_TOO_SMALL", "workspace smaller than"},
      {CLQL_ERR_DOES_NOT_FIT, -10013, "CLQL_ERR_DOES_NOT_FIT", "does not fit"},
      {CLQL_ERR_INVALID_SHAPE, -10014, "CLQL_ERR_INVALID_SHAPE", "invalid or misaligned"},
      {CLQL_ERR_INVALID_QTYPE, -10015, "CLQL_ERR_INVALID_QTYPE", "unknown quantization type"},
      {CLQL_ERR_INVALID_WEIGHTS, -10016, "CLQL_ERR_INVALID_WEIGHTS", "weight value outside"},
      {CLQL_ERR_OUT_OF_DEVICE_MEMORY, -10017,
       "CLQL_ERR_OUT_OF_DEVICE_MEMORY", "device memory exhausted"},
      {CLQL_ERR_NOT_FOUND, -10018, "CLQL_ERR_NOT_FOUND", "requested item not"},
      {CLQL_ERR_INVALID_CONFIG, -10019, "CLQL_ERR_INVALID_CONFIG", "invalid configuration value"},
      {CLQL_ERR_INTERNAL, -10020, "CLQL_ERR_INTERNAL", "internal error"},
};

/* The header's lists, counted (and nothing else taken from them). */
#define COUNT_ONE_(name, value, msg) +1
enum { header_status_count = 1 /* CLQL_SUCCESS */ + 0 CLQL_OPENCL_STATUS_LIST(COUNT_ONE_)
                                 CLQL_OWN_STATUS_LIST(COUNT_ONE_) };
#undef COUNT_ONE_

static void test_every_code_has_name_and_message(void) {
  size_t n = sizeof expected_statuses / sizeof expected_statuses[0];
  /* a status added to the header without a row here fails */
  CU_ASSERT_EQUAL(n, (size_t)header_status_count);
  CU_ASSERT_EQUAL(n, 81);
  for (size_t i = 0; i < n; i++) {
    int value = expected_statuses[i].value;
    CU_ASSERT_EQUAL((int)expected_statuses[i].status, value);
    CU_ASSERT_STRING_EQUAL(clql_status_name(value), expected_statuses[i].name);
    const char *msg = clql_status_message(value);
    const char *prefix = expected_statuses[i].message_prefix;
    CU_ASSERT_FATAL(msg != NULL);
    CU_ASSERT_NSTRING_EQUAL(msg, prefix, strlen(prefix));
    for (size_t j = 0; j < i; j++) CU_ASSERT(expected_statuses[j].value != value); /* unique */
  }
  /* and every value in the header's lists has its row */
  static const int listed[] = {
#define VALUE_(name, value, msg) value,
      CLQL_OPENCL_STATUS_LIST(VALUE_) CLQL_OWN_STATUS_LIST(VALUE_)
#undef VALUE_
  };
  for (size_t k = 0; k < sizeof listed / sizeof listed[0]; k++) {
    size_t i = 0;
    while (i < n && expected_statuses[i].value != listed[k]) i++;
    CU_ASSERT(i < n);
  }
  CU_ASSERT_STRING_EQUAL(clql_status_message(123456), "unknown status code");
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
