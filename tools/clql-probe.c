/* clql-probe: every OpenCL device with its memory report.
 * Exit codes: 0 ok, 2 bad arguments, 6 no such device, 9 no OpenCL platform,
 * 255 internal error. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "probe_plan.h"

enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_NO_DEVICE = 6, EXIT_NO_PLATFORM = 9, EXIT_INTERNAL = 255 };

#define MAX_SELECTORS 64

typedef struct {
  int json, list;
  const char *selectors[MAX_SELECTORS];
  int nselectors;
  const char *plan, *qtype, *batch, *plot; /* --plan MODEL and what goes with it */
  int csv;
} options;

/* Long options without a short form. */
enum { OPT_PLAN = 256, OPT_QTYPE, OPT_BATCH, OPT_CSV, OPT_PLOT };

static void usage(FILE *out) {
  fprintf(out,
          "usage: clql-probe [options]\n"
          "Show every OpenCL device with its memory: total, largest single buffer (max_alloc)\n"
          "and free memory with the source that measured it.\n\n"
          "  -d, --device SEL   only this device (repeatable): P:D, flat index, or name text\n"
          "  -l, --list         one line per device: index, P:D, name\n"
          "      --json         machine-readable output on stdout\n"
          "      --plan MODEL   plan MODEL (a preset such as bitnet-b1.58-2b4t, or a model\n"
          "                     file) on each device: largest batch, budget, why it stops\n"
          "      --qtype Q      I2S (default), TL1 or TL2, with --plan\n"
          "      --batch N      plan for at most N tokens, with --plan\n"
          "      --csv          with --plan: CSV, a row per device and qtype\n"
          "      --plot FILE    with --plan: chart largest batch vs memory (.svg, .png, .txt)\n"
          "                     through gnuplot when installed\n"
          "  -h, --help         this help\n"
          "  -V, --version      print the clql version\n\n"
          "exit codes: 0 ok, 2 bad arguments, 6 no such device, 9 no OpenCL platform,\n"
          "            255 internal error\n");
}

static void human_size(cl_ulong bytes, char *buf, size_t size) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  int u = 0;
  while (v >= 1024.0 && u < 4) v /= 1024.0, u++;
  snprintf(buf, size, u ? "%.2f %s" : "%.0f %s", v, units[u]);
}

static json_t *device_json(const clql_device_info *d) {
  const clql_memory_report *m = &d->memory;
  json_t *mem = json_pack("{s:I,s:I,s:o,s:s,s:b}", "total", (json_int_t)m->total, "max_alloc",
                          (json_int_t)m->max_alloc, "free",
                          m->free_known ? json_integer((json_int_t)m->free) : json_null(),
                          "free_source", clql_mem_source_name(m->free_source), "free_measured",
                          m->free_measured);
  char pci[32] = "";
  if (d->has_pci)
    snprintf(pci, sizeof pci, "%04x:%02x:%02x.%x", d->pci.domain, d->pci.bus, d->pci.device,
             d->pci.function);
  return json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:b,s:I,s:I,s:o,s:o}", "index",
                   (json_int_t)d->index, "platform_index", (json_int_t)d->platform_index,
                   "device_index", (json_int_t)d->device_index, "platform", d->platform_name,
                   "name", d->name, "vendor", d->vendor, "vendor_id", (json_int_t)d->vendor_id,
                   "type", clql_device_type_name(d->type), "driver_version", d->driver_version,
                   "host_unified_memory", d->host_unified_memory, "compute_units",
                   (json_int_t)d->compute_units, "local_mem", (json_int_t)d->local_mem, "pci",
                   d->has_pci ? json_string(pci) : json_null(), "memory", mem);
}

static void print_table(const clql_device_info *devs, size_t n) {
  printf("%-5s %-4s %-11s %-11s %-24s %4s  %s\n", "P:D", "TYPE", "TOTAL", "MAX_ALLOC", "FREE (SOURCE)",
         "CU", "NAME");
  for (size_t i = 0; i < n; i++) {
    const clql_device_info *d = &devs[i];
    char total[32], max_alloc[32], free_s[64], pd[16];
    human_size(d->memory.total, total, sizeof total);
    human_size(d->memory.max_alloc, max_alloc, sizeof max_alloc);
    if (d->memory.free_known) {
      char f[32];
      human_size(d->memory.free, f, sizeof f);
      snprintf(free_s, sizeof free_s, "%s (%s)", f, clql_mem_source_name(d->memory.free_source));
    } else {
      snprintf(free_s, sizeof free_s, "unknown (none)");
    }
    snprintf(pd, sizeof pd, "%u:%u", d->platform_index, d->device_index);
    printf("%-5s %-4s %-11s %-11s %-24s %4u  %s\n", pd, clql_device_type_name(d->type), total,
           max_alloc, free_s, d->compute_units, d->name);
    printf("%-5s platform: %s; vendor: %s (0x%04x); driver %s\n", "", d->platform_name, d->vendor,
           d->vendor_id, d->driver_version);
  }
}

