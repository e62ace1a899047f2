/* Plans over a table of devices (0.24 GB to 141 GB, NVIDIA-, AMD- and
 * CPU-like max_alloc, free known or not) x qtypes x shapes x caps, checked
 * against the documented budget rule and the layout functions directly:
 * the plan fits, it is the largest batch that does, it never shrinks as
 * memory grows, and it says fits = 0 exactly when batch 1 cannot fit. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define GB 1000000000ull
#define IO (CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT)

static const uint64_t sizes[] = {240000000ull, 4 * GB, 8 * GB, 24 * GB, 40 * GB, 80 * GB, 141 * GB};
#define NSIZES (sizeof sizes / sizeof sizes[0])
static const double alloc_ratios[] = {0.25, 0.85, 1.0}; /* NVIDIA, AMD, CPU runtimes */
static const uint64_t requests[] = {0, 37};

typedef struct {
  unsigned set;
  uint64_t max_batch;
  uint64_t limit;
} knobs;
static const knobs knob_table[] = {
    {0, 0, 0},
    {CLQL_BUDGET_MAX_BATCH, 100000, 0},
    {CLQL_BUDGET_MAX_BATCH | CLQL_BUDGET_LIMIT, 3, 6 * GiB},
};
#define NKNOBS (sizeof knob_table / sizeof knob_table[0])

static clql_memory_report device(uint64_t total, double ratio, int free_known) {
  clql_memory_report m;
  memset(&m, 0, sizeof m);
  m.total = total;
  m.max_alloc = (uint64_t)((double)total * ratio);
  m.free_known = free_known;
  m.free_measured = free_known;
  m.free = free_known ? total / 100 * 95 : 0;
  m.free_source = free_known ? CLQL_MEM_SOURCE_NVML : CLQL_MEM_SOURCE_NONE;
  return m;
}

static clql_budget_options options(const knobs *k) {
  clql_budget_options o;
  memset(&o, 0, sizeof o);
  o.set = k->set;
  o.max_batch = k->max_batch;
  o.limit = k->limit;
  return o;
}

/* The README's rule, written out again here. */
static uint64_t expected_budget(const clql_memory_report *m, const knobs *k) {
  int known = m->free_known;
  double fraction = known ? 0.9 : 0.8, pct = known ? 5.0 : 10.0;
  uint64_t floor_bytes = (uint64_t)floor((double)m->total * 0.25);
  if (floor_bytes > 256 * MiB) floor_bytes = 256 * MiB;
  uint64_t reserve = (uint64_t)floor((double)m->total * pct / 100.0);
  if (reserve < floor_bytes) reserve = floor_bytes;
  uint64_t free_bytes = known ? m->free : m->total;
  uint64_t b = free_bytes > reserve ? free_bytes - reserve : 0;
  uint64_t f = (uint64_t)floor((double)m->total * fraction);
  if (f < b) b = f;
  if ((k->set & CLQL_BUDGET_LIMIT) && k->limit < b) b = k->limit;
  return b;
}

/* A model's shared workspace at batch b, from the layout function layer by layer. */
static int workspace(const clql_model_layer *l, size_t n, uint64_t b, clql_workspace_bytes *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    clql_workspace_bytes ws;
    if (clql_layout_workspace_bytes(&l[i].shape, b, IO, &ws) != CLQL_SUCCESS) return 0;
    for (int p = 0; p < CLQL_WS_PART_COUNT; p++)
      if (ws.part[p] > out->part[p]) out->part[p] = ws.part[p];
  }
  for (int p = 0; p < CLQL_WS_PART_COUNT; p++) {
    if (out->part[p] > out->largest) out->largest = out->part[p];
    out->total += (out->part[p] + 4095) / 4096 * 4096;
  }
  return 1;
}

typedef struct {
  uint64_t resident, largest_resident;
} resident_bytes;

static resident_bytes resident(const clql_model_layer *l, size_t n) {
  resident_bytes r = {0, 0};
  for (size_t i = 0; i < n; i++) {
    clql_weight_bytes w;
    CLQL_REQUIRE(clql_layout_weight_bytes(&l[i].shape, &w) == CLQL_SUCCESS);
    r.resident += l[i].count * (w.weights + w.scales);
    if (w.weights > r.largest_resident) r.largest_resident = w.weights;
    if (w.scales > r.largest_resident) r.largest_resident = w.scales;
  }
  return r;
}

