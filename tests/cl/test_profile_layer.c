/* The profile layer inside the real ICD loader (OPENCL_LAYERS set by ctest):
 * the OpenCL calls it answers, the size-query protocol, the pass-through of
 * what the record lacks, kernels still running on PoCL, and a bad file or id
 * passing everything through with one warning.
 *   suite profile_layer  CLQL_PROFILE_FILE=data/profile_layer.json CLQL_PROFILE_ID=layer-amd
 *   suite passthrough    a missing file or record */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <clql.h>
#include "runner.h"

/* Checked in the suites: passthrough must see the loader start itself. */
const int clql_test_needs_device = 0;

#define AMD_FREE_MEMORY 0x4039
#define AMD_TOPOLOGY 0x4037
#define KHR_PCI_BUS_INFO 0x410F

static cl_platform_id platform;
static cl_device_id device;

static void skip_without_platform(cl_int err, cl_uint n) {
  if (err == CL_SUCCESS && n > 0) return;
  printf("SKIP: no OpenCL platform (error %d, %u platforms)\n", err, n);
  exit(77);
}

static int layer_setup(void) {
  cl_uint n = 0;
  cl_int err = clGetPlatformIDs(1, &platform, &n);
  skip_without_platform(err, n);
  return clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, &n) != CL_SUCCESS;
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  char *text = calloc(1, 65536);
  if (f && text && fread(text, 1, 65535, f) == 0) text[0] = '\0';
  if (f) fclose(f);
  return text;
}

static void test_platform(void) {
  char text[128];
  size_t got = 0;
  CU_ASSERT_EQUAL(clGetPlatformInfo(platform, CL_PLATFORM_NAME, 0, NULL, &got), CL_SUCCESS);
  CU_ASSERT_EQUAL(got, strlen("Layer Test Platform") + 1);
  CU_ASSERT_EQUAL(clGetPlatformInfo(platform, CL_PLATFORM_NAME, 5, text, NULL), CL_INVALID_VALUE);
  CU_ASSERT_EQUAL(clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof text, text, NULL), CL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(text, "Layer Test Platform");
  CU_ASSERT_EQUAL(clGetPlatformInfo(platform, CL_PLATFORM_VENDOR, sizeof text, text, NULL),
                  CL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(text, "Layer Vendor");
  /* Not in the record: PoCL's own answer. */
  CU_ASSERT_EQUAL(clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof text, text, NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(strncmp(text, "OpenCL ", 7), 0);
}

static void test_device_ids(void) {
  cl_uint n = 0;
  cl_device_id d = NULL;
  CU_ASSERT_EQUAL(clGetDeviceIDs(platform, CL_DEVICE_TYPE_GPU, 1, &d, &n), CL_SUCCESS);
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT_PTR_EQUAL(d, device);
  n = 99;
  CU_ASSERT_EQUAL(clGetDeviceIDs(platform, CL_DEVICE_TYPE_CPU, 1, &d, &n), CL_DEVICE_NOT_FOUND);
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_EQUAL(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ACCELERATOR, 0, NULL, &n),
                  CL_DEVICE_NOT_FOUND);
  CU_ASSERT_EQUAL(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n), CL_SUCCESS);
  CU_ASSERT_EQUAL(n, 1);
  cl_int err = 0;
  cl_context ctx = clCreateContextFromType(NULL, CL_DEVICE_TYPE_GPU, NULL, NULL, &err);
  CU_ASSERT_EQUAL(err, CL_SUCCESS);
  if (ctx) clReleaseContext(ctx);
  ctx = clCreateContextFromType(NULL, CL_DEVICE_TYPE_CPU, NULL, NULL, &err);
  CU_ASSERT_PTR_NULL(ctx);
  CU_ASSERT_EQUAL(err, CL_DEVICE_NOT_FOUND);
}

