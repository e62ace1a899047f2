#include <math.h>
#include <string.h>
#include "internal.h"

/* Defaults (README "Budget"): plan with 90% of total, keep max(256 MiB, 5%)
 * free; with free unknown, 80% of total and a 10% reserve. */
#define DEFAULT_FRACTION 0.9
#define FALLBACK_FRACTION 0.8
#define DEFAULT_RESERVE_MIN (256ull << 20)
#define DEFAULT_RESERVE_PERCENT 5.0
#define FALLBACK_RESERVE_PERCENT 10.0
#define DEFAULT_MAX_BATCH 4096u

const char *clql_limited_by_name(clql_limited_by reason) {
  static const char *const names[] = {"budget", "max_alloc", "cap", "request"};
  if ((int)reason < 0 || reason > CLQL_LIMITED_BY_REQUEST) return "unknown";
  return names[reason];
}

static uint64_t percent_of(uint64_t total, double percent) {
  double v = (double)total * percent / 100.0;
  return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
}

clql_status clql_budget_compute(const clql_memory_report *mem, const clql_budget_options *opts,
                                clql_budget *out) {
  if (!mem || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "memory report or output is NULL");
  if (mem->total == 0) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "device total memory is 0");
  clql_budget_options none = {0};
  if (!opts) opts = &none;
  clql_budget b;
  memset(&b, 0, sizeof b);
  b.total = mem->total;
  b.max_alloc = mem->max_alloc ? mem->max_alloc : mem->total;
  b.free_is_fallback = !mem->free_known;
  b.free_source = mem->free_known ? mem->free_source : CLQL_MEM_SOURCE_NONE;
  b.free = mem->free_known && mem->free < mem->total ? mem->free : mem->total;

  b.fraction = b.free_is_fallback ? FALLBACK_FRACTION : DEFAULT_FRACTION;
  if (opts->set & CLQL_BUDGET_FRACTION) {
    if (!(opts->fraction > 0.0 && opts->fraction <= 1.0))
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "fraction %g is not in (0, 1]", opts->fraction);
    b.fraction = opts->fraction;
  }
  double pct = b.free_is_fallback ? FALLBACK_RESERVE_PERCENT : DEFAULT_RESERVE_PERCENT;
  b.reserve = percent_of(b.total, pct);
  if (b.reserve < DEFAULT_RESERVE_MIN) b.reserve = DEFAULT_RESERVE_MIN;
  if (opts->set & CLQL_BUDGET_RESERVE_PERCENT) {
    if (!(opts->reserve_percent >= 0.0 && opts->reserve_percent <= 100.0))
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "reserve %g%% is not in [0, 100]",
                       opts->reserve_percent);
    b.reserve = percent_of(b.total, opts->reserve_percent);
  }
  if (opts->set & CLQL_BUDGET_RESERVE_BYTES) b.reserve = opts->reserve_bytes;
  b.limit = (opts->set & CLQL_BUDGET_LIMIT) ? opts->limit : UINT64_MAX;
  b.max_batch = DEFAULT_MAX_BATCH;
  if (opts->set & CLQL_BUDGET_MAX_BATCH) {
    if (opts->max_batch == 0) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "max_batch is 0");
    b.max_batch = opts->max_batch;
  }

  uint64_t from_free = b.free > b.reserve ? b.free - b.reserve : 0;
  uint64_t from_fraction = (uint64_t)floor((double)b.total * b.fraction);
  if (from_fraction > b.total) from_fraction = b.total;
  b.bytes = from_free;
  if (from_fraction < b.bytes) b.bytes = from_fraction;
  if (b.limit < b.bytes) b.bytes = b.limit;
  *out = b;
  return CLQL_SUCCESS;
}

/* Does batch b fit? Sets *why to the binding constraint when it does not. */
static clql_status fits_at(const clql_layer_shape *shape, const clql_budget *budget,
                           uint64_t resident, uint64_t b, unsigned flags, int *fits,
                           clql_limited_by *why, clql_workspace_bytes *ws) {
  clql_status st = clql_layout_workspace_bytes(shape, b, flags, ws);
  if (st == CLQL_ERR_SIZE_OVERFLOW) { /* a batch this large cannot fit anything */
    clql_clear_error();
    *fits = 0;
    *why = CLQL_LIMITED_BY_BUDGET;
    return CLQL_SUCCESS;
  }
  if (st != CLQL_SUCCESS) return st;
  uint64_t need;
  if (ws->largest > budget->max_alloc) {
    *fits = 0;
    *why = CLQL_LIMITED_BY_MAX_ALLOC;
  } else if (!clql_add_u64(resident, ws->total, &need) || need > budget->bytes) {
    *fits = 0;
    *why = CLQL_LIMITED_BY_BUDGET;
  } else {
    *fits = 1;
  }
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

  uint64_t cap = p.budget.max_batch;
  clql_limited_by cap_reason = CLQL_LIMITED_BY_CAP;
  if (requested_batch && requested_batch <= cap) {
    cap = requested_batch;
    cap_reason = CLQL_LIMITED_BY_REQUEST;
  }
  int fit = 0;
  clql_limited_by why = CLQL_LIMITED_BY_BUDGET;
  int resident_fits = p.weights.weights <= p.budget.max_alloc &&
                      p.weights.scales <= p.budget.max_alloc;
  st = fits_at(shape, &p.budget, p.resident_bytes, 1, ws_flags, &fit, &why, &p.workspace);
  if (st != CLQL_SUCCESS) return st;
  if (!resident_fits) {
    fit = 0;
    why = CLQL_LIMITED_BY_MAX_ALLOC;
  }
  if (fit) {
    /* Largest b in [1, cap] that fits; fitting is monotone in b. */
    uint64_t lo = 1, hi = cap;
    int f;
    clql_limited_by w;
    clql_workspace_bytes ws;
    st = fits_at(shape, &p.budget, p.resident_bytes, hi, ws_flags, &f, &w, &ws);
    if (st != CLQL_SUCCESS) return st;
    if (f) {
      lo = hi;
      why = cap_reason;
    } else {
      why = w;
      while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        st = fits_at(shape, &p.budget, p.resident_bytes, mid, ws_flags, &f, &w, &ws);
        if (st != CLQL_SUCCESS) return st;
        if (f)
          lo = mid;
        else
          hi = mid, why = w;
      }
    }
    p.batch = lo;
    st = clql_layout_workspace_bytes(shape, lo, ws_flags, &p.workspace);
    if (st != CLQL_SUCCESS) return st;
  }
  p.fits = fit;
  p.limited_by = why;
  p.largest_buffer = p.workspace.largest;
  if (p.weights.weights > p.largest_buffer) p.largest_buffer = p.weights.weights;
  if (p.weights.scales > p.largest_buffer) p.largest_buffer = p.weights.scales;
  *out = p;
  return CLQL_SUCCESS;
}
