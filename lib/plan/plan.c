#include <math.h>
#include <string.h>
#include "../internal.h"

/* Defaults (docs/budget.md): plan with 90% of total and keep
 * max(5% of total, 256 MiB) free; with free unknown, 80% of total and a 10%
 * reserve. The 256 MiB floor is at most a quarter of total, so a device under
 * 1 GiB keeps a usable budget instead of a reserve larger than itself. */
#define DEFAULT_FRACTION 0.9
#define FALLBACK_FRACTION 0.8
#define DEFAULT_RESERVE_MIN (256ull << 20)
#define RESERVE_MIN_MAX_SHARE 0.25
#define DEFAULT_RESERVE_PERCENT 5.0
#define FALLBACK_RESERVE_PERCENT 10.0
#define DEFAULT_MAX_BATCH 4096u

const char *clql_limited_by_name(clql_limited_by reason) {
  static const char *const names[] = {"budget", "max_alloc", "cap", "request"};
  if ((int)reason < 0 || reason > CLQL_LIMITED_BY_REQUEST) return "unknown";
  return names[reason];
}

const char *clql_buffer_kind_name(clql_buffer_kind kind) {
  static const char *const names[] = {"weights", "scales", "workspace"};
  if ((int)kind < 0 || kind > CLQL_BUFFER_WORKSPACE) return "unknown";
  return names[kind];
}

/* floor(total * num / den), at most total; never converts an out-of-range double. */
static uint64_t share_of(uint64_t total, double num, double den) {
  double v = floor((double)total * num / den);
  return v >= (double)total ? total : (uint64_t)v;
}

clql_budget_options clql_budget_options_over(const clql_budget_options *base,
                                             const clql_budget_options *opts) {
  clql_budget_options o = *base;
  if (!opts) return o;
  const unsigned s = opts->set;
  if (s & CLQL_BUDGET_FRACTION) o.fraction = opts->fraction;
  if (s & CLQL_BUDGET_LIMIT) o.limit = opts->limit;
  /* the two reserve bits are one knob */
  if (s & (CLQL_BUDGET_RESERVE_BYTES | CLQL_BUDGET_RESERVE_PERCENT)) {
    o.set &= ~(CLQL_BUDGET_RESERVE_BYTES | CLQL_BUDGET_RESERVE_PERCENT);
    o.from_env &= ~(CLQL_BUDGET_RESERVE_BYTES | CLQL_BUDGET_RESERVE_PERCENT);
    o.reserve_bytes = opts->reserve_bytes;
    o.reserve_percent = opts->reserve_percent;
  }
  if (s & CLQL_BUDGET_MAX_BATCH) o.max_batch = opts->max_batch;
  o.from_env = (o.from_env & ~s) | (opts->from_env & s);
  o.set |= s;
  return o;
}

clql_status clql_budget_compute(const clql_memory_report *mem, const clql_budget_options *opts,
                                clql_budget *out) {
  if (!mem || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "memory report or output is NULL");
  if (mem->total == 0)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "the device reports no total memory (0 bytes)");
  clql_budget_options o;
  memset(&o, 0, sizeof o);
  if (opts) o = *opts;
  const char *why = NULL;
  if (!clql_budget_options_valid(&o, o.set, &why))
    return clql_fail(CLQL_ERR_INVALID_CONFIG, "budget options: %s", why);
  clql_budget b;
  memset(&b, 0, sizeof b);
  b.from_env = o.from_env & o.set;
  b.total = mem->total;
  b.max_alloc = mem->max_alloc ? mem->max_alloc : mem->total;
  b.free_is_fallback = !mem->free_known;
  b.free_source = mem->free_known ? mem->free_source : CLQL_MEM_SOURCE_NONE;
  b.free = mem->free_known && mem->free < mem->total ? mem->free : mem->total;

  b.fraction = b.free_is_fallback ? FALLBACK_FRACTION : DEFAULT_FRACTION;
  if (o.set & CLQL_BUDGET_FRACTION) b.fraction = o.fraction;
  double pct = b.free_is_fallback ? FALLBACK_RESERVE_PERCENT : DEFAULT_RESERVE_PERCENT;
  uint64_t floor_bytes = share_of(b.total, RESERVE_MIN_MAX_SHARE, 1.0);
  if (floor_bytes > DEFAULT_RESERVE_MIN) floor_bytes = DEFAULT_RESERVE_MIN;
  b.reserve = share_of(b.total, pct, 100.0);
  if (b.reserve < floor_bytes) b.reserve = floor_bytes;
  if (o.set & CLQL_BUDGET_RESERVE_PERCENT) b.reserve = share_of(b.total, o.reserve_percent, 100.0);
  if (o.set & CLQL_BUDGET_RESERVE_BYTES) b.reserve = o.reserve_bytes;
  b.limit = (o.set & CLQL_BUDGET_LIMIT) ? o.limit : UINT64_MAX;
  b.max_batch = (o.set & CLQL_BUDGET_MAX_BATCH) ? o.max_batch : DEFAULT_MAX_BATCH;

  uint64_t from_free = b.free > b.reserve ? b.free - b.reserve : 0;
  uint64_t from_fraction = share_of(b.total, b.fraction, 1.0);
  b.bytes = from_free;
  if (from_fraction < b.bytes) b.bytes = from_fraction;
  if (b.limit < b.bytes) b.bytes = b.limit;
  *out = b;
  return CLQL_SUCCESS;
}

