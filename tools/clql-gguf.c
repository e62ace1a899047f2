/* clql-gguf: the tensors of a GGUF file, and with --plan how its ternary
 * linear layers (I2_S, TQ1_0, TQ2_0) fit each OpenCL device.
 * Exit codes (common/exit_codes.h): 0 ok, 2 bad arguments, 3 the file cannot
 * be read or is not a GGUF clql reads (malformed, unsupported type, invalid
 * ternary codes with --verify), 9 no OpenCL device (--plan), 255 internal
 * error. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "common/args.h"
#include "common/tool.h"
#include "probe_inference.h"

/* Both forwards' float buffers are counted: the planner's most cautious case. */
#define PLAN_WS_FLAGS (CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT)

static void usage(FILE *out) {
  fprintf(out,
          "usage: clql-gguf [options] FILE\n"
          "List the tensors of a GGUF file (name, type, shape in ggml order, bytes).\n\n"
          "      --json     machine-readable output on stdout\n"
          "      --plan     plan the file's ternary linear layers (I2_S, TQ1_0, TQ2_0) on\n"
          "                 every OpenCL device: per layer and for the whole file\n"
          "      --limit N  with --plan: at most N bytes of each device, as CLQL_MEM_LIMIT\n"
          "                 (a size: 512M, 8G, 8GiB, 1T)\n"
          "      --ctx N    with --plan: plan a whole inference of N tokens per sequence\n"
          "                 (every tensor, the KV cache from the metadata, scratch): the\n"
          "                 most sequences that fit on each device\n"
          "      --sequences S  with --plan: S sequences; without --ctx, the longest context\n"
          "      --kv-type T    KV cache type: f16 (default), f32, bf16, q8_0, q4_0, q4_1,\n"
          "                     q5_0, q5_1, iq4_nl\n"
          "      --verify   import every ternary tensor and report invalid codes\n"
          "  -h, --help     this help\n"
          "  -V, --version  print the clql version\n\n"
          "exit codes: 0 ok, 2 bad arguments, 3 unreadable, malformed or unsupported file\n"
          "            (or invalid ternary codes with --verify), 9 no OpenCL device (--plan),\n"
          "            255 internal error\n");
}

static void shape_text(const clql_gguf_tensor_info *t, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (uint32_t d = 0; d < t->n_dims && n < size; d++)
    n += (size_t)snprintf(buf + n, size - n, d ? ", %llu" : "%llu", (unsigned long long)t->dims[d]);
  if (n < size) snprintf(buf + n, size - n, "]");
}