static int fits_at(const clql_model_layer *l, size_t n, uint64_t b, uint64_t resident_total,
                   uint64_t budget, uint64_t max_alloc) {
  clql_workspace_bytes ws;
  return workspace(l, n, b, &ws) && ws.largest <= max_alloc && resident_total + ws.total <= budget;
}

/* Check one model plan against the rule; returns the plan's batch. */
static uint64_t check(const clql_memory_report *m, const knobs *k, const clql_model_layer *l,
                      size_t n, uint64_t request) {
  clql_budget_options o = options(k);
  clql_model_plan p;
  CLQL_REQUIRE(clql_plan_model(m, &o, l, n, request, IO, &p) == CLQL_SUCCESS);
  uint64_t budget = expected_budget(m, k);
  CU_ASSERT_EQUAL(p.budget.bytes, budget);
  CU_ASSERT(p.budget.bytes <= m->total);
  resident_bytes r = resident(l, n);
  CU_ASSERT_EQUAL(p.weight_bytes, r.resident);
  uint64_t cap = k->set & CLQL_BUDGET_MAX_BATCH ? k->max_batch : 4096;
  uint64_t limit = request && request < cap ? request : cap;
  int should_fit = r.largest_resident <= m->max_alloc &&
                   fits_at(l, n, 1, r.resident, budget, m->max_alloc);
  CU_ASSERT_EQUAL(p.fits, should_fit);
  clql_workspace_bytes ws;
  CLQL_REQUIRE(workspace(l, n, p.fits ? p.batch : 1, &ws));
  CU_ASSERT_EQUAL(memcmp(p.workspace.part, ws.part, sizeof ws.part), 0);
  CU_ASSERT_EQUAL(p.workspace.total, ws.total);
  CU_ASSERT_EQUAL(p.need_bytes, r.resident + ws.total);
  CU_ASSERT_EQUAL(p.over_budget_bytes, p.need_bytes > budget ? p.need_bytes - budget : 0);
  uint64_t largest = ws.largest > r.largest_resident ? ws.largest : r.largest_resident;
  CU_ASSERT_EQUAL(p.largest.bytes, largest);
  if (!should_fit) {
    CU_ASSERT_EQUAL(p.batch, 0);
    if (p.largest.bytes > m->max_alloc) {
      CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_MAX_ALLOC);
    } else {
      CU_ASSERT(p.limited_by == CLQL_LIMITED_BY_BUDGET && p.over_budget_bytes > 0);
    }
    return 0;
  }
  /* It fits, within the cap and the request, and one more token would not. */
  CU_ASSERT(p.batch >= 1 && p.batch <= limit);
  CU_ASSERT(p.need_bytes <= budget);
  CU_ASSERT(p.largest.bytes <= m->max_alloc);
  CU_ASSERT_EQUAL(p.over_budget_bytes, 0);
  if (p.batch == limit) {
    CU_ASSERT_EQUAL(p.limited_by, limit == cap ? CLQL_LIMITED_BY_CAP : CLQL_LIMITED_BY_REQUEST);
  } else {
    clql_workspace_bytes next;
    CLQL_REQUIRE(workspace(l, n, p.batch + 1, &next));
    if (p.limited_by == CLQL_LIMITED_BY_MAX_ALLOC) {
      CU_ASSERT(next.largest > m->max_alloc);
    } else {
      CU_ASSERT(p.limited_by == CLQL_LIMITED_BY_BUDGET && next.largest <= m->max_alloc &&
                r.resident + next.total > budget);
    }
  }
  return p.batch;
}

/* Single layers: 2B4T shapes, ragged ones and ones too large for small cards. */
static const struct {
  uint64_t n, k;
} shapes[] = {{2560, 2560}, {640, 2560},   {6912, 2560},  {2560, 6912},   {3840, 2560},
              {13824, 2560}, {1, 1},       {3, 1},        {1000, 999},    {4097, 12345},
              {777, 96 * 7 + 5}, {65536, 65536}, {100000, 30000}, {250000, 250000}};
#define NSHAPES (sizeof shapes / sizeof shapes[0])
static const uint32_t groups[] = {CLQL_GROUP_ROW, CLQL_GROUP_TENSOR, 192};

