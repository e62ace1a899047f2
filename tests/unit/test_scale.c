/* How parsing time grows with the input, as a ratio of a large input's time
 * to a small one's on the same machine in the same run (never an absolute
 * time): linear work gives about the ratio of the sizes, a quadratic check
 * many times that. Label timing: not run under valgrind. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "../../lib/internal.h"
#include "../../lib/device/profile.h"
#include "runner.h"

const int clql_test_needs_device = 0;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A devices.json of n records with distinct ids. */
static char *profile_text(size_t n, size_t *len) {
  size_t cap = n * 96 + 16;
  char *s = malloc(cap);
  CLQL_REQUIRE(s != NULL);
  size_t k = (size_t)snprintf(s, cap, "[");
  for (size_t i = 0; i < n; i++)
    k += (size_t)snprintf(s + k, cap - k,
                          "%s{\"id\": \"gpu-%zu\", \"device_type\": \"GPU\", "
                          "\"global_mem_size\": %zu}",
                          i ? ",\n" : "", i, (i + 1) << 20);
  k += (size_t)snprintf(s + k, cap - k, "]");
  *len = k;
  return s;
}

/* The fastest of a few loads of n records, in seconds. */
static double load_time(size_t n) {
  size_t len;
  char *text = profile_text(n, &len);
  double best = 1e30;
  for (int run = 0; run < 3; run++) {
    clql_profile_set *set = NULL;
    char detail[256];
    double t0 = now_s();
    clql_status st = clql_profile_load_memory(text, len, "scale", &set, detail, sizeof detail);
    double t = now_s() - t0;
    CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
    if (set) CU_ASSERT_EQUAL(set->count, n);
    clql_profile_free(set);
    if (t < best) best = t;
  }
  free(text);
  return best;
}

static void test_profile_records(void) {
  const size_t small = 5000, large = 40000; /* 8 times the records */
  load_time(small);                        /* warm up the allocator */
  double ts = load_time(small), tl = load_time(large);
  printf("\n    %zu records %.1f ms, %zu records %.1f ms: ratio %.1f (linear: about 8) ", small,
         ts * 1e3, large, tl * 1e3, tl / ts);
  CU_ASSERT(tl / ts < 24.0);
}

/* A duplicate id is still found, however far apart the two records are. */
static void test_profile_duplicate_far(void) {
  size_t len;
  char *text = profile_text(3000, &len);
  char *last = strstr(text, "\"gpu-2999\"");
  CLQL_REQUIRE(last != NULL);
  memcpy(last, "\"gpu-0\"   ", 10); /* the same length, the first record's id */
  clql_profile_set *set = NULL;
  char detail[256] = "";
  CU_ASSERT_EQUAL(clql_profile_load_memory(text, len, "dup", &set, detail, sizeof detail),
                  CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(
      strstr(detail, "record 2999 ('gpu-0'): id: duplicate of an earlier record (0)"));
  CU_ASSERT_PTR_NULL(set);
  free(text);
}

static CU_TestInfo tests[] = {{"profile_records", test_profile_records},
                              {"profile_duplicate_far", test_profile_duplicate_far},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "scale", .pTests = tests}, CU_SUITE_INFO_NULL};