static double mib(uint64_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

/* ---- planning ---- */

typedef struct {
  const clql_gguf_tensor_info *tensor;
  clql_layer_shape shape;
} layer;

typedef struct {
  clql_budget budget;     /* the device's, whether or not the file has layers */
  clql_layer_plan *plans; /* one per layer, each alone on the device */
  uint64_t resident;      /* every layer's weights together */
  uint64_t batch;         /* all weights resident, one layer's workspace at a time */
  int fits;
  clql_limited_by limited_by;
} file_plan;

/* The file as one model: all weights stay resident and layers run one at a
 * time, so each layer's workspace must fit beside every layer's weights. */
static clql_status plan_device(const clql_device_info *dev, const layer *layers, size_t n,
                               file_plan *fp) {
  const clql_budget_options user = tool_budget; /* the configuration's knobs, --limit in them */
  memset(fp, 0, sizeof *fp);
  clql_status st = clql_budget_compute(&dev->memory, &user, &fp->budget);
  if (st != CLQL_SUCCESS) return st;
  const clql_budget budget = fp->budget;
  fp->plans = calloc(n ? n : 1, sizeof *fp->plans);
  if (!fp->plans) return CLQL_ERR_OUT_OF_HOST_MEMORY;
  for (size_t i = 0; i < n; i++) {
    st = clql_plan_layer(&dev->memory, &user, &layers[i].shape, 0, PLAN_WS_FLAGS, &fp->plans[i]);
    if (st != CLQL_SUCCESS) return st;
    fp->resident += fp->plans[i].resident_bytes;
  }
  fp->fits = n > 0 && fp->resident <= budget.bytes;
  fp->limited_by = CLQL_LIMITED_BY_BUDGET;
  fp->batch = fp->fits ? UINT64_MAX : 0;
  for (size_t i = 0; i < n && fp->fits; i++) {
    clql_budget_options o = user;
    o.set |= CLQL_BUDGET_LIMIT;
    o.limit = budget.bytes - (fp->resident - fp->plans[i].resident_bytes);
    clql_layer_plan p;
    st = clql_plan_layer(&dev->memory, &o, &layers[i].shape, 0, PLAN_WS_FLAGS, &p);
    if (st != CLQL_SUCCESS) return st;
    if (!p.fits) fp->fits = 0, fp->batch = 0, fp->limited_by = p.limited_by;
    else if (p.batch < fp->batch) fp->batch = p.batch, fp->limited_by = p.limited_by;
  }
  return CLQL_SUCCESS;
}

static json_t *plan_json(const clql_device_info *dev, const layer *layers, size_t n,
                         const file_plan *fp) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    const clql_layer_plan *p = &fp->plans[i];
    json_array_append_new(
        arr, json_pack("{s:o,s:s,s:I,s:I,s:I,s:I,s:b,s:s,s:I,s:I}", "name",
                       tool_json_string(layers[i].tensor->name), "format",
                       layers[i].tensor->type_name,
                       "n", (json_int_t)p->shape.n, "k", (json_int_t)p->shape.k, "group_size",
                       (json_int_t)(p->shape.group_size == CLQL_GROUP_TENSOR ? 0 : p->shape.group_size),
                       "batch", (json_int_t)p->batch, "fits", p->fits, "limited_by",
                       clql_limited_by_name(p->limited_by), "resident_bytes",
                       (json_int_t)p->resident_bytes, "workspace_bytes",
                       (json_int_t)p->workspace.total));
  }
  json_t *file = n ? json_pack("{s:I,s:I,s:I,s:b,s:s}", "layers", (json_int_t)n, "resident_bytes",
                               (json_int_t)fp->resident, "batch", (json_int_t)fp->batch, "fits",
                               fp->fits, "limited_by", clql_limited_by_name(fp->limited_by))
                   : json_null();
  return json_pack("{s:{s:I,s:o,s:s},s:I,s:o,s:o}", "device", "index", (json_int_t)dev->index,
                   "name", tool_json_string(dev->name), "type", clql_device_type_name(dev->type),
                   "budget_bytes", (json_int_t)fp->budget.bytes, "layers", arr, "file", file);
}

static void plan_print(const clql_device_info *dev, const layer *layers, size_t n,
                       const file_plan *fp) {
  printf("\n%u:%u %s (%s)\n", dev->platform_index, dev->device_index,
         tool_text(dev->name), clql_device_type_name(dev->type));
  printf("  budget %.1f MiB\n", mib(fp->budget.bytes));
  if (!n) {
    printf("  no ternary layers to plan\n");
    return;
  }
  printf("  %-40s %-6s %-13s %10s %8s %5s %s\n", "LAYER", "FORMAT", "N x K", "WEIGHTS", "BATCH",
         "FITS", "LIMITED_BY");
  for (size_t i = 0; i < n; i++) {
    const clql_layer_plan *p = &fp->plans[i];
    char nk[32];
    snprintf(nk, sizeof nk, "%llux%llu", (unsigned long long)p->shape.n,
             (unsigned long long)p->shape.k);
    printf("  %-40s %-6s %-13s %6.1f MiB %8llu %5s %s\n",
           tool_text(layers[i].tensor->name), layers[i].tensor->type_name, nk,
           mib(p->resident_bytes), (unsigned long long)p->batch, p->fits ? "yes" : "no",
           clql_limited_by_name(p->limited_by));
  }
  printf("  whole file: %zu layers, %.1f MiB of weights resident, batch %llu, fits %s (%s)\n", n,
         mib(fp->resident), (unsigned long long)fp->batch, fp->fits ? "yes" : "no",
         clql_limited_by_name(fp->limited_by));
}

