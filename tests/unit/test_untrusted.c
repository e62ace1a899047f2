/* Untrusted files: every path clql opens is refused without blocking when it
 * is not a regular file (a FIFO has no writer here, so a blocking open would
 * wait forever; each call runs in a child under an alarm). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../lib/internal.h"
#include "../../lib/test_hooks.h"
#include "../../lib/device/profile.h"
#include "../../probes/probe.h"
#include "gguf_build.h"
#include "runner.h"

const int clql_test_needs_device = 0;

#define LIMIT_S 20 /* far beyond what a refusal takes, even under valgrind */

static char fifo[4200], fifo_link[4200];

static int files_init(void) {
  clql_test_dir_init();
  snprintf(fifo, sizeof fifo, "%s/fifo", clql_test_dir);
  snprintf(fifo_link, sizeof fifo_link, "%s/link", clql_test_dir);
  if (mkfifo(fifo, 0600) != 0 || symlink(fifo, fifo_link) != 0) return 1;
  return 0;
}

/* Each returns 0 when the call refused the path as it must, 1 otherwise. */
static int gguf_refuses(void *path) {
  clql_gguf *g = NULL;
  clql_status st = clql_gguf_open(path, &g);
  return !(st == CLQL_ERR_IO && !g && strstr(clql_last_error_detail(), "not a regular file"));
}

static int model_refuses(void *path) {
  size_t n = 0;
  clql_status st = clql_model_load(path, CLQL_QTYPE_I2S, NULL, 0, &n);
  return !(st == CLQL_ERR_IO && strstr(clql_last_error_detail(), "not a regular file"));
}

static int profile_refuses(void *path) {
  clql_profile_set *set = NULL;
  char detail[512] = "";
  clql_status st = clql_profile_load(path, &set, detail, sizeof detail);
  if (st != CLQL_ERR_IO || set || !strstr(detail, "not a regular file")) return 1;
  size_t n = 0;
  return clql_profile_devices(path, NULL, NULL, 0, &n) != CLQL_ERR_IO;
}

/* A vendor library named by path (CLQL_NVML_LIBRARY, CLQL_LEVEL_ZERO_LIBRARY). */
static int library_refuses(void *path) {
  char failure[256] = "";
  void *lib = clql_probe_dlopen(path, failure, sizeof failure);
  return !(lib == NULL && strstr(failure, "not a regular file"));
}

/* The reader of every small text file: /proc, /sys and CLQL_KERNEL_DIR. */
static int text_refuses(void *path) {
  char *text = (char *)1;
  return !(clql_read_text_file(path, 4096, &text) == 0 && text == NULL);
}

static void test_fifo(void) {
  int (*calls[])(void *) = {gguf_refuses, model_refuses, profile_refuses, text_refuses,
                            library_refuses};
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    CU_ASSERT_EQUAL(clql_test_in_child(calls[i], fifo, LIMIT_S), 0);
    CU_ASSERT_EQUAL(clql_test_in_child(calls[i], fifo_link, LIMIT_S), 0);
  }
}

static void test_directory_and_device(void) {
  CU_ASSERT_EQUAL(gguf_refuses(clql_test_dir), 0);
  CU_ASSERT_EQUAL(model_refuses(clql_test_dir), 0);
  CU_ASSERT_EQUAL(profile_refuses(clql_test_dir), 0);
  CU_ASSERT_EQUAL(text_refuses(clql_test_dir), 0);
  /* a character device: refused before it is opened */
  CU_ASSERT_EQUAL(clql_test_in_child(model_refuses, "/dev/zero", LIMIT_S), 0);
  CU_ASSERT_EQUAL(clql_test_in_child(text_refuses, "/dev/zero", LIMIT_S), 0);
}

static void test_regular_still_read(void) {
  clql_test_write_file(clql_test_dir, "m.txt", "q 16 128\n");
  char path[4200];
  snprintf(path, sizeof path, "%s/m.txt", clql_test_dir);
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_model_load(path, CLQL_QTYPE_I2S, NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 1);
  char *text = NULL;
  CU_ASSERT_EQUAL(clql_read_text_file(path, 4, &text), 1);
  CU_ASSERT_STRING_EQUAL(text, "q 16");
  clql_free(text);
  uint64_t size = 0;
  const char *why = NULL;
  int fd = clql_open_regular(path, &size, &why);
  CU_ASSERT(fd >= 0 && size == 9);
  if (fd >= 0) close(fd);
  snprintf(path, sizeof path, "%s/absent", clql_test_dir);
  CU_ASSERT_EQUAL(clql_open_regular(path, &size, &why), -1);
  CU_ASSERT_EQUAL(errno, ENOENT);
  CU_ASSERT_STRING_EQUAL(why, strerror(ENOENT));
}

/* ---- GGUF memory: in proportion to the bytes validated ----
 * Sparse files of 8 GiB (no disk used) whose header claims 2^26 entries: a
 * reader that sized its directory from the header would ask for gigabytes
 * before reading the second entry. The allocator hook counts the bytes the
 * library asks for (an upper bound of what it holds at once). */

#define SPARSE_SIZE (8ull << 30)
#define CLAIM (1ull << 26)

