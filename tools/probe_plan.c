#include "probe_plan.h"
#include "common/format.h"
#include "common/tool.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- setup ---- */

static int usage_error(const char *option, const char *arg, const char *problem) {
  fprintf(stderr, "clql-probe: %s '%s': %s\n", option, tool_text(arg), problem);
  return TOOL_EXIT_USAGE;
}

int probe_plan_init(probe_plan *p, const char *model, const char *qtype, const char *batch) {
  memset(p, 0, sizeof *p);
  p->model = model;
  p->qtypes = (1u << CLQL_QTYPE_COUNT_) - 1;
  p->ws_flags = CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT;
  if (qtype) {
    if (clql_qtype_parse(qtype, &p->qtype) != CLQL_SUCCESS)
      return usage_error("--qtype", qtype, "not I2S, TL1 or TL2");
    p->qtypes = 1u << p->qtype;
  }
  if (batch && !tool_parse_count(batch, &p->batch))
    return usage_error("--batch", batch, "not a whole number >= 1");
  clql_model_layer *base;
  size_t n;
  int rc = tool_model_load("clql-probe", "--plan", model, CLQL_QTYPE_I2S, &base, &n);
  if (rc) return rc;
  p->layers = calloc(n * CLQL_QTYPE_COUNT_, sizeof *p->layers);
  if (!p->layers) {
    free(base);
    return TOOL_EXIT_INTERNAL;
  }
  p->count = n;
  for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) {
    clql_model_layer *l = p->layers + (size_t)q * n;
    for (size_t i = 0; i < n; i++) {
      l[i] = base[i];
      l[i].shape.qtype = (clql_qtype)q;
    }
    uint64_t bytes;
    if (clql_model_weight_bytes(l, n, &bytes) != CLQL_SUCCESS) {
      rc = usage_error("--plan", model, clql_last_error_detail());
      break;
    }
  }
  free(base);
  if (rc) probe_plan_free(p);
  return rc;
}

void probe_plan_free(probe_plan *p) {
  free(p->layers);
  p->layers = NULL;
}

/* ---- one plan ---- */

typedef struct {
  clql_status status;
  char error[256];
  clql_model_plan plan;
} device_plan;

static device_plan plan_for(const probe_plan *p, clql_qtype q, const clql_device_info *d) {
  device_plan r;
  memset(&r, 0, sizeof r);
  r.status = clql_plan_model(&d->memory, &tool_budget, p->layers + (size_t)q * p->count, p->count,
                             p->batch, p->ws_flags, &r.plan);
  if (r.status != CLQL_SUCCESS)
    snprintf(r.error, sizeof r.error, "%s: %s", clql_status_name(r.status),
             clql_last_error_detail());
  return r;
}

/* Layer names are the same in every qtype's copy of the list. */
static const clql_model_layer *layer_of(const probe_plan *p, const clql_model_plan *mp) {
  return &p->layers[mp->largest.layer];
}

/* "gate weights", or "workspace tables (down)" for a workspace part. */
static void largest_text(const probe_plan *p, const clql_model_plan *mp, char *buf, size_t size) {
  const char *name = layer_of(p, mp)->name;
  if (mp->largest.kind == CLQL_BUFFER_WORKSPACE)
    snprintf(buf, size, "workspace %s (%s)", clql_workspace_part_name(mp->largest.part), name);
  else
    snprintf(buf, size, "%s %s", name, clql_buffer_kind_name(mp->largest.kind));
}

void probe_over_budget_text(const clql_model_plan *mp, char *buf, size_t size) {
  char a[32], b[32], c[32], d[32];
  tool_size_text(mp->weight_bytes, a, sizeof a);
  tool_size_text(mp->workspace.total, b, sizeof b);
  tool_size_text(mp->budget.bytes, c, sizeof c);
  tool_size_text(mp->over_budget_bytes, d, sizeof d);
  snprintf(buf, size, "weights %s + workspace %s at batch 1 exceed the budget %s by %s", a, b, c,
           d);
}