/* Every device, or an exit code when there is none. */
static int devices(clql_device_info **out, size_t *count) {
  size_t n = 0, got = 0;
  clql_status st = clql_devices_get(NULL, 0, &n);
  clql_device_info *devs = st == CLQL_SUCCESS && n ? calloc(n, sizeof *devs) : NULL;
  if (devs) st = clql_devices_get(devs, n, &got);
  if (st == CLQL_ERR_BUFFER_TOO_SMALL) st = CLQL_SUCCESS; /* a device appeared meanwhile */
  if (st != CLQL_SUCCESS || !devs) {
    free(devs);
    fprintf(stderr, "clql-gguf: no OpenCL device: %s\n", clql_last_error_detail());
    return st == CLQL_SUCCESS || st == CLQL_ERR_NO_PLATFORM ? TOOL_EXIT_NO_PLATFORM : TOOL_EXIT_INTERNAL;
  }
  *out = devs;
  *count = got < n ? got : n;
  return TOOL_EXIT_OK;
}

static int run_plans(const layer *layers, size_t n_layers, const probe_inference *inf,
                     json_t *root) {
  clql_device_info *devs = NULL;
  size_t n_devs = 0;
  int rc = devices(&devs, &n_devs);
  if (rc != TOOL_EXIT_OK) return rc;
  json_t *plans = root ? json_array() : NULL;
  for (size_t d = 0; d < n_devs && rc == TOOL_EXIT_OK; d++) {
    file_plan fp;
    clql_status st = plan_device(&devs[d], layers, n_layers, &fp);
    if (st != CLQL_SUCCESS) {
      fprintf(stderr, "clql-gguf: planning failed: %s: %s\n", clql_status_name(st),
              clql_last_error_detail());
      rc = TOOL_EXIT_INTERNAL;
    } else if (plans) {
      json_t *pj = plan_json(&devs[d], layers, n_layers, &fp);
      if (pj && inf->active)
        json_object_set_new(pj, "inference", probe_inference_json(inf, &devs[d]));
      json_array_append_new(plans, pj);
    } else {
      plan_print(&devs[d], layers, n_layers, &fp);
    }
    free(fp.plans);
  }
  if (root) json_object_set_new(root, "plan", plans);
  if (!root && inf->active && rc == TOOL_EXIT_OK) probe_inference_table(inf, devs, n_devs, stdout);
  free(devs);
  return rc;
}

/* ---- listing and verification ---- */

static void list_print(const char *path, const clql_gguf *g, const clql_gguf_tensor_info *t,
                       size_t n) {
  char shape[128];
  printf("%s: GGUF v%u, %zu metadata keys, %zu tensors, alignment %llu, data at %llu\n",
         tool_text(path), clql_gguf_version(g), clql_gguf_meta_count(g), n,
         (unsigned long long)clql_gguf_alignment(g), (unsigned long long)clql_gguf_data_offset(g));
  printf("%-40s %-7s %-22s %12s\n", "NAME", "TYPE", "SHAPE", "BYTES");
  for (size_t i = 0; i < n; i++) {
    shape_text(&t[i], shape, sizeof shape);
    printf("%-40s %-7s %-22s %12llu\n", tool_text(t[i].name), t[i].type_name,
           shape, (unsigned long long)t[i].bytes);
  }
}

static json_t *list_json(const char *path, const clql_gguf *g, const clql_gguf_tensor_info *t,
                         size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *shape = json_array();
    for (uint32_t d = 0; d < t[i].n_dims; d++)
      json_array_append_new(shape, json_integer((json_int_t)t[i].dims[d]));
    json_array_append_new(arr, json_pack("{s:o,s:s,s:o,s:I,s:I,s:I}", "name", tool_json_string(t[i].name),
                                         "type", t[i].type_name, "shape", shape, "bytes",
                                         (json_int_t)t[i].bytes, "offset", (json_int_t)t[i].offset,
                                         "type_id", (json_int_t)t[i].type_id));
  }
  return json_pack("{s:o,s:I,s:I,s:I,s:o}", "file", tool_json_string(path), "version",
                   (json_int_t)clql_gguf_version(g), "alignment", (json_int_t)clql_gguf_alignment(g),
                   "data_offset", (json_int_t)clql_gguf_data_offset(g), "tensors", arr);
}

