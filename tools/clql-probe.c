/* clql-probe: every OpenCL device with its memory report, or the reports of
 * recorded devices (--profile).
 * Exit codes (common/exit_codes.h): 0 ok, 2 bad arguments or an unusable
 * profile or model file, 5 an OpenCL call failed, 6 no such device or
 * profile record, 9 no OpenCL platform, 255 internal error. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "probe_inference.h"
#include "probe_plan.h"
#include "common/args.h"
#include "common/format.h"
#include "common/tool.h"
#include "probe_split.h"

/* What -v shows for one device: each free-memory source tried. */
#define MAX_TRACE 16
typedef struct {
  struct {
    char source[32];
    int answered;
    char detail[256];
  } steps[MAX_TRACE];
  int count;
} trace_log;

static void usage(FILE *out) {
  fprintf(out,
          "usage: clql-probe [options]\n"
          "Show every OpenCL device with its memory: total, largest single buffer (max_alloc)\n"
          "and free memory with the source that measured it.\n\n"
          "  -d, --device SEL   only this device (repeatable): P:D, flat index, or name text;\n"
          "                     a comma-separated list (0:0,1:0) chooses several\n"
          "      --profile FILE[:ID]\n"
          "                     report recorded devices instead (devices.json format): every\n"
          "                     record of FILE, or only record ID; needs no OpenCL device\n"
          "  -l, --list         one line per device: index, P:D, name\n"
          "  -v, --verbose      list every free-memory source tried and why it was skipped\n"
          "      --json         machine-readable output on stdout\n"
          "      --plan MODEL   plan MODEL (a preset such as bitnet-b1.58-2b4t, or a model\n"
          "                     file) on each device: largest batch, budget, why it stops\n"
          "      --qtype Q      I2S (default), TL1 or TL2, with --plan\n"
          "      --batch N      plan for at most N tokens, with --plan\n"
          "      --csv          with --plan: CSV, a row per device and qtype\n"
          "      --plot FILE    with --plan: chart largest batch vs memory (.svg, .png, .txt)\n"
          "                     through gnuplot when installed\n"
          "      --split MODE   with --plan: split the model over all listed devices by rows\n"
          "                     or layers (default $CLQL_SPLIT, else rows; shown whenever\n"
          "                     there are several devices)\n"
          "      --ctx N        with --plan: plan a whole inference of N tokens per sequence\n"
          "                     (every tensor, the KV cache, scratch): the most sequences\n"
          "                     that fit on each device, and over all listed devices\n"
          "      --sequences S  with --plan: S sequences; without --ctx, the longest context\n"
          "      --kv-type T    KV cache type: f16 (default), f32, bf16, q8_0, q4_0, q4_1,\n"
          "                     q5_0, q5_1, iq4_nl\n"
          "  -h, --help         this help\n"
          "  -V, --version      print the clql version\n\n"
          "exit codes: 0 ok, 2 bad arguments or unusable profile or model file, 5 an OpenCL\n"
          "            call failed, 6 no such device or profile record, 9 no OpenCL\n"
          "            platform, 255 internal error (or gnuplot failed)\n");
}

/* NUMA locality of a live PCI device; a recorded device's PCI address
 * belongs to another machine. */
static int device_numa(const clql_device_info *d, clql_numa_info *numa) {
  return d->has_pci && !d->profile_id[0] && clql_pci_numa(&d->pci, numa) == CLQL_SUCCESS;
}

static json_t *trace_json(const trace_log *t) {
  json_t *arr = json_array();
  for (int i = 0; arr && i < t->count; i++)
    json_array_append_new(arr, json_pack("{s:o,s:b,s:o}", "source",
                                         tool_json_string(t->steps[i].source), "answered",
                                         t->steps[i].answered, "detail",
                                         tool_json_string(t->steps[i].detail)));
  return arr;
}

/* What free counts beyond its source's figure: "gtt", "host". */
static json_t *bounds_json(unsigned bounds) {
  json_t *arr = json_array();
  if (arr && (bounds & CLQL_FREE_WITH_GTT)) json_array_append_new(arr, json_string("gtt"));
  if (arr && (bounds & CLQL_FREE_HOST_BOUND)) json_array_append_new(arr, json_string("host"));
  return arr;
}

