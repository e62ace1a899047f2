/* Device profiles without any OpenCL device: the record parser (strict, with
 * the record and field named on error), the answers a record gives to
 * queries (the layer's answers), and clql_profile_devices. */
#include <math.h>
#include <string.h>
#include <clql.h>
#include "../../lib/internal.h"
#include "../../lib/device/profile.h"
#include "runner.h"

const int clql_test_needs_device = 0;

/* Write text as dir/name and return the path (static buffer). */
static const char *profile_file(const char *name, const char *text) {
  static char path[4096];
  clql_test_write_file(clql_test_dir, name, text);
  snprintf(path, sizeof path, "%s/%s", clql_test_dir, name);
  return path;
}

static clql_profile_set *load_text(const char *name, const char *text) {
  clql_profile_set *set = NULL;
  char detail[512] = "";
  clql_status st = clql_profile_load(profile_file(name, text), &set, detail, sizeof detail);
  if (st != CLQL_SUCCESS) printf("%s\n", detail);
  CLQL_REQUIRE(st == CLQL_SUCCESS);
  return set;
}

static const char *data_file(const char *name) {
  static char path[4096];
  const char *data = getenv("CLQL_TEST_DATA");
  CLQL_REQUIRE(data != NULL);
  snprintf(path, sizeof path, "%s/%s", data, name);
  return path;
}

/* One record whose `field` is set to the JSON text value. */
static clql_status load_with(const char *field, const char *value, char *detail, size_t size) {
  char text[1024];
  snprintf(text, sizeof text,
           "[{\"id\": \"good\", \"device_type\": \"GPU\"},\n"
           " {\"id\": \"rec-b\", \"%s\": %s}]",
           field, value);
  clql_profile_set *set = NULL;
  clql_status st = clql_profile_load(profile_file("one.json", text), &set, detail, size);
  clql_profile_free(set);
  return st;
}

static void test_malformed_fields(void) {
  struct {
    const char *field, *value;
  } bad[] = {{"vendor_id", "\"1002\""},
             {"vendor_id", "\"0xZZ\""},
             {"vendor_id", "\"0x1FFFFFFFF\""},
             {"vendor_id", "\"0x\""},
             {"vendor_id", "-1"},
             {"vendor_id", "true"},
             {"global_mem_size", "-1"},
             {"global_mem_size", "\"4G\""},
             {"global_mem_size", "4.5e9"},
             {"global_mem_size_mib", "17592186044416"},
             {"global_mem_size_mib", "1e300"},
             {"global_mem_size_mib", "-2"},
             {"max_mem_alloc_size_mib", "\"big\""},
             {"local_mem_size", "-5"},
             {"max_compute_units", "4294967296"},
             {"device_type", "\"FPGA\""},
             {"device_type", "3"},
             {"host_unified_memory", "\"yes\""},
             {"integrated_memory_nv", "1"},
             {"amd_global_free_memory_kib", "[]"},
             {"amd_global_free_memory_kib", "[1, 2, 3]"},
             {"amd_global_free_memory_kib", "[-1]"},
             {"amd_global_free_memory_kib", "[\"1\"]"},
             {"amd_global_free_memory_kib", "16558080"},
             {"extension_flags", "[]"},
             {"extension_flags", "{\"cl_khr_fp64\": 1}"},
             {"extension_flags", "{\"cl_khr_fp64 cl_khr_icd\": true}"},
             {"extension_flags", "{\"\": false}"},
             {"extensions", "[\"cl_khr_fp64\"]"},
             {"pci_bus_id", "26"},
             {"device_uuid", "{}"},
             {"device_name", "7"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char detail[512] = "";
    CU_ASSERT_EQUAL(load_with(bad[i].field, bad[i].value, detail, sizeof detail), CLQL_ERR_PARSE);
    /* The detail names the record and the field (the _mib spelling where given). */
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "'rec-b'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, bad[i].field));
    if (!strstr(detail, "'rec-b'") || !strstr(detail, bad[i].field))
      printf("field %s = %s: detail '%s'\n", bad[i].field, bad[i].value, detail);
  }
}

static void test_malformed_files(void) {
  const char *bad[] = {"", "[{\"id\": \"a\"}", "42", "\"text\"", "[1]", "[{\"id\": 5}]",
                       "[{\"id\": \"\"}]", "[{\"name\": \"no id\"}]",
                       "[{\"id\": \"a\"}, {\"id\": \"a\"}]", "{\"id\": \"a\", \"id\": \"b\"}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    clql_profile_set *set = NULL;
    char detail[512] = "";
    CU_ASSERT_EQUAL(clql_profile_load(profile_file("bad.json", bad[i]), &set, detail, sizeof detail),
                    CLQL_ERR_PARSE);
    CU_ASSERT_PTR_NULL(set);
    CU_ASSERT(detail[0] != '\0');
  }
  clql_profile_set *set = NULL;
  char detail[512];
  char missing[4096];
  snprintf(missing, sizeof missing, "%s/none.json", clql_test_dir);
  CU_ASSERT_EQUAL(clql_profile_load(missing, &set, detail, sizeof detail), CLQL_ERR_IO);
  CU_ASSERT_EQUAL(clql_profile_load(clql_test_dir, &set, detail, sizeof detail), CLQL_ERR_IO);
  /* The public API says the same, with the detail for the caller. */
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_profile_devices(missing, NULL, NULL, 0, &n), CLQL_ERR_IO);
  CU_ASSERT_EQUAL(clql_profile_devices(profile_file("bad.json", "[{\"id\": \"x\", \"vendor_id\": "
                                                                "\"AMD\"}]"),
                                       NULL, NULL, 0, &n),
                  CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "vendor_id"));
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "'x'"));
}

