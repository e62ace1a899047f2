/* Every record of a device-profile file, replayed through the profile layer
 * on the real (PoCL) device: clql's report must equal the record on every
 * field the record has, and equal clql_profile_devices on the same record.
 *
 * The file is $CLQL_REPLAY_FILE (any file in the devices.json format), by
 * default the shared devices.json; without it the test is skipped (77). The
 * layer reads its record when the ICD loader starts, so each record runs in
 * a child process: this program again, suite replay_child. Children see a
 * fake /proc (1 GiB MemAvailable), an empty /sys and the stand-in NVML
 * knowing the record's GPU, so every expected figure is exact. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <clql.h>
#include "../../lib/device/profile.h"
#include "runner.h"

const int clql_test_needs_device = 1;

extern char **environ;

#define HOST_AVAILABLE (1ULL << 30)
#define NVML_FREE 3000000000ULL

static const char *replay_file(void) {
  const char *f = getenv("CLQL_REPLAY_FILE");
  return f && *f ? f : CLQL_DEFAULT_REPLAY_FILE;
}

static int has_ext(const char *extensions, const char *name) {
  size_t n = strlen(name);
  for (const char *p = extensions; (p = strstr(p, name)) != NULL; p += n)
    if ((p == extensions || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) return 1;
  return 0;
}

static cl_ulong min_u64(cl_ulong a, cl_ulong b) { return a < b ? a : b; }

static void set_or_unset(const char *var, const char *value) {
  if (value)
    setenv(var, value, 1);
  else
    unsetenv(var);
}

/* Run this program's replay_child suite for one record; its output goes to
 * log. Returns the exit status (-1 when it did not exit). */
