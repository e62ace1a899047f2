/* The NVML source through the stand-in libnvidia-ml.so.1 (tests/fakes/fake_nvml.c),
 * on recorded NVIDIA GPUs. NVML is initialised once per process, so each
 * suite runs as its own ctest entry with the library and failures chosen in
 * the environment:
 *   nvml              CLQL_NVML_LIBRARY = the stand-in (or found on LD_LIBRARY_PATH)
 *   nvml_v1           the stand-in without nvmlDeviceGetMemoryInfo_v2
 *   nvml_unavailable  nvmlInit_v2 failing, or no library at all */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

#define GIB (1ULL << 30)

static char profile[4096], call_log[4096];

static const char *const records =
    "[{\"id\": \"by-pci\", \"device_type\": \"GPU\", \"vendor_id\": \"0x10de\","
    "  \"global_mem_size\": 8589934592, \"max_mem_alloc_size\": 2147483648,"
    "  \"host_unified_memory\": false,"
    "  \"extensions\": \"cl_nv_device_attribute_query cl_khr_pci_bus_info cl_khr_device_uuid\","
    "  \"pci_bus_id\": \"0000:1a:00.0\", \"device_uuid\": \"20410a11-0f3a-3f04-33a2-f5d432cea4ac\"},"
    " {\"id\": \"by-uuid\", \"device_type\": \"GPU\", \"vendor_id\": \"0x10de\","
    "  \"global_mem_size\": 8589934592, \"device_uuid\": \"20410a11-0f3a-3f04-33a2-f5d432cea4ac\"},"
    " {\"id\": \"no-identity\", \"device_type\": \"GPU\", \"vendor_id\": \"0x10de\","
    "  \"global_mem_size_mib\": 24217},"
    " {\"id\": \"amd\", \"device_type\": \"GPU\", \"vendor_id\": \"0x1002\","
    "  \"global_mem_size\": 8589934592, \"pci_bus_id\": \"0000:1a:00.0\"}]";

static int setup_common(void) {
  clql_test_dir_init();
  clql_test_write_file(clql_test_dir, "nvidia.json", records);
  snprintf(profile, sizeof profile, "%s/nvidia.json", clql_test_dir);
  snprintf(call_log, sizeof call_log, "%s/calls.log", clql_test_dir);
  setenv("FAKE_NVML_LOG", call_log, 1);
  setenv("FAKE_NVML_PCI", "0000:1a:00.0", 1);
  setenv("FAKE_NVML_UUID", "GPU-20410a11-0f3a-3f04-33a2-f5d432cea4ac", 1);
  setenv("FAKE_NVML_FREE", "3000000000", 1);
  setenv("FAKE_NVML_TOTAL", "8589934592", 1);
  return 0;
}

static int setup(void) {
  unsetenv("FAKE_NVML_FAIL");
  return setup_common();
}

/* The nvml step of the trace. */
typedef struct {
  int answered;
  char detail[512];
} nvml_step;

static void keep_nvml(const char *source, int answered, const char *detail, void *user) {
  nvml_step *step = user;
  if (strcmp(source, "nvml") != 0) return;
  step->answered = answered;
  snprintf(step->detail, sizeof step->detail, "%s", detail);
}

static clql_memory_report probe(const char *id, nvml_step *step) {
  clql_memory_report m;
  memset(&m, 0, sizeof m);
  memset(step, 0, sizeof *step);
  CU_ASSERT_EQUAL(clql_profile_memory_trace(profile, id, &m, keep_nvml, step), CLQL_SUCCESS);
  return m;
}

/* How many lines of the stand-in's call log are exactly name. */
static int calls(const char *name) {
  FILE *f = fopen(call_log, "r");
  if (!f) return 0;
  char line[256];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    n += strcmp(line, name) == 0;
  }
  fclose(f);
  return n;
}

static void test_match_by_pci(void) {
  nvml_step step;
  clql_memory_report m = probe("by-pci", &step);
  CU_ASSERT_TRUE(step.answered);
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_NVML);
  CU_ASSERT_EQUAL(m.free, 3000000000ULL);
  CU_ASSERT_TRUE(m.free_known);
  CU_ASSERT_TRUE(m.free_measured);
  CU_ASSERT_EQUAL(m.total, 8 * GIB);
  CU_ASSERT_EQUAL(m.max_alloc, 2 * GIB);
  /* A GPU NVML does not know at that address: matched by UUID instead. */
  setenv("FAKE_NVML_PCI", "0000:1b:00.0", 1);
  m = probe("by-pci", &step);
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_NVML);
  setenv("FAKE_NVML_PCI", "0000:1a:00.0", 1);
  /* The public report of the same record says the same. */
  clql_device_info info;
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_profile_devices(profile, "by-pci", &info, 1, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(info.memory.free, 3000000000ULL);
  CU_ASSERT_EQUAL(info.memory.free_source, CLQL_MEM_SOURCE_NVML);
}