/* What the batch search needs: layers sharing one workspace next to resident bytes. */
typedef struct {
  const clql_model_layer *layers;
  size_t count;
  unsigned flags;
  const clql_budget *budget;
  uint64_t resident;
} search_ctx;

/* Does batch b fit? Sets *why to the binding constraint when it does not. */
static clql_status fits_at(const search_ctx *c, uint64_t b, int *fits, clql_limited_by *why) {
  clql_workspace_bytes ws;
  clql_status st = clql_model_workspace_bytes(c->layers, c->count, b, c->flags, &ws);
  if (st == CLQL_ERR_SIZE_OVERFLOW) { /* a batch this large cannot fit anything */
    clql_clear_error();
    *fits = 0;
    *why = CLQL_LIMITED_BY_BUDGET;
    return CLQL_SUCCESS;
  }
  if (st != CLQL_SUCCESS) return st;
  uint64_t need;
  if (ws.largest > c->budget->max_alloc) {
    *fits = 0;
    *why = CLQL_LIMITED_BY_MAX_ALLOC;
  } else if (!clql_add_u64(c->resident, ws.total, &need) || need > c->budget->bytes) {
    *fits = 0;
    *why = CLQL_LIMITED_BY_BUDGET;
  } else {
    *fits = 1;
  }
  return CLQL_SUCCESS;
}

/* The largest batch in [1, min(request, cap)] that fits (0 when batch 1 does
 * not) and why it stops there. Fitting is monotone in the batch. */
static clql_status search(const search_ctx *c, int resident_fits, uint64_t requested,
                          uint64_t *batch, clql_limited_by *why) {
  uint64_t cap = c->budget->max_batch;
  clql_limited_by cap_reason = CLQL_LIMITED_BY_CAP;
  if (requested && requested <= cap) {
    cap = requested;
    cap_reason = CLQL_LIMITED_BY_REQUEST;
  }
  int f;
  clql_limited_by w = CLQL_LIMITED_BY_BUDGET;
  clql_status st = fits_at(c, 1, &f, &w);
  if (st != CLQL_SUCCESS) return st;
  *batch = 0;
  if (!resident_fits) {
    *why = CLQL_LIMITED_BY_MAX_ALLOC;
    return CLQL_SUCCESS;
  }
  if (!f) {
    *why = w;
    return CLQL_SUCCESS;
  }
  uint64_t lo = 1, hi = cap;
  st = fits_at(c, hi, &f, &w);
  if (st != CLQL_SUCCESS) return st;
  if (f) {
    *batch = hi;
    *why = cap_reason;
    return CLQL_SUCCESS;
  }
  *why = w;
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    st = fits_at(c, mid, &f, &w);
    if (st != CLQL_SUCCESS) return st;
    if (f)
      lo = mid;
    else
      hi = mid, *why = w;
  }
  *batch = lo;
  return CLQL_SUCCESS;
}