static void test_layer_table(void) {
  unsigned plans = 0, fitting = 0, not_fitting = 0;
  for (size_t s = 0; s < NSHAPES; s++)
    for (int q = 0; q < CLQL_QTYPE_COUNT_; q++)
      for (size_t g = 0; g < 3; g++)
        for (size_t a = 0; a < 3; a++)
          for (int known = 0; known < 2; known++)
            for (size_t kn = 0; kn < NKNOBS; kn++)
              for (size_t r = 0; r < 2; r++) {
                clql_model_layer l;
                memset(&l, 0, sizeof l);
                l.shape.n = shapes[s].n;
                l.shape.k = shapes[s].k;
                l.shape.qtype = (clql_qtype)q;
                l.shape.group_size = groups[g];
                l.count = 1;
                uint64_t prev = 0;
                for (size_t i = 0; i < NSIZES; i++) {
                  clql_memory_report m = device(sizes[i], alloc_ratios[a], known);
                  uint64_t b = check(&m, &knob_table[kn], &l, 1, requests[r]);
                  /* The single-layer planner agrees with the model planner on one layer. */
                  clql_budget_options o = options(&knob_table[kn]);
                  clql_layer_plan lp;
                  CLQL_REQUIRE(clql_plan_layer(&m, &o, &l.shape, requests[r], IO, &lp) ==
                               CLQL_SUCCESS);
                  CU_ASSERT_EQUAL(lp.batch, b);
                  CU_ASSERT_EQUAL(lp.fits, b > 0);
                  CU_ASSERT(lp.resident_bytes + lp.workspace.total <= lp.budget.bytes || !b);
                  CU_ASSERT(b >= prev); /* never shrinks as memory grows */
                  prev = b;
                  plans++;
                  if (b) fitting++;
                  else not_fitting++;
                }
              }
  /* The table reaches both outcomes, so neither branch is vacuous. */
  CU_ASSERT(fitting > 1000 && not_fitting > 100);
  printf("\n  %u layer plans: %u fit, %u do not\n", plans, fitting, not_fitting);
}

static size_t preset(const char *name, clql_qtype q, clql_model_layer *l, size_t cap) {
  size_t n = 0;
  CLQL_REQUIRE(clql_model_preset(name, q, l, cap, &n) == CLQL_SUCCESS);
  return n;
}

static void test_model_table(void) {
  clql_model_layer models[4][8];
  size_t counts[4];
  unsigned fitting = 0, not_fitting = 0;
  for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) {
    counts[0] = preset("bitnet-b1.58-2b4t", (clql_qtype)q, models[0], 8);
    counts[1] = preset("bitnet-b1.58-2b4t-fused", (clql_qtype)q, models[1], 8);
    const char *ragged = "a 1000 999 3\nb 4097 12345 2\nc 3 1\nd 777 677 40\n";
    CLQL_REQUIRE(clql_model_parse(ragged, (clql_qtype)q, models[2], 8, &counts[2]) ==
                 CLQL_SUCCESS);
    /* 80 GB of weights at 2 bits: fits only the largest cards. */
    const char *big = "ffn 65536 65536 20\nattn 16384 65536 20\n";
    CLQL_REQUIRE(clql_model_parse(big, (clql_qtype)q, models[3], 8, &counts[3]) == CLQL_SUCCESS);
    for (int mi = 0; mi < 4; mi++)
      for (size_t a = 0; a < 3; a++)
        for (int known = 0; known < 2; known++)
          for (size_t kn = 0; kn < NKNOBS; kn++)
            for (size_t r = 0; r < 2; r++) {
              uint64_t prev = 0;
              for (size_t i = 0; i < NSIZES; i++) {
                clql_memory_report m = device(sizes[i], alloc_ratios[a], known);
                uint64_t b = check(&m, &knob_table[kn], models[mi], counts[mi], requests[r]);
                CU_ASSERT(b >= prev);
                prev = b;
                if (b) fitting++;
                else not_fitting++;
              }
            }
  }
  CU_ASSERT(fitting > 100 && not_fitting > 50);
}

/* ---- the seed's bug: 6 GB assumed everywhere, a batch cap of 128 ---- */