static void test_match_by_uuid(void) {
  nvml_step step;
  clql_memory_report m = probe("by-uuid", &step);
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_NVML);
  CU_ASSERT_EQUAL(m.free, 3000000000ULL);
  setenv("FAKE_NVML_UUID", "GPU-00000000-0f3a-3f04-33a2-f5d432cea4ac", 1);
  m = probe("by-uuid", &step);
  CU_ASSERT_FALSE(m.free_known);
  CU_ASSERT_PTR_NOT_NULL(strstr(step.detail, "nvmlDeviceGetHandleByUUID"));
  CU_ASSERT_PTR_NOT_NULL(strstr(step.detail, "GPU-20410a11-0f3a-3f04-33a2-f5d432cea4ac"));
  CU_ASSERT_PTR_NOT_NULL(strstr(step.detail, "Not Found"));
  setenv("FAKE_NVML_UUID", "GPU-20410a11-0f3a-3f04-33a2-f5d432cea4ac", 1);
}

static void test_not_matchable(void) {
  nvml_step step;
  clql_memory_report m = probe("no-identity", &step);
  CU_ASSERT_FALSE(m.free_known);
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_NONE);
  CU_ASSERT_PTR_NOT_NULL(strstr(step.detail, "no PCI address or UUID"));
  m = probe("amd", &step);
  CU_ASSERT_FALSE(m.free_known);
  CU_ASSERT_STRING_EQUAL(step.detail, "not an NVIDIA device");
}

static void test_clamped_to_total(void) {
  setenv("FAKE_NVML_FREE", "20000000000", 1);
  nvml_step step;
  clql_memory_report m = probe("by-pci", &step);
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_NVML);
  CU_ASSERT_EQUAL(m.free, 8 * GIB);
  setenv("FAKE_NVML_FREE", "3000000000", 1);
}

static char debug_log[4096];
static void keep_debug(clql_log_level level, const char *message, void *user) {
  (void)level, (void)user;
  size_t len = strlen(debug_log);
  snprintf(debug_log + len, sizeof debug_log - len, "%s\n", message);
}

static void test_every_error(void) {
  static const struct {
    int code;
    const char *text;
  } errors[] = {{1, "Uninitialized"},   {2, "Invalid Argument"},
                {3, "Not Supported"},   {4, "Insufficient Permissions"},
                {6, "Not Found"},       {9, "Driver Not Loaded"},
                {12, "NVML Shared Library Not Found"}, {13, "Function Not Found"},
                {15, "GPU is lost"},    {17, "Operating System Call Failed"},
                {18, "RM has detected an NVML/RM version mismatch."}, {999, "Unknown Error"}};
  /* The record's lookups fall back from PCI to UUID, so both fail at once. */
  static const struct {
    const char *named, *also, *id;
  } calls_to_fail[] = {
      {"nvmlDeviceGetHandleByPciBusId_v2", "nvmlDeviceGetHandleByUUID", "by-pci"},
      {"nvmlDeviceGetHandleByUUID", NULL, "by-uuid"},
      {"nvmlDeviceGetMemoryInfo", NULL, "by-pci"}};
  clql_set_log_callback(keep_debug, NULL, CLQL_LOG_DEBUG);
  for (size_t c = 0; c < sizeof calls_to_fail / sizeof calls_to_fail[0]; c++) {
    for (size_t e = 0; e < sizeof errors / sizeof errors[0]; e++) {
      char fail[256];
      const char *named = calls_to_fail[c].named, *also = calls_to_fail[c].also;
      if (also)
        snprintf(fail, sizeof fail, "%s:%d,%s:%d", named, errors[e].code, also, errors[e].code);
      else
        snprintf(fail, sizeof fail, "%s:%d", named, errors[e].code);
      setenv("FAKE_NVML_FAIL", fail, 1);
      debug_log[0] = '\0';
      nvml_step step;
      clql_memory_report m = probe(calls_to_fail[c].id, &step);
      CU_ASSERT_FALSE(m.free_known);
      CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_NONE);
      CU_ASSERT_EQUAL(m.free, 0);
      CU_ASSERT_FALSE(step.answered);
      CU_ASSERT_PTR_NOT_NULL(strstr(step.detail, calls_to_fail[c].named));
      CU_ASSERT_PTR_NOT_NULL(strstr(step.detail, errors[e].text));
      CU_ASSERT_PTR_NOT_NULL(strstr(debug_log, errors[e].text)); /* the name in the debug log */
    }
  }
  clql_set_log_callback(NULL, NULL, CLQL_LOG_OFF);
  unsetenv("FAKE_NVML_FAIL");
  nvml_step step;
  CU_ASSERT_EQUAL(probe("by-pci", &step).free_source, CLQL_MEM_SOURCE_NVML); /* recovers */
}