static int parse_args(int argc, char **argv, options *o) {
  static const struct option longopts[] = {{"device", required_argument, NULL, 'd'},
                                           {"list", no_argument, NULL, 'l'},
                                           {"json", no_argument, NULL, 'j'},
                                           {"plan", required_argument, NULL, OPT_PLAN},
                                           {"qtype", required_argument, NULL, OPT_QTYPE},
                                           {"batch", required_argument, NULL, OPT_BATCH},
                                           {"csv", no_argument, NULL, OPT_CSV},
                                           {"plot", required_argument, NULL, OPT_PLOT},
                                           {"help", no_argument, NULL, 'h'},
                                           {"version", no_argument, NULL, 'V'},
                                           {NULL, 0, NULL, 0}};
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":d:lhV", longopts, NULL)) != -1) {
    switch (c) {
    case 'd':
      if (o->nselectors == MAX_SELECTORS) {
        fprintf(stderr, "clql-probe: too many --device options\n");
        return EXIT_USAGE;
      }
      o->selectors[o->nselectors++] = optarg;
      break;
    case 'l': o->list = 1; break;
    case 'j': o->json = 1; break;
    case OPT_PLAN: o->plan = optarg; break;
    case OPT_QTYPE: o->qtype = optarg; break;
    case OPT_BATCH: o->batch = optarg; break;
    case OPT_CSV: o->csv = 1; break;
    case OPT_PLOT: o->plot = optarg; break;
    case 'h': usage(stdout); exit(EXIT_OK);
    case 'V': printf("clql-probe %s\n", clql_version_string()); exit(EXIT_OK);
    case ':':
      fprintf(stderr, "clql-probe: option '%s' needs a value\n", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      fprintf(stderr, "clql-probe: unknown option '%s'\n", argv[optind - 1]);
      usage(stderr);
      return EXIT_USAGE;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "clql-probe: unexpected argument '%s'\n", argv[optind]);
    return EXIT_USAGE;
  }
  if (!o->plan && (o->qtype || o->batch || o->csv || o->plot)) {
    fprintf(stderr, "clql-probe: --qtype, --batch, --csv and --plot need --plan\n");
    return EXIT_USAGE;
  }
  if (o->plan && o->list) {
    fprintf(stderr, "clql-probe: --plan and --list exclude each other\n");
    return EXIT_USAGE;
  }
  if (o->csv && o->json) {
    fprintf(stderr, "clql-probe: --csv and --json exclude each other\n");
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

static int exit_code_for(clql_status st) {
  switch (st) {
  case CLQL_ERR_NO_PLATFORM: return EXIT_NO_PLATFORM;
  case CLQL_ERR_NO_DEVICE: return EXIT_NO_DEVICE;
  case CLQL_ERR_BAD_SELECTOR: return EXIT_USAGE;
  default: return EXIT_INTERNAL;
  }
}

static int report_error(clql_status st) {
  fprintf(stderr, "clql-probe: %s: %s\n", clql_status_message(st), clql_last_error_detail());
  return exit_code_for(st);
}

int main(int argc, char **argv) {
  options o = {0};
  int rc = parse_args(argc, argv, &o);
  if (rc != EXIT_OK) return rc;
  static probe_plan plan; /* static: the early error returns below leave it reachable */
  if (o.plan) {
    rc = probe_plan_init(&plan, o.plan, o.qtype, o.batch);
    if (rc != EXIT_OK) return rc;
    probe_plan_env_notes();
  }

  size_t n = 0;
  clql_device_info *devs = NULL;
  clql_status st = clql_devices_get(NULL, 0, &n);
  if (st == CLQL_SUCCESS && n > 0) {
    devs = calloc(n, sizeof *devs);
    if (!devs) return EXIT_INTERNAL;
    size_t got = 0;
    st = clql_devices_get(devs, n, &got);
    if (st == CLQL_ERR_BUFFER_TOO_SMALL) st = CLQL_SUCCESS; /* one appeared meanwhile */
    if (got < n) n = got;
  }
  if (st != CLQL_SUCCESS) {
    free(devs);
    return report_error(st);
  }
  if (n == 0) {
    fprintf(stderr, "clql-probe: no OpenCL device on any platform\n");
    return EXIT_NO_PLATFORM;
  }

  /* Apply the selectors: keep the chosen devices, in the order given. */
  if (o.nselectors) {
    clql_device_info *chosen = calloc((size_t)o.nselectors, sizeof *chosen);
    if (!chosen) {
      free(devs);
      return EXIT_INTERNAL;
    }
    for (int i = 0; i < o.nselectors; i++) {
      st = clql_device_select(o.selectors[i], &chosen[i]);
      if (st != CLQL_SUCCESS) {
        free(chosen);
        free(devs);
        return report_error(st);
      }
    }
    free(devs);
    devs = chosen;
    n = (size_t)o.nselectors;
  }

  if (o.json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, device_json(&devs[i]));
    if (o.plan) probe_plan_json(&plan, devs, n, arr);
    json_t *root = json_pack("{s:i,s:s,s:o}", "schema", 1, "clql_version", clql_version_string(),
                             "devices", arr);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (!text) {
      json_decref(root);
      free(devs);
      return EXIT_INTERNAL;
    }
    puts(text);
    free(text);
    json_decref(root);
  } else if (o.list) {
    for (size_t i = 0; i < n; i++)
      printf("%u  %u:%u  %s\n", devs[i].index, devs[i].platform_index, devs[i].device_index,
             devs[i].name);
  } else if (o.csv) {
    probe_plan_csv(&plan, devs, n, stdout);
  } else {
    print_table(devs, n);
    if (o.plan) probe_plan_table(&plan, devs, n, stdout);
  }
  if (o.plot) rc = probe_plan_plot(&plan, devs, n, o.plot);
  probe_plan_free(&plan);
  free(devs);
  return rc;
}
