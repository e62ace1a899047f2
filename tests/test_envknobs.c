/* The budget knobs of the environment: the strict parsers, then the
 * variables as clql_budget_compute and clql_env_problems see them. */
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "../lib/internal.h"
#include "runner.h"

const int clql_test_needs_device = 0;

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)

static const char *const knobs[] = {"CLQL_MEM_FRACTION", "CLQL_MEM_LIMIT", "CLQL_MEM_RESERVE",
                                    "CLQL_MAX_BATCH"};

static void clear_env(void) {
  for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) unsetenv(knobs[i]);
}

static int suite_init(void) {
  clear_env();
  return 0;
}

static void test_bytes(void) {
  const struct {
    const char *text;
    uint64_t want;
  } good[] = {
      {"0", 0},
      {"1", 1},
      {"512", 512},
      {"007", 7},
      {"4K", 4 * KiB},
      {"4k", 4 * KiB},
      {"4KiB", 4 * KiB},
      {"4kib", 4 * KiB},
      {"4KIB", 4 * KiB},
      {"3M", 3 * MiB},
      {"3m", 3 * MiB},
      {"3MiB", 3 * MiB},
      {"1536M", 1536 * MiB},
      {"2G", 2 * GiB},
      {"2g", 2 * GiB},
      {"2GiB", 2 * GiB},
      {"80GiB", 80 * GiB},
      {"1T", TiB},
      {"1TiB", TiB},
      {"  8G\t", 8 * GiB},
      {"\n16M\n", 16 * MiB},
      {"18446744073709551615", UINT64_MAX},
      {"16777215T", 16777215ull << 40},
      {"17179869183G", 17179869183ull << 30},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    uint64_t v = 12345;
    const char *why = NULL;
    CU_ASSERT_TRUE(clql_parse_bytes(good[i].text, &v, &why));
    CU_ASSERT_EQUAL(v, good[i].want);
    if (v != good[i].want) printf("\n  '%s' -> %llu\n", good[i].text, (unsigned long long)v);
  }
  const struct {
    const char *text, *why;
  } bad[] = {
      {"", "empty"},
      {"   ", "empty"},
      {"-1", "negative"},
      {"-4G", "negative"},
      {"+4G", NULL},
      {"4 G", NULL},
      {"4GB", "ambiguous"},
      {"4gb", "ambiguous"},
      {"4MB", "ambiguous"},
      {"4kb", "ambiguous"},
      {"1TB", "ambiguous"},
      {"1.5G", "whole number"},
      {"4X", "unknown unit"},
      {"4Gi", "unknown unit"},
      {"4GiBs", "unknown unit"},
      {"4G4", "unknown unit"},
      {"4B", "unknown unit"},
      {"G", NULL},
      {"0x10", "unknown unit"},
      {"1e9", "unknown unit"},
      {"99999999999999999999G", "too large"},
      {"99999999999999999999", "too large"},
      {"18446744073709551616", "too large"},
      {"16777216T", "too large"},
      {"17179869184G", "too large"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t v = 12345;
    const char *why = NULL;
    CU_ASSERT_FALSE(clql_parse_bytes(bad[i].text, &v, &why));
    CU_ASSERT_EQUAL(v, 12345); /* untouched: never half-parsed */
    CLQL_REQUIRE(why != NULL);
    if (bad[i].why) CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].why));
  }
}