/* Initialised once however many devices are probed, shut down at unload:
 * clql-probe over the whole file, with the stand-in's call log. */
static void test_init_once_shutdown_at_exit(void) {
  char log[4096], cmd[16384];
  snprintf(log, sizeof log, "%s/tool.log", clql_test_dir);
  snprintf(cmd, sizeof cmd, "FAKE_NVML_LOG='%s' '%s' --profile '%s' >/dev/null 2>&1", log,
           getenv("CLQL_PROBE_BIN"), profile);
  int status = system(cmd);
  CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char saved[4096];
  snprintf(saved, sizeof saved, "%s", call_log);
  snprintf(call_log, sizeof call_log, "%s", log);
  CU_ASSERT_EQUAL(calls("nvmlInit_v2"), 1);
  CU_ASSERT_EQUAL(calls("nvmlShutdown"), 1);
  CU_ASSERT_EQUAL(calls("nvmlDeviceGetMemoryInfo_v2") + calls("nvmlDeviceGetMemoryInfo"), 2);
  snprintf(call_log, sizeof call_log, "%s", saved);
}

static void test_v1_memory_struct(void) {
  remove(call_log);
  nvml_step step;
  clql_memory_report m = probe("by-pci", &step);
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_NVML);
  CU_ASSERT_EQUAL(m.free, 3000000000ULL);
  CU_ASSERT_EQUAL(calls("nvmlDeviceGetMemoryInfo"), 1);
  CU_ASSERT_EQUAL(calls("nvmlDeviceGetMemoryInfo_v2"), 0);
}

static int setup_unavailable(void) { return setup_common(); }

/* Two ctest runs: the stand-in loads and nvmlInit_v2 fails (FAKE_NVML_FAIL
 * set, unit/nvml_init_fails), or there is no library (unit/nvml_missing). */
static void test_unavailable(void) {
  remove(call_log);
  const char *fail = getenv("FAKE_NVML_FAIL");
  int loads = fail && *fail;
  for (int i = 0; i < 3; i++) {
    nvml_step step;
    clql_memory_report m = probe("by-pci", &step);
    CU_ASSERT_FALSE(m.free_known);
    CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_NONE);
    CU_ASSERT_FALSE(step.answered);
    const char *want = loads ? "nvmlInit_v2: Driver Not Loaded (9)" : "cannot load";
    if (!strstr(step.detail, want)) printf("\n  expected '%s' in '%s'\n", want, step.detail);
    CU_ASSERT_PTR_NOT_NULL(strstr(step.detail, want));
  }
  CU_ASSERT_EQUAL(calls("nvmlInit_v2"), loads ? 1 : 0); /* tried once, never retried */
  CU_ASSERT_EQUAL(calls("nvmlShutdown"), 0);
}

static CU_TestInfo nvml_tests[] = {{"match_by_pci", test_match_by_pci},
                                   {"match_by_uuid", test_match_by_uuid},
                                   {"not_matchable", test_not_matchable},
                                   {"clamped_to_total", test_clamped_to_total},
                                   {"every_error", test_every_error},
                                   {"init_once_shutdown_at_exit", test_init_once_shutdown_at_exit},
                                   CU_TEST_INFO_NULL};
static CU_TestInfo v1_tests[] = {{"memory_struct_v1", test_v1_memory_struct}, CU_TEST_INFO_NULL};
static CU_TestInfo unavailable_tests[] = {{"unknown", test_unavailable}, CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "nvml", .pInitFunc = setup, .pCleanupFunc = clql_test_dir_cleanup, .pTests = nvml_tests},
    {.pName = "nvml_v1", .pInitFunc = setup, .pCleanupFunc = clql_test_dir_cleanup, .pTests = v1_tests},
    {.pName = "nvml_unavailable", .pInitFunc = setup_unavailable, .pCleanupFunc = clql_test_dir_cleanup,
     .pTests = unavailable_tests},
    CU_SUITE_INFO_NULL};
