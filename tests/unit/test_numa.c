/* NUMA locality of PCI devices against a fake sysfs tree and synthetic hwloc
 * topologies (HWLOC_SYNTHETIC), so nothing depends on this machine. */
#include <string.h>
#include <sys/stat.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

static const clql_pci_address gpu = {0, 0x3b, 0, 0};

static int setup(void) {
  clql_test_dir_init();
  setenv("CLQL_SYSFS_ROOT", clql_test_dir, 1);
  setenv("HWLOC_SYNTHETIC", "numa:2(memory=1073741824) pu:2", 1);
  return 0;
}

static int teardown(void) {
  unsetenv("CLQL_SYSFS_ROOT");
  unsetenv("HWLOC_SYNTHETIC");
  return clql_test_dir_cleanup();
}

static void device_files(const char *node, const char *cpus) {
  clql_test_rmtree(clql_test_dir);
  mkdir(clql_test_dir, 0755);
  const char *dev = "bus/pci/devices/0000:3b:00.0";
  char path[256];
  snprintf(path, sizeof path, "%s/vendor", dev);
  clql_test_write_file(clql_test_dir, path, "0x10de\n");
  snprintf(path, sizeof path, "%s/numa_node", dev);
  if (node) clql_test_write_file(clql_test_dir, path, node);
  snprintf(path, sizeof path, "%s/local_cpulist", dev);
  if (cpus) clql_test_write_file(clql_test_dir, path, cpus);
}

static void test_node_from_sysfs(void) {
  device_files("1\n", "2-3\n");
  clql_numa_info n;
  CLQL_REQUIRE(clql_pci_numa(&gpu, &n) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n.node, 1);
  CU_ASSERT_STRING_EQUAL(n.cpuset, "2-3");
  CU_ASSERT_EQUAL(n.memory, 1073741824ULL);
  device_files("1\n", NULL); /* the CPU list then comes from hwloc */
  CLQL_REQUIRE(clql_pci_numa(&gpu, &n) == CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(n.cpuset, "2-3");
  device_files("7\n", "0-1\n"); /* a node hwloc does not know: memory unknown */
  CLQL_REQUIRE(clql_pci_numa(&gpu, &n) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n.node, 7);
  CU_ASSERT_EQUAL(n.memory, 0);
}

static void test_unknown(void) {
  clql_numa_info n;
  device_files("-1\n", "0-3\n"); /* no node on a two-node machine */
  CU_ASSERT_EQUAL(clql_pci_numa(&gpu, &n), CLQL_ERR_NOT_FOUND);
  device_files("one\n", "0-3\n");
  CU_ASSERT_EQUAL(clql_pci_numa(&gpu, &n), CLQL_ERR_NOT_FOUND);
  clql_pci_address other = {0, 0x3c, 0, 0};
  CU_ASSERT_EQUAL(clql_pci_numa(&other, &n), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(clql_pci_numa(NULL, &n), CLQL_ERR_INVALID_ARGUMENT);
}

static void test_one_node_machine(void) {
  setenv("HWLOC_SYNTHETIC", "numa:1(memory=2147483648) pu:4", 1);
  device_files("-1\n", NULL);
  clql_numa_info n;
  CLQL_REQUIRE(clql_pci_numa(&gpu, &n) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n.node, 0);
  CU_ASSERT_EQUAL(n.memory, 2147483648ULL);
  CU_ASSERT_STRING_EQUAL(n.cpuset, "0-3");
  setenv("HWLOC_SYNTHETIC", "numa:2(memory=1073741824) pu:2", 1);
}

static CU_TestInfo tests[] = {{"node_from_sysfs", test_node_from_sysfs},
                              {"unknown", test_unknown},
                              {"one_node_machine", test_one_node_machine},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "numa", .pInitFunc = setup, .pCleanupFunc = teardown, .pTests = tests},
    CU_SUITE_INFO_NULL};