static void test_decimal_and_integer(void) {
  const struct {
    const char *text;
    double want;
  } good[] = {{"0.9", 0.9}, {"1", 1.0},     {"1.0", 1.0},  {".5", 0.5},
              {"5.", 5.0},  {" 0.25 ", 0.25}, {"0.075", 0.075}, {"100", 100.0}};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    double v = -1;
    const char *why = NULL;
    CU_ASSERT_TRUE(clql_parse_decimal(good[i].text, &v, &why));
    CU_ASSERT_EQUAL(v, good[i].want); /* mantissa / 10^n: the correctly rounded double */
  }
  const char *bad[] = {"", "-0.5", "+0.5", "1e-1", "0.9x", "nan", "inf", "1,5", ".", "..5",
                       "1.2.3", "12345678901234567890", "0 .5"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double v = -1;
    const char *why = NULL;
    CU_ASSERT_FALSE(clql_parse_decimal(bad[i], &v, &why));
    CU_ASSERT_EQUAL(v, -1);
    CU_ASSERT_PTR_NOT_NULL(why);
  }
  uint64_t u = 7;
  const char *why = NULL;
  CU_ASSERT_TRUE(clql_parse_u64(" 100000 ", &u, &why));
  CU_ASSERT_EQUAL(u, 100000);
  const char *bad_int[] = {"", "1e5", "0x10", "-3", "3.0", "12K", "18446744073709551616"};
  for (size_t i = 0; i < sizeof bad_int / sizeof bad_int[0]; i++) {
    u = 7;
    CU_ASSERT_FALSE(clql_parse_u64(bad_int[i], &u, &why));
    CU_ASSERT_EQUAL(u, 7);
  }
}

static void test_reserve(void) {
  uint64_t bytes = 1;
  double pct = -1;
  int is_pct = -1;
  const char *why = NULL;
  CU_ASSERT_TRUE(clql_parse_reserve("7.5%", &bytes, &pct, &is_pct, &why));
  CU_ASSERT_EQUAL(is_pct, 1);
  CU_ASSERT_EQUAL(pct, 7.5);
  CU_ASSERT_TRUE(clql_parse_reserve(" 100% ", &bytes, &pct, &is_pct, &why));
  CU_ASSERT_EQUAL(pct, 100.0);
  CU_ASSERT_TRUE(clql_parse_reserve("0%", &bytes, &pct, &is_pct, &why));
  CU_ASSERT_EQUAL(pct, 0.0);
  CU_ASSERT_TRUE(clql_parse_reserve("512MiB", &bytes, &pct, &is_pct, &why));
  CU_ASSERT_EQUAL(is_pct, 0);
  CU_ASSERT_EQUAL(bytes, 512 * MiB);
  const char *bad[] = {"", "%", "101%", "100.01%", "-5%", "7.5 %", "5%%", "5%G", "x%", "-1G"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bytes = 1, pct = -1, is_pct = -1;
    CU_ASSERT_FALSE(clql_parse_reserve(bad[i], &bytes, &pct, &is_pct, &why));
    CU_ASSERT(bytes == 1 && pct == -1 && is_pct == -1);
  }
}

static clql_memory_report report_80g(void) {
  clql_memory_report m = {.total = 80 * GiB, .max_alloc = 20 * GiB, .free = 79 * GiB,
                          .free_known = 1, .free_measured = 1,
                          .free_source = CLQL_MEM_SOURCE_NVML};
  return m;
}

static void test_env_applies(void) {
  clear_env();
  clql_memory_report m = report_80g();
  clql_budget b;
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &b), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(b.from_env, 0);
  CU_ASSERT_EQUAL(b.limit, UINT64_MAX);
  CU_ASSERT_EQUAL(b.max_batch, 4096);

  setenv("CLQL_MEM_FRACTION", "0.5", 1);
  setenv("CLQL_MEM_LIMIT", "30GiB", 1);
  setenv("CLQL_MEM_RESERVE", "1G", 1);
  setenv("CLQL_MAX_BATCH", "100000", 1);
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &b), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(b.fraction, 0.5);
  CU_ASSERT_EQUAL(b.limit, 30 * GiB);
  CU_ASSERT_EQUAL(b.reserve, 1 * GiB);
  CU_ASSERT_EQUAL(b.max_batch, 100000);
  CU_ASSERT_EQUAL(b.bytes, 30 * GiB); /* min(79 - 1, 40, 30) GiB */
  CU_ASSERT_EQUAL(b.from_env, CLQL_BUDGET_FRACTION | CLQL_BUDGET_LIMIT |
                                  CLQL_BUDGET_RESERVE_BYTES | CLQL_BUDGET_MAX_BATCH);

  setenv("CLQL_MEM_RESERVE", "50%", 1);
  setenv("CLQL_MEM_LIMIT", "1T", 1);
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &b), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(b.reserve, 40 * GiB);
  CU_ASSERT_EQUAL(b.bytes, 39 * GiB); /* min(79 - 40, 40, 1024) GiB */
  CU_ASSERT_TRUE(b.from_env & CLQL_BUDGET_RESERVE_PERCENT);
  clear_env();
}

