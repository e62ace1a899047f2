/* The free-memory sources and the chain, through targets whose query() is
 * scripted here: AMD's quirks, PCI location decoding, amdgpu sysfs against
 * a fake tree, and CLQL_MEM_SOURCE. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../lib/device/profile.h"
#include "../../probes/probe.h"
#include "runner.h"

const int clql_test_needs_device = 0;

/* What the scripted device answers. */
typedef struct {
  cl_int free_err;        /* result of the 0x4039 query */
  size_t free_values;     /* values it returns: 1 (ROCm with a small buffer) or 2 */
  size_t free_kib[2];
  size_t reply_bytes;     /* when non-zero, the size it claims instead */
  clql_cl_topology_amd topology;
  int has_topology;
  cl_uint nv_bus, nv_slot, nv_domain;
  int nv_domain_fails;
  clql_cl_pci_bus_info_khr khr;
} script;

static script dev;

static cl_int put(const void *src, size_t bytes, size_t size, void *value, size_t *size_ret) {
  if (value && size < bytes) return CL_INVALID_VALUE;
  if (value) memcpy(value, src, bytes);
  if (size_ret) *size_ret = bytes;
  return CL_SUCCESS;
}

static cl_int scripted_query(const clql_probe_target *t, cl_device_info p, size_t size,
                             void *value, size_t *size_ret) {
  (void)t;
  switch (p) {
  case CLQL_CL_DEVICE_GLOBAL_FREE_MEMORY_AMD: {
    if (dev.free_err != CL_SUCCESS) return dev.free_err;
    cl_int err = put(dev.free_kib, dev.free_values * sizeof(size_t), size, value, size_ret);
    if (err == CL_SUCCESS && dev.reply_bytes && size_ret) *size_ret = dev.reply_bytes;
    return err;
  }
  case CLQL_CL_DEVICE_TOPOLOGY_AMD:
    return dev.has_topology ? put(&dev.topology, sizeof dev.topology, size, value, size_ret)
                            : CL_INVALID_VALUE;
  case CLQL_CL_DEVICE_PCI_BUS_ID_NV: return put(&dev.nv_bus, sizeof(cl_uint), size, value, size_ret);
  case CLQL_CL_DEVICE_PCI_SLOT_ID_NV: return put(&dev.nv_slot, sizeof(cl_uint), size, value, size_ret);
  case CLQL_CL_DEVICE_PCI_DOMAIN_ID_NV:
    return dev.nv_domain_fails ? CL_INVALID_VALUE
                               : put(&dev.nv_domain, sizeof(cl_uint), size, value, size_ret);
  case CLQL_CL_DEVICE_PCI_BUS_INFO_KHR: return put(&dev.khr, sizeof dev.khr, size, value, size_ret);
  default: return CL_INVALID_VALUE;
  }
}

static clql_probe_target gpu(const char *extensions) {
  return (clql_probe_target){.type = CL_DEVICE_TYPE_GPU,
                             .total = 8ULL << 30,
                             .max_alloc = 2ULL << 30,
                             .extensions = (char *)extensions,
                             .query = scripted_query};
}

/* One source on t under the environment's configuration (the fake trees),
 * as clql_probe_run gives it. */
static int run_source(const clql_probe_source *s, const clql_probe_target *t, clql_probe_result *r,
                      char *why) {
  memset(r, 0, sizeof *r);
  why[0] = '\0';
  clql_config *cfg = NULL;
  CLQL_REQUIRE(clql_config_from_env(&cfg) == CLQL_SUCCESS);
  clql_probe_target tt = *t;
  tt.config = cfg;
  int got = s->run(&tt, r, why, 192);
  clql_config_destroy(cfg);
  return got;
}