static void test_4gib_card(void) {
  clql_model_layer l[8];
  size_t n = preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, l, 8);
  for (int known = 0; known < 2; known++) {
    clql_memory_report m = device(4 * GiB, 0.25, known);
    clql_model_plan p;
    CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, NULL, l, n, 0, IO, &p), CLQL_SUCCESS);
    CU_ASSERT(p.budget.bytes <= m.total); /* never sized from 6 GiB */
    CU_ASSERT(p.budget.bytes < 6 * GiB);
    CU_ASSERT_TRUE(p.fits);
    CU_ASSERT(p.batch >= 1);
    CU_ASSERT(p.need_bytes <= p.budget.bytes);
    CU_ASSERT(p.largest.bytes <= m.max_alloc);
    CU_ASSERT_EQUAL(p.budget.free_is_fallback, !known);
    CU_ASSERT_EQUAL(p.weight_bytes, 30ull * 17458176);
  }
}

static void test_80gb_card_beyond_128(void) {
  clql_model_layer l[8];
  size_t n = preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, l, 8);
  clql_memory_report m = device(80 * GB, 0.25, 1);
  clql_model_plan p;
  /* Without a knob the default cap binds, already far beyond 128. */
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, NULL, l, n, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(p.batch, 4096);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_CAP);
  /* 100000 tokens need about 6.2 GB of workspace: the knob is what binds.
   * The planner reads no environment: the knob reaches it through the
   * configuration's budget options. */
  setenv("CLQL_MAX_BATCH", "100000", 1);
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, NULL, l, n, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(p.batch, 4096);
  clql_config *cfg = NULL;
  clql_budget_options o;
  CU_ASSERT_EQUAL_FATAL(clql_config_from_env(&cfg), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(clql_config_budget(cfg, &o), CLQL_SUCCESS);
  clql_config_destroy(cfg);
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, &o, l, n, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(p.budget.from_env, CLQL_BUDGET_MAX_BATCH);
  CU_ASSERT_EQUAL(p.batch, 100000);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_CAP);
  CU_ASSERT(p.need_bytes <= p.budget.bytes && p.largest.bytes <= m.max_alloc);
  /* With no practical cap the memory binds: the 20 GB max_alloc (4 x 6912 bytes of
   * float input per token) before the 72 GB budget. */
  unsetenv("CLQL_MAX_BATCH");
  o = (clql_budget_options){.set = CLQL_BUDGET_MAX_BATCH, .max_batch = 100000000};
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, &o, l, n, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(p.budget.from_env, 0);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_MAX_ALLOC);
  CU_ASSERT_EQUAL(p.batch, m.max_alloc / (4 * 6912));
  clql_workspace_bytes at, next;
  CLQL_REQUIRE(workspace(l, n, p.batch, &at) && workspace(l, n, p.batch + 1, &next));
  CU_ASSERT(p.weight_bytes + at.total <= p.budget.bytes && at.largest <= m.max_alloc);
  CU_ASSERT(next.largest > m.max_alloc);
}

/* ---- what a plan that does not fit says ---- */

static void test_not_fitting_numbers(void) {
  clql_model_layer l[8];
  size_t n = preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, l, 8);
  /* 240 MB: 524 MB of weights alone exceed the budget. */
  clql_memory_report m = device(240000000ull, 0.25, 1);
  clql_model_plan p;
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, NULL, l, n, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT_FALSE(p.fits);
  CU_ASSERT_EQUAL(p.batch, 0);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_BUDGET);
  CU_ASSERT_EQUAL(p.layers, 210);
  CU_ASSERT(p.weight_bytes > p.budget.bytes);
  CU_ASSERT_EQUAL(p.over_budget_bytes, p.need_bytes - p.budget.bytes);
  /* 240 MB: reserve max(5%, min(256 MiB, 25%)) = 60 MB; budget min(228 - 60, 216) MB. */
  CU_ASSERT_EQUAL(p.budget.reserve, 60000000);
  CU_ASSERT_EQUAL(p.budget.bytes, 168000000);

  /* One matrix larger than max_alloc on a large card: named by its index. */
  const char *text = "small 1024 1024\nhuge 65536 65536\nmid 4096 4096\n";
  clql_model_layer big[3];
  CLQL_REQUIRE(clql_model_parse(text, CLQL_QTYPE_I2S, big, 3, &n) == CLQL_SUCCESS);
  m = device(80 * GB, 0.25, 1);
  m.max_alloc = 512 * MiB;
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, NULL, big, 3, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT_FALSE(p.fits);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_MAX_ALLOC);
  CU_ASSERT_EQUAL(p.largest.layer, 1);
  CU_ASSERT_EQUAL(p.largest.kind, CLQL_BUFFER_WEIGHTS);
  CU_ASSERT_EQUAL(p.largest.bytes, 1 * GiB);
  CU_ASSERT_STRING_EQUAL(clql_buffer_kind_name(p.largest.kind), "weights");
  CU_ASSERT_EQUAL(p.over_budget_bytes, 0); /* the budget was not the problem */

  /* A workspace part over max_alloc at batch 1: the float input of a very
   * long TL2 row (280 MB; its weights, 233 MB at 1.67 bits, fit). */
  const char *wide = "narrow 64 64\nwide 1 70000000\n";
  CLQL_REQUIRE(clql_model_parse(wide, CLQL_QTYPE_TL2, big, 3, &n) == CLQL_SUCCESS);
  m.max_alloc = 256 * MiB;
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, NULL, big, n, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT_FALSE(p.fits);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_LIMITED_BY_MAX_ALLOC);
  CU_ASSERT_EQUAL(p.largest.kind, CLQL_BUFFER_WORKSPACE);
  CU_ASSERT_EQUAL(p.largest.part, CLQL_WS_INPUT);
  CU_ASSERT_EQUAL(p.largest.layer, 1);
}