static void test_device_info(void) {
  char text[4096];
  size_t got = 0;
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_NAME, 0, NULL, &got), CL_SUCCESS);
  CU_ASSERT_EQUAL(got, sizeof "gfx-test");
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_NAME, 3, text, NULL), CL_INVALID_VALUE);
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof text, text, &got), CL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(text, "gfx-test");
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, 0x4038, sizeof text, text, NULL), CL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(text, "Radeon Layer Test");
  cl_ulong size = 0;
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof size, &size, NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(size, 8ULL << 30);
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof size, &size, NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(size, 2ULL << 30);
  cl_uint small = 0;
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof small, &small, NULL),
                  CL_INVALID_VALUE);
  cl_device_type type = 0;
  clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  CU_ASSERT_EQUAL(type, CL_DEVICE_TYPE_GPU);
  cl_uint vendor = 0, units = 0;
  clGetDeviceInfo(device, CL_DEVICE_VENDOR_ID, sizeof vendor, &vendor, NULL);
  CU_ASSERT_EQUAL(vendor, 0x1002);
  clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
  CU_ASSERT_EQUAL(units, 7);
  cl_bool unified = CL_TRUE;
  clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
  CU_ASSERT_EQUAL(unified, CL_FALSE);
  /* Absent from the record: PoCL answers. */
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_VERSION, sizeof text, text, NULL), CL_SUCCESS);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "PoCL"));
  size_t wg = 0;
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL),
                  CL_SUCCESS);
  CU_ASSERT(wg > 0);
  /* PoCL's list plus what the record's data implies. */
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, sizeof text, text, NULL),
                  CL_SUCCESS);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "cl_khr_byte_addressable_store"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "cl_amd_device_attribute_query"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "cl_khr_pci_bus_info"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "cl_khr_device_uuid"));
}

static void test_amd_free_memory(void) {
  size_t kib[3] = {0, 0, 0}, got = 0;
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, AMD_FREE_MEMORY, 0, NULL, &got), CL_SUCCESS);
  CU_ASSERT_EQUAL(got, sizeof(size_t)); /* as ROCm: one value for a size query */
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, AMD_FREE_MEMORY, sizeof(size_t), kib, &got), CL_SUCCESS);
  CU_ASSERT(got == sizeof(size_t) && kib[0] == 1000 && kib[1] == 0);
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, AMD_FREE_MEMORY, sizeof kib, kib, &got), CL_SUCCESS);
  CU_ASSERT(got == 2 * sizeof(size_t) && kib[0] == 1000 && kib[1] == 900 && kib[2] == 0);
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, AMD_FREE_MEMORY, 2, kib, &got), CL_INVALID_VALUE);
  struct {
    cl_uint domain, bus, device, function;
  } pci;
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, KHR_PCI_BUS_INFO, sizeof pci, &pci, NULL), CL_SUCCESS);
  CU_ASSERT(pci.domain == 0 && pci.bus == 0x0a && pci.device == 0 && pci.function == 0);
  cl_uint topology[6];
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, AMD_TOPOLOGY, sizeof topology, topology, NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(topology[0], 1);
}

