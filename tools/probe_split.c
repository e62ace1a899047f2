#include "probe_split.h"
#include "common/format.h"
#include "common/tool.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int probe_split_mode(const char *arg, clql_split_mode *mode) {
  *mode = CLQL_SPLIT_ROWS;
  if (arg) {
    if (clql_split_mode_parse(arg, mode) == CLQL_SUCCESS) return 0;
    fprintf(stderr, "clql-probe: --split '%s': not rows or layers\n", tool_text(arg));
    return TOOL_EXIT_USAGE;
  }
  /* CLQL_SPLIT, as the configuration read at start has it */
  size_t len = 0;
  char word[16];
  if (clql_config_get(tool_config, "CLQL_SPLIT", word, sizeof word, &len) == CLQL_SUCCESS && len)
    clql_split_mode_parse(word, mode);
  return 0;
}

int probe_split_compute(const probe_plan *p, clql_split_mode mode, const clql_device_info *devs,
                        size_t n, probe_split *out) {
  memset(out, 0, sizeof *out);
  out->mode = mode;
  clql_split_device *sd = calloc(n ? n : 1, sizeof *sd);
  out->parts = calloc(n ? n : 1, sizeof *out->parts);
  if (!sd || !out->parts) {
    free(sd);
    return TOOL_EXIT_INTERNAL;
  }
  for (size_t i = 0; i < n; i++) {
    sd[i].memory = devs[i].memory;
    sd[i].options = &tool_budget; /* the configuration's knobs */
  }
  out->status = clql_plan_split(sd, n, p->layers + (size_t)p->qtype * p->count, p->count, mode,
                                p->batch, p->ws_flags, out->parts, &out->plan);
  if (out->status != CLQL_SUCCESS)
    snprintf(out->error, sizeof out->error, "%s: %s", clql_status_name(out->status),
             clql_last_error_detail());
  free(sd);
  return 0;
}

void probe_split_free(probe_split *s) {
  free(s->parts);
  s->parts = NULL;
}

/* ---- table ---- */

/* "66.67%" of every layer's rows, or the run of layers "[0, 105)". */
static void held_text(const probe_split *s, const clql_split_part *part, char *buf, size_t size) {
  if (s->mode == CLQL_SPLIT_ROWS)
    snprintf(buf, size, "%.2f%%",
             100.0 * (part->share_end - part->share_begin) / (double)CLQL_SPLIT_UNITS);
  else
    snprintf(buf, size, "[%llu, %llu)", (unsigned long long)part->layer_begin,
             (unsigned long long)part->layer_end);
}

/* Why a part does not fit its device, with the numbers. */
static void part_why_not(const clql_model_plan *mp, char *buf, size_t size) {
  if (mp->limited_by != CLQL_LIMITED_BY_MAX_ALLOC) {
    probe_over_budget_text(mp, buf, size);
    return;
  }
  char a[32], b[32];
  tool_size_text(mp->largest.bytes, a, sizeof a);
  tool_size_text(mp->budget.max_alloc, b, sizeof b);
  snprintf(buf, size, "a buffer of %s; max_alloc is %s", a, b);
}

void probe_split_table(const probe_plan *p, const probe_split *s, const clql_device_info *devs,
                       size_t n, FILE *out) {
  fprintf(out, "\nsplit %s over %zu device%s by %s: %s", tool_text(p->model), n, n == 1 ? "" : "s",
          clql_split_mode_name(s->mode), clql_qtype_name(p->qtype));
  if (s->status != CLQL_SUCCESS) {
    fprintf(out, "\n      cannot split: %s\n", s->error);
    return;
  }
  const clql_device_info *bind = &devs[s->plan.binding_device];
  if (s->plan.fits)
    fprintf(out, ", batch %llu (set by %u:%u)\n", (unsigned long long)s->plan.batch,
            bind->platform_index, bind->device_index);
  else
    fprintf(out, ", does not fit (first on %u:%u)\n", bind->platform_index, bind->device_index);
  fprintf(out, "%-5s %-15s %-11s %-11s %-12s %7s  %s\n", "P:D",
          s->mode == CLQL_SPLIT_ROWS ? "ROWS" : "LAYERS", "WEIGHTS", "WORKSPACE", "BUDGET", "BATCH",
          "NAME");
  int fallback = 0;
  for (size_t i = 0; i < n; i++) {
    const clql_model_plan *mp = &s->parts[i].plan;
    char pd[32], held[48], w[32], ws[32], budget[32], batch[24] = "no", why[320];
    snprintf(pd, sizeof pd, "%u:%u", devs[i].platform_index, devs[i].device_index);
    held_text(s, &s->parts[i], held, sizeof held);
    tool_size_text(mp->weight_bytes, w, sizeof w);
    tool_size_text(mp->workspace.total, ws, sizeof ws);
    tool_size_text(mp->budget.bytes, budget, sizeof budget);
    if (mp->budget.free_is_fallback) strcat(budget, "*"), fallback = 1;
    if (mp->fits) snprintf(batch, sizeof batch, "%llu", (unsigned long long)mp->batch);
    fprintf(out, "%-5s %-15s %-11s %-11s %-12s %7s  %s\n", pd, held, w, ws, budget, batch,
            tool_text(devs[i].name));
    if (!mp->fits) {
      part_why_not(mp, why, sizeof why);
      fprintf(out, "      does not fit: %s\n", why);
    }
  }
  if (fallback)
    fprintf(out, "* free memory unknown: budget from total with the stricter fallback\n");
}