static void test_sizes_and_fields(void) {
  clql_profile_set *set = load_text(
      "sizes.json",
      "[{\"id\": \"mib\", \"global_mem_size_mib\": 10922.7, \"max_mem_alloc_size_mib\": 3045,"
      "  \"vendor_id\": \"0x1027f00\", \"device_type\": \"gpu\"},"
      " {\"id\": \"both\", \"global_mem_size\": 1000, \"global_mem_size_mib\": 1,"
      "  \"max_mem_alloc_size\": 0, \"vendor_id\": 4318, \"host_unified_memory\": null},"
      " {\"id\": \"max\", \"global_mem_size_mib\": 17592186044415, \"pci_bus_id\": \"n/a\","
      "  \"device_uuid\": \"20410a11-0f3a-3f04-33a2\"}]");
  CLQL_REQUIRE(set->count == 3);
  const clql_profile_record *r = clql_profile_find(set, "mib");
  CLQL_REQUIRE(r != NULL);
  CU_ASSERT_TRUE(r->has_global_mem);
  CU_ASSERT_EQUAL(r->global_mem, (cl_ulong)floor(10922.7 * 1048576.0));
  CU_ASSERT_EQUAL(r->global_mem, 11453281075ULL);
  CU_ASSERT_EQUAL(r->max_alloc, 3045ULL << 20);
  CU_ASSERT_EQUAL(r->vendor_id, 0x1027f00);
  CU_ASSERT_EQUAL(r->type, CL_DEVICE_TYPE_GPU);
  CU_ASSERT_EQUAL(r->host_unified_memory, CLQL_FIELD_ABSENT);
  r = clql_profile_find(set, "both");
  CU_ASSERT_EQUAL(r->global_mem, 1000); /* bytes win over MiB */
  CU_ASSERT_TRUE(r->has_max_alloc);
  CU_ASSERT_EQUAL(r->max_alloc, 0);
  CU_ASSERT_EQUAL(r->vendor_id, 0x10de);
  CU_ASSERT_EQUAL(r->type, 0);
  r = clql_profile_find(set, "max");
  CU_ASSERT_EQUAL(r->global_mem, 17592186044415ULL << 20);
  CU_ASSERT_FALSE(r->has_pci);  /* unparseable identity strings answer nothing */
  CU_ASSERT_FALSE(r->has_uuid);
  CU_ASSERT_PTR_NULL(clql_profile_find(set, "MIB"));
  clql_profile_free(set);
}

