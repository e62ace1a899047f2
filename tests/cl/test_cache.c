/* The per-device cache of memory reports on the PoCL device: hits within
 * CLQL_PROBE_TTL_MS, refresh, TTL 0, a bad TTL, and many threads. The host
 * source reads a fake /proc whose MemAvailable the tests change, so a stale
 * answer is visible. */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;

#define MIB (1ULL << 20)

static char *root;
static cl_device_id device;

static void set_available(cl_ulong bytes) {
  char text[128];
  snprintf(text, sizeof text, "MemTotal: 99999999 kB\nMemAvailable: %llu kB\n",
           (unsigned long long)(bytes / 1024));
  clql_test_write_file(root, "proc/meminfo", text);
}

static int setup(void) {
  root = clql_test_mkdtemp();
  char path[4096];
  snprintf(path, sizeof path, "%s/proc", root);
  setenv("CLQL_PROC_ROOT", path, 1);
  snprintf(path, sizeof path, "%s/sys", root);
  setenv("CLQL_SYSFS_ROOT", path, 1); /* no cgroup limit */
  set_available(64 * MIB);
  clql_device_info info;
  if (clql_device_select(NULL, &info) != CLQL_SUCCESS) return 1;
  device = info.device;
  /* The fake values must be below the device's total to be seen unclamped. */
  return !(info.type & CL_DEVICE_TYPE_CPU) || info.memory.total <= 64 * MIB;
}

static int teardown(void) {
  clql_test_rmtree(root);
  free(root);
  unsetenv("CLQL_PROBE_TTL_MS");
  return 0;
}

static cl_ulong cached(void) {
  clql_memory_report m;
  CU_ASSERT_EQUAL(clql_device_memory(device, &m), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(m.free_source, CLQL_MEM_SOURCE_HOST_MEMINFO);
  return m.free;
}

static cl_ulong refreshed(void) {
  clql_memory_report m;
  CU_ASSERT_EQUAL(clql_device_memory_refresh(device, &m), CLQL_SUCCESS);
  return m.free;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_ttl_and_refresh(void) {
  setenv("CLQL_PROBE_TTL_MS", "60000", 1);
  set_available(64 * MIB);
  CU_ASSERT_EQUAL(refreshed(), 64 * MIB);
  set_available(32 * MIB);
  CU_ASSERT_EQUAL(cached(), 64 * MIB); /* within the TTL: the cached figure */
  clql_device_info info;
  CU_ASSERT_EQUAL(clql_device_select(NULL, &info), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(info.memory.free, 64 * MIB); /* enumeration shares the cache */
  CU_ASSERT_EQUAL(refreshed(), 32 * MIB);
  CU_ASSERT_EQUAL(cached(), 32 * MIB); /* refresh updated the cache */
  clql_memory_report m;
  CU_ASSERT_EQUAL(clql_device_memory(NULL, &m), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_device_memory_refresh(device, NULL), CLQL_ERR_INVALID_ARGUMENT);
}

static void test_ttl_expires(void) {
  setenv("CLQL_PROBE_TTL_MS", "100", 1);
  set_available(64 * MIB);
  CU_ASSERT_EQUAL(refreshed(), 64 * MIB);
  set_available(48 * MIB);
  sleep_ms(250);
  CU_ASSERT_EQUAL(cached(), 48 * MIB);
}

static void test_ttl_zero(void) {
  setenv("CLQL_PROBE_TTL_MS", "0", 1);
  set_available(64 * MIB);
  CU_ASSERT_EQUAL(cached(), 64 * MIB);
  set_available(16 * MIB);
  CU_ASSERT_EQUAL(cached(), 16 * MIB); /* no cache at all */
}

/* A bad value is an error naming it, from every call that reads it; never
 * a warning and a default. */
static void test_bad_ttl(void) {
  const char *bad[] = {"soon", "-1", "1.5", "100ms", "86400001"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("CLQL_PROBE_TTL_MS", bad[i], 1);
    clql_memory_report m;
    CU_ASSERT_EQUAL(clql_device_memory(device, &m), CLQL_ERR_INVALID_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "CLQL_PROBE_TTL_MS"));
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), bad[i]));
    CU_ASSERT_EQUAL(clql_device_memory_refresh(device, &m), CLQL_ERR_INVALID_CONFIG);
    clql_context *ctx = (clql_context *)&m;
    CU_ASSERT_EQUAL(clql_context_create(NULL, NULL, &ctx), CLQL_ERR_INVALID_CONFIG);
    CU_ASSERT_PTR_NULL(ctx);
  }
  unsetenv("CLQL_PROBE_TTL_MS");
}

/* Readers and refreshers at once; every answer is one of the two figures. */
static int bad_answers;
static pthread_mutex_t bad_lock = PTHREAD_MUTEX_INITIALIZER;

static void *hammer(void *arg) {
  int refresher = arg != NULL;
  for (int i = 0; i < 400; i++) {
    clql_memory_report m;
    clql_status st = refresher ? clql_device_memory_refresh(device, &m)
                               : clql_device_memory(device, &m);
    if (st != CLQL_SUCCESS || (m.free != 64 * MIB && m.free != 32 * MIB)) {
      pthread_mutex_lock(&bad_lock);
      bad_answers++;
      pthread_mutex_unlock(&bad_lock);
    }
  }
  return NULL;
}

static void test_threads(void) {
  setenv("CLQL_PROBE_TTL_MS", "1", 1);
  set_available(64 * MIB);
  clql_test_write_file(root, "proc/meminfo.b", "MemAvailable: 32768 kB\n");
  pthread_t threads[6];
  for (int i = 0; i < 6; i++)
    CLQL_REQUIRE(pthread_create(&threads[i], NULL, hammer, i < 2 ? (void *)1 : NULL) == 0);
  /* Swap the file atomically meanwhile, so readers never see half a file. */
  char a[4096], b[4096];
  snprintf(a, sizeof a, "%s/proc/meminfo", root);
  snprintf(b, sizeof b, "%s/proc/meminfo.b", root);
  CU_ASSERT_EQUAL(rename(b, a), 0);
  for (int i = 0; i < 6; i++) pthread_join(threads[i], NULL);
  CU_ASSERT_EQUAL(bad_answers, 0);
  CU_ASSERT_EQUAL(refreshed(), 32 * MIB);
}

static CU_TestInfo tests[] = {{"ttl_and_refresh", test_ttl_and_refresh},
                              {"ttl_expires", test_ttl_expires},
                              {"ttl_zero", test_ttl_zero},
                              {"bad_ttl", test_bad_ttl},
                              {"threads", test_threads},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "memory_cache", .pInitFunc = setup, .pCleanupFunc = teardown, .pTests = tests},
    CU_SUITE_INFO_NULL};
