/* clql's configuration: the strict parsers, then the knobs as
 * clql_config_from_env, clql_config_set and clql_env_problems see them. */
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "../../lib/internal.h"
#include "runner.h"

const int clql_test_needs_device = 0;

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)

static const char *const knobs[] = {"CLQL_MEM_FRACTION", "CLQL_MEM_LIMIT", "CLQL_MEM_RESERVE",
                                    "CLQL_MAX_BATCH", "CLQL_LOG", "CLQL_KERNELS", "CLQL_SPLIT",
                                    "CLQL_MEM_SOURCE", "CLQL_PROBE_TTL_MS", "CLQL_DEVICE",
                                    "CLQL_WAIT"};

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

/* The environment's configuration, read now; NULL (and the detail set) on a
 * bad value. */
static clql_config *from_env(void) {
  clql_config *c = NULL;
  clql_status st = clql_config_from_env(&c);
  CU_ASSERT((st == CLQL_SUCCESS) == (c != NULL));
  return c;
}

static clql_budget budget_of(const clql_config *c) {
  clql_memory_report m = report_80g();
  clql_budget_options o;
  clql_budget b;
  memset(&b, 0, sizeof b);
  CU_ASSERT_EQUAL(clql_config_budget(c, &o), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_budget_compute(&m, &o, &b), CLQL_SUCCESS);
  return b;
}

static void test_env_applies(void) {
  clear_env();
  clql_memory_report m = report_80g();
  clql_budget b;
  /* The planner reads no environment: NULL options are the defaults. */
  setenv("CLQL_MEM_LIMIT", "1G", 1);
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &b), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(b.from_env, 0);
  CU_ASSERT_EQUAL(b.limit, UINT64_MAX);
  CU_ASSERT_EQUAL(b.max_batch, 4096);

  setenv("CLQL_MEM_FRACTION", "0.5", 1);
  setenv("CLQL_MEM_LIMIT", "30GiB", 1);
  setenv("CLQL_MEM_RESERVE", "1G", 1);
  setenv("CLQL_MAX_BATCH", "100000", 1);
  clql_config *c = from_env();
  CLQL_REQUIRE(c != NULL);
  b = budget_of(c);
  CU_ASSERT_EQUAL(b.fraction, 0.5);
  CU_ASSERT_EQUAL(b.limit, 30 * GiB);
  CU_ASSERT_EQUAL(b.reserve, 1 * GiB);
  CU_ASSERT_EQUAL(b.max_batch, 100000);
  CU_ASSERT_EQUAL(b.bytes, 30 * GiB); /* min(79 - 1, 40, 30) GiB */
  CU_ASSERT_EQUAL(b.from_env, CLQL_BUDGET_FRACTION | CLQL_BUDGET_LIMIT |
                                  CLQL_BUDGET_RESERVE_BYTES | CLQL_BUDGET_MAX_BATCH);
  clql_config_destroy(c);

  /* Read once: a configuration does not follow later changes. */
  setenv("CLQL_MEM_RESERVE", "50%", 1);
  setenv("CLQL_MEM_LIMIT", "1T", 1);
  c = from_env();
  CLQL_REQUIRE(c != NULL);
  setenv("CLQL_MEM_LIMIT", "2G", 1);
  b = budget_of(c);
  CU_ASSERT_EQUAL(b.reserve, 40 * GiB);
  CU_ASSERT_EQUAL(b.bytes, 39 * GiB); /* min(79 - 40, 40, 1024) GiB */
  CU_ASSERT_TRUE(b.from_env & CLQL_BUDGET_RESERVE_PERCENT);
  clql_config_destroy(c);
  /* An empty value leaves a knob unset, as if it were not there. */
  setenv("CLQL_MEM_LIMIT", " ", 1);
  c = from_env();
  CLQL_REQUIRE(c != NULL);
  CU_ASSERT_EQUAL(budget_of(c).limit, UINT64_MAX);
  clql_config_destroy(c);
  clear_env();
}