static void test_amd_two_values(void) {
  dev = (script){.free_values = 2, .free_kib = {16558080, 1048576}};
  clql_probe_target t = gpu("cl_khr_fp64 cl_amd_device_attribute_query");
  clql_probe_result r;
  char why[192];
  CLQL_REQUIRE(run_source(&clql_probe_source_amd_ext, &t, &r, why));
  CU_ASSERT_EQUAL(r.source, CLQL_MEM_SOURCE_AMD_EXT);
  CU_ASSERT_EQUAL(r.free, 16558080ULL * 1024);
  CU_ASSERT_EQUAL(r.largest_free_block, 1048576ULL * 1024);
  CU_ASSERT_TRUE(r.measured);
  /* Through the chain: free is clamped to the device's 8 GiB, and so is the block. */
  clql_memory_report rep;
  clql_probe_run(&t, &rep, NULL, NULL);
  CU_ASSERT_EQUAL(rep.free_source, CLQL_MEM_SOURCE_AMD_EXT);
  CU_ASSERT_EQUAL(rep.free, 8ULL << 30);
  CU_ASSERT_EQUAL(rep.largest_free_block, 1048576ULL * 1024);
  CU_ASSERT_TRUE(rep.free_known);
  CU_ASSERT_TRUE(rep.free_measured);
}

static void test_amd_one_value(void) {
  dev = (script){.free_values = 1, .free_kib = {4194304}};
  clql_probe_target t = gpu("cl_amd_device_attribute_query");
  clql_probe_result r;
  char why[192];
  CLQL_REQUIRE(run_source(&clql_probe_source_amd_ext, &t, &r, why));
  CU_ASSERT_EQUAL(r.free, 4ULL << 30);
  CU_ASSERT_EQUAL(r.largest_free_block, 0);
}

static void test_amd_errors(void) {
  clql_probe_target t = gpu("cl_amd_device_attribute_query");
  clql_probe_result r;
  char why[192];
  const cl_int errors[] = {CL_INVALID_DEVICE, CL_INVALID_VALUE, CL_OUT_OF_RESOURCES};
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
    dev = (script){.free_err = errors[i]};
    CU_ASSERT_FALSE(run_source(&clql_probe_source_amd_ext, &t, &r, why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, clql_status_name(errors[i])));
    clql_memory_report rep;
    clql_probe_run(&t, &rep, NULL, NULL);
    CU_ASSERT_FALSE(rep.free_known);
    CU_ASSERT_EQUAL(rep.free_source, CLQL_MEM_SOURCE_NONE);
  }
  /* A reply of an odd size, and KiB that overflow 64 bits as bytes. */
  dev = (script){.free_values = 1, .free_kib = {1}, .reply_bytes = 4};
  CU_ASSERT_FALSE(run_source(&clql_probe_source_amd_ext, &t, &r, why));
  dev = (script){.free_values = 2, .free_kib = {SIZE_MAX, 1}};
  CU_ASSERT_FALSE(run_source(&clql_probe_source_amd_ext, &t, &r, why));
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "overflow"));
}

static void test_amd_gating(void) {
  dev = (script){.free_values = 2, .free_kib = {100, 100}};
  clql_probe_result r;
  char why[192];
  clql_probe_target t = gpu("cl_amd_device_attribute_query_x cl_khr_fp64");
  CU_ASSERT_FALSE(run_source(&clql_probe_source_amd_ext, &t, &r, why)); /* whole tokens only */
  CU_ASSERT_STRING_EQUAL(why, "no cl_amd_device_attribute_query");
  t = gpu("cl_amd_device_attribute_query");
  t.type = CL_DEVICE_TYPE_CPU;
  CU_ASSERT_FALSE(run_source(&clql_probe_source_amd_ext, &t, &r, why));
  CU_ASSERT_STRING_EQUAL(why, "not a GPU");
}

static void check_pci(const clql_pci_address *a, unsigned domain, unsigned bus, unsigned device,
                      unsigned function) {
  CU_ASSERT_EQUAL(a->domain, domain);
  CU_ASSERT_EQUAL(a->bus, bus);
  CU_ASSERT_EQUAL(a->device, device);
  CU_ASSERT_EQUAL(a->function, function);
}

static void test_pci_khr(void) {
  dev = (script){.khr = {1, 0x81, 0x1f, 3}};
  clql_probe_target t = gpu("cl_khr_pci_bus_info cl_amd_device_attribute_query");
  clql_pci_address a;
  CLQL_REQUIRE(clql_probe_pci_address(&t, &a));
  check_pci(&a, 1, 0x81, 0x1f, 3);
}