static int run_child(const char *log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  char *argv[] = {"test_cl_replay", "-s", "replay_child", NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void print_file(const char *path) {
  char *text = NULL;
  FILE *f = fopen(path, "r");
  if (!f) return;
  text = calloc(1, 1 << 16);
  size_t n = text ? fread(text, 1, (1 << 16) - 1, f) : 0;
  fclose(f);
  if (text) printf("%.*s\n", (int)n, text);
  free(text);
}

static void test_every_record(void) {
  struct stat sb;
  const char *file = replay_file();
  if (stat(file, &sb) != 0) {
    printf("SKIP: no profile file %s (set CLQL_REPLAY_FILE)\n", file);
    exit(77);
  }
  clql_profile_set *set = NULL;
  char detail[512];
  clql_status st = clql_profile_load(file, &set, detail, sizeof detail);
  if (st != CLQL_SUCCESS) printf("%s\n", detail);
  CLQL_REQUIRE(st == CLQL_SUCCESS);
  CU_ASSERT(set->count > 0);

  char *dir = clql_test_mkdtemp(), path[4096], log[4096];
  clql_test_write_file(dir, "proc/meminfo", "MemTotal: 99999999 kB\nMemAvailable: 1048576 kB\n");
  clql_test_write_file(dir, "sys/README", "an empty sysfs: no amdgpu device, no cgroup\n");
  snprintf(path, sizeof path, "%s/proc", dir);
  setenv("CLQL_PROC_ROOT", path, 1);
  snprintf(path, sizeof path, "%s/sys", dir);
  setenv("CLQL_SYSFS_ROOT", path, 1);
  setenv("OPENCL_LAYERS", getenv("CLQL_TEST_PROFILE_LAYER"), 1);
  setenv("CLQL_NVML_LIBRARY", getenv("CLQL_TEST_FAKE_NVML"), 1);
  setenv("CLQL_PROFILE_FILE", file, 1);
  snprintf(path, sizeof path, "%llu", NVML_FREE);
  setenv("FAKE_NVML_FREE", path, 1);
  setenv("FAKE_NVML_TOTAL", path, 1);
  snprintf(log, sizeof log, "%s/child.log", dir);

  size_t failed = 0;
  for (size_t i = 0; i < set->count; i++) {
    const clql_profile_record *r = &set->records[i];
    char pci[32], uuid[64];
    snprintf(pci, sizeof pci, "%04x:%02x:%02x.%x", r->pci_domain, r->pci_bus, r->pci_device,
             r->pci_function);
    const unsigned char *u = r->uuid;
    snprintf(uuid, sizeof uuid,
             "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    setenv("CLQL_PROFILE_ID", r->id, 1);
    set_or_unset("FAKE_NVML_PCI", r->has_pci ? pci : NULL);
    set_or_unset("FAKE_NVML_UUID", r->has_uuid ? uuid : NULL);
    int rc = run_child(log);
    if (rc != 0) {
      printf("record '%s' does not replay (child exit %d):\n", r->id, rc);
      print_file(log);
      failed++;
    }
  }
  printf("%zu of %zu records of %s replayed\n", set->count - failed, set->count, file);
  CU_ASSERT_EQUAL(failed, 0);
  clql_profile_free(set);
  clql_test_rmtree(dir);
  free(dir);
}

/* ---- the child: one record ---- */

/* What clql must report for r on the layered device. */
typedef struct {
  clql_mem_source source;
  cl_ulong free, largest;
} expected_memory;

static expected_memory expect(const clql_profile_record *r, const clql_device_info *d,
                              const char *ext) {
  expected_memory e = {CLQL_MEM_SOURCE_NONE, 0, 0};
  cl_ulong total = d->memory.total;
  int gpu = (d->type & CL_DEVICE_TYPE_GPU) != 0;
  int nvidia = d->vendor_id == 0x10de || has_ext(ext, "cl_nv_device_attribute_query");
  if (gpu && r->free_kib_count && has_ext(ext, "cl_amd_device_attribute_query")) {
    e.source = CLQL_MEM_SOURCE_AMD_EXT;
    e.free = min_u64((cl_ulong)r->free_kib[0] * 1024, total);
    e.largest = r->free_kib_count == 2 ? min_u64((cl_ulong)r->free_kib[1] * 1024, e.free) : 0;
  } else if (gpu && nvidia && (d->has_pci || (r->has_uuid && has_ext(ext, "cl_khr_device_uuid")))) {
    e.source = CLQL_MEM_SOURCE_NVML;
    e.free = min_u64(NVML_FREE, total);
  } else if ((d->type & CL_DEVICE_TYPE_CPU) || d->host_unified_memory) {
    e.source = CLQL_MEM_SOURCE_HOST_MEMINFO;
    e.free = min_u64(HOST_AVAILABLE, total);
  }
  return e;
}

static char *layered_extensions(cl_device_id device) {
  size_t n = 0;
  CLQL_REQUIRE(clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, NULL, &n) == CL_SUCCESS);
  char *s = calloc(n + 1, 1);
  CLQL_REQUIRE(s && clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, n, s, NULL) == CL_SUCCESS);
  return s;
}

/* The record's identity fields, on a report from either path. */
static void check_identity(const clql_profile_record *r, const clql_device_info *d) {
  if (r->has_global_mem) CU_ASSERT_EQUAL(d->memory.total, r->global_mem);
  if (r->has_max_alloc) CU_ASSERT_EQUAL(d->memory.max_alloc, r->max_alloc);
  if (r->type) CU_ASSERT_EQUAL(d->type, r->type);
  if (r->has_vendor_id) CU_ASSERT_EQUAL(d->vendor_id, r->vendor_id);
  if (r->device_name) CU_ASSERT_STRING_EQUAL(d->name, r->device_name);
  if (r->device_vendor) CU_ASSERT_STRING_EQUAL(d->vendor, r->device_vendor);
  if (r->platform_name) CU_ASSERT_STRING_EQUAL(d->platform_name, r->platform_name);
  if (r->has_compute_units) CU_ASSERT_EQUAL(d->compute_units, r->compute_units);
  if (r->has_local_mem) CU_ASSERT_EQUAL(d->local_mem, r->local_mem);
  int unified = r->host_unified_memory != CLQL_FIELD_ABSENT    ? r->host_unified_memory
                : r->integrated_memory_nv != CLQL_FIELD_ABSENT ? r->integrated_memory_nv
                : r->type ? (r->type & CL_DEVICE_TYPE_CPU) != 0 : CLQL_FIELD_ABSENT;
  if (unified != CLQL_FIELD_ABSENT) CU_ASSERT_EQUAL(d->host_unified_memory, unified);
}

static void test_one_record(void) {
  const char *file = getenv("CLQL_PROFILE_FILE"), *id = getenv("CLQL_PROFILE_ID");
  if (!getenv("OPENCL_LAYERS") || !file || !id) {
    printf("replay_child runs only as the child of suite replay\n");
    return;
  }
  clql_profile_set *set = NULL;
  char detail[512];
  CLQL_REQUIRE(clql_profile_load(file, &set, detail, sizeof detail) == CLQL_SUCCESS);
  const clql_profile_record *r = clql_profile_find(set, id);
  CLQL_REQUIRE(r != NULL);

  clql_device_info d;
  size_t n = 0;
  clql_status st = clql_devices_get(&d, 1, &n);
  CLQL_REQUIRE((st == CLQL_SUCCESS || st == CLQL_ERR_BUFFER_TOO_SMALL) && n >= 1);
  char *ext = layered_extensions(d.device);
  printf("record %s: total %llu max_alloc %llu type %s vendor 0x%x free %llu (%s) pci %d\n", id,
         (unsigned long long)d.memory.total, (unsigned long long)d.memory.max_alloc,
         clql_device_type_name(d.type), d.vendor_id, (unsigned long long)d.memory.free,
         clql_mem_source_name(d.memory.free_source), d.has_pci);
  check_identity(r, &d);

  /* The runtime's own type filter is answered for the profile's type. */
  if (r->type) {
    cl_uint found = 0;
    CU_ASSERT_EQUAL(clGetDeviceIDs(d.platform, r->type, 0, NULL, &found), CL_SUCCESS);
    CU_ASSERT(found >= 1);
    cl_device_type other = r->type == CL_DEVICE_TYPE_GPU ? CL_DEVICE_TYPE_CPU : CL_DEVICE_TYPE_GPU;
    CU_ASSERT_EQUAL(clGetDeviceIDs(d.platform, other, 0, NULL, &found), CL_DEVICE_NOT_FOUND);
  }
  if (r->has_pci) {
    int khr = has_ext(ext, "cl_khr_pci_bus_info"), amd = has_ext(ext, "cl_amd_device_attribute_query");
    int nv = has_ext(ext, "cl_nv_device_attribute_query");
    CU_ASSERT_EQUAL(d.has_pci, khr || amd || nv);
    if (d.has_pci) {
      CU_ASSERT_EQUAL(d.pci.domain, khr || !amd ? r->pci_domain : 0); /* AMD topology: no domain */
      CU_ASSERT_EQUAL(d.pci.bus, r->pci_bus);
      CU_ASSERT_EQUAL(d.pci.device, r->pci_device);
      CU_ASSERT_EQUAL(d.pci.function, r->pci_function);
    }
  }
  expected_memory e = expect(r, &d, ext);
  CU_ASSERT_EQUAL(d.memory.free_source, e.source);
  CU_ASSERT_EQUAL(d.memory.free_known, e.source != CLQL_MEM_SOURCE_NONE);
  CU_ASSERT_EQUAL(d.memory.free, e.free);
  CU_ASSERT_EQUAL(d.memory.largest_free_block, e.largest);
  if (e.source != CLQL_MEM_SOURCE_NONE) CU_ASSERT_TRUE(d.memory.free_measured);

  /* The same record without the layer or any device: the same report, except
   * that sources measuring this machine (host memory, NVML) have nothing to
   * say about a device that is only a record. */
  clql_device_info p;
  CLQL_REQUIRE(clql_profile_devices(file, id, &p, 1, &n) == CLQL_SUCCESS);
  check_identity(r, &p);
  CU_ASSERT_STRING_EQUAL(p.profile_id, r->id);
  CU_ASSERT_EQUAL(p.has_pci, d.has_pci);
  CU_ASSERT_EQUAL(p.pci.domain, d.pci.domain);
  CU_ASSERT_EQUAL(p.pci.bus, d.pci.bus);
  if (r->has_global_mem) CU_ASSERT_EQUAL(p.memory.total, d.memory.total);
  if (r->has_max_alloc) CU_ASSERT_EQUAL(p.memory.max_alloc, d.memory.max_alloc);
  if (d.memory.free_source != CLQL_MEM_SOURCE_AMD_EXT) {
    CU_ASSERT_FALSE(p.memory.free_known);
    CU_ASSERT_EQUAL(p.memory.free_source, CLQL_MEM_SOURCE_NONE);
  } else {
    CU_ASSERT_EQUAL(p.memory.free_source, d.memory.free_source);
    CU_ASSERT_TRUE(p.memory.free_known);
    CU_ASSERT_EQUAL(p.memory.free, d.memory.free);
    CU_ASSERT_EQUAL(p.memory.largest_free_block, d.memory.largest_free_block);
  }
  free(ext);
  clql_profile_free(set);
}

static CU_TestInfo replay_tests[] = {{"every_record", test_every_record}, CU_TEST_INFO_NULL};
static CU_TestInfo child_tests[] = {{"one_record", test_one_record}, CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "replay", .pTests = replay_tests},
                                   {.pName = "replay_child", .pTests = child_tests},
                                   CU_SUITE_INFO_NULL};