static void test_overflow(void) {
  clql_model_layer l[2];
  size_t n = 0;
  clql_memory_report m = device(141 * GB, 1.0, 1);
  clql_model_plan p;
  memset(&p, 0x5A, sizeof p);
  const char *many = "a 2560 2560 1000000000000000\nb 2560 2560 1000000000000000\n";
  CLQL_REQUIRE(clql_model_parse(many, CLQL_QTYPE_I2S, l, 2, &n) == CLQL_SUCCESS);
  /* 1.6 MB x 1e15 layers wraps 64 bits: an error, never a small wrapped number. */
  CU_ASSERT_EQUAL(clql_plan_model(&m, NULL, l, n, 0, IO, &p), CLQL_ERR_SIZE_OVERFLOW);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "layer 0 (a"));
  CU_ASSERT_EQUAL(((unsigned char *)&p)[0], 0x5A); /* output untouched */
  /* Large but representable: fits = 0 with the numbers. */
  l[0].count = 1000000000ull, l[1].count = 1;
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, NULL, l, n, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT_FALSE(p.fits);
  CU_ASSERT_EQUAL(p.weight_bytes, 1000000001ull * (1638400 + 10240));
  /* Bad input. */
  CU_ASSERT_EQUAL(clql_plan_model(&m, NULL, l, 0, 0, IO, &p), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_plan_model(&m, NULL, NULL, 2, 0, IO, &p), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_plan_model(&m, NULL, l, n, 0, IO, NULL), CLQL_ERR_INVALID_ARGUMENT);
  l[1].shape.k = 0;
  CU_ASSERT_EQUAL(clql_plan_model(&m, NULL, l, n, 0, IO, &p), CLQL_ERR_INVALID_SHAPE);
  /* The largest memory a report can hold: no wrap in the budget rule either. */
  l[1].shape.k = 1;
  m.total = UINT64_MAX, m.max_alloc = UINT64_MAX, m.free = UINT64_MAX;
  CU_ASSERT_EQUAL_FATAL(clql_plan_model(&m, NULL, l + 1, 1, 0, IO, &p), CLQL_SUCCESS);
  CU_ASSERT(p.budget.bytes <= m.total && p.budget.bytes > (UINT64_MAX / 10) * 8);
  CU_ASSERT_EQUAL(p.batch, 4096);
}

static CU_TestInfo table_tests[] = {{"layer_table", test_layer_table},
                                    {"model_table", test_model_table},
                                    {"not_fitting_numbers", test_not_fitting_numbers},
                                    {"overflow", test_overflow},
                                    CU_TEST_INFO_NULL};
static CU_TestInfo seed_tests[] = {{"4gib_card", test_4gib_card},
                                   {"80gb_card_beyond_128", test_80gb_card_beyond_128},
                                   CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "plan_table", .pTests = table_tests},
                                   {.pName = "seed_regression", .pTests = seed_tests},
                                   CU_SUITE_INFO_NULL};