static void test_pci_amd_topology(void) {
  dev = (script){.has_topology = 1};
  dev.topology.pcie.type = CLQL_CL_DEVICE_TOPOLOGY_TYPE_PCIE_AMD;
  dev.topology.pcie.bus = (cl_char)-63; /* 0xc1 in a signed char */
  dev.topology.pcie.device = 2;
  dev.topology.pcie.function = 1;
  clql_probe_target t = gpu("cl_amd_device_attribute_query");
  clql_pci_address a;
  CLQL_REQUIRE(clql_probe_pci_address(&t, &a));
  check_pci(&a, 0, 0xc1, 2, 1);
  dev.topology.pcie.type = 2; /* not PCIe */
  CU_ASSERT_FALSE(clql_probe_pci_address(&t, &a));
}

static void test_pci_nvidia(void) {
  dev = (script){.nv_bus = 0x1a, .nv_slot = (0x1f << 3) | 5, .nv_domain = 2};
  clql_probe_target t = gpu("cl_nv_device_attribute_query");
  clql_pci_address a;
  CLQL_REQUIRE(clql_probe_pci_address(&t, &a));
  check_pci(&a, 2, 0x1a, 0x1f, 5);
  dev.nv_domain_fails = 1; /* drivers before CUDA 10.2 */
  CLQL_REQUIRE(clql_probe_pci_address(&t, &a));
  check_pci(&a, 0, 0x1a, 0x1f, 5);
  t = gpu("cl_khr_fp64");
  CU_ASSERT_FALSE(clql_probe_pci_address(&t, &a));
}

/* ---- amdgpu sysfs against a fake tree ---- */

static int sysfs_setup(void) {
  clql_test_dir_init();
  setenv("CLQL_SYSFS_ROOT", clql_test_dir, 1);
  return 0;
}

static int sysfs_teardown(void) {
  unsetenv("CLQL_SYSFS_ROOT");
  return clql_test_dir_cleanup();
}

static void reset_tree(void) {
  clql_test_rmtree(clql_test_dir);
  mkdir(clql_test_dir, 0755);
}

/* The sysfs directory of the test's device, 0000:03:00.0. */
#define AMDGPU_DIR "bus/pci/devices/0000:03:00.0/"

static void vram_files(const char *total, const char *used) {
  if (total) clql_test_write_file(clql_test_dir, AMDGPU_DIR "mem_info_vram_total", total);
  if (used) clql_test_write_file(clql_test_dir, AMDGPU_DIR "mem_info_vram_used", used);
}

static void driver_link(const char *bdf, const char *driver) {
  char target[512], link[512];
  snprintf(target, sizeof target, "../../../bus/pci/drivers/%s", driver);
  snprintf(link, sizeof link, "%s/bus/pci/devices/%s/driver", clql_test_dir, bdf);
  CLQL_REQUIRE(symlink(target, link) == 0);
}

static clql_probe_target amdgpu_target(void) {
  clql_probe_target t = gpu("");
  t.has_pci = 1;
  t.pci = (clql_pci_address){0, 3, 0, 0};
  return t;
}

static void test_sysfs_good(void) {
  reset_tree();
  vram_files("17163091968\n", "1073741824\n");
  driver_link("0000:03:00.0", "amdgpu");
  clql_probe_target t = amdgpu_target();
  clql_probe_result r;
  char why[192];
  CLQL_REQUIRE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  CU_ASSERT_EQUAL(r.source, CLQL_MEM_SOURCE_SYSFS_AMDGPU);
  CU_ASSERT_EQUAL(r.free, 17163091968ULL - 1073741824ULL);
  CU_ASSERT_TRUE(r.measured);
  /* Another device address finds nothing. */
  t.pci.bus = 4;
  CU_ASSERT_FALSE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  t = amdgpu_target();
  t.has_pci = 0;
  CU_ASSERT_FALSE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  CU_ASSERT_STRING_EQUAL(why, "no PCI address");
}