/* clql on top: the report, and a kernel that still runs on PoCL. */
static void test_clql_on_layer(void) {
  clql_device_info info;
  CLQL_REQUIRE(clql_device_select(NULL, &info) == CLQL_SUCCESS); /* the first GPU */
  CU_ASSERT_STRING_EQUAL(info.name, "gfx-test");
  CU_ASSERT_EQUAL(info.type, CL_DEVICE_TYPE_GPU);
  CU_ASSERT_EQUAL(info.memory.free_source, CLQL_MEM_SOURCE_AMD_EXT);
  CU_ASSERT_EQUAL(info.memory.free, 1000 * 1024);
  CU_ASSERT_EQUAL(info.memory.largest_free_block, 900 * 1024);
  CU_ASSERT_TRUE(info.has_pci);
  CU_ASSERT_EQUAL(info.pci.bus, 0x0a);
  CU_ASSERT_STRING_EQUAL(info.profile_id, ""); /* a live device, whatever it answers */

  clql_context *ctx = NULL;
  CLQL_REQUIRE(clql_context_create(NULL, NULL, &ctx) == CLQL_SUCCESS);
  enum { TOKENS = 3, K = 64 };
  float x[TOKENS * K], ref_scales[TOKENS], scales[TOKENS];
  int8_t ref_q[TOKENS * K], q[TOKENS * K];
  for (int i = 0; i < TOKENS * K; i++) x[i] = clql_test_uniform(-4.0f, 4.0f);
  CU_ASSERT_EQUAL(clql_ref_quantize_activations(x, TOKENS, K, ref_q, K, ref_scales), CLQL_SUCCESS);
  cl_context cl = clql_context_cl_context(ctx);
  cl_command_queue queue = clql_context_queue(ctx);
  cl_int err = 0;
  cl_mem dx = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof x, x, &err);
  cl_mem dq = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, sizeof q, NULL, &err);
  cl_mem ds = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, sizeof scales, NULL, &err);
  CU_ASSERT_EQUAL(clql_quantize_activations(ctx, dx, TOKENS, K, dq, K, ds), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue, dq, CL_TRUE, 0, sizeof q, q, 0, NULL, NULL), CL_SUCCESS);
  CU_ASSERT_EQUAL(clEnqueueReadBuffer(queue, ds, CL_TRUE, 0, sizeof scales, scales, 0, NULL, NULL),
                  CL_SUCCESS);
  CU_ASSERT_EQUAL(memcmp(q, ref_q, sizeof q), 0);
  CU_ASSERT_EQUAL(memcmp(scales, ref_scales, sizeof scales), 0);
  clReleaseMemObject(dx);
  clReleaseMemObject(dq);
  clReleaseMemObject(ds);
  clql_context_destroy(ctx);
}

/* A missing file or record: one warning on stderr, PoCL's answers. */
static void test_passthrough(void) {
  char *dir = clql_test_mkdtemp(), path[4096];
  snprintf(path, sizeof path, "%s/stderr", dir);
  fflush(stderr);
  int saved = dup(2);
  CLQL_REQUIRE(saved >= 0 && freopen(path, "w", stderr) != NULL);
  cl_uint n = 0;
  cl_int err = clGetPlatformIDs(1, &platform, &n); /* the loader starts here */
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char *text = read_all(path);
  CLQL_REQUIRE(text != NULL);
  printf("%s", text);
  skip_without_platform(err, n);
  const char *first = strstr(text, "clql profile layer:");
  CU_ASSERT_PTR_NOT_NULL(first);
  if (first) CU_ASSERT_PTR_NULL(strstr(first + 1, "clql profile layer:"));
  free(text);
  clql_test_rmtree(dir);
  free(dir);
  CU_ASSERT_EQUAL(clGetDeviceIDs(platform, CL_DEVICE_TYPE_CPU, 1, &device, &n), CL_SUCCESS);
  cl_device_type type = 0;
  clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  CU_ASSERT_EQUAL(type, CL_DEVICE_TYPE_CPU);
  char name[256];
  clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL);
  CU_ASSERT_STRING_NOT_EQUAL(name, "gfx-test");
  size_t got = 0;
  CU_ASSERT_EQUAL(clGetDeviceInfo(device, AMD_FREE_MEMORY, 0, NULL, &got), CL_INVALID_VALUE);
}

static CU_TestInfo profile_layer_tests[] = {{"platform", test_platform},
                                            {"device_ids", test_device_ids},
                                            {"device_info", test_device_info},
                                            {"amd_free_memory", test_amd_free_memory},
                                            {"clql_on_layer", test_clql_on_layer},
                                            CU_TEST_INFO_NULL};
static CU_TestInfo passthrough_tests[] = {{"warns_once", test_passthrough}, CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "profile_layer", .pInitFunc = layer_setup, .pTests = profile_layer_tests},
    {.pName = "passthrough", .pTests = passthrough_tests},
    CU_SUITE_INFO_NULL};
