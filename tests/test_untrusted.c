/* Untrusted files: every path clql opens is refused without blocking when it
 * is not a regular file (a FIFO has no writer here, so a blocking open would
 * wait forever; each call runs in a child under an alarm). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../lib/internal.h"
#include "../lib/profile.h"
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

/* The reader of every small text file: /proc, /sys and CLQL_KERNEL_DIR. */
static int text_refuses(void *path) {
  char *text = (char *)1;
  return !(clql_read_text_file(path, 4096, &text) == 0 && text == NULL);
}

static void test_fifo(void) {
  int (*calls[])(void *) = {gguf_refuses, model_refuses, profile_refuses, text_refuses};
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

static CU_TestInfo file_tests[] = {{"fifo", test_fifo},
                                   {"directory_and_device", test_directory_and_device},
                                   {"regular_still_read", test_regular_still_read},
                                   CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "files", .pInitFunc = files_init, .pCleanupFunc = clql_test_dir_cleanup,
     .pTests = file_tests},
    CU_SUITE_INFO_NULL};