/* Why a plan does not fit, in words with the numbers. */
static void why_not(const probe_plan *p, const clql_model_plan *mp, char *buf, size_t size) {
  char a[32], b[32], what[128];
  if (mp->limited_by == CLQL_LIMITED_BY_MAX_ALLOC) {
    largest_text(p, mp, what, sizeof what);
    tool_size_text(mp->largest.bytes, a, sizeof a);
    tool_size_text(mp->budget.max_alloc, b, sizeof b);
    snprintf(buf, size, "%s needs %s in one buffer; max_alloc is %s", what, a, b);
    return;
  }
  probe_over_budget_text(mp, buf, size);
}

/* ---- JSON ---- */

static json_t *plan_object(const probe_plan *p, const device_plan *r) {
  const clql_model_plan *mp = &r->plan;
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "model", tool_json_string(p->model));
  json_object_set_new(o, "qtype", json_string(clql_qtype_name(p->qtype)));
  int ok = r->status == CLQL_SUCCESS;
  json_object_set_new(o, "fits", ok ? json_boolean(mp->fits) : json_null());
  json_object_set_new(o, "max_batch", ok ? tool_json_u64(mp->batch) : json_null());
  json_object_set_new(o, "limited_by",
                      ok ? json_string(clql_limited_by_name(mp->limited_by)) : json_null());
  json_object_set_new(o, "budget_bytes", ok ? tool_json_u64(mp->budget.bytes) : json_null());
  json_object_set_new(o, "weight_bytes", ok ? tool_json_u64(mp->weight_bytes) : json_null());
  json_object_set_new(o, "workspace_bytes", ok ? tool_json_u64(mp->workspace.total) : json_null());
  json_object_set_new(o, "largest_buffer_bytes", ok ? tool_json_u64(mp->largest.bytes) : json_null());
  json_object_set_new(o, "free_is_fallback",
                      ok ? json_boolean(mp->budget.free_is_fallback) : json_null());
  json_object_set_new(o, "requested_batch", p->batch ? tool_json_u64(p->batch) : json_null());
  if (!ok) {
    json_object_set_new(o, "error", json_string(r->error));
    return o;
  }
  char text[320];
  largest_text(p, mp, text, sizeof text);
  json_object_set_new(o, "largest_buffer", json_string(text));
  json_object_set_new(o, "layers", tool_json_u64(mp->layers));
  json_object_set_new(o, "batch_cap", tool_json_u64(mp->budget.max_batch));
  json_object_set_new(o, "max_alloc_bytes", tool_json_u64(mp->budget.max_alloc));
  json_object_set_new(o, "need_bytes", tool_json_u64(mp->need_bytes));
  json_object_set_new(o, "over_budget_bytes", tool_json_u64(mp->over_budget_bytes));
  if (!mp->fits) why_not(p, mp, text, sizeof text);
  json_object_set_new(o, "reason", mp->fits ? json_null() : json_string(text));
  return o;
}

void probe_plan_json(const probe_plan *p, const clql_device_info *devs, size_t n,
                     json_t *devices_json) {
  for (size_t i = 0; i < n; i++) {
    json_t *d = json_array_get(devices_json, i);
    if (!d) continue;
    device_plan r = plan_for(p, p->qtype, &devs[i]);
    json_object_set_new(d, "plan", plan_object(p, &r));
  }
}

/* ---- table ---- */