/* What --verify did: every ternary tensor imported, or said why not. */
typedef struct {
  size_t verified, by_rows; /* by_rows: of more than 2 dimensions, checked row by row */
  size_t *skipped;          /* indices into the tensors: nothing to import */
  size_t n_skipped;
} verify_report;

/* Import tensor t (2-D through the GGUF reader; more dimensions as rows of
 * dims[0] weights, which is how TQ1_0 and TQ2_0 lay them out). */
static clql_status import_tensor(const clql_gguf *g, const clql_gguf_tensor_info *t) {
  clql_ternary_sizes s;
  const uint64_t k = t->dims[0], rows = t->elements / k;
  const int plain = t->dims[2] == 1 && t->dims[3] == 1;
  clql_status st = plain ? clql_gguf_import(g, t->name, NULL, 0, NULL, 0, &s)
                         : clql_ternary_format_bytes(t->ternary, rows, k, &s);
  if (st == CLQL_SUCCESS && !plain && s.bytes != t->bytes) st = CLQL_ERR_INVALID_SHAPE;
  int8_t *w = NULL;
  float *sc = NULL;
  size_t nw = 0, ns = 0;
  if (st == CLQL_SUCCESS && (nw = (size_t)s.weights) == s.weights &&
      (ns = (size_t)s.scales) == s.scales && (w = malloc(nw)) && (sc = malloc(ns * sizeof *sc)))
    st = plain ? clql_gguf_import(g, t->name, w, nw, sc, ns, NULL)
               : clql_ternary_import(t->ternary, rows, k, t->data, (size_t)t->bytes, w, nw, sc, ns);
  else if (st == CLQL_SUCCESS)
    st = CLQL_ERR_OUT_OF_HOST_MEMORY;
  free(w);
  free(sc);
  return st;
}

/* Import each ternary tensor once; the first invalid one fails. Empty ones
 * (a zero dimension) have nothing to check and are listed in the report. */
static int verify(const clql_gguf *g, const clql_gguf_tensor_info *t, size_t n, verify_report *r) {
  memset(r, 0, sizeof *r);
  if (!(r->skipped = calloc(n ? n : 1, sizeof *r->skipped))) return TOOL_EXIT_INTERNAL;
  for (size_t i = 0; i < n; i++) {
    if (t[i].ternary == CLQL_TERNARY_NONE) continue;
    if (t[i].elements == 0) {
      r->skipped[r->n_skipped++] = i;
      continue;
    }
    clql_status st = import_tensor(g, &t[i]);
    if (st != CLQL_SUCCESS) {
      fprintf(stderr, "clql-gguf: tensor '%s': %s: %s\n", tool_text(t[i].name),
              clql_status_name(st), clql_last_error_detail());
      return st == CLQL_ERR_OUT_OF_HOST_MEMORY ? TOOL_EXIT_INTERNAL : TOOL_EXIT_BAD_FILE;
    }
    r->verified++;
    r->by_rows += t[i].dims[2] != 1 || t[i].dims[3] != 1;
  }
  return TOOL_EXIT_OK;
}

static void verify_print(const clql_gguf_tensor_info *t, const verify_report *r) {
  printf("verified %zu ternary tensors", r->verified);
  if (r->by_rows) printf(" (%zu of more than 2 dimensions, row by row)", r->by_rows);
  printf("\n");
  for (size_t i = 0; i < r->n_skipped; i++) {
    char shape[128];
    const clql_gguf_tensor_info *s = &t[r->skipped[i]];
    shape_text(s, shape, sizeof shape);
    printf("not verified: tensor '%s' (%s %s) has no elements\n", tool_text(s->name),
           s->type_name, shape);
  }
}

static json_t *verify_json(const clql_gguf_tensor_info *t, const verify_report *r) {
  json_t *skipped = json_array();
  for (size_t i = 0; i < r->n_skipped; i++)
    json_array_append_new(skipped, json_pack("{s:o,s:s}", "name",
                                             tool_json_string(t[r->skipped[i]].name), "reason",
                                             "no elements"));
  return json_pack("{s:I,s:I,s:o}", "verified", (json_int_t)r->verified, "by_rows",
                   (json_int_t)r->by_rows, "skipped", skipped);
}

