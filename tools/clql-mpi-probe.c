/* clql-mpi-probe: the devices of every rank and the split plan of a model
 * over all of them, printed by rank 0. Run it under mpirun, one rank per
 * host (or per GPU, each with its own -d / CLQL_DEVICE). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clql/mpi.h>
#include <clql.h>
#include "common/args.h"
#include "common/format.h"
#include "common/tool.h"


static void usage(FILE *f) {
  fprintf(f, "usage: mpirun ... clql-mpi-probe [-d SEL] [--plan MODEL [--split rows|layers]] "
             "[--json]\n"
             "The devices of every rank of MPI_COMM_WORLD and, with --plan, the split of MODEL\n"
             "(a preset such as bitnet-b1.58-2b4t, or a model file) over all of them.\n"
             "  -d, --device SEL   each rank's devices (P:D, index, name text or a list;\n"
             "                     default: CLQL_DEVICE, else its GPUs, else every device)\n"
             "  --plan MODEL       plan MODEL split over every rank's devices\n"
             "  --split MODE       rows (default) or layers (with --plan)\n"
             "  --json             one JSON object from rank 0\n"
             "  -h, --help         this help\n"
             "exit codes (every rank the same; the message names the failing rank):\n"
             "  0 ok, 2 bad arguments or model file, 5 a device failed, 6 a rank has no\n"
             "  device, 9 a rank has no OpenCL platform, 255 internal error\n");
}

static json_t *device_json(const clql_mpi_device *d, const clql_split_part *p, int rows) {
  json_t *o = json_pack("{s:i,s:i,s:o,s:o,s:o,s:o,s:s}", "rank", d->rank, "local_index",
                        (int)d->local_index, "name", tool_json_string(d->name), "total",
                        tool_json_u64(d->memory.total), "max_alloc",
                        tool_json_u64(d->memory.max_alloc), "free",
                        d->memory.free_known ? tool_json_u64(d->memory.free) : json_null(),
                        "free_source", clql_mem_source_name(d->memory.free_source));
  if (o && p) {
    json_object_set_new(o, "budget_bytes", tool_json_u64(p->plan.budget.bytes));
    json_object_set_new(o, "fits", json_boolean(p->plan.fits));
    if (rows)
      json_object_set_new(o, "share", json_real((double)(p->share_end - p->share_begin) /
                                                (double)CLQL_SPLIT_UNITS));
    else
      json_object_set_new(o, "layers", json_pack("{s:o,s:o}", "begin",
                                                 tool_json_u64(p->layer_begin), "end",
                                                 tool_json_u64(p->layer_end)));
  }
  return o;
}

/* Rank 0's report. */
static void report(const clql_mpi_cluster *c, int ranks, const char *model,
                   const clql_split_part *parts, const clql_split_plan *plan,
                   clql_split_mode mode, int json) {
  const size_t n = clql_mpi_cluster_count(c);
  const int rows = mode == CLQL_SPLIT_ROWS;
  if (json) {
    json_t *devs = json_array();
    for (size_t d = 0; devs && d < n; d++) {
      clql_mpi_device dev;
      clql_mpi_cluster_device(c, d, &dev);
      json_array_append_new(devs, device_json(&dev, plan ? &parts[d] : NULL, rows));
    }
    json_t *root = json_pack("{s:i,s:o}", "ranks", ranks, "devices", devs ? devs : json_null());
    if (root && plan)
      json_object_set_new(root, "plan",
                          json_pack("{s:s,s:s,s:b,s:o,s:o}", "model", model, "mode",
                                    clql_split_mode_name(mode), "fits", plan->fits, "batch",
                                    tool_json_u64(plan->batch), "weight_bytes",
                                    tool_json_u64(plan->weight_bytes)));
    char *text = root ? json_dumps(root, TOOL_JSON_FLAGS) : NULL;
    if (text) puts(text);
    free(text);
    json_decref(root);
    return;
  }
  printf("%d ranks, %zu devices\n", ranks, n);
  printf("%-5s %-3s %-11s %-24s %-11s %-14s %s\n", "RANK", "DEV", "TOTAL", "FREE (SOURCE)",
         "BUDGET", rows ? "ROWS" : "LAYERS", "NAME");
  for (size_t d = 0; d < n; d++) {
    clql_mpi_device dev;
    clql_mpi_cluster_device(c, d, &dev);
    char total[32], free_s[64] = "unknown (none)", budget[32] = "-", share[32] = "-";
    tool_size_text(dev.memory.total, total, sizeof total);
    if (dev.memory.free_known) {
      char f[32];
      tool_size_text(dev.memory.free, f, sizeof f);
      snprintf(free_s, sizeof free_s, "%s (%s)", f, clql_mem_source_name(dev.memory.free_source));
    }
    if (plan) {
      tool_size_text(parts[d].plan.budget.bytes, budget, sizeof budget);
      if (rows)
        snprintf(share, sizeof share, "%.1f%%",
                 100.0 * (parts[d].share_end - parts[d].share_begin) / CLQL_SPLIT_UNITS);
      else
        snprintf(share, sizeof share, "%llu-%llu", (unsigned long long)parts[d].layer_begin,
                 (unsigned long long)parts[d].layer_end);
    }
    printf("%-5d %-3u %-11s %-24s %-11s %-14s %s\n", dev.rank, dev.local_index, total, free_s,
           budget, share, tool_text(dev.name)); /* from another host */
  }
  if (plan)
    printf("\nsplit %s over %zu devices by %s: %s\n", model, n, clql_split_mode_name(mode),
           plan->fits ? "fits" : "does not fit");
}