void probe_plan_table(const probe_plan *p, const clql_device_info *devs, size_t n, FILE *out) {
  const clql_model_layer *l = p->layers + (size_t)p->qtype * p->count;
  uint64_t layers = 0, weights = 0;
  for (size_t i = 0; i < p->count; i++) layers += l[i].count;
  clql_model_weight_bytes(l, p->count, &weights); /* checked by probe_plan_init */
  char w[32], batch[32] = "the largest that fits";
  tool_size_text(weights, w, sizeof w);
  if (p->batch) snprintf(batch, sizeof batch, "up to %llu", (unsigned long long)p->batch);
  fprintf(out, "\nplan %s: %s, %llu layers, weights %s; batch %s\n", tool_text(p->model),
          clql_qtype_name(p->qtype), (unsigned long long)layers, w, batch);
  fprintf(out, "%-5s %-11s %-12s %-11s %7s  %-11s %s\n", "P:D", "TOTAL", "BUDGET", "WORKSPACE",
          "BATCH", "LIMITED BY", "NAME");
  int fallback = 0;
  for (size_t i = 0; i < n; i++) {
    const clql_device_info *d = &devs[i];
    device_plan r = plan_for(p, p->qtype, d);
    char pd[32], total[32], budget[32], ws[32], why[400];
    snprintf(pd, sizeof pd, "%u:%u", d->platform_index, d->device_index);
    tool_size_text(d->memory.total, total, sizeof total);
    if (r.status != CLQL_SUCCESS) {
      fprintf(out, "%-5s %-11s %-12s %-11s %7s  %-11s %s\n      cannot plan: %s\n", pd, total,
              "-", "-", "-", "-", tool_text(d->name), r.error);
      continue;
    }
    const clql_model_plan *mp = &r.plan;
    tool_size_text(mp->budget.bytes, budget, sizeof budget);
    if (mp->budget.free_is_fallback) strcat(budget, "*"), fallback = 1;
    tool_size_text(mp->workspace.total, ws, sizeof ws);
    char b[24] = "no";
    if (mp->fits) snprintf(b, sizeof b, "%llu", (unsigned long long)mp->batch);
    fprintf(out, "%-5s %-11s %-12s %-11s %7s  %-11s %s\n", pd, total, budget, ws, b,
            clql_limited_by_name(mp->limited_by), tool_text(d->name));
    if (!mp->fits) {
      why_not(p, mp, why, sizeof why);
      fprintf(out, "      does not fit: %s\n", why);
    }
  }
  if (fallback)
    fprintf(out, "* free memory unknown: budget from total with the stricter fallback\n");
}

/* ---- CSV ---- */

/* A quoted CSV field of text the tool did not write: made safe first. */
static void csv_text(FILE *out, const char *s) {
  s = tool_text(s);
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"') fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

void probe_plan_csv(const probe_plan *p, const clql_device_info *devs, size_t n, FILE *out) {
  fprintf(out, "index,platform_index,device_index,name,total_bytes,max_alloc_bytes,free_bytes,"
               "free_source,model,qtype,requested_batch,fits,max_batch,limited_by,budget_bytes,"
               "weight_bytes,workspace_bytes,largest_buffer_bytes,free_is_fallback,error\n");
  for (size_t i = 0; i < n; i++) {
    const clql_device_info *d = &devs[i];
    for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) {
      if (!(p->qtypes & (1u << q))) continue;
      device_plan r = plan_for(p, (clql_qtype)q, d);
      const clql_model_plan *mp = &r.plan;
      fprintf(out, "%u,%u,%u,", d->index, d->platform_index, d->device_index);
      csv_text(out, d->name);
      fprintf(out, ",%llu,%llu,", (unsigned long long)d->memory.total,
              (unsigned long long)d->memory.max_alloc);
      if (d->memory.free_known) fprintf(out, "%llu", (unsigned long long)d->memory.free);
      fprintf(out, ",%s,", clql_mem_source_name(d->memory.free_source));
      csv_text(out, p->model);
      fprintf(out, ",%s,", clql_qtype_name((clql_qtype)q));
      if (p->batch) fprintf(out, "%llu", (unsigned long long)p->batch);
      if (r.status != CLQL_SUCCESS) {
        fprintf(out, ",,,,,,,,,");
        csv_text(out, r.error);
        fputc('\n', out);
        continue;
      }
      fprintf(out, ",%s,%llu,%s,%llu,%llu,%llu,%llu,%s,\n", mp->fits ? "true" : "false",
              (unsigned long long)mp->batch, clql_limited_by_name(mp->limited_by),
              (unsigned long long)mp->budget.bytes, (unsigned long long)mp->weight_bytes,
              (unsigned long long)mp->workspace.total, (unsigned long long)mp->largest.bytes,
              mp->budget.free_is_fallback ? "true" : "false");
    }
  }
}

/* ---- chart ---- */

/* The gnuplot on PATH, or NULL. */
static char *find_gnuplot(void) {
  const char *path = getenv("PATH");
  if (!path || !*path) return NULL;
  for (const char *s = path; *s;) {
    const char *e = strchr(s, ':');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    char *cand = malloc(len + sizeof "/gnuplot" + 2);
    if (!cand) return NULL;
    snprintf(cand, len + sizeof "/gnuplot" + 2, "%.*s/gnuplot", (int)len, len ? s : ".");
    if (access(cand, X_OK) == 0) return cand;
    free(cand);
    s += len + (e != NULL);
  }
  return NULL;
}