/* A sparse file of SPARSE_SIZE bytes starting with the builder's bytes. */
static void sparse_file(const char *name, const gb_buf *head, char *path, size_t size) {
  snprintf(path, size, "%s/%s", clql_test_dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CLQL_REQUIRE(fd >= 0);
  CLQL_REQUIRE(write(fd, head->p, head->len) == (ssize_t)head->len);
  CLQL_REQUIRE(ftruncate(fd, (off_t)SPARSE_SIZE) == 0);
  close(fd);
}

static void header(gb_buf *b, uint64_t tensors, uint64_t kv) {
  gb_bytes(b, "GGUF", 4);
  gb_u32(b, 3);
  gb_u64(b, tensors);
  gb_u64(b, kv);
}

/* Open path with every allocation counted: the status, *bytes asked for. */
static clql_status open_counted(const char *path, unsigned long long *bytes) {
  clql_gguf *g = NULL;
  clql_alloc_fault_arm(0, 0);
  clql_status st = clql_gguf_open(path, &g);
  clql_alloc_fault_disarm();
  *bytes = clql_alloc_fault_bytes();
  clql_gguf_close(g);
  return st;
}

/* The ratio the reader promises: bytes asked for at most 32 times the
 * bytes of the file read so far, plus a little. */
#define BOUND(validated) (32ull * (validated) + (64u << 10))

static void test_sparse_duplicate_at_once(void) {
  char path[4300];
  unsigned long long bytes = 0;
  /* 2^26 tensors of zeros: the empty name twice, at #0 and #1 */
  gb_buf b = {0};
  header(&b, CLAIM, 0);
  sparse_file("tensors.gguf", &b, path, sizeof path);
  CU_ASSERT_EQUAL(open_counted(path, &bytes), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "appears twice (#0 and #1)"));
  CU_ASSERT(bytes <= BOUND(b.len + 2 * 24));
  printf("\n    2^26 tensors claimed: %llu bytes asked for ", bytes);
  /* the same with 2^26 metadata entries: the empty key twice */
  b.len = 0;
  header(&b, 0, CLAIM);
  sparse_file("keys.gguf", &b, path, sizeof path);
  CU_ASSERT_EQUAL(open_counted(path, &bytes), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "metadata: key '' appears twice"));
  CU_ASSERT(bytes <= BOUND(b.len + 2 * 13));
  free(b.p);
}

static void test_sparse_duplicate_later(void) {
  enum { UNIQUE = 20000 };
  char path[4300], name[32];
  unsigned long long bytes = 0;
  gb_buf b = {0};
  header(&b, CLAIM, 0);
  for (int i = 0; i <= UNIQUE; i++) { /* t0 .. t19999, then t7 again */
    snprintf(name, sizeof name, "t%d", i < UNIQUE ? i : 7);
    gb_str(&b, name);
    gb_u32(&b, 1);      /* n_dims */
    gb_u64(&b, 32);     /* dims[0] */
    gb_u32(&b, 0);      /* F32 */
    gb_u64(&b, 0);      /* offset */
  }
  sparse_file("later.gguf", &b, path, sizeof path);
  CU_ASSERT_EQUAL(open_counted(path, &bytes), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "'t7' appears twice (#7 and #20000)"));
  CU_ASSERT(bytes <= BOUND(b.len));
  printf("\n    %d tensors read (%zu bytes): %llu bytes asked for ", UNIQUE + 1, b.len, bytes);
  free(b.p);
}

/* An array claiming 2^26 strings whose 1001st runs past the end: nothing is
 * reserved for its elements before they are all checked. */
static void test_sparse_array(void) {
  char path[4300];
  unsigned long long bytes = 0;
  gb_buf b = {0};
  header(&b, 0, 1);
  gb_str(&b, "a");
  gb_u32(&b, GT_ARR);
  gb_u32(&b, GT_STR);
  gb_u64(&b, CLAIM);
  for (int i = 0; i < 1000; i++) gb_str(&b, "x");
  gb_u64(&b, UINT64_MAX / 2); /* a string length past the end */
  sparse_file("array.gguf", &b, path, sizeof path);
  CU_ASSERT_EQUAL(open_counted(path, &bytes), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "runs past the end"));
  CU_ASSERT(bytes <= BOUND(b.len));
  free(b.p);
}

static CU_TestInfo gguf_tests[] = {{"sparse_duplicate_at_once", test_sparse_duplicate_at_once},
                                   {"sparse_duplicate_later", test_sparse_duplicate_later},
                                   {"sparse_array", test_sparse_array},
                                   CU_TEST_INFO_NULL};

static CU_TestInfo file_tests[] = {{"fifo", test_fifo},
                                   {"directory_and_device", test_directory_and_device},
                                   {"regular_still_read", test_regular_still_read},
                                   CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "files", .pInitFunc = files_init, .pCleanupFunc = clql_test_dir_cleanup,
     .pTests = file_tests},
    {.pName = "gguf_memory", .pInitFunc = clql_test_dir_init, .pCleanupFunc = clql_test_dir_cleanup,
     .pTests = gguf_tests},
    CU_SUITE_INFO_NULL};
