/* Host-memory source against fake /proc and /sys trees. */
#include <string.h>
#include <sys/stat.h>
#include "../../probes/probe.h"
#include "runner.h"

const int clql_test_needs_device = 0;

static char *root;
static clql_config *cfg; /* the fake roots, as a context would read them */

static int setup(void) {
  root = clql_test_mkdtemp();
  char buf[4096];
  snprintf(buf, sizeof buf, "%s/proc", root);
  setenv("CLQL_PROC_ROOT", buf, 1);
  snprintf(buf, sizeof buf, "%s/sys", root);
  setenv("CLQL_SYSFS_ROOT", buf, 1);
  return clql_config_from_env(&cfg) == CLQL_SUCCESS ? 0 : 1;
}

static int teardown(void) {
  clql_test_rmtree(root);
  free(root);
  unsetenv("CLQL_PROC_ROOT");
  unsetenv("CLQL_SYSFS_ROOT");
  clql_config_destroy(cfg);
  return 0;
}

/* Start every test from an empty tree. */
static void reset(void) {
  clql_test_rmtree(root);
  mkdir(root, 0755);
}

static const char *meminfo(const char *avail_line) {
  static char text[512];
  snprintf(text, sizeof text,
           "MemTotal:       24523456 kB\nMemFree:        20000000 kB\n%s\nBuffers: 1 kB\n",
           avail_line);
  return text;
}

static void test_meminfo(void) {
  reset();
  cl_ulong v = 0;
  CU_ASSERT_FALSE(clql_host_mem_available(cfg, &v)); /* missing file */
  clql_test_write_file(root, "proc/meminfo", meminfo("MemAvailable:   21000000 kB"));
  CU_ASSERT_TRUE(clql_host_mem_available(cfg, &v));
  CU_ASSERT_EQUAL(v, 21000000ULL * 1024);
  clql_test_write_file(root, "proc/meminfo", meminfo("MemAvailable:   12x4 kB"));
  CU_ASSERT_FALSE(clql_host_mem_available(cfg, &v));
  clql_test_write_file(root, "proc/meminfo", meminfo("MemAvailable:   1234 MB"));
  CU_ASSERT_FALSE(clql_host_mem_available(cfg, &v));
  clql_test_write_file(root, "proc/meminfo", meminfo("MemAvailable:   kB"));
  CU_ASSERT_FALSE(clql_host_mem_available(cfg, &v));
  /* 2^64 kB overflows once multiplied by 1024, and the number itself overflows here. */
  clql_test_write_file(root, "proc/meminfo", meminfo("MemAvailable: 18014398509481984 kB"));
  CU_ASSERT_FALSE(clql_host_mem_available(cfg, &v));
  clql_test_write_file(root, "proc/meminfo", meminfo("MemAvailable: 99999999999999999999999 kB"));
  CU_ASSERT_FALSE(clql_host_mem_available(cfg, &v));
  clql_test_write_file(root, "proc/meminfo", "MemTotal: 5 kB\n");
  CU_ASSERT_FALSE(clql_host_mem_available(cfg, &v));
}

static void test_cgroup_v2(void) {
  reset();
  cl_ulong v = 0;
  clql_test_write_file(root, "proc/self/cgroup", "0::/user.slice/job\n");
  CU_ASSERT_FALSE(clql_host_cgroup_free(cfg, &v)); /* no cgroup files at all */
  clql_test_write_file(root, "sys/fs/cgroup/user.slice/job/memory.max", "max\n");
  clql_test_write_file(root, "sys/fs/cgroup/user.slice/job/memory.current", "1000\n");
  CU_ASSERT_FALSE(clql_host_cgroup_free(cfg, &v)); /* unlimited */
  clql_test_write_file(root, "sys/fs/cgroup/user.slice/memory.max", "8589934592\n");
  clql_test_write_file(root, "sys/fs/cgroup/user.slice/memory.current", "1073741824\n");
  CU_ASSERT_TRUE(clql_host_cgroup_free(cfg, &v)); /* the parent limits */
  CU_ASSERT_EQUAL(v, 8589934592ULL - 1073741824ULL);
  clql_test_write_file(root, "sys/fs/cgroup/user.slice/job/memory.max", "2147483648\n");
  CU_ASSERT_TRUE(clql_host_cgroup_free(cfg, &v)); /* the tighter child wins */
  CU_ASSERT_EQUAL(v, 2147483648ULL - 1000);
  clql_test_write_file(root, "sys/fs/cgroup/user.slice/job/memory.current", "4294967296\n");
  CU_ASSERT_TRUE(clql_host_cgroup_free(cfg, &v)); /* usage above limit: nothing free */
  CU_ASSERT_EQUAL(v, 0);
  clql_test_write_file(root, "sys/fs/cgroup/user.slice/job/memory.max", "lots\n");
  clql_test_write_file(root, "sys/fs/cgroup/user.slice/memory.max", "184467440737095516160\n");
  CU_ASSERT_FALSE(clql_host_cgroup_free(cfg, &v)); /* garbage and overflow are ignored */
}

