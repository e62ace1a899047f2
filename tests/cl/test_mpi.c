/* The MPI component under mpirun: every rank on PoCL. CLQL_TEST_MPI_MODE
 * chooses what the ranks check:
 *   exact      (default) rows and layers splits equal the reference chain
 *              bit for bit, every qtype; the plan is the same on every rank
 *   budget     rank 1 runs with a CLQL_MEM_LIMIT the others lack: its share
 *              follows its budget, as the planner says
 *   no_device  one rank selects no device: every rank fails alike
 *   alloc_fail rank 1 fails its allocations (the fault layer): every rank
 *              returns that error, none hangs
 * Rank 0 makes the weights and sends them to the others. */
#include <clql/mpi.h>
#include <stdio.h>
#include <string.h>
#include "ternary_fixture.h"

const int clql_test_needs_device = 1;

static int rank, size;

static int suite_init(void) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS) return 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return 0;
}

static int suite_clean(void) { return MPI_Finalize() != MPI_SUCCESS; }

static const char *mode(void) {
  const char *m = getenv("CLQL_TEST_MPI_MODE");
  return m && *m ? m : "exact";
}

/* A chain of three layers of qtype q (rank 0's random weights on every rank). */
#define LAYERS 3
static const uint64_t dims[LAYERS + 1] = {320, 200, 136, 72};

static void make_chain(clql_qtype q, fixture_weights *w, clql_ternary_weights *v) {
  for (int i = 0; i < LAYERS; i++) {
    fixture_make(&w[i], fixture_shape(dims[i + 1], dims[i], q, CLQL_GROUP_ROW), W_RANDOM);
    MPI_Bcast(w[i].t, (int)(dims[i + 1] * dims[i]), MPI_INT8_T, 0, MPI_COMM_WORLD);
    MPI_Bcast(w[i].scales, (int)w[i].scale_count, MPI_FLOAT, 0, MPI_COMM_WORLD);
    v[i] = (clql_ternary_weights){.shape = w[i].shape, .t = w[i].t,
                                  .t_count = dims[i + 1] * dims[i], .scales = w[i].scales,
                                  .scale_count = w[i].scale_count};
  }
}

static float *reference(const fixture_weights *w, const float *x, uint64_t batch) {
  float *cur = malloc(batch * dims[0] * sizeof *cur);
  memcpy(cur, x, batch * dims[0] * sizeof *cur);
  for (int i = 0; i < LAYERS; i++) {
    float *next = fixture_poisoned(batch * dims[i + 1]);
    CU_ASSERT_EQUAL(clql_ref_forward(&w[i].shape, w[i].t, w[i].scales, cur, batch, next),
                    CLQL_SUCCESS);
    free(cur);
    cur = next;
  }
  return cur;
}

static void test_cluster(void) {
  if (strcmp(mode(), "exact") != 0) return;
  clql_mpi_cluster *c = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_mpi_cluster_create(MPI_COMM_WORLD, NULL, &c), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_mpi_cluster_count(c), (size_t)size); /* one PoCL device each */
  for (size_t d = 0; d < clql_mpi_cluster_count(c); d++) {
    clql_mpi_device dev;
    CU_ASSERT_EQUAL(clql_mpi_cluster_device(c, d, &dev), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(dev.rank, (int)d);
    CU_ASSERT(dev.memory.total > 0);
  }
  clql_mpi_device dev;
  CU_ASSERT_EQUAL(clql_mpi_cluster_device(c, (size_t)size, &dev), CLQL_ERR_INVALID_ARGUMENT);
  clql_mpi_cluster_destroy(c);
}

static void run_split(clql_split_mode split, clql_qtype q, uint64_t batch) {
  clql_mpi_cluster *c = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_mpi_cluster_create(MPI_COMM_WORLD, NULL, &c), CLQL_SUCCESS);
  fixture_weights w[LAYERS];
  clql_ternary_weights v[LAYERS];
  make_chain(q, w, v);
  clql_mpi_model *m = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_mpi_model_create(c, v, LAYERS, split, &m), CLQL_SUCCESS);
  /* the plan is the same everywhere: rank 0's shares are everyone's */
  clql_split_plan plan;
  CU_ASSERT_EQUAL(clql_mpi_model_plan(m, &plan), CLQL_SUCCESS);
  uint64_t mine[2] = {plan.batch, plan.weight_bytes}, first[2] = {plan.batch, plan.weight_bytes};
  MPI_Bcast(first, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  CU_ASSERT_EQUAL(mine[0], first[0]);
  CU_ASSERT_EQUAL(mine[1], first[1]);
  float *x = fixture_input(batch, dims[0], X_FLOAT);
  MPI_Bcast(x, (int)(batch * dims[0]), MPI_FLOAT, 0, MPI_COMM_WORLD);
  float *y = fixture_poisoned(batch * dims[LAYERS]);
  /* x is rank 0's: the others may pass none */
  CU_ASSERT_EQUAL(clql_mpi_model_forward(m, rank ? NULL : x, batch, y), CLQL_SUCCESS);
  float *ref = reference(w, x, batch);
  uint64_t bad = fixture_differ(y, ref, batch * dims[LAYERS]);
  CU_ASSERT_EQUAL(bad, 0);
  if (bad)
    printf("\n  rank %d, %s, %s, batch %llu: %llu outputs differ", rank,
           clql_split_mode_name(split), clql_qtype_name(q), (unsigned long long)batch,
           (unsigned long long)bad);
  free(x), free(y), free(ref);
  clql_mpi_model_destroy(m);
  for (int i = 0; i < LAYERS; i++) fixture_free(&w[i]);
  clql_mpi_cluster_destroy(c);
}