int main(int argc, char **argv) {
  mpi_probe_args o;
  int rc = mpi_probe_args_parse(argc, argv, &o);
  if (rc == TOOL_EXIT_OK && o.then == TOOL_SHOW_HELP) {
    usage(stdout);
    return TOOL_EXIT_OK;
  }
  const char *selector = o.selector, *model = o.model;
  const clql_split_mode mode = o.mode;
  const int json = o.json;
  if (rc == TOOL_EXIT_OK) rc = tool_config_read("clql-mpi-probe");
  if (rc != TOOL_EXIT_OK) return rc; /* every rank parses the same arguments: all stop alike */
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  clql_model_layer *layers = NULL;
  size_t nlayers = 0;
  /* A rank that cannot read the model (its message says why) must not leave
   * the others waiting: all stop with the worst code. */
  int mine = model ? tool_model_load("clql-mpi-probe", "--plan", model, CLQL_QTYPE_I2S, &layers,
                                     &nlayers)
                   : TOOL_EXIT_OK,
      any = TOOL_EXIT_OK;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  clql_status st = CLQL_SUCCESS;
  clql_mpi_cluster *c = NULL;
  if (any == TOOL_EXIT_OK) st = clql_mpi_cluster_create(MPI_COMM_WORLD, selector, &c);
  clql_split_part *parts = NULL;
  clql_split_plan plan;
  if (st == CLQL_SUCCESS && model) {
    parts = calloc(clql_mpi_cluster_count(c), sizeof *parts);
    st = parts ? clql_mpi_plan(c, layers, nlayers, mode, 0, parts, clql_mpi_cluster_count(c), &plan)
               : CLQL_ERR_OUT_OF_HOST_MEMORY;
  }
  if (any != TOOL_EXIT_OK) {
    rc = any;
  } else if (st != CLQL_SUCCESS) { /* the same status on every rank, the detail names the rank */
    if (rank == 0)
      fprintf(tool_err(), "clql-mpi-probe: %s: %s\n", clql_status_message(st),
              tool_text(clql_last_error_detail()));
    rc = tool_exit_for(st);
  } else if (rank == 0) {
    report(c, ranks, model, parts, model ? &plan : NULL, mode, json);
  }
  free(parts);
  free(layers);
  clql_mpi_cluster_destroy(c);
  MPI_Finalize();
  return rc;
}