clql_status clql_plan_layer(const clql_memory_report *mem, const clql_budget_options *opts,
                            const clql_layer_shape *shape, uint64_t requested_batch,
                            unsigned ws_flags, clql_layer_plan *out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "plan output is NULL");
  clql_layer_plan p;
  memset(&p, 0, sizeof p);
  clql_status st = clql_budget_compute(mem, opts, &p.budget);
  if (st == CLQL_SUCCESS) st = clql_layout_weight_bytes(shape, &p.weights);
  if (st != CLQL_SUCCESS) return st;
  p.shape = *shape;
  if (!clql_add_u64(p.weights.weights, p.weights.scales, &p.resident_bytes))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "resident bytes overflow");

  clql_model_layer one;
  memset(&one, 0, sizeof one);
  one.shape = *shape;
  one.count = 1;
  search_ctx c = {&one, 1, ws_flags, &p.budget, p.resident_bytes};
  int resident_fits = p.weights.weights <= p.budget.max_alloc &&
                      p.weights.scales <= p.budget.max_alloc;
  st = search(&c, resident_fits, requested_batch, &p.batch, &p.limited_by);
  if (st == CLQL_SUCCESS)
    st = clql_layout_workspace_bytes(shape, p.batch ? p.batch : 1, ws_flags, &p.workspace);
  if (st != CLQL_SUCCESS) return st;
  p.fits = p.batch > 0;
  p.largest_buffer = p.workspace.largest;
  if (p.weights.weights > p.largest_buffer) p.largest_buffer = p.weights.weights;
  if (p.weights.scales > p.largest_buffer) p.largest_buffer = p.weights.scales;
  *out = p;
  return CLQL_SUCCESS;
}

clql_status clql_plan_model_in(const clql_budget *budget, const clql_model_layer *layers,
                               size_t count, uint64_t other_resident, uint64_t requested_batch,
                               unsigned ws_flags, clql_model_plan *out) {
  clql_model_plan p;
  memset(&p, 0, sizeof p);
  p.budget = *budget;
  clql_status st = clql_model_resident(layers, count, &p.weight_bytes, &p.largest);
  if (st != CLQL_SUCCESS) return st;
  for (size_t i = 0; i < count; i++)
    if (!clql_add_u64(p.layers, layers[i].count, &p.layers))
      return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "layer counts overflow 64 bits at layer %zu", i);
  uint64_t resident;
  if (!clql_add_u64(p.weight_bytes, other_resident, &resident))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "resident bytes overflow 64 bits");

  search_ctx c = {layers, count, ws_flags, &p.budget, resident};
  st = search(&c, p.largest.bytes <= p.budget.max_alloc, requested_batch, &p.batch, &p.limited_by);
  size_t owner[CLQL_WS_PART_COUNT];
  if (st == CLQL_SUCCESS)
    st = clql_model_workspace_owned(layers, count, p.batch ? p.batch : 1, ws_flags, &p.workspace,
                                    owner);
  if (st != CLQL_SUCCESS) return st;
  p.fits = p.batch > 0;
  for (int part = 0; part < CLQL_WS_PART_COUNT; part++) {
    if (p.workspace.part[part] <= p.largest.bytes) continue;
    p.largest.bytes = p.workspace.part[part];
    p.largest.layer = owner[part];
    p.largest.kind = CLQL_BUFFER_WORKSPACE;
    p.largest.part = (clql_workspace_part)part;
  }
  if (!clql_add_u64(resident, p.workspace.total, &p.need_bytes))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "model weights + workspace overflow 64 bits");
  if (p.need_bytes > p.budget.bytes) p.over_budget_bytes = p.need_bytes - p.budget.bytes;
  *out = p;
  return CLQL_SUCCESS;
}

clql_status clql_plan_model(const clql_memory_report *mem, const clql_budget_options *opts,
                            const clql_model_layer *layers, size_t count,
                            uint64_t requested_batch, unsigned ws_flags, clql_model_plan *out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "plan output is NULL");
  clql_budget b;
  clql_status st = clql_budget_compute(mem, opts, &b);
  if (st != CLQL_SUCCESS) return st;
  return clql_plan_model_in(&b, layers, count, 0, requested_batch, ws_flags, out);
}