/* No total in the record: the smallest total its other figures imply. */
static void test_derived_total(void) {
  clql_profile_set *set = load_text(
      "derived.json",
      "[{\"id\": \"alloc-only\", \"max_mem_alloc_size\": 14588628168},"
      " {\"id\": \"free-larger\", \"max_mem_alloc_size\": 14588628168,"
      "  \"amd_global_free_memory_kib\": [16558080, 16558080]},"
      " {\"id\": \"nothing\", \"device_type\": \"GPU\"}]");
  const clql_profile_record *r = clql_profile_find(set, "alloc-only");
  CU_ASSERT_TRUE(r->has_global_mem && r->global_mem_derived);
  CU_ASSERT_EQUAL(r->global_mem, 14588628168ULL);
  r = clql_profile_find(set, "free-larger");
  CU_ASSERT_EQUAL(r->global_mem, 16558080ULL * 1024);
  r = clql_profile_find(set, "nothing");
  CU_ASSERT_FALSE(r->has_global_mem); /* nothing implied: PoCL's own figure passes through */
  clql_profile_free(set);
}

static void test_pci_and_uuid_parsing(void) {
  cl_uint d, b, v, f;
  CU_ASSERT_TRUE(clql_parse_pci_bus_id("0000:1a:00.0", &d, &b, &v, &f));
  CU_ASSERT(d == 0 && b == 0x1a && v == 0 && f == 0);
  CU_ASSERT_TRUE(clql_parse_pci_bus_id("0b:00.0", &d, &b, &v, &f));
  CU_ASSERT(d == 0 && b == 0x0b && v == 0 && f == 0);
  CU_ASSERT_TRUE(clql_parse_pci_bus_id("00000001:01:1f.7", &d, &b, &v, &f));
  CU_ASSERT(d == 1 && b == 1 && v == 0x1f && f == 7);
  CU_ASSERT_TRUE(
      clql_parse_pci_bus_id("0000:03:00.0 (Device Topology (AMD)); PCIe ID 0x744c", &d, &b, &v, &f));
  CU_ASSERT(d == 0 && b == 3);
  const char *bad[] = {"", "0000:1a:00", "0000:1a:00.8", "0000:1a:20.0", "1a:00", "0000:1g:00.0",
                       "0000:1a:00.0x", "100:00.0", "PCI-E, 0000:1a:00.0"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CU_ASSERT_FALSE(clql_parse_pci_bus_id(bad[i], &d, &b, &v, &f));
  unsigned char u[16];
  CU_ASSERT_TRUE(clql_parse_uuid("20410a11-0f3a-3f04-33A2-f5d432cea4ac", u));
  CU_ASSERT(u[0] == 0x20 && u[1] == 0x41 && u[9] == 0xa2 && u[15] == 0xac);
  CU_ASSERT_FALSE(clql_parse_uuid("20410a11-0f3a-3f04-33a2-f5d432cea4a", u));
  CU_ASSERT_FALSE(clql_parse_uuid("20410a11-0f3a-3f04-33a2-f5d432cea4acc", u));
  CU_ASSERT_FALSE(clql_parse_uuid("20410a110f3a3f0433a2f5d432cea4ac", u));
}

/* ---- answers ---- */

static clql_profile_set *layer_set;

static const clql_profile_record *layer_record(void) {
  char detail[512];
  if (!layer_set)
    CLQL_REQUIRE(clql_profile_load(data_file("profile_layer.json"), &layer_set, detail, sizeof detail) ==
                 CLQL_SUCCESS);
  return clql_profile_find(layer_set, "layer-amd");
}

static void test_answer_protocol(void) {
  const clql_profile_record *r = layer_record();
  CLQL_REQUIRE(r != NULL);
  cl_int err = 0;
  size_t got = 0;
  char name[64];
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CL_DEVICE_NAME, 0, NULL, &got, &err));
  CU_ASSERT_EQUAL(err, CL_SUCCESS);
  CU_ASSERT_EQUAL(got, strlen("gfx-test") + 1);
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CL_DEVICE_NAME, 4, name, &got, &err));
  CU_ASSERT_EQUAL(err, CL_INVALID_VALUE);
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CL_DEVICE_NAME, sizeof name, name, NULL, &err));
  CU_ASSERT_EQUAL(err, CL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(name, "gfx-test");
  cl_ulong size = 0;
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof size,
                                          &size, &got, &err));
  CU_ASSERT_EQUAL(size, 2048ULL << 20);
  CU_ASSERT_EQUAL(got, sizeof size);
  cl_uint small = 0;
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof small, &small,
                                          NULL, &err));
  CU_ASSERT_EQUAL(err, CL_INVALID_VALUE);
  /* Absent fields pass through. */
  CU_ASSERT_FALSE(clql_profile_device_info(r, NULL, CL_DEVICE_VERSION, 0, NULL, &got, &err));
  CU_ASSERT_FALSE(clql_profile_device_info(r, NULL, CL_DEVICE_MAX_WORK_GROUP_SIZE, 0, NULL, &got,
                                           &err));
  char platform[64];
  CU_ASSERT_TRUE(clql_profile_platform_info(r, CL_PLATFORM_VENDOR, sizeof platform, platform, NULL,
                                            &err));
  CU_ASSERT_STRING_EQUAL(platform, "Layer Vendor");
  CU_ASSERT_FALSE(clql_profile_platform_info(r, CL_PLATFORM_VERSION, 0, NULL, &got, &err));
}