/* The ternary tensors usable as a layer: 2-D, shape accepted by the layout. */
static size_t collect_layers(const clql_gguf_tensor_info *t, size_t n, layer *out) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (t[i].ternary == CLQL_TERNARY_NONE || t[i].dims[2] != 1 || t[i].dims[3] != 1) continue;
    clql_layer_shape shape = {
      .n = t[i].dims[1], .k = t[i].dims[0], .qtype = CLQL_QTYPE_I2S,
      .group_size = t[i].ternary == CLQL_TERNARY_I2_S ? CLQL_GROUP_TENSOR : 256u};
    if (clql_layout_check(&shape) != CLQL_SUCCESS) continue;
    out[m++] = (layer){&t[i], shape};
  }
  return m;
}

int main(int argc, char **argv) {
  gguf_args o;
  int rc = gguf_args_parse(argc, argv, &o);
  if (rc == TOOL_EXIT_OK && o.then != TOOL_RUN) {
    if (o.then == TOOL_SHOW_VERSION) printf("clql-gguf %s\n", clql_version_string());
    else usage(stdout);
    return TOOL_EXIT_OK;
  }
  if (o.then == TOOL_SHOW_USAGE) usage(stderr);
  if (rc == TOOL_EXIT_OK) rc = tool_config_read("clql-gguf");
  if (rc == TOOL_EXIT_OK && o.limit) rc = tool_config_set("clql-gguf", "--limit", "CLQL_MEM_LIMIT", o.limit);
  if (rc != TOOL_EXIT_OK) return rc;
  clql_gguf *g = NULL;
  clql_status st = clql_gguf_open(o.path, &g);
  if (st != CLQL_SUCCESS) {
    fprintf(stderr, "clql-gguf: %s: %s: %s\n", tool_text(o.path),
            clql_status_name(st), clql_last_error_detail());
    return st == CLQL_ERR_OUT_OF_HOST_MEMORY ? TOOL_EXIT_INTERNAL : TOOL_EXIT_BAD_FILE;
  }
  size_t n = 0;
  clql_gguf_tensors(g, NULL, 0, &n);
  clql_gguf_tensor_info *t = calloc(n ? n : 1, sizeof *t);
  layer *layers = calloc(n ? n : 1, sizeof *layers);
  json_t *root = NULL;
  probe_inference inf = {0};
  verify_report checked = {0};
  if (!t || !layers || clql_gguf_tensors(g, t, n, &n) != CLQL_SUCCESS) {
    rc = TOOL_EXIT_INTERNAL;
    goto done;
  }
  size_t n_layers = collect_layers(t, n, layers);
  rc = probe_inference_init(&inf, "clql-gguf", o.inference.ctx, o.inference.sequences,
                             o.inference.kv_type);
  if (rc != TOOL_EXIT_OK) goto done;
  if (inf.active && (st = clql_model_from_gguf(g, &inf.model)) != CLQL_SUCCESS) {
    fprintf(tool_err(), "clql-gguf: %s: %s\n", tool_text(o.path),
            tool_text(clql_last_error_detail()));
    rc = st == CLQL_ERR_OUT_OF_HOST_MEMORY ? TOOL_EXIT_INTERNAL : TOOL_EXIT_BAD_FILE;
    goto done;
  }
  if (o.verify && (rc = verify(g, t, n, &checked)) != TOOL_EXIT_OK) goto done;
  if (o.json) {
    root = list_json(o.path, g, t, n);
    if (root && o.verify) json_object_set_new(root, "verify", verify_json(t, &checked));
    if (!root) {
      rc = TOOL_EXIT_INTERNAL;
      goto done;
    }
  } else {
    list_print(o.path, g, t, n);
    if (o.verify) verify_print(t, &checked);
  }
  if (o.plan && (rc = run_plans(layers, n_layers, &inf, root)) != TOOL_EXIT_OK) goto done;
  if (root) {
    char *text = json_dumps(root, TOOL_JSON_FLAGS);
    if (!text) {
      rc = TOOL_EXIT_INTERNAL;
      goto done;
    }
    puts(text);
    free(text);
  }
done:
  probe_inference_free(&inf);
  free(checked.skipped);
  json_decref(root);
  free(layers);
  free(t);
  clql_gguf_close(g);
  return rc;
}
