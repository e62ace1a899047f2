#include "probe_inference.h"
#include <stdlib.h>
#include <string.h>
#include "common/format.h"
#include "common/tool.h"

int probe_inference_init(probe_inference *pi, const char *tool, const char *ctx,
                         const char *sequences, const char *kv_type) {
  memset(pi, 0, sizeof pi[0]);
  pi->tool = tool;
  pi->active = ctx || sequences;
  if (kv_type && !pi->active) {
    fprintf(tool_err(), "%s: --kv-type needs --ctx or --sequences\n", tool);
    return TOOL_EXIT_CONFIG;
  }
  const char *const opt[2] = {"--ctx", "--sequences"}, *const val[2] = {ctx, sequences};
  uint64_t *dst[2] = {&pi->request.context, &pi->request.sequences};
  for (int i = 0; i < 2; i++)
    if (val[i] && !tool_parse_count(val[i], dst[i])) {
      fprintf(tool_err(), "%s: %s '%s': not a whole number >= 1\n", tool, opt[i],
              tool_text(val[i]));
      return TOOL_EXIT_CONFIG;
    }
  if (kv_type && clql_kv_type_parse(kv_type, &pi->request.kv_type) != CLQL_SUCCESS) {
    fprintf(tool_err(), "%s: --kv-type: %s\n", tool, tool_text(clql_last_error_detail()));
    return TOOL_EXIT_CONFIG;
  }
  return 0;
}

void probe_inference_free(probe_inference *pi) {
  clql_model_destroy(pi->model);
  pi->model = NULL;
}

static clql_status plan_of(const probe_inference *pi, const clql_device_info *d,
                           clql_inference_plan *p) {
  return clql_plan_inference(&d->memory, &tool_budget, pi->model, &pi->request, p);
}

json_t *probe_inference_json(const probe_inference *pi, const clql_device_info *d) {
  clql_inference_plan p;
  clql_status st = plan_of(pi, d, &p);
  if (st != CLQL_SUCCESS)
    return json_pack("{s:s,s:s}", "status", clql_status_name(st), "error",
                     clql_last_error_detail());
  json_t *kinds = json_object();
  for (int k = 0; kinds && k < CLQL_TENSOR_KIND_COUNT_; k++)
    json_object_set_new(kinds, clql_tensor_kind_name((clql_tensor_kind)k),
                        tool_json_u64(p.weights_by_kind[k]));
  return json_pack("{s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:b,s:s,s:o,s:o,s:o,s:o,s:o}", "ctx",
                   tool_json_u64(p.context), "sequences", tool_json_u64(p.sequences),
                   "limited_by", clql_inference_limit_name(p.limited_by), "weights_bytes",
                   tool_json_u64(p.weights_bytes), "kv_bytes_per_token",
                   tool_json_u64(p.kv_bytes_per_token), "kv_bytes", tool_json_u64(p.kv_bytes),
                   "scratch_bytes", tool_json_u64(p.scratch_bytes), "budget_bytes",
                   tool_json_u64(p.budget.bytes), "fits", p.fits, "kv_type",
                   clql_kv_type_name(pi->request.kv_type), "workspace_bytes",
                   tool_json_u64(p.workspace_bytes), "remaining_bytes",
                   tool_json_u64(p.remaining_bytes), "largest_buffer_bytes",
                   tool_json_u64(p.largest_buffer), "tokens", tool_json_u64(p.tokens),
                   "weights_by_kind", kinds ? kinds : json_null());
}

static void header(const probe_inference *pi, FILE *out) {
  clql_model_info i;
  clql_model_get_info(pi->model, &i);
  char ctx[32] = "the longest that fits", seq[32] = "as many as fit";
  if (pi->request.context)
    snprintf(ctx, sizeof ctx, "%llu", (unsigned long long)pi->request.context);
  if (pi->request.sequences)
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)pi->request.sequences);
  fprintf(out, "\ninference %s: %llu layers, %llu KV heads x (%llu + %llu), %s KV; context %s, "
               "sequences %s\n",
          i.name, (unsigned long long)i.layers, (unsigned long long)i.kv_heads,
          (unsigned long long)i.key_length, (unsigned long long)i.value_length,
          clql_kv_type_name(pi->request.kv_type), ctx, seq);
}

void probe_inference_table(const probe_inference *pi, const clql_device_info *devs, size_t n,
                           FILE *out) {
  header(pi, out);
  fprintf(out, "%-5s %-16s %-11s %-11s %-10s %-11s %-11s %-11s %s\n", "P:D", "SEQ x CTX",
          "LIMITED BY", "WEIGHTS", "KV/TOKEN", "KV TOTAL", "SCRATCH", "REMAINING", "NAME");
  for (size_t d = 0; d < n; d++) {
    clql_inference_plan p;
    char pd[32];
    snprintf(pd, sizeof pd, "%u:%u", devs[d].platform_index, devs[d].device_index);
    if (plan_of(pi, &devs[d], &p) != CLQL_SUCCESS) {
      fprintf(out, "%-5s cannot plan: %s\n", pd, clql_last_error_detail());
      continue;
    }
    char sc[48], w[32], kvt[32], kv[32], s[32], r[32];
    snprintf(sc, sizeof sc, "%llu x %llu", (unsigned long long)p.sequences,
             (unsigned long long)p.context);
    if (!p.fits) snprintf(sc, sizeof sc, "does not fit");
    tool_size_text(p.weights_bytes, w, sizeof w);
    snprintf(kvt, sizeof kvt, "%llu B", (unsigned long long)p.kv_bytes_per_token);
    tool_size_text(p.kv_bytes, kv, sizeof kv);
    tool_size_text(p.scratch_bytes + p.workspace_bytes, s, sizeof s);
    tool_size_text(p.remaining_bytes, r, sizeof r);
    fprintf(out, "%-5s %-16s %-11s %-11s %-10s %-11s %-11s %-11s %s\n", pd, sc,
            clql_inference_limit_name(p.limited_by), w, kvt, kv, s, r, devs[d].name);
    if (!p.fits) {
      char need[32], budget[32];
      tool_size_text(p.need_bytes, need, sizeof need);
      tool_size_text(p.budget.bytes, budget, sizeof budget);
      fprintf(out, "      does not fit: %s needed at %llu x %llu, budget %s%s\n", need,
              (unsigned long long)p.sequences, (unsigned long long)p.context, budget,
              p.limited_by == CLQL_INFERENCE_BY_MAX_ALLOC ? " (a buffer exceeds max_alloc)"
              : p.limited_by == CLQL_INFERENCE_BY_MAX_CONTEXT
                  ? " (longer than the model's maximum context)"
                  : "");
    }
  }
}