static json_t *device_json(const clql_device_info *d, const trace_log *trace) {
  const clql_memory_report *m = &d->memory;
  json_t *mem = json_pack("{s:I,s:I,s:o,s:s,s:b,s:b,s:o}", "total", (json_int_t)m->total,
                          "max_alloc", (json_int_t)m->max_alloc, "free",
                          m->free_known ? json_integer((json_int_t)m->free) : json_null(),
                          "free_source", clql_mem_source_name(m->free_source), "free_measured",
                          m->free_measured, "unified", m->unified, "free_bounds",
                          bounds_json(m->free_bounds));
  char pci[32] = "";
  if (d->has_pci) tool_pci_text(&d->pci, pci, sizeof pci);
  /* Strings from the driver or a profile: jansson escapes them (TOOL_JSON_FLAGS). */
  json_t *obj = json_pack("{s:I,s:I,s:I,s:o,s:o,s:o,s:I,s:s,s:o,s:b,s:I,s:I,s:o,s:o}", "index",
                          (json_int_t)d->index, "platform_index", (json_int_t)d->platform_index,
                          "device_index", (json_int_t)d->device_index, "platform",
                          tool_json_string(d->platform_name), "name", tool_json_string(d->name),
                          "vendor", tool_json_string(d->vendor), "vendor_id",
                          (json_int_t)d->vendor_id, "type", clql_device_type_name(d->type),
                          "driver_version", tool_json_string(d->driver_version),
                          "host_unified_memory",
                          d->host_unified_memory, "compute_units", (json_int_t)d->compute_units,
                          "local_mem", (json_int_t)d->local_mem, "pci",
                          d->has_pci ? json_string(pci) : json_null(), "memory", mem);
  if (!obj) return NULL;
  clql_numa_info numa;
  json_object_set_new(obj, "numa",
                      device_numa(d, &numa)
                          ? json_pack("{s:i,s:o,s:I}", "node", numa.node, "cpuset",
                                      tool_json_string(numa.cpuset), "memory",
                                      (json_int_t)numa.memory)
                          : json_null());
  if (d->profile_id[0]) json_object_set_new(obj, "profile_id", tool_json_string(d->profile_id));
  if (trace) json_object_set_new(obj, "probe_trace", trace_json(trace));
  return obj;
}

static void print_table(const clql_device_info *devs, const trace_log *traces, size_t n) {
  printf("%-5s %-4s %-11s %-11s %-24s %4s  %s\n", "P:D", "TYPE", "TOTAL", "MAX_ALLOC", "FREE (SOURCE)",
         "CU", "NAME");
  for (size_t i = 0; i < n; i++) {
    const clql_device_info *d = &devs[i];
    char total[32], max_alloc[32], free_s[64], pd[16];
    tool_size_text(d->memory.total, total, sizeof total);
    tool_size_text(d->memory.max_alloc, max_alloc, sizeof max_alloc);
    if (d->memory.free_known) {
      char f[32];
      tool_size_text(d->memory.free, f, sizeof f);
      snprintf(free_s, sizeof free_s, "%s (%s)", f, clql_mem_source_name(d->memory.free_source));
    } else {
      snprintf(free_s, sizeof free_s, "unknown (none)");
    }
    snprintf(pd, sizeof pd, "%u:%u", d->platform_index, d->device_index);
    printf("%-5s %-4s %-11s %-11s %-24s %4u  %s\n", pd, clql_device_type_name(d->type), total,
           max_alloc, free_s, d->compute_units, tool_text(d->name));
    char pci[32] = "none";
    if (d->has_pci) tool_pci_text(&d->pci, pci, sizeof pci);
    printf("%-5s platform: %s; vendor: %s (0x%04x); driver %s; pci %s\n", "",
           tool_text(d->platform_name), tool_text(d->vendor), d->vendor_id,
           tool_text(d->driver_version), pci);
    if (d->profile_id[0]) printf("%-5s profile: %s\n", "", tool_text(d->profile_id));
    if (d->memory.free_bounds)
      printf("%-5s free: %s%s%s\n", "",
             d->memory.free_bounds & CLQL_FREE_WITH_GTT ? "VRAM carve-out + GTT" : "",
             d->memory.free_bounds == (CLQL_FREE_WITH_GTT | CLQL_FREE_HOST_BOUND) ? ", " : "",
             d->memory.free_bounds & CLQL_FREE_HOST_BOUND
                 ? "bound by the host's available memory (shared with the host)"
                 : "");
    clql_numa_info numa;
    if (device_numa(d, &numa)) {
      char mem[32];
      tool_size_text(numa.memory, mem, sizeof mem);
      printf("%-5s numa: node %d, cpus %s, %s\n", "", numa.node, tool_text(numa.cpuset), mem);
    }
    for (int k = 0; traces && k < traces[i].count; k++)
      printf("%-5s source %-10s %s%s%s\n", "", tool_text(traces[i].steps[k].source),
             traces[i].steps[k].answered ? "answered" : "skipped",
             traces[i].steps[k].detail[0] ? ": " : "", tool_text(traces[i].steps[k].detail));
  }
}

/* The table's code for st; an unusable --profile file is a usage error. */
static int exit_code_for(clql_status st) {
  return st == CLQL_ERR_IO || st == CLQL_ERR_PARSE ? TOOL_EXIT_USAGE : tool_exit_for(st);
}