static void test_sysfs_missing_and_garbage(void) {
  reset_tree();
  vram_files("17163091968\n", NULL);
  driver_link("0000:03:00.0", "amdgpu");
  clql_probe_target t = amdgpu_target();
  clql_probe_result r;
  char why[192];
  CU_ASSERT_FALSE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why)); /* no used file */
  const char *garbage[] = {"12abc\n", "-5\n", "", "0x100\n", "99999999999999999999999\n",
                           "17163091969\n" /* more used than total */};
  for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
    vram_files(NULL, garbage[i]);
    CU_ASSERT_FALSE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  }
  vram_files(NULL, "0\n");
  vram_files("lots\n", NULL);
  CU_ASSERT_FALSE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  vram_files("4096", NULL);
  CU_ASSERT_TRUE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why)); /* no newline is fine */
  CU_ASSERT_EQUAL(r.free, 4096);
}

/* An APU: the GTT's free bytes count beside the VRAM carve-out; a discrete
 * card's GTT does not (it is host memory the card borrows). */
static void test_sysfs_gtt(void) {
  reset_tree();
  vram_files("536870912\n", "134217728\n"); /* a 512 MiB carve-out, 128 MiB used */
  clql_test_write_file(clql_test_dir, AMDGPU_DIR "mem_info_gtt_total", "8589934592\n");
  clql_test_write_file(clql_test_dir, AMDGPU_DIR "mem_info_gtt_used", "1073741824\n");
  driver_link("0000:03:00.0", "amdgpu");
  clql_probe_target t = amdgpu_target();
  clql_probe_result r;
  char why[192];
  CLQL_REQUIRE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  CU_ASSERT_EQUAL(r.free, 402653184); /* discrete: VRAM only */
  CU_ASSERT_EQUAL(r.bounds, 0);
  t.host_unified_memory = 1;
  CLQL_REQUIRE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  CU_ASSERT_EQUAL(r.free, 402653184ULL + 8589934592ULL - 1073741824ULL);
  CU_ASSERT_EQUAL(r.bounds, CLQL_FREE_WITH_GTT);
  /* inconsistent or missing GTT counters: the VRAM figure alone */
  clql_test_write_file(clql_test_dir, AMDGPU_DIR "mem_info_gtt_used", "9999999999\n");
  CLQL_REQUIRE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  CU_ASSERT_EQUAL(r.free, 402653184);
  CU_ASSERT_EQUAL(r.bounds, 0);
  clql_test_write_file(clql_test_dir, AMDGPU_DIR "mem_info_gtt_used", "x\n");
  CLQL_REQUIRE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  CU_ASSERT_EQUAL(r.bounds, 0);
}

static void test_sysfs_other_driver(void) {
  reset_tree();
  vram_files("8192\n", "0\n");
  clql_probe_target t = amdgpu_target();
  clql_probe_result r;
  char why[192];
  CU_ASSERT_FALSE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why)); /* no driver link */
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "no driver link"));
  driver_link("0000:03:00.0", "radeon");
  CU_ASSERT_FALSE(run_source(&clql_probe_source_sysfs_amdgpu, &t, &r, why));
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "radeon"));
}

/* ---- CLQL_MEM_SOURCE ---- */