static void test_answer_amd_free(void) {
  const clql_profile_record *r = layer_record();
  CLQL_REQUIRE(r != NULL);
  cl_int err = 0;
  size_t got = 0, kib[4] = {0, 0, 0, 0};
  const cl_device_info q = CLQL_CL_DEVICE_GLOBAL_FREE_MEMORY_AMD;
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, q, 0, NULL, &got, &err));
  CU_ASSERT_EQUAL(got, sizeof(size_t)); /* ROCm: a size query answers one value */
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, q, sizeof(size_t), kib, &got, &err));
  CU_ASSERT(err == CL_SUCCESS && got == sizeof(size_t) && kib[0] == 1000 && kib[1] == 0);
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, q, 2 * sizeof(size_t), kib, &got, &err));
  CU_ASSERT(err == CL_SUCCESS && got == 2 * sizeof(size_t) && kib[0] == 1000 && kib[1] == 900);
  kib[2] = 77;
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, q, sizeof kib, kib, &got, &err));
  CU_ASSERT(got == 2 * sizeof(size_t) && kib[2] == 77);
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, q, 4, kib, &got, &err));
  CU_ASSERT_EQUAL(err, CL_INVALID_VALUE);
}

static void test_answer_identity(void) {
  const clql_profile_record *r = layer_record();
  CLQL_REQUIRE(r != NULL);
  cl_int err = 0;
  clql_cl_pci_bus_info_khr khr;
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CLQL_CL_DEVICE_PCI_BUS_INFO_KHR, sizeof khr,
                                          &khr, NULL, &err));
  CU_ASSERT(khr.domain == 0 && khr.bus == 0x0a && khr.device == 0 && khr.function == 0);
  clql_cl_topology_amd topo;
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CLQL_CL_DEVICE_TOPOLOGY_AMD, sizeof topo, &topo,
                                          NULL, &err));
  CU_ASSERT_EQUAL(topo.pcie.type, CLQL_CL_DEVICE_TOPOLOGY_TYPE_PCIE_AMD);
  CU_ASSERT_EQUAL((unsigned char)topo.pcie.bus, 0x0a);
  unsigned char uuid[16];
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CLQL_CL_DEVICE_UUID_KHR, sizeof uuid, uuid,
                                          NULL, &err));
  CU_ASSERT(uuid[0] == 0x00 && uuid[1] == 0x11 && uuid[15] == 0xff);
  /* No NVIDIA extension, so no NVIDIA attribute answers. */
  cl_uint bus;
  CU_ASSERT_FALSE(clql_profile_device_info(r, NULL, CLQL_CL_DEVICE_PCI_BUS_ID_NV, sizeof bus, &bus,
                                           NULL, &err));
  cl_bool unified = CL_TRUE;
  CU_ASSERT_TRUE(clql_profile_device_info(r, NULL, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified,
                                          &unified, NULL, &err));
  CU_ASSERT_EQUAL(unified, CL_FALSE);
}

