/* The planner on hand-made memory reports. */
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static clql_memory_report report(uint64_t total, uint64_t max_alloc, int free_known, uint64_t free) {
  clql_memory_report m = {.total = total, .max_alloc = max_alloc, .free = free,
                          .free_known = free_known, .free_measured = free_known,
                          .free_source = free_known ? CLQL_MEM_SOURCE_NVML : CLQL_MEM_SOURCE_NONE};
  return m;
}

static void test_budget_rule(void) {
  clql_budget b;
  clql_memory_report m = report(8 * GiB, 2 * GiB, 1, 6 * GiB);
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &b), CLQL_SUCCESS);
  /* min(6 GiB - max(256 MiB, 5% of 8 GiB), 0.9 * 8 GiB) */
  CU_ASSERT_EQUAL(b.reserve, (uint64_t)(8 * GiB * 0.05));
  CU_ASSERT_EQUAL(b.bytes, 6 * GiB - b.reserve);
  CU_ASSERT_FALSE(b.free_is_fallback);
  clql_budget_options o = {.set = CLQL_BUDGET_LIMIT | CLQL_BUDGET_RESERVE_BYTES,
                           .limit = 1 * GiB, .reserve_bytes = 0};
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, &o, &b), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(b.bytes, 1 * GiB);
  m = report(8 * GiB, 2 * GiB, 1, 100 * MiB); /* less free than the reserve: zero, not negative */
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &b), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(b.bytes, 0);
  m = report(8 * GiB, 2 * GiB, 0, 0); /* unknown free: from total, stricter, flagged */
  CU_ASSERT_EQUAL_FATAL(clql_budget_compute(&m, NULL, &b), CLQL_SUCCESS);
  CU_ASSERT_TRUE(b.free_is_fallback);
  CU_ASSERT_EQUAL(b.bytes, (uint64_t)(8 * GiB * 0.8)); /* fallback fraction binds */
  o.set = CLQL_BUDGET_FRACTION;
  o.fraction = 1.5;
  CU_ASSERT_EQUAL(clql_budget_compute(&m, &o, &b), CLQL_ERR_INVALID_CONFIG);
  /* 0 is no limit and no cap: refused through the API as from the environment */
  o = (clql_budget_options){.set = CLQL_BUDGET_LIMIT, .limit = 0};
  CU_ASSERT_EQUAL(clql_budget_compute(&m, &o, &b), CLQL_ERR_INVALID_CONFIG);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "limit of 0"));
  o = (clql_budget_options){.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 0};
  CU_ASSERT_EQUAL(clql_budget_compute(&m, &o, &b), CLQL_ERR_INVALID_CONFIG);
  o = (clql_budget_options){.set = CLQL_BUDGET_RESERVE_PERCENT, .reserve_percent = 100.5};
  CU_ASSERT_EQUAL(clql_budget_compute(&m, &o, &b), CLQL_ERR_INVALID_CONFIG);
}

/* The seed's bug: a 4 GiB card must never get a plan sized from 6 GiB. */
static void test_small_card_fits(void) {
  clql_memory_report m = report(4 * GiB, 1 * GiB, 1, 3900 * MiB);
  clql_layer_shape s = {.n = 6912, .k = 2560, .qtype = CLQL_QTYPE_I2S, .group_size = CLQL_GROUP_ROW};
  clql_layer_plan p;
  CU_ASSERT_EQUAL_FATAL(clql_plan_layer(&m, NULL, &s, 0, CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT, &p),
                        CLQL_SUCCESS);
  CU_ASSERT_TRUE(p.fits);
  CU_ASSERT(p.batch >= 1);
  CU_ASSERT(p.resident_bytes + p.workspace.total <= p.budget.bytes);
  CU_ASSERT(p.budget.bytes < 4 * GiB);
  CU_ASSERT(p.largest_buffer <= m.max_alloc);
  /* One more token would not fit, or the cap stopped it. */
  clql_workspace_bytes next;
  CU_ASSERT_EQUAL(clql_layout_workspace_bytes(&s, p.batch + 1, 3, &next), CLQL_SUCCESS);
  if (p.limited_by == CLQL_LIMITED_BY_BUDGET) {
    CU_ASSERT(p.resident_bytes + next.total > p.budget.bytes);
  } else if (p.limited_by == CLQL_LIMITED_BY_MAX_ALLOC) {
    CU_ASSERT(next.largest > m.max_alloc);
  } else {
    CU_ASSERT_EQUAL(p.batch, p.budget.max_batch);
  }
}

static void test_does_not_fit(void) {
  clql_memory_report m = report(256 * MiB, 64 * MiB, 1, 200 * MiB);
  clql_layer_shape s = {.n = 1ull << 16, .k = 1ull << 14, .qtype = CLQL_QTYPE_I2S,
                        .group_size = CLQL_GROUP_ROW};
  clql_layer_plan p;
  CU_ASSERT_EQUAL_FATAL(clql_plan_layer(&m, NULL, &s, 0, 0, &p), CLQL_SUCCESS);
  CU_ASSERT_FALSE(p.fits);
  CU_ASSERT_EQUAL(p.batch, 0);
  CU_ASSERT_EQUAL(p.resident_bytes, (1ull << 16) * (1ull << 12) + (1ull << 18));
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_MAX_ALLOC); /* 256 MiB of weights > 64 MiB */
}

static void test_request_and_cap(void) {
  clql_memory_report m = report(80 * GiB, 20 * GiB, 1, 79 * GiB);
  clql_layer_shape s = {.n = 2560, .k = 2560, .qtype = CLQL_QTYPE_TL2, .group_size = CLQL_GROUP_ROW};
  clql_layer_plan p;
  CU_ASSERT_EQUAL_FATAL(clql_plan_layer(&m, NULL, &s, 7, 0, &p), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(p.batch, 7);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_REQUEST);
  clql_budget_options o = {.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 100000};
  CU_ASSERT_EQUAL_FATAL(clql_plan_layer(&m, &o, &s, 0, 0, &p), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(p.batch, 100000); /* far beyond the seed's cap of 128 */
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_CAP);
  CU_ASSERT_STRING_EQUAL(clql_limited_by_name(p.limited_by), "cap");
}

static CU_TestInfo plan_tests[] = {{"budget_rule", test_budget_rule},
                                   {"small_card_fits", test_small_card_fits},
                                   {"does_not_fit", test_does_not_fit},
                                   {"request_and_cap", test_request_and_cap},
                                   CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "plan", .pTests = plan_tests}, CU_SUITE_INFO_NULL};