static void test_policy_parse(void) {
  /* the base layer's names of the chain, bit i for source i: as the chain */
  for (int i = 0; i < CLQL_PROBE_SOURCE_COUNT; i++)
    CU_ASSERT_STRING_EQUAL(clql_probe_source_names[i], clql_probe_sources[i]->name);
  clql_source_policy p;
  char why[160];
  const unsigned all = (1u << CLQL_PROBE_SOURCE_COUNT) - 1;
  struct {
    const char *text;
    unsigned allowed, named;
  } good[] = {{"", all, 0},
              {"auto", all, 0},
              {" none ", 0, 0},
              {"nvml", 1u << 1, 1u << 1},
              {"amd", 1u << 0, 1u << 0},
              {"amd-ext,host", (1u << 0) | (1u << 4), (1u << 0) | (1u << 4)},
              {"-nvml,-sysfs", all & ~((1u << 1) | (1u << 3)), 0},
              {" -nvml , -sysfs-amdgpu ", all & ~((1u << 1) | (1u << 3)), 0},
              {"levelzero", 1u << 2, 1u << 2},
              {"-host-meminfo", all & ~(1u << 4), 0},
              {"NVML", 1u << 1, 1u << 1}, /* names ignore case */
              {"-Host", all & ~(1u << 4), 0}};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    p = (clql_source_policy){0xdead, 0xbeef};
    CU_ASSERT_TRUE(clql_source_policy_parse(good[i].text, &p, why, sizeof why));
    CU_ASSERT_EQUAL(p.allowed, good[i].allowed);
    CU_ASSERT_EQUAL(p.named, good[i].named);
  }
  const char *bad[] = {"nvidia", "nvml,-sysfs", "nvml,,host", ",", "-", "none,nvml",
                       "auto,-nvml", "nvml;sysfs"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p = (clql_source_policy){0xdead, 0xbeef};
    CU_ASSERT_FALSE(clql_source_policy_parse(bad[i], &p, why, sizeof why));
    CU_ASSERT_EQUAL(p.allowed, 0xdead); /* never half-parsed */
    CU_ASSERT(why[0] != '\0');
  }
}

typedef struct {
  char names[8][32];
  char why[8][192];
  int answered[8];
  int count;
} trace_record;

static void record_trace(const char *source, int answered, const char *why, void *user) {
  trace_record *tr = user;
  if (tr->count == 8) return;
  snprintf(tr->names[tr->count], sizeof tr->names[0], "%s", source);
  snprintf(tr->why[tr->count], sizeof tr->why[0], "%s", why);
  tr->answered[tr->count++] = answered;
}

/* A unified AMD GPU with amdgpu sysfs: three sources can answer. */
static clql_mem_source chain_source(const char *policy, trace_record *tr) {
  if (policy)
    setenv("CLQL_MEM_SOURCE", policy, 1);
  else
    unsetenv("CLQL_MEM_SOURCE");
  dev = (script){.free_values = 2, .free_kib = {1024, 1024}};
  clql_probe_target t = amdgpu_target();
  t.extensions = "cl_amd_device_attribute_query";
  t.host_unified_memory = 1;
  clql_memory_report rep;
  memset(tr, 0, sizeof *tr);
  clql_probe_run(&t, &rep, record_trace, tr);
  unsetenv("CLQL_MEM_SOURCE");
  return rep.free_known ? rep.free_source : CLQL_MEM_SOURCE_NONE;
}

static void test_policy_chain(void) {
  reset_tree();
  vram_files("8192\n", "0\n");
  driver_link("0000:03:00.0", "amdgpu");
  char proc[4096];
  snprintf(proc, sizeof proc, "%s/proc", clql_test_dir);
  clql_test_write_file(clql_test_dir, "proc/meminfo", "MemAvailable: 1024 kB\n");
  setenv("CLQL_PROC_ROOT", proc, 1);
  trace_record tr;
  CU_ASSERT_EQUAL(chain_source(NULL, &tr), CLQL_MEM_SOURCE_AMD_EXT);
  CU_ASSERT_EQUAL(tr.count, 1); /* the first answer ends the chain */
  CU_ASSERT_EQUAL(chain_source("-amd-ext", &tr), CLQL_MEM_SOURCE_SYSFS_AMDGPU);
  CU_ASSERT_EQUAL(chain_source("-amd,-sysfs", &tr), CLQL_MEM_SOURCE_HOST_MEMINFO);
  CU_ASSERT_EQUAL(tr.count, CLQL_PROBE_SOURCE_COUNT); /* excluded ones are traced too */
  CU_ASSERT_STRING_EQUAL(tr.names[0], "amd-ext");
  CU_ASSERT_STRING_EQUAL(tr.names[4], "host");
  CU_ASSERT_TRUE(tr.answered[4]);
  CU_ASSERT_EQUAL(chain_source("host", &tr), CLQL_MEM_SOURCE_HOST_MEMINFO);
  CU_ASSERT_EQUAL(chain_source("sysfs", &tr), CLQL_MEM_SOURCE_SYSFS_AMDGPU);
  CU_ASSERT_EQUAL(chain_source("nvml", &tr), CLQL_MEM_SOURCE_NONE); /* forced, and it cannot */
  CU_ASSERT_EQUAL(chain_source("none", &tr), CLQL_MEM_SOURCE_NONE);
  CU_ASSERT_EQUAL(tr.count, CLQL_PROBE_SOURCE_COUNT);

  /* Names ignore case, as every word of the configuration does. */
  CU_ASSERT_EQUAL(chain_source("HOST", &tr), CLQL_MEM_SOURCE_HOST_MEMINFO);
  CU_ASSERT_EQUAL(chain_source(" -AMD-Ext , -SysFS ", &tr), CLQL_MEM_SOURCE_HOST_MEMINFO);

  /* Garbage is an error naming the variable, not a warning and a default. */
  const char *const bad[] = {"sysfs,-host", "gpu-magic", "host,,nvml"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("CLQL_MEM_SOURCE", bad[i], 1);
    dev = (script){.free_values = 2, .free_kib = {1024, 1024}};
    clql_probe_target t = amdgpu_target();
    clql_memory_report rep;
    CU_ASSERT_EQUAL(clql_probe_run(&t, &rep, NULL, NULL), CLQL_ERR_INVALID_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "CLQL_MEM_SOURCE"));
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), bad[i]));
    CU_ASSERT_FALSE(rep.free_known);
  }
  unsetenv("CLQL_MEM_SOURCE");
  unsetenv("CLQL_PROC_ROOT");
}