static void test_api_wins(void) {
  clear_env();
  clql_memory_report m = report_80g();
  setenv("CLQL_MEM_FRACTION", "0.7", 1);
  setenv("CLQL_MEM_RESERVE", "10%", 1);
  setenv("CLQL_MAX_BATCH", "7", 1);
  setenv("CLQL_MEM_LIMIT", "nonsense", 1); /* set in the API: not even looked at */
  clql_budget_options o = {.set = CLQL_BUDGET_FRACTION | CLQL_BUDGET_RESERVE_BYTES |
                                  CLQL_BUDGET_LIMIT,
                           .fraction = 0.5, .reserve_bytes = 2 * GiB, .limit = 100 * GiB};
  clql_budget b;
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, &o, &b), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(b.fraction, 0.5);
  CU_ASSERT_EQUAL(b.reserve, 2 * GiB); /* the API's reserve hides the variable's percent */
  CU_ASSERT_EQUAL(b.limit, 100 * GiB);
  CU_ASSERT_EQUAL(b.max_batch, 7); /* not set in the API: from the environment */
  CU_ASSERT_EQUAL(b.from_env, CLQL_BUDGET_MAX_BATCH);
  CU_ASSERT_EQUAL(b.bytes, 40 * GiB);
  /* A bad API value is an error, not a fallback to the environment. */
  o.fraction = 0;
  CU_ASSERT_EQUAL(clql_budget_compute(&m, &o, &b), CLQL_ERR_INVALID_ARGUMENT);
  clear_env();
}

static char logged[4096];
static void capture(clql_log_level level, const char *msg, void *user) {
  (void)user;
  if (level == CLQL_LOG_WARN) {
    strncat(logged, msg, sizeof logged - strlen(logged) - 2);
    strcat(logged, "\n");
  }
}

