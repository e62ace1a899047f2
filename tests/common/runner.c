#define _XOPEN_SOURCE 700
#include "runner.h"
#include <CUnit/Basic.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <clql.h>

static uint64_t rng_state;
static int seeded;

uint64_t clql_test_seed(void) {
  static uint64_t seed;
  if (!seeded) {
    const char *env = getenv("CLQL_TEST_SEED");
    seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (seed == 0) seed = 1;
    rng_state = seed;
    seeded = 1;
    printf("test seed: %llu (set CLQL_TEST_SEED to repeat)\n", (unsigned long long)seed);
  }
  return seed;
}

uint64_t clql_test_rand(void) {
  clql_test_seed();
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}

float clql_test_uniform(float lo, float hi) {
  return lo + (hi - lo) * (float)((clql_test_rand() >> 40) * (1.0 / 16777216.0));
}

int clql_test_int(int lo, int hi) {
  return lo + (int)(clql_test_rand() % (uint64_t)(hi - lo + 1));
}

struct clql_context *clql_test_ctx;

int clql_test_context_open(void) {
  return clql_context_create(NULL, NULL, &clql_test_ctx) == CLQL_SUCCESS ? 0 : 1;
}

int clql_test_context_close(void) {
  clql_context_destroy(clql_test_ctx);
  clql_test_ctx = NULL;
  return 0;
}

static void mkdirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
}

void clql_test_write_file(const char *dir, const char *rel, const char *text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  mkdirs(path);
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    abort();
  }
  fputs(text, f);
  fclose(f);
}

char *clql_test_mkdtemp(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/clql-test-XXXXXX", base && *base ? base : "/tmp");
  char *dir = mkdtemp(tmpl);
  if (!dir) {
    perror(tmpl);
    abort();
  }
  return strdup(dir);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

void clql_test_rmtree(const char *dir) {
  if (dir) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *clql_test_dir;

int clql_test_dir_init(void) {
  clql_test_dir = clql_test_mkdtemp();
  return 0;
}

int clql_test_dir_cleanup(void) {
  clql_test_rmtree(clql_test_dir);
  free(clql_test_dir);
  clql_test_dir = NULL;
  return 0;
}

static int run_tool_cmd(const char *prefix, const char *env_bin, const char *args, char **out,
                        int with_stderr) {
  const char *bin = getenv(env_bin);
  CLQL_REQUIRE(bin != NULL);
  char cmd[16384];
  snprintf(cmd, sizeof cmd, "%s'%s' %s %s", prefix, bin, args,
           with_stderr ? "2>&1" : "2>/dev/null");
  FILE *p = popen(cmd, "r");
  CLQL_REQUIRE(p != NULL);
  size_t cap = 1 << 16, len = 0, n;
  char *buf = malloc(cap);
  CLQL_REQUIRE(buf != NULL);
  while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
    len += n;
    if (len + 1 == cap) {
      char *bigger = realloc(buf, cap *= 2);
      CLQL_REQUIRE(bigger != NULL);
      buf = bigger;
    }
  }
  buf[len] = '\0';
  int status = pclose(p);
  if (out) *out = buf;
  else free(buf);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int clql_test_run_tool(const char *env_bin, const char *args, char **out) {
  return run_tool_cmd("", env_bin, args, out, 0);
}

int clql_test_run_tool_err(const char *env_bin, const char *args, char **out) {
  return run_tool_cmd("", env_bin, args, out, 1);
}

int clql_test_run_tool_within(const char *env_bin, const char *args, unsigned seconds,
                              char **out) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "timeout -k 5 %u ", seconds);
  return run_tool_cmd(prefix, env_bin, args, out, 1);
}

void clql_test_fifo_refused(const char *env_bin, const char *args_before, const char *args_after,
                            int code) {
  char *dir = clql_test_mkdtemp(), path[4200], args[8600], *out = NULL;
  snprintf(path, sizeof path, "%s/fifo", dir);
  CLQL_REQUIRE(mkfifo(path, 0600) == 0);
  snprintf(args, sizeof args, "%s '%s%s'", args_before, path, args_after);
  CU_ASSERT_EQUAL(clql_test_run_tool_within(env_bin, args, 30, &out), code);
  CU_ASSERT(out && strstr(out, "not a regular file"));
  free(out);
  clql_test_rmtree(dir);
  free(dir);
}