/* Every live device, or those the selectors choose, in the order given. */
static int live_devices(const probe_args *o, clql_device_info **out, size_t *count) {
  size_t n = 0;
  clql_device_info *devs = NULL;
  clql_status st = clql_devices_get(NULL, 0, &n);
  if (st == CLQL_SUCCESS && n > 0) {
    devs = calloc(n, sizeof *devs);
    if (!devs) return TOOL_EXIT_INTERNAL;
    size_t got = 0;
    st = clql_devices_get(devs, n, &got);
    if (st == CLQL_ERR_BUFFER_TOO_SMALL) st = CLQL_SUCCESS; /* one appeared meanwhile */
    if (got < n) n = got;
  }
  if (st != CLQL_SUCCESS) {
    free(devs);
    return tool_fail("clql-probe", st);
  }
  if (n == 0) {
    fprintf(stderr, "clql-probe: no OpenCL device on any platform\n");
    return TOOL_EXIT_NO_PLATFORM;
  }
  if (o->nselectors) {
    free(devs);
    devs = NULL;
    n = 0;
    for (int i = 0; i < o->nselectors; i++) { /* each -d may be a list */
      size_t more = 0;
      st = clql_device_set_select(o->selectors[i], NULL, 0, &more);
      clql_device_info *grown = NULL;
      if (st == CLQL_SUCCESS && !(grown = realloc(devs, (n + more) * sizeof *devs)))
        st = CLQL_ERR_OUT_OF_HOST_MEMORY;
      if (grown) devs = grown;
      if (st == CLQL_SUCCESS) st = clql_device_set_select(o->selectors[i], devs + n, more, &more);
      if (st != CLQL_SUCCESS) {
        free(devs);
        return tool_fail("clql-probe", st);
      }
      n += more;
    }
  }
  *out = devs;
  *count = n;
  return TOOL_EXIT_OK;
}

static int recorded_devices(const probe_args *o, clql_device_info **out, size_t *count) {
  size_t n = 0;
  clql_device_info *devs = NULL;
  clql_status st = clql_profile_devices(o->profile_file, o->profile_id, NULL, 0, &n);
  if (st == CLQL_SUCCESS && n > 0) {
    devs = calloc(n, sizeof *devs);
    if (!devs) return TOOL_EXIT_INTERNAL;
    st = clql_profile_devices(o->profile_file, o->profile_id, devs, n, &n);
  }
  if (st != CLQL_SUCCESS) {
    free(devs);
    fprintf(stderr, "clql-probe: --profile: %s (%s)\n", clql_last_error_detail(),
            clql_status_message(st));
    return exit_code_for(st);
  }
  *out = devs;
  *count = n;
  return TOOL_EXIT_OK;
}

static void collect_trace(const char *source, int answered, const char *detail, void *user) {
  trace_log *t = user;
  if (t->count == MAX_TRACE) return;
  snprintf(t->steps[t->count].source, sizeof t->steps[t->count].source, "%s", source);
  t->steps[t->count].answered = answered;
  snprintf(t->steps[t->count].detail, sizeof t->steps[t->count].detail, "%s", detail);
  t->count++;
}

/* Probe each device again, recording every source tried; the traced report
 * replaces the one from enumeration so both agree. */
static trace_log *trace_devices(const probe_args *o, clql_device_info *devs, size_t n) {
  trace_log *traces = calloc(n, sizeof *traces);
  for (size_t i = 0; traces && i < n; i++) {
    if (devs[i].profile_id[0])
      clql_profile_memory_trace(o->profile_file, devs[i].profile_id, &devs[i].memory,
                                collect_trace, &traces[i]);
    else
      clql_device_memory_trace(devs[i].device, &devs[i].memory, collect_trace, &traces[i]);
  }
  return traces;
}

static void print_log(clql_log_level level, const char *message, void *user) {
  (void)user;
  fprintf(stderr, "clql %s: %s\n", level == CLQL_LOG_WARN ? "warn" : "error", message);
}

static int print_json(const clql_device_info *devs, const trace_log *traces, size_t n,
                      const probe_plan *plan, const probe_split *split,
                      const probe_inference *inf) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++)
    json_array_append_new(arr, device_json(&devs[i], traces ? &traces[i] : NULL));
  if (arr && plan) probe_plan_json(plan, devs, n, arr);
  for (size_t i = 0; arr && inf->active && i < n; i++)
    json_object_set_new(json_array_get(arr, i), "inference", probe_inference_json(inf, &devs[i]));
  json_t *root = json_pack("{s:i,s:s,s:o}", "schema", 1, "clql_version", clql_version_string(),
                           "devices", arr);
  if (root && split) probe_split_json(plan, split, devs, n, root);
  if (root && inf->active && n > 1)
    json_object_set_new(root, "inference_split", probe_inference_split_json(inf, devs, n));
  char *text = root ? json_dumps(root, TOOL_JSON_FLAGS) : NULL;
  json_decref(root);
  if (!text) return TOOL_EXIT_INTERNAL;
  puts(text);
  free(text);
  return TOOL_EXIT_OK;
}