/* The split over devs; 0 on success with parts (count n, caller frees). */
static clql_status split_of(const probe_inference *pi, const clql_device_info *devs, size_t n,
                            clql_inference_part **parts, clql_inference_split_plan *plan) {
  clql_split_device *sd = calloc(n, sizeof *sd);
  *parts = calloc(n, sizeof **parts);
  if (!sd || !*parts) {
    free(sd);
    free(*parts);
    *parts = NULL;
    return CLQL_ERR_OUT_OF_HOST_MEMORY;
  }
  for (size_t d = 0; d < n; d++) sd[d].memory = devs[d].memory, sd[d].options = &tool_budget;
  clql_status st = clql_plan_inference_split(sd, n, pi->model, &pi->request, *parts, plan);
  free(sd);
  if (st != CLQL_SUCCESS) {
    free(*parts);
    *parts = NULL;
  }
  return st;
}

json_t *probe_inference_split_json(const probe_inference *pi, const clql_device_info *devs,
                                   size_t n) {
  clql_inference_part *parts;
  clql_inference_split_plan plan;
  clql_status st = split_of(pi, devs, n, &parts, &plan);
  if (st != CLQL_SUCCESS)
    return json_pack("{s:s,s:s}", "status", clql_status_name(st), "error",
                     clql_last_error_detail());
  json_t *arr = json_array();
  for (size_t d = 0; arr && d < n; d++) {
    const clql_inference_part *p = &parts[d];
    json_array_append_new(
        arr, json_pack("{s:o,s:o,s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:b}", "layer_begin",
                       tool_json_u64(p->layer_begin), "layer_end", tool_json_u64(p->layer_end),
                       "embedding", p->embedding, "output", p->output, "weights_bytes",
                       tool_json_u64(p->weights_bytes), "kv_bytes", tool_json_u64(p->kv_bytes),
                       "scratch_bytes", tool_json_u64(p->scratch_bytes + p->workspace_bytes),
                       "need_bytes", tool_json_u64(p->need_bytes), "budget_bytes",
                       tool_json_u64(p->budget.bytes), "fits", p->fits));
  }
  free(parts);
  return json_pack("{s:o,s:o,s:s,s:b,s:o,s:s,s:o}", "ctx", tool_json_u64(plan.context),
                   "sequences", tool_json_u64(plan.sequences), "limited_by",
                   clql_inference_limit_name(plan.limited_by), "fits", plan.fits,
                   "kv_bytes_per_token", tool_json_u64(plan.kv_bytes_per_token), "kv_type",
                   clql_kv_type_name(pi->request.kv_type), "devices", arr ? arr : json_null());
}

void probe_inference_split_table(const probe_inference *pi, const clql_device_info *devs,
                                 size_t n, FILE *out) {
  clql_inference_part *parts;
  clql_inference_split_plan plan;
  if (split_of(pi, devs, n, &parts, &plan) != CLQL_SUCCESS) {
    fprintf(out, "\ninference split: cannot plan: %s\n", clql_last_error_detail());
    return;
  }
  if (plan.fits)
    fprintf(out, "\ninference split over %zu devices by layers: %llu sequences x %llu tokens "
                 "(limited by %s)\n",
            n, (unsigned long long)plan.sequences, (unsigned long long)plan.context,
            clql_inference_limit_name(plan.limited_by));
  else
    fprintf(out, "\ninference split over %zu devices by layers: does not fit (%llu x %llu, %s)\n",
            n, (unsigned long long)plan.sequences, (unsigned long long)plan.context,
            clql_inference_limit_name(plan.limited_by));
  fprintf(out, "%-5s %-11s %-11s %-11s %-11s %-11s %s\n", "P:D", "LAYERS", "WEIGHTS", "KV",
          "SCRATCH", "BUDGET", "NAME");
  for (size_t d = 0; d < n; d++) {
    const clql_inference_part *p = &parts[d];
    char pd[32], l[32], w[32], kv[32], s[32], b[32];
    snprintf(pd, sizeof pd, "%u:%u", devs[d].platform_index, devs[d].device_index);
    snprintf(l, sizeof l, "%llu-%llu", (unsigned long long)p->layer_begin,
             (unsigned long long)p->layer_end);
    if (p->layer_end == p->layer_begin) snprintf(l, sizeof l, "none");
    tool_size_text(p->weights_bytes, w, sizeof w);
    tool_size_text(p->kv_bytes, kv, sizeof kv);
    tool_size_text(p->scratch_bytes + p->workspace_bytes, s, sizeof s);
    tool_size_text(p->budget.bytes, b, sizeof b);
    fprintf(out, "%-5s %-11s %-11s %-11s %-11s %-11s %s\n", pd, l, w, kv, s, b, devs[d].name);
  }
  free(parts);
}