int clql_test_in_child(int (*fn)(void *), void *arg, unsigned seconds) {
  fflush(NULL);
  pid_t pid = fork();
  CLQL_REQUIRE(pid >= 0);
  if (pid == 0) {
    alarm(seconds);
    _exit(fn(arg) & 0xff);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) CLQL_REQUIRE(errno == EINTR);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int clql_test_printable(const char *text) {
  const unsigned char *p = (const unsigned char *)text;
  while (*p) {
    if (*p < 0x80) {
      if ((*p < 0x20 && *p != '\n') || *p == 0x7f) return 0;
      p++;
      continue;
    }
    /* A raw byte outside valid UTF-8 may be a C1 control to the terminal. */
    int len = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
    if (!len || *p > 0xf4) return 0;
    unsigned long cp = *p & (0x7f >> len);
    for (int i = 1; i < len; i++) {
      if ((p[i] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp <= 0x9f || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    p += len;
  }
  return 1;
}

static int have_device(void) {
  size_t n = 0;
  return clql_devices_get(NULL, 0, &n) == CLQL_SUCCESS && n > 0;
}

static void usage(const char *argv0) {
  printf("usage: %s [-s SUITE] [-t TEST] [-l]\n"
         "  -s SUITE  run only this suite\n  -t TEST   run only this test (with -s)\n"
         "  -l        list suites and tests\n",
         argv0);
}

int main(int argc, char **argv) {
  const char *suite_name = NULL, *test_name = NULL;
  int list = 0, opt;
  while ((opt = getopt(argc, argv, "s:t:lh")) != -1) {
    switch (opt) {
    case 's': suite_name = optarg; break;
    case 't': test_name = optarg; break;
    case 'l': list = 1; break;
    case 'h': usage(argv[0]); return 0;
    default: usage(argv[0]); return 2;
    }
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return (int)CU_get_error();
  if (CU_register_suites(clql_test_suites) != CUE_SUCCESS) {
    fprintf(stderr, "suite registration failed: %s\n", CU_get_error_msg());
    CU_cleanup_registry();
    return 1;
  }
  if (list) {
    for (CU_pSuite s = CU_get_registry()->pSuite; s; s = s->pNext)
      for (CU_pTest t = s->pTest; t; t = t->pNext) printf("%s/%s\n", s->pName, t->pName);
    CU_cleanup_registry();
    return 0;
  }
  if (clql_test_needs_device && !have_device()) {
    /* In CI a missing device is a broken setup, not a reason to pass. */
    const int ci = getenv("CI") != NULL;
    printf("%s: no OpenCL device (%s)\n", ci ? "FAIL" : "SKIP", clql_last_error_detail());
    CU_cleanup_registry();
    return ci ? 1 : 77;
  }
  clql_test_seed();
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_set_error_action(CUEA_IGNORE);
  CU_ErrorCode rc = CUE_SUCCESS;
  if (suite_name) {
    CU_pSuite s = CU_get_suite(suite_name);
    if (!s) {
      fprintf(stderr, "no suite '%s'\n", suite_name);
      CU_cleanup_registry();
      return 2;
    }
    if (test_name) {
      CU_pTest t = CU_get_test(s, test_name);
      if (!t) {
        fprintf(stderr, "no test '%s' in suite '%s'\n", test_name, suite_name);
        CU_cleanup_registry();
        return 2;
      }
      rc = CU_basic_run_test(s, t);
    } else {
      rc = CU_basic_run_suite(s);
    }
  } else {
    rc = CU_basic_run_tests();
  }
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
                      CU_get_number_of_suites_failed();
  unsigned ran = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  if (rc != CUE_SUCCESS) return 1;
  if (ran == 0) {
    fprintf(stderr, "no test ran\n");
    return 1;
  }
  return failures ? 1 : 0;
}