static const char *terminal_for(const char *file) {
  const char *dot = strrchr(file, '.');
  if (!dot) return NULL;
  if (strcmp(dot, ".svg") == 0) return "svg size 900,560 dynamic";
  if (strcmp(dot, ".png") == 0) return "png size 900,560";
  if (strcmp(dot, ".txt") == 0) return "dumb size 100,32";
  return NULL;
}

typedef struct {
  double gib;
  uint64_t batch;
} point;

static int by_memory(const void *a, const void *b) {
  double x = ((const point *)a)->gib, y = ((const point *)b)->gib;
  return (x > y) - (x < y);
}

static void write_script(FILE *g, const probe_plan *p, const clql_device_info *devs, size_t n,
                         const char *file, point *pts) {
  char title[160];
  tool_gnuplot_text(p->model, title, sizeof title);
  fprintf(g, "set terminal %s\nset output '%s'\n", terminal_for(file), file);
  fprintf(g, "set title \"Largest batch of %s by device memory\"\n", title);
  fprintf(g, "set xlabel \"device memory (GiB)\"\nset ylabel \"largest batch (0: does not fit)\"\n"
             "set logscale x 2\nset key top left\nset grid\nset yrange [0:*]\n");
  /* Room around the devices' memory, so that one device is not an empty range. */
  double lo = 0, hi = 0;
  for (size_t i = 0; i < n; i++) {
    double gib = (double)devs[i].memory.total / (double)(1ull << 30);
    if (gib > 0 && (lo == 0 || gib < lo)) lo = gib;
    if (gib > hi) hi = gib;
  }
  if (hi > 0) fprintf(g, "set xrange [%.6g:%.6g]\n", lo / 1.5, hi * 1.5);
  for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) {
    if (!(p->qtypes & (1u << q))) continue;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      device_plan r = plan_for(p, (clql_qtype)q, &devs[i]);
      if (r.status != CLQL_SUCCESS) continue; /* no memory figures: nothing to draw */
      pts[m].gib = (double)devs[i].memory.total / (double)(1ull << 30);
      pts[m++].batch = r.plan.batch;
    }
    qsort(pts, m, sizeof *pts, by_memory);
    fprintf(g, "$%s << EOD\n", clql_qtype_name((clql_qtype)q));
    for (size_t i = 0; i < m; i++)
      fprintf(g, "%.6g %llu\n", pts[i].gib, (unsigned long long)pts[i].batch);
    fprintf(g, "EOD\n");
  }
  const char *sep = "plot ";
  for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) {
    if (!(p->qtypes & (1u << q))) continue;
    fprintf(g, "%s$%s using 1:2 with linespoints title \"%s\"", sep,
            clql_qtype_name((clql_qtype)q), clql_qtype_name((clql_qtype)q));
    sep = ", ";
  }
  fprintf(g, "\n");
}

int probe_plan_plot(const probe_plan *p, const clql_device_info *devs, size_t n,
                    const char *file) {
  if (!terminal_for(file) || strchr(file, '\''))
    return usage_error("--plot", file, "the file must end in .svg, .png or .txt (and hold no ')");
  char *gnuplot = find_gnuplot();
  if (!gnuplot) {
    fprintf(stderr, "clql-probe: note: gnuplot is not installed; no chart written to %s\n", file);
    return 0;
  }
  point *pts = calloc(n ? n : 1, sizeof *pts);
  size_t len = strlen(gnuplot) + 8;
  char *cmd = malloc(len);
  if (!pts || !cmd) {
    free(pts), free(cmd), free(gnuplot);
    return TOOL_EXIT_INTERNAL;
  }
  snprintf(cmd, len, "'%s'", gnuplot); /* a PATH entry with a ' finds no gnuplot to run */
  FILE *g = strchr(gnuplot, '\'') ? NULL : popen(cmd, "w");
  int rc = 0;
  if (!g) {
    fprintf(stderr, "clql-probe: cannot run %s: %s\n", gnuplot, strerror(errno));
    rc = TOOL_EXIT_INTERNAL;
  } else {
    write_script(g, p, devs, n, file, pts);
    int status = pclose(g);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "clql-probe: gnuplot failed (status %d); no chart in %s\n", status, file);
      rc = TOOL_EXIT_INTERNAL;
    }
  }
  free(pts), free(cmd), free(gnuplot);
  return rc;
}

/* ---- shared with the split output (probe_split.c) ---- */