static void test_extension_rules(void) {
  clql_profile_set *set = load_text(
      "ext.json",
      "[{\"id\": \"implied\", \"amd_global_free_memory_kib\": [1], \"pci_bus_id\": \"01:00.0\"},"
      " {\"id\": \"listed\", \"extensions\": \"cl_a cl_amd_device_attribute_query cl_b\","
      "  \"pci_bus_id\": \"01:00.0\","
      "  \"extension_flags\": {\"cl_b\": false, \"cl_c\": true, \"cl_a\": true}},"
      " {\"id\": \"gpu\", \"device_type\": \"GPU\"}, {\"id\": \"cpu\", \"device_type\": \"CPU\"},"
      " {\"id\": \"nv\", \"device_type\": \"GPU\", \"integrated_memory_nv\": true}]");
  char *ext = clql_profile_extensions(clql_profile_find(set, "implied"), "cl_khr_fp64 cl_x");
  CU_ASSERT_STRING_EQUAL(ext, "cl_khr_fp64 cl_x cl_amd_device_attribute_query cl_khr_pci_bus_info");
  free(ext);
  ext = clql_profile_extensions(clql_profile_find(set, "implied"), NULL);
  CU_ASSERT_STRING_EQUAL(ext, "cl_amd_device_attribute_query cl_khr_pci_bus_info");
  free(ext);
  /* A recorded list replaces the device's and implies nothing; flags edit it. */
  ext = clql_profile_extensions(clql_profile_find(set, "listed"), "cl_khr_fp64");
  CU_ASSERT_STRING_EQUAL(ext, "cl_a cl_amd_device_attribute_query cl_c");
  free(ext);
  cl_int err;
  cl_bool unified;
  const char *ids[] = {"gpu", "cpu", "nv"};
  const cl_bool expect[] = {CL_FALSE, CL_TRUE, CL_TRUE};
  for (int i = 0; i < 3; i++) {
    CU_ASSERT_TRUE(clql_profile_device_info(clql_profile_find(set, ids[i]), NULL,
                                            CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified,
                                            &unified, NULL, &err));
    CU_ASSERT_EQUAL(unified, expect[i]);
  }
  size_t got;
  CU_ASSERT_FALSE(clql_profile_device_info(clql_profile_find(set, "implied"), NULL,
                                           CL_DEVICE_HOST_UNIFIED_MEMORY, 0, NULL, &got, &err));
  clql_profile_free(set);
}

/* ---- clql_profile_devices ---- */