static void test_bad_env_ignored(void) {
  clear_env();
  clql_memory_report m = report_80g();
  clql_budget clean, b;
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &clean), CLQL_SUCCESS);
  setenv("CLQL_MEM_LIMIT", "99999999999999999999G", 1);
  setenv("CLQL_MEM_FRACTION", "1.5", 1);
  setenv("CLQL_MEM_RESERVE", "", 1);
  setenv("CLQL_MAX_BATCH", "100", 1); /* the good one still applies */
  logged[0] = '\0';
  clql_set_log_callback(capture, NULL, CLQL_LOG_WARN);
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &b), CLQL_SUCCESS);
  clql_set_log_callback(NULL, NULL, CLQL_LOG_OFF);
  CU_ASSERT_EQUAL(b.limit, UINT64_MAX);
  CU_ASSERT_EQUAL(b.fraction, clean.fraction);
  CU_ASSERT_EQUAL(b.reserve, clean.reserve);
  CU_ASSERT_EQUAL(b.bytes, clean.bytes);
  CU_ASSERT_EQUAL(b.max_batch, 100);
  CU_ASSERT_EQUAL(b.from_env, CLQL_BUDGET_MAX_BATCH);
  CU_ASSERT_PTR_NOT_NULL(strstr(logged, "CLQL_MEM_LIMIT='99999999999999999999G': too large"));
  CU_ASSERT_PTR_NOT_NULL(strstr(logged, "CLQL_MEM_FRACTION='1.5'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(logged, "CLQL_MEM_RESERVE='': empty"));
  CU_ASSERT_PTR_NULL(strstr(logged, "CLQL_MAX_BATCH"));

  /* The same problems, for tools; ask the size, then pass the buffer. */
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_env_problems(NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 3);
  clql_env_problem p[3];
  size_t got = 0;
  CU_ASSERT_EQUAL(clql_env_problems(p, 1, &got), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(got, 3);
  CU_ASSERT_EQUAL_FATAL(clql_env_problems(p, 3, &got), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(p[0].variable, "CLQL_MEM_FRACTION");
  CU_ASSERT_STRING_EQUAL(p[0].value, "1.5");
  CU_ASSERT_STRING_EQUAL(p[0].reason, "not in (0, 1]");
  CU_ASSERT_STRING_EQUAL(p[1].variable, "CLQL_MEM_LIMIT");
  CU_ASSERT_STRING_EQUAL(p[1].value, "99999999999999999999G");
  CU_ASSERT_STRING_EQUAL(p[1].reason, "too large for 64 bits");
  CU_ASSERT_STRING_EQUAL(p[2].variable, "CLQL_MEM_RESERVE");
  CU_ASSERT_STRING_EQUAL(p[2].reason, "empty");
  clear_env();
}

static void test_env_rejects(void) {
  const struct {
    const char *var, *value, *reason;
  } cases[] = {
      {"CLQL_MEM_FRACTION", "0", "not in (0, 1]"},
      {"CLQL_MEM_FRACTION", "0.9.1", "not a decimal number"},
      {"CLQL_MEM_FRACTION", "90%", "not a decimal number"},
      {"CLQL_MEM_LIMIT", "0", "0 is no limit"},
      {"CLQL_MEM_LIMIT", "-4G", "negative"},
      {"CLQL_MEM_LIMIT", "4 GiB", "unknown unit"},
      {"CLQL_MEM_RESERVE", "-1%", "negative"},
      {"CLQL_MEM_RESERVE", "200%", "above 100%"},
      {"CLQL_MAX_BATCH", "0", "at least 1"},
      {"CLQL_MAX_BATCH", "1e5", "not a whole number"},
      {"CLQL_MAX_BATCH", " ", "empty"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    clear_env();
    setenv(cases[i].var, cases[i].value, 1);
    clql_env_problem p;
    size_t n = 0;
    CU_ASSERT_EQUAL(clql_env_problems(&p, 1, &n), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(n, 1);
    if (n != 1) continue;
    CU_ASSERT_STRING_EQUAL(p.variable, cases[i].var);
    CU_ASSERT_PTR_NOT_NULL(strstr(p.reason, cases[i].reason));
  }
  /* A long value with control bytes is shown cut and printable. */
  clear_env();
  char longv[200];
  memset(longv, 'x', sizeof longv - 1);
  longv[sizeof longv - 1] = '\0';
  longv[0] = '\x1b';
  setenv("CLQL_MEM_LIMIT", longv, 1);
  clql_env_problem p;
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_env_problems(&p, 1, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(strlen(p.value), CLQL_ENV_VALUE_MAX - 1);
  CU_ASSERT_EQUAL(p.value[0], '?');
  CU_ASSERT_STRING_EQUAL(p.value + CLQL_ENV_VALUE_MAX - 4, "...");
  clear_env();
  CU_ASSERT_EQUAL(clql_env_problems(NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_EQUAL(clql_env_problems(NULL, 0, NULL), CLQL_ERR_INVALID_ARGUMENT);
}

static CU_TestInfo env_tests[] = {{"bytes", test_bytes},
                                  {"decimal_and_integer", test_decimal_and_integer},
                                  {"reserve", test_reserve},
                                  {"env_applies", test_env_applies},
                                  {"api_wins", test_api_wins},
                                  {"bad_env_ignored", test_bad_env_ignored},
                                  {"env_rejects", test_env_rejects},
                                  CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "envknobs", .pInitFunc = suite_init, .pTests = env_tests}, CU_SUITE_INFO_NULL};