/* The whole chain for an APU: VRAM + GTT from sysfs, then bound by what the
 * host has available, and the report says so. */
static void test_unified_host_bound(void) {
  reset_tree();
  vram_files("536870912\n", "0\n");
  clql_test_write_file(clql_test_dir, AMDGPU_DIR "mem_info_gtt_total", "8589934592\n");
  clql_test_write_file(clql_test_dir, AMDGPU_DIR "mem_info_gtt_used", "0\n");
  driver_link("0000:03:00.0", "amdgpu");
  char proc[4096];
  snprintf(proc, sizeof proc, "%s/proc", clql_test_dir);
  clql_test_write_file(clql_test_dir, "proc/meminfo", "MemAvailable: 2097152 kB\n"); /* 2 GiB */
  setenv("CLQL_PROC_ROOT", proc, 1);
  setenv("CLQL_MEM_SOURCE", "sysfs", 1);
  clql_probe_target t = amdgpu_target();
  t.total = 16ULL << 30;
  t.host_unified_memory = 1;
  clql_memory_report rep;
  trace_record tr;
  memset(&tr, 0, sizeof tr);
  CU_ASSERT_EQUAL(clql_probe_run(&t, &rep, record_trace, &tr), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(rep.free_source, CLQL_MEM_SOURCE_SYSFS_AMDGPU);
  CU_ASSERT_EQUAL(rep.free, 2ULL << 30); /* 8.5 GiB of VRAM + GTT, 2 GiB for the host */
  CU_ASSERT_EQUAL(rep.free_bounds, CLQL_FREE_WITH_GTT | CLQL_FREE_HOST_BOUND);
  CU_ASSERT_TRUE(rep.unified);
  CU_ASSERT_PTR_NOT_NULL(strstr(tr.why[3], "available to the host bound it"));
  /* more host memory than the device's figure: no bound */
  clql_test_write_file(clql_test_dir, "proc/meminfo", "MemAvailable: 20971520 kB\n");
  CU_ASSERT_EQUAL(clql_probe_run(&t, &rep, NULL, NULL), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(rep.free, 536870912ULL + 8589934592ULL);
  CU_ASSERT_EQUAL(rep.free_bounds, CLQL_FREE_WITH_GTT);
  /* a discrete card is not bound by the host */
  clql_test_write_file(clql_test_dir, "proc/meminfo", "MemAvailable: 1024 kB\n");
  t.host_unified_memory = 0;
  CU_ASSERT_EQUAL(clql_probe_run(&t, &rep, NULL, NULL), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(rep.free, 536870912ULL);
  CU_ASSERT_EQUAL(rep.free_bounds, 0);
  CU_ASSERT_FALSE(rep.unified);
  /* a recorded device: the record's figure of the host, not this host's */
  t.host_unified_memory = 1;
  t.recorded = 1;
  t.recorded_host_available = 1ULL << 30;
  unsetenv("CLQL_MEM_SOURCE");
  t.extensions = "cl_amd_device_attribute_query";
  dev = (script){.free_values = 2, .free_kib = {4194304, 4194304}}; /* 4 GiB from amd-ext */
  CU_ASSERT_EQUAL(clql_probe_run(&t, &rep, NULL, NULL), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(rep.free_source, CLQL_MEM_SOURCE_AMD_EXT);
  CU_ASSERT_EQUAL(rep.free, 1ULL << 30);
  CU_ASSERT_EQUAL(rep.free_bounds, CLQL_FREE_HOST_BOUND);
  unsetenv("CLQL_PROC_ROOT");
}

static void test_opt_in(void) {
  /* Level Zero runs only when opted in; the reason says how. */
  clql_probe_target t = gpu("");
  trace_record tr;
  clql_memory_report rep;
  unsetenv("CLQL_LEVEL_ZERO");
  memset(&tr, 0, sizeof tr);
  clql_probe_run(&t, &rep, record_trace, &tr);
  CU_ASSERT_STRING_EQUAL(tr.names[2], "level-zero");
  CU_ASSERT_FALSE(tr.answered[2]);
  CU_ASSERT_PTR_NOT_NULL(strstr(tr.why[2], "CLQL_LEVEL_ZERO=1"));
  /* The flag's words, in any case; anything else is an error. */
  const char *const on[] = {"1", "true", "YES", "On"}, *const off[] = {"0", "false", "No", "OFF"};
  for (int i = 0; i < 4; i++) {
    clql_config *c = NULL;
    setenv("CLQL_LEVEL_ZERO", on[i], 1);
    CU_ASSERT_EQUAL_FATAL(clql_config_from_env(&c), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(c->level_zero, 1);
    clql_config_destroy(c);
    setenv("CLQL_LEVEL_ZERO", off[i], 1);
    CU_ASSERT_EQUAL_FATAL(clql_config_from_env(&c), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(c->level_zero, 0);
    clql_config_destroy(c);
  }
  setenv("CLQL_LEVEL_ZERO", "maybe", 1);
  clql_config *c = (clql_config *)1;
  CU_ASSERT_EQUAL(clql_config_from_env(&c), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT_PTR_NULL(c);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "CLQL_LEVEL_ZERO='maybe'"));
  unsetenv("CLQL_LEVEL_ZERO");
}

static CU_TestInfo amd_tests[] = {{"two_values", test_amd_two_values},
                                  {"one_value", test_amd_one_value},
                                  {"errors", test_amd_errors},
                                  {"gating", test_amd_gating},
                                  CU_TEST_INFO_NULL};
static CU_TestInfo pci_tests[] = {{"khr", test_pci_khr},
                                  {"amd_topology", test_pci_amd_topology},
                                  {"nvidia", test_pci_nvidia},
                                  CU_TEST_INFO_NULL};
static CU_TestInfo sysfs_tests[] = {{"good", test_sysfs_good},
                                    {"missing_and_garbage", test_sysfs_missing_and_garbage},
                                    {"other_driver", test_sysfs_other_driver},
                                    {"policy_chain", test_policy_chain},
                                    {"gtt", test_sysfs_gtt},
                                    {"unified_host_bound", test_unified_host_bound},
                                    CU_TEST_INFO_NULL};
static CU_TestInfo policy_tests[] = {{"parse", test_policy_parse},
                                     {"opt_in", test_opt_in},
                                     CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "amd_ext", .pTests = amd_tests},
    {.pName = "pci_address", .pTests = pci_tests},
    {.pName = "sysfs_amdgpu", .pInitFunc = sysfs_setup, .pCleanupFunc = sysfs_teardown,
     .pTests = sysfs_tests},
    {.pName = "policy", .pTests = policy_tests},
    CU_SUITE_INFO_NULL};