static void test_profile_devices(void) {
  const char *path = data_file("quirks.json");
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_profile_devices(path, NULL, NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 9);
  clql_device_info devs[9], one;
  size_t got = 0;
  CU_ASSERT_EQUAL(clql_profile_devices(path, NULL, devs, 2, &got), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(got, 9);
  CU_ASSERT_STRING_EQUAL(devs[1].profile_id, "amd-free-above-total");
  CU_ASSERT_EQUAL(clql_profile_devices(path, NULL, devs, 9, &got), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_profile_devices(path, "no-such", &one, 1, &got), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "no-such"));
  CU_ASSERT_EQUAL(clql_profile_devices(path, NULL, NULL, 1, &got), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_profile_devices(path, NULL, devs, 9, NULL), CLQL_ERR_INVALID_ARGUMENT);

  CLQL_REQUIRE(clql_profile_devices(path, "amd-one-value", &one, 1, &got) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(got, 1);
  CU_ASSERT_EQUAL(one.index, 0);
  CU_ASSERT_EQUAL(one.device_index, 0);
  CU_ASSERT_PTR_NULL(one.device);
  CU_ASSERT_STRING_EQUAL(one.name, "gfx1030");
  CU_ASSERT_STRING_EQUAL(one.platform_name, "AMD Accelerated Parallel Processing");
  CU_ASSERT_EQUAL(one.vendor_id, 0x1002);
  CU_ASSERT_EQUAL(one.type, CL_DEVICE_TYPE_GPU);
  CU_ASSERT_EQUAL(one.memory.total, 8ULL << 30);
  CU_ASSERT_EQUAL(one.memory.free_source, CLQL_MEM_SOURCE_AMD_EXT);
  CU_ASSERT_EQUAL(one.memory.free, 4ULL << 30);
  CU_ASSERT_EQUAL(one.memory.largest_free_block, 0);
  CU_ASSERT_TRUE(one.memory.free_measured);

  CU_ASSERT_STRING_EQUAL(devs[1].profile_id, "amd-free-above-total");
  CU_ASSERT_EQUAL(devs[1].memory.free, 1ULL << 30);
  CU_ASSERT_EQUAL(devs[1].memory.largest_free_block, 1ULL << 30);
  CU_ASSERT_EQUAL(devs[1].memory.max_alloc, 1ULL << 30);
  CU_ASSERT_TRUE(devs[2].has_pci); /* AMD topology with a bus above 0x7f */
  CU_ASSERT_EQUAL(devs[2].pci.bus, 0xc1);
  CU_ASSERT_EQUAL(devs[2].pci.domain, 0);
  CU_ASSERT_TRUE(devs[3].has_pci); /* NVIDIA attribute queries */
  CU_ASSERT(devs[3].pci.domain == 1 && devs[3].pci.bus == 0x81 && devs[3].pci.device == 0x1f &&
            devs[3].pci.function == 3);
  CU_ASSERT_FALSE(devs[5].memory.free_known); /* AMD vendor id without the extension */
  CU_ASSERT_EQUAL(devs[5].memory.free_source, CLQL_MEM_SOURCE_NONE);
  CU_ASSERT_FALSE(devs[8].memory.free_known); /* extension removed by extension_flags */
  CU_ASSERT_EQUAL(devs[7].memory.total, 1572864);
  CU_ASSERT_EQUAL(devs[7].memory.max_alloc, 524288);
}

/* Inputs the fuzz target (tests/fuzz/fuzz_profile.c) found, from memory. */
static void test_fuzz_regressions(void) {
  /* A flag key holding two names brought back an extension another flag
   * removed (fuzz_profile: "removed by a false flag" broken). */
  static const char flag_with_space[] =
      "[{\"id\": \"a\", \"device_type\": \"GPU\", \"extensfons\": \"cl_khr_fp64 cl_aquery\", "
      "\"extension_flags\": {\"cl_khr_fp64\": false,\"cl_khr_fp64 cl_khr_xci_bus_info\": true, "
      "\"x\": true}, \"pci_bus_id\": \"0000:03:00.0 (remark)\", "
      "\"*****************************device_uuid\": \"01234567-89ab-cdef-0123-456789abcdef\", "
      "\"amd_global_free_memory_kib\": [1024, 512], \"global_mev_integrated_memory\": true}]";
  clql_profile_set *set = NULL;
  char detail[512] = "";
  CU_ASSERT_EQUAL(clql_profile_load_memory(flag_with_space, sizeof flag_with_space - 1, "fuzz",
                                           &set, detail, sizeof detail),
                  CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NULL(set);
  CU_ASSERT_PTR_NOT_NULL(strstr(detail, "extension_flags"));
  /* A false flag removes a name of any length (it used to be kept past 255
   * characters). */
  char text[1024], name[301];
  memset(name, 'e', 300);
  name[300] = '\0';
  snprintf(text, sizeof text,
           "{\"id\": \"long\", \"extensions\": \"cl_a %s cl_b\", \"extension_flags\": {\"%s\": false}}",
           name, name);
  CU_ASSERT_EQUAL_FATAL(clql_profile_load_memory(text, strlen(text), NULL, &set, detail,
                                                 sizeof detail),
                        CLQL_SUCCESS);
  char *ext = clql_profile_extensions(&set->records[0], NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ext);
  CU_ASSERT_STRING_EQUAL(ext, "cl_a cl_b");
  clql_free(ext);
  clql_profile_free(set);
  /* From memory, errors name the origin. */
  CU_ASSERT_EQUAL(clql_profile_load_memory("[", 1, NULL, &set, detail, sizeof detail),
                  CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(detail, "(memory)"));
}

static CU_TestInfo parser_tests[] = {{"fuzz_regressions", test_fuzz_regressions},{"derived_total", test_derived_total},{"malformed_fields", test_malformed_fields},
                                     {"malformed_files", test_malformed_files},
                                     {"sizes_and_fields", test_sizes_and_fields},
                                     {"pci_and_uuid", test_pci_and_uuid_parsing},
                                     CU_TEST_INFO_NULL};
static CU_TestInfo answer_tests[] = {{"protocol", test_answer_protocol},
                                     {"amd_free", test_answer_amd_free},
                                     {"identity", test_answer_identity},
                                     {"extension_rules", test_extension_rules},
                                     CU_TEST_INFO_NULL};
static CU_TestInfo api_tests[] = {{"profile_devices", test_profile_devices}, CU_TEST_INFO_NULL};

static int answers_teardown(void) {
  clql_profile_free(layer_set);
  layer_set = NULL;
  return clql_test_dir_cleanup();
}

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "parser", .pInitFunc = clql_test_dir_init, .pCleanupFunc = clql_test_dir_cleanup,
     .pTests = parser_tests},
    {.pName = "answers", .pInitFunc = clql_test_dir_init, .pCleanupFunc = answers_teardown,
     .pTests = answer_tests},
    {.pName = "api", .pTests = api_tests},
    CU_SUITE_INFO_NULL};