static void test_rows_exact(void) {
  if (strcmp(mode(), "exact") != 0) return;
  for (int q = 0; q < 3; q++) {
    run_split(CLQL_SPLIT_ROWS, (clql_qtype)q, 1);
    run_split(CLQL_SPLIT_ROWS, (clql_qtype)q, 5);
  }
}

static void test_layers_exact(void) {
  if (strcmp(mode(), "exact") != 0) return;
  for (int q = 0; q < 3; q++) {
    run_split(CLQL_SPLIT_LAYERS, (clql_qtype)q, 1);
    run_split(CLQL_SPLIT_LAYERS, (clql_qtype)q, 4);
  }
}

/* Rank 1 has a budget the others lack: the rows it holds follow it. */
static void test_budget(void) {
  if (strcmp(mode(), "budget") != 0) return;
  clql_mpi_cluster *c = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_mpi_cluster_create(MPI_COMM_WORLD, NULL, &c), CLQL_SUCCESS);
  clql_mpi_device d0, d1;
  CU_ASSERT_EQUAL_FATAL(clql_mpi_cluster_device(c, 0, &d0), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(clql_mpi_cluster_device(c, 1, &d1), CLQL_SUCCESS);
  CU_ASSERT_FALSE(d0.options.set & CLQL_BUDGET_LIMIT);
  CU_ASSERT_TRUE(d1.options.set & CLQL_BUDGET_LIMIT); /* rank 1's knob, seen everywhere */
  clql_model_layer l[8];
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, l, 8, &n), CLQL_SUCCESS);
  clql_split_part parts[8];
  clql_split_plan plan;
  CU_ASSERT_EQUAL_FATAL(clql_mpi_plan(c, l, n, CLQL_SPLIT_ROWS, 0, parts, 8, &plan), CLQL_SUCCESS);
  CU_ASSERT_TRUE(plan.fits);
  /* the same split as the single-host planner gives these two devices */
  clql_split_device devs[2] = {{.memory = d0.memory, .options = &d0.options},
                               {.memory = d1.memory, .options = &d1.options}};
  clql_split_part local[2];
  clql_split_plan lp;
  CU_ASSERT_EQUAL(clql_plan_split(devs, 2, l, n, CLQL_SPLIT_ROWS, 0,
                                  CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT, local, &lp),
                  CLQL_SUCCESS);
  const uint32_t share0 = parts[0].share_end - parts[0].share_begin;
  const uint32_t share1 = parts[1].share_end - parts[1].share_begin;
  CU_ASSERT_EQUAL(share0, local[0].share_end - local[0].share_begin);
  CU_ASSERT(share1 < share0); /* the smaller budget holds fewer rows */
  if (rank == 0)
    printf("\n  rows per million: rank 0 %u, rank 1 %u (CLQL_MEM_LIMIT on rank 1)", share0, share1);
  clql_mpi_cluster_destroy(c);
}

/* A failure on one rank comes back on every rank, with the same status. */
static void test_failures(void) {
  const char *m = mode();
  if (strcmp(m, "no_device") == 0) {
    clql_mpi_cluster *c = (clql_mpi_cluster *)&rank;
    clql_status st = clql_mpi_cluster_create(MPI_COMM_WORLD, NULL, &c);
    CU_ASSERT_EQUAL(st, CLQL_ERR_NO_DEVICE);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "rank 1"));
  } else if (strcmp(m, "alloc_fail") == 0) {
    clql_mpi_cluster *c = NULL;
    CU_ASSERT_EQUAL_FATAL(clql_mpi_cluster_create(MPI_COMM_WORLD, NULL, &c), CLQL_SUCCESS);
    fixture_weights w[LAYERS];
    clql_ternary_weights v[LAYERS];
    make_chain(CLQL_QTYPE_I2S, w, v);
    clql_mpi_model *mdl = (clql_mpi_model *)&rank;
    clql_status st = clql_mpi_model_create(c, v, LAYERS, CLQL_SPLIT_ROWS, &mdl);
    CU_ASSERT_EQUAL(st, CL_MEM_OBJECT_ALLOCATION_FAILURE);
    CU_ASSERT_PTR_NULL(mdl);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "rank 1"));
    /* the same status everywhere */
    int s = (int)st, lo = 0, hi = 0;
    MPI_Allreduce(&s, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&s, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    CU_ASSERT_EQUAL(lo, hi);
    for (int i = 0; i < LAYERS; i++) fixture_free(&w[i]);
    clql_mpi_cluster_destroy(c);
  }
}

static CU_TestInfo tests[] = {{"cluster", test_cluster},
                              {"rows_exact", test_rows_exact},
                              {"layers_exact", test_layers_exact},
                              {"budget", test_budget},
                              {"failures", test_failures},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "mpi", .pInitFunc = suite_init, .pCleanupFunc = suite_clean, .pTests = tests},
    CU_SUITE_INFO_NULL};