static void test_api_wins(void) {
  clear_env();
  setenv("CLQL_MEM_FRACTION", "0.7", 1);
  setenv("CLQL_MEM_RESERVE", "10%", 1);
  setenv("CLQL_MAX_BATCH", "7", 1);
  clql_config *c = from_env();
  CLQL_REQUIRE(c != NULL);
  clql_budget_options o = {.set = CLQL_BUDGET_FRACTION | CLQL_BUDGET_RESERVE_BYTES |
                                  CLQL_BUDGET_LIMIT,
                           .fraction = 0.5, .reserve_bytes = 2 * GiB, .limit = 100 * GiB};
  CU_ASSERT_EQUAL_FATAL(clql_config_set_budget(c, &o), CLQL_SUCCESS);
  clql_budget b = budget_of(c);
  CU_ASSERT_EQUAL(b.fraction, 0.5);
  CU_ASSERT_EQUAL(b.reserve, 2 * GiB); /* the API's reserve replaces the variable's percent */
  CU_ASSERT_EQUAL(b.limit, 100 * GiB);
  CU_ASSERT_EQUAL(b.max_batch, 7); /* not set in the API: from the environment */
  CU_ASSERT_EQUAL(b.from_env, CLQL_BUDGET_MAX_BATCH);
  CU_ASSERT_EQUAL(b.bytes, 40 * GiB);
  /* A bad API value is an error and changes nothing. */
  o.fraction = 0;
  CU_ASSERT_EQUAL(clql_config_set_budget(c, &o), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT_EQUAL(budget_of(c).fraction, 0.5);
  char v[32];
  size_t len = 0;
  CU_ASSERT_EQUAL(clql_config_get(c, "CLQL_MEM_LIMIT", v, sizeof v, &len), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(v, "107374182400");
  clql_config_destroy(c);
  clear_env();
}

/* The same value means the same through the environment and the API:
 * accepted by both, or refused by both with the same reason. */
static void test_api_equals_env(void) {
  const struct {
    const char *var, *value;
  } cases[] = {
      {"CLQL_MEM_LIMIT", "0"},         {"CLQL_MEM_LIMIT", "512M"},     {"CLQL_MEM_LIMIT", "8GB"},
      {"CLQL_MEM_LIMIT", "1.5G"},      {"CLQL_MAX_BATCH", "0"},        {"CLQL_MAX_BATCH", "12"},
      {"CLQL_MEM_FRACTION", "1.01"},   {"CLQL_MEM_FRACTION", ".25"},   {"CLQL_MEM_RESERVE", "7.5%"},
      {"CLQL_MEM_RESERVE", "101%"},    {"CLQL_LOG", "INFO"},           {"CLQL_LOG", "verbose"},
      {"CLQL_KERNELS", "Split"},       {"CLQL_KERNELS", "fast"},       {"CLQL_SPLIT", "rows"},
      {"CLQL_KERNELS", "ksplit"},      {"CLQL_KERNELS", "avx512"},      {"CLQL_KERNELS", "vnni"},
      {"CLQL_SPLIT", "cols"},          {"CLQL_MEM_SOURCE", "-nvml"},   {"CLQL_MEM_SOURCE", "gpu"},
      {"CLQL_PROBE_TTL_MS", "0"},      {"CLQL_PROBE_TTL_MS", "1s"},    {"CLQL_LEVEL_ZERO", "on"},
      {"CLQL_LEVEL_ZERO", "2"},        {"CLQL_DEVICE", "0:0,1:0"},     {"CLQL_DEVICE", "0:0,,1"},
      {"CLQL_PROFILE_MEASURE", "yes"}, {"CLQL_KERNEL_DIR", "/opt/cl"},
      {"CLQL_WAIT", "Poll"},           {"CLQL_WAIT", "block"},         {"CLQL_WAIT", "spin"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    clear_env();
    unsetenv(cases[i].var);
    setenv(cases[i].var, cases[i].value, 1);
    clql_config *e = NULL, *a = NULL;
    clql_status se = clql_config_from_env(&e);
    char env_detail[512];
    snprintf(env_detail, sizeof env_detail, "%s", clql_last_error_detail());
    unsetenv(cases[i].var);
    CU_ASSERT_EQUAL_FATAL(clql_config_create(&a), CLQL_SUCCESS);
    clql_status sa = clql_config_set(a, cases[i].var, cases[i].value);
    CU_ASSERT_EQUAL(se, sa);
    if (se != CLQL_SUCCESS) {
      CU_ASSERT_EQUAL(se, CLQL_ERR_INVALID_CONFIG);
      CU_ASSERT_STRING_EQUAL(env_detail, clql_last_error_detail());
      CU_ASSERT_PTR_NOT_NULL(strstr(env_detail, cases[i].var));
      CU_ASSERT_PTR_NOT_NULL(strstr(env_detail, cases[i].value));
    } else {
      char ve[64], va[64];
      size_t n;
      CU_ASSERT_EQUAL(clql_config_get(e, cases[i].var, ve, sizeof ve, &n), CLQL_SUCCESS);
      CU_ASSERT_EQUAL(clql_config_get(a, cases[i].var, va, sizeof va, &n), CLQL_SUCCESS);
      CU_ASSERT_STRING_EQUAL(ve, va);
      CU_ASSERT_STRING_EQUAL(ve, cases[i].value);
      clql_budget_options oe, oa;
      clql_config_budget(e, &oe);
      clql_config_budget(a, &oa);
      CU_ASSERT_EQUAL(oe.set, oa.set);
      CU_ASSERT_EQUAL(oe.limit, oa.limit);
      CU_ASSERT_EQUAL(oe.max_batch, oa.max_batch);
      CU_ASSERT_EQUAL(oe.from_env, oe.set); /* origin recorded */
      CU_ASSERT_EQUAL(oa.from_env, 0);
    }
    clql_config_destroy(e);
    clql_config_destroy(a);
  }
  clear_env();
}

/* The handle's own contract: names, ask the size, unknown knobs, copies. */
static void test_config_api(void) {
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_config_names(NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT(n >= 17);
  const char *names[64];
  CU_ASSERT_EQUAL(clql_config_names(names, 1, &n), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL_FATAL(clql_config_names(names, 64, &n), CLQL_SUCCESS);
  clql_config *c = NULL, *copy = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_config_create(&c), CLQL_SUCCESS);
  for (size_t i = 0; i < n; i++) {
    size_t len = 99;
    CU_ASSERT_EQUAL(clql_config_get(c, names[i], NULL, 0, &len), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(len, 0); /* every knob starts unset */
  }
  CU_ASSERT_EQUAL(clql_config_set(c, "CLQL_NO_SUCH_KNOB", "1"), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT_EQUAL(clql_config_set(c, NULL, "1"), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT_EQUAL(clql_config_set(NULL, "CLQL_LOG", "warn"), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_config_set(c, "CLQL_MEM_LIMIT", "  6G "), CLQL_SUCCESS);
  char v[8];
  size_t len = 0;
  CU_ASSERT_EQUAL(clql_config_get(c, "CLQL_MEM_LIMIT", NULL, 0, &len), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(len, 2);
  CU_ASSERT_EQUAL(clql_config_get(c, "CLQL_MEM_LIMIT", v, 2, &len), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_config_get(c, "CLQL_MEM_LIMIT", v, 3, &len), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(v, "6G");
  /* a refused value keeps the old one */
  CU_ASSERT_EQUAL(clql_config_set(c, "CLQL_MEM_LIMIT", "6 G"), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT_EQUAL(clql_config_get(c, "CLQL_MEM_LIMIT", v, sizeof v, &len), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(v, "6G");
  CU_ASSERT_EQUAL_FATAL(clql_config_copy(c, &copy), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_config_set(c, "CLQL_MEM_LIMIT", NULL), CLQL_SUCCESS); /* unset */
  CU_ASSERT_EQUAL(clql_config_get(c, "CLQL_MEM_LIMIT", v, sizeof v, &len), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(len, 0);
  CU_ASSERT_EQUAL(budget_of(c).limit, UINT64_MAX);
  CU_ASSERT_EQUAL(budget_of(copy).limit, 6 * GiB);
  CU_ASSERT_EQUAL(clql_config_copy(NULL, &copy), CLQL_ERR_INVALID_ARGUMENT);
  clql_config_destroy(c);
  clql_config_destroy(copy);
  clql_config_destroy(NULL);
  CU_ASSERT_EQUAL(clql_config_create(NULL), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_config_from_env(NULL), CLQL_ERR_INVALID_ARGUMENT);
}

/* A bad value fails the reading of the whole configuration, naming it; the
 * problems list shows every bad variable at once, for tools. */
static void test_bad_env_refused(void) {
  clear_env();
  setenv("CLQL_MEM_LIMIT", "99999999999999999999G", 1);
  setenv("CLQL_MEM_FRACTION", "1.5", 1);
  setenv("CLQL_MEM_RESERVE", "", 1); /* empty: unset, not a problem */
  setenv("CLQL_MAX_BATCH", "100", 1);
  CU_ASSERT_PTR_NULL(from_env());
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "CLQL_MEM_FRACTION='1.5'"));
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_env_problems(NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 2);
  clql_env_problem p[2];
  size_t got = 0;
  CU_ASSERT_EQUAL(clql_env_problems(p, 1, &got), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(got, 2);
  CU_ASSERT_EQUAL_FATAL(clql_env_problems(p, 2, &got), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(p[0].variable, "CLQL_MEM_FRACTION");
  CU_ASSERT_STRING_EQUAL(p[0].value, "1.5");
  CU_ASSERT_STRING_EQUAL(p[0].reason, "fraction not in (0, 1]");
  CU_ASSERT_STRING_EQUAL(p[1].variable, "CLQL_MEM_LIMIT");
  CU_ASSERT_STRING_EQUAL(p[1].value, "99999999999999999999G");
  CU_ASSERT_STRING_EQUAL(p[1].reason, "too large for 64 bits");
  /* and context creation refuses it the same way */
  clql_context *ctx = (clql_context *)p;
  CU_ASSERT_EQUAL(clql_context_create(NULL, NULL, &ctx), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT_PTR_NULL(ctx);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "CLQL_MEM_FRACTION"));
  clear_env();
}

static void test_env_rejects(void) {
  const struct {
    const char *var, *value, *reason;
  } cases[] = {
      {"CLQL_MEM_FRACTION", "0", "not in (0, 1]"},
      {"CLQL_MEM_FRACTION", "0.9.1", "not a decimal number"},
      {"CLQL_MEM_FRACTION", "90%", "not a decimal number"},
      {"CLQL_MEM_LIMIT", "0", "limit of 0"},
      {"CLQL_MEM_LIMIT", "-4G", "negative"},
      {"CLQL_MEM_LIMIT", "4 GiB", "unknown unit"},
      {"CLQL_MEM_RESERVE", "-1%", "negative"},
      {"CLQL_MEM_RESERVE", "200%", "above 100%"},
      {"CLQL_MAX_BATCH", "0", "at least 1"},
      {"CLQL_MAX_BATCH", "1e5", "not a whole number"},
      {"CLQL_LOG", "loud", "not off, error, warn, info or debug"},
      {"CLQL_PROBE_TTL_MS", "86400001", "more than a day"},
      {"CLQL_SPLIT", "diagonal", "not rows or layers"},
      {"CLQL_KERNELS", "cuda", "not auto, portable, ksplit (or split), avx2, avx512 or vnni"},
      {"CLQL_PROFILE_MEASURE", "sometimes", "not 1, 0"},
      {"CLQL_WAIT", "busy", "not auto, block or poll"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    clear_env();
    setenv(cases[i].var, cases[i].value, 1);
    clql_env_problem p;
    size_t n = 0;
    CU_ASSERT_EQUAL(clql_env_problems(&p, 1, &n), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_PTR_NULL(from_env());
    char expect[128];
    snprintf(expect, sizeof expect, "%s='%s': ", cases[i].var, cases[i].value);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), expect));
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), cases[i].reason));
    unsetenv(cases[i].var);
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
  CU_ASSERT_PTR_NULL(from_env());
  CU_ASSERT_PTR_NULL(strchr(clql_last_error_detail(), '\x1b'));
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
                                  {"api_equals_env", test_api_equals_env},
                                  {"config_api", test_config_api},
                                  {"bad_env_refused", test_bad_env_refused},
                                  {"env_rejects", test_env_rejects},
                                  CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "envknobs", .pInitFunc = suite_init, .pTests = env_tests}, CU_SUITE_INFO_NULL};