static void test_cgroup_v1(void) {
  reset();
  cl_ulong v = 0;
  clql_test_write_file(root, "proc/self/cgroup", "12:cpuset:/\n5:memory:/docker/abc\n");
  clql_test_write_file(root, "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes",
                       "9223372036854771712\n");
  clql_test_write_file(root, "sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", "5\n");
  CU_ASSERT_FALSE(clql_host_cgroup_free(cfg, &v)); /* v1 "unlimited" */
  clql_test_write_file(root, "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes",
                       "1073741824\n");
  CU_ASSERT_TRUE(clql_host_cgroup_free(cfg, &v));
  CU_ASSERT_EQUAL(v, 1073741819ULL);
}

/* The whole host source through the probe interface, as a CPU device sees it. */
static cl_int no_query(const clql_probe_target *t, cl_device_info p, size_t s, void *v, size_t *r) {
  (void)t, (void)p, (void)s, (void)v, (void)r;
  return CL_INVALID_VALUE;
}

static void test_host_source(void) {
  reset();
  clql_probe_target t = {.type = CL_DEVICE_TYPE_CPU, .total = 4ULL << 30, .max_alloc = 1ULL << 30,
                         .extensions = "", .query = no_query};
  clql_memory_report rep;
  clql_probe_run(&t, &rep, NULL, NULL);
  CU_ASSERT_FALSE(rep.free_known);
  CU_ASSERT_EQUAL(rep.free_source, CLQL_MEM_SOURCE_NONE);
  CU_ASSERT_EQUAL(rep.total, 4ULL << 30);
  CU_ASSERT_EQUAL(rep.max_alloc, 1ULL << 30);

  clql_test_write_file(root, "proc/meminfo", meminfo("MemAvailable: 1048576 kB"));
  clql_probe_run(&t, &rep, NULL, NULL);
  CU_ASSERT_TRUE(rep.free_known);
  CU_ASSERT_TRUE(rep.free_measured);
  CU_ASSERT_EQUAL(rep.free_source, CLQL_MEM_SOURCE_HOST_MEMINFO);
  CU_ASSERT_EQUAL(rep.free, 1ULL << 30);

  clql_test_write_file(root, "proc/self/cgroup", "0::/\n");
  clql_test_write_file(root, "sys/fs/cgroup/memory.max", "536870912\n");
  clql_test_write_file(root, "sys/fs/cgroup/memory.current", "0\n");
  clql_probe_run(&t, &rep, NULL, NULL);
  CU_ASSERT_EQUAL(rep.free_source, CLQL_MEM_SOURCE_CGROUP);
  CU_ASSERT_EQUAL(rep.free, 512ULL << 20);

  /* More available than the device has: clamped to total. */
  clql_test_write_file(root, "sys/fs/cgroup/memory.max", "max\n");
  clql_test_write_file(root, "proc/meminfo", meminfo("MemAvailable: 16777216 kB"));
  clql_probe_run(&t, &rep, NULL, NULL);
  CU_ASSERT_EQUAL(rep.free_source, CLQL_MEM_SOURCE_HOST_MEMINFO);
  CU_ASSERT_EQUAL(rep.free, 4ULL << 30);

  /* A discrete GPU never takes host memory as its free figure. */
  t.type = CL_DEVICE_TYPE_GPU;
  clql_probe_run(&t, &rep, NULL, NULL);
  CU_ASSERT_FALSE(rep.free_known);
  t.host_unified_memory = 1; /* an integrated GPU does */
  clql_probe_run(&t, &rep, NULL, NULL);
  CU_ASSERT_TRUE(rep.free_known);
}

/* The roots come from the environment: a path that climbs out of the cgroup
 * tree, or a root too long for a path, reads nothing at all. */
static void test_untrusted_paths(void) {
  reset();
  cl_ulong v = 0;
  clql_test_write_file(root, "sys/fs/memory.max", "1000\n");
  clql_test_write_file(root, "sys/fs/memory.current", "10\n");
  clql_test_write_file(root, "proc/self/cgroup", "0::/..\n");
  CU_ASSERT_FALSE(clql_host_cgroup_free(cfg, &v));
  clql_test_write_file(root, "proc/self/cgroup", "0::/a/../..\n");
  CU_ASSERT_FALSE(clql_host_cgroup_free(cfg, &v));
  clql_test_write_file(root, "sys/fs/cgroup/a..b/memory.max", "1000\n");
  clql_test_write_file(root, "sys/fs/cgroup/a..b/memory.current", "10\n");
  clql_test_write_file(root, "proc/self/cgroup", "0::/a..b\n");
  CU_ASSERT_TRUE(clql_host_cgroup_free(cfg, &v)); /* ".." inside a name is fine */
  CU_ASSERT_EQUAL(v, 990);

  static char longroot[8192];
  memset(longroot, 'x', sizeof longroot - 1);
  longroot[0] = '/';
  clql_config *lc = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_config_copy(cfg, &lc), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(clql_config_set(lc, "CLQL_PROC_ROOT", longroot), CLQL_SUCCESS);
  CU_ASSERT_FALSE(clql_host_mem_available(lc, &v));
  CU_ASSERT_FALSE(clql_host_cgroup_free(lc, &v));
  clql_config_destroy(lc);
}

static CU_TestInfo hostmem_tests[] = {{"meminfo", test_meminfo},
                                      {"untrusted_paths", test_untrusted_paths},
                                      {"cgroup_v2", test_cgroup_v2},
                                      {"cgroup_v1", test_cgroup_v1},
                                      {"host_source", test_host_source},
                                      CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "hostmem", .pInitFunc = setup, .pCleanupFunc = teardown, .pTests = hostmem_tests},
    CU_SUITE_INFO_NULL};