/* The model of --plan for the inference plan: a preset, else a model file,
 * its ternary layers at --qtype. */
static int inference_model(const probe_args *o, const probe_plan *plan, probe_inference *inf) {
  clql_status st = clql_model_from_preset(o->plan, plan->qtype, &inf->model);
  if (st == CLQL_ERR_NOT_FOUND) st = clql_model_from_file(o->plan, plan->qtype, &inf->model);
  if (st == CLQL_SUCCESS) return TOOL_EXIT_OK;
  fprintf(tool_err(), "clql-probe: --plan '%s': %s\n", tool_text(o->plan),
          tool_text(clql_last_error_detail()));
  return st == CLQL_ERR_OUT_OF_HOST_MEMORY ? TOOL_EXIT_INTERNAL : TOOL_EXIT_USAGE;
}

int main(int argc, char **argv) {
  probe_args o;
  int rc = probe_args_parse(argc, argv, &o);
  if (rc == TOOL_EXIT_OK && o.then != TOOL_RUN) {
    if (o.then == TOOL_SHOW_VERSION) printf("clql-probe %s\n", clql_version_string());
    else usage(stdout);
    probe_args_free(&o);
    return TOOL_EXIT_OK;
  }
  if (o.then == TOOL_SHOW_USAGE) usage(stderr);
  if (rc == TOOL_EXIT_OK) rc = tool_config_read("clql-probe");
  /* -v also shows clql's warnings unless CLQL_LOG already chooses what to
   * show. */
  if (rc == TOOL_EXIT_OK && o.verbose && !tool_config_sets_log())
    clql_set_log_callback(print_log, NULL, CLQL_LOG_WARN);
  probe_plan plan = {0};
  if (rc == TOOL_EXIT_OK && o.plan) rc = probe_plan_init(&plan, o.plan, o.qtype, o.batch);
  probe_inference inf = {0};
  if (rc == TOOL_EXIT_OK)
    rc = probe_inference_init(&inf, "clql-probe", o.inference.ctx, o.inference.sequences,
                             o.inference.kv_type);
  if (rc == TOOL_EXIT_OK && inf.active) rc = inference_model(&o, &plan, &inf);
  clql_split_mode mode = CLQL_SPLIT_ROWS;
  if (rc == TOOL_EXIT_OK && o.split) rc = probe_split_mode(o.split, &mode);
  size_t n = 0;
  clql_device_info *devs = NULL;
  if (rc == TOOL_EXIT_OK) rc = o.profile_file ? recorded_devices(&o, &devs, &n) : live_devices(&o, &devs, &n);
  trace_log *traces = NULL;
  if (rc == TOOL_EXIT_OK && o.verbose && !(traces = trace_devices(&o, devs, n))) rc = TOOL_EXIT_INTERNAL;
  /* The split over every listed device: asked for, or more than one device. */
  probe_split split = {0};
  const int show_split = rc == TOOL_EXIT_OK && o.plan && !o.csv && (o.split || n > 1);
  if (show_split && !o.split) probe_split_mode(NULL, &mode); /* $CLQL_SPLIT */
  if (show_split) rc = probe_split_compute(&plan, mode, devs, n, &split);
  if (rc == TOOL_EXIT_OK) {
    if (o.json) {
      rc = print_json(devs, traces, n, o.plan ? &plan : NULL, show_split ? &split : NULL, &inf);
    } else if (o.list) {
      for (size_t i = 0; i < n; i++)
        printf("%u  %u:%u  %s\n", devs[i].index, devs[i].platform_index, devs[i].device_index,
               tool_text(devs[i].name));
    } else if (o.csv) {
      probe_plan_csv(&plan, devs, n, stdout);
    } else {
      print_table(devs, traces, n);
      if (o.plan) probe_plan_table(&plan, devs, n, stdout);
      if (show_split) probe_split_table(&plan, &split, devs, n, stdout);
      if (inf.active) probe_inference_table(&inf, devs, n, stdout);
      if (inf.active && n > 1) probe_inference_split_table(&inf, devs, n, stdout);
    }
    if (rc == TOOL_EXIT_OK && o.plot) rc = probe_plan_plot(&plan, devs, n, o.plot);
  }
  probe_split_free(&split);
  probe_plan_free(&plan);
  probe_inference_free(&inf);
  free(traces);
  free(devs);
  probe_args_free(&o);
  return rc;
}