/* ---- JSON ---- */

static json_t *device_ref(const clql_device_info *d) {
  json_t *o = json_pack("{s:I,s:I,s:I,s:o,s:s}", "index", (json_int_t)d->index, "platform_index",
                        (json_int_t)d->platform_index, "device_index", (json_int_t)d->device_index,
                        "name", tool_json_string(d->name), "type", clql_device_type_name(d->type));
  if (o && d->profile_id[0]) json_object_set_new(o, "profile_id", tool_json_string(d->profile_id));
  return o;
}

/* rows mode: each entry of the model with the rows this part holds. */
static json_t *rows_json(const probe_plan *p, const clql_split_part *part) {
  const clql_model_layer *l = p->layers + (size_t)p->qtype * p->count;
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < p->count; i++) {
    uint64_t b = 0, e = 0;
    clql_split_rows(l[i].shape.n, part, &b, &e);
    json_array_append_new(
        arr, json_pack("{s:s,s:o,s:o,s:o}", "layer", l[i].name, "n", tool_json_u64(l[i].shape.n),
                       "begin", tool_json_u64(b), "end", tool_json_u64(e)));
  }
  return arr;
}

static json_t *part_json(const probe_plan *p, const probe_split *s, const clql_split_part *part,
                         const clql_device_info *d) {
  const clql_model_plan *mp = &part->plan;
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "device", device_ref(d));
  if (s->mode == CLQL_SPLIT_ROWS) {
    json_object_set_new(o, "rows", rows_json(p, part));
    json_object_set_new(
        o, "share",
        json_real((double)(part->share_end - part->share_begin) / (double)CLQL_SPLIT_UNITS));
  } else {
    json_object_set_new(o, "layers",
                        json_pack("{s:o,s:o}", "begin", tool_json_u64(part->layer_begin), "end",
                                  tool_json_u64(part->layer_end)));
  }
  json_object_set_new(o, "weight_bytes", tool_json_u64(mp->weight_bytes));
  json_object_set_new(o, "workspace_bytes", tool_json_u64(mp->workspace.total));
  json_object_set_new(o, "budget_bytes", tool_json_u64(mp->budget.bytes));
  json_object_set_new(o, "fits", json_boolean(mp->fits));
  json_object_set_new(o, "batch", tool_json_u64(mp->batch));
  json_object_set_new(o, "limited_by", json_string(clql_limited_by_name(mp->limited_by)));
  json_object_set_new(o, "largest_buffer_bytes", tool_json_u64(mp->largest.bytes));
  json_object_set_new(o, "max_alloc_bytes", tool_json_u64(mp->budget.max_alloc));
  json_object_set_new(o, "free_is_fallback", json_boolean(mp->budget.free_is_fallback));
  return o;
}

void probe_split_json(const probe_plan *p, const probe_split *s, const clql_device_info *devs,
                      size_t n, json_t *root) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && s->status == CLQL_SUCCESS && i < n; i++)
    json_array_append_new(arr, part_json(p, s, &s->parts[i], &devs[i]));
  json_object_set_new(root, "split", arr);
  json_t *sp =
      json_pack("{s:o,s:s,s:s,s:I,s:o}", "model", tool_json_string(p->model), "qtype", clql_qtype_name(p->qtype),
                "mode", clql_split_mode_name(s->mode), "devices", (json_int_t)n, "requested_batch",
                p->batch ? tool_json_u64(p->batch) : json_null());
  if (!sp) return;
  if (s->status != CLQL_SUCCESS) {
    json_object_set_new(sp, "error", json_string(s->error));
  } else {
    json_object_set_new(sp, "fits", json_boolean(s->plan.fits));
    json_object_set_new(sp, "batch", tool_json_u64(s->plan.batch));
    json_object_set_new(sp, "layers", tool_json_u64(s->plan.layers));
    json_object_set_new(sp, "weight_bytes", tool_json_u64(s->plan.weight_bytes));
    json_object_set_new(sp, "binding_device",
                        json_integer((json_int_t)devs[s->plan.binding_device].index));
  }
  json_object_set_new(root, "split_plan", sp);
}
