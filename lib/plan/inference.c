/* The inference planner (include/clql/inference.h): weights, KV cache,
 * scratch and workspace of a model against a budget, on one device or a
 * layers split over several. Pure arithmetic, overflow-checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

/* Contexts and sequences are searched up to this; larger ones overflow
 * every realistic sum anyway. */
#define SEARCH_MAX (1ull << 40)

const char *clql_inference_limit_name(clql_inference_limit limit) {
  static const char *const names[] = {"budget", "max_alloc", "max_context", "request"};
  return (int)limit >= 0 && limit <= CLQL_INFERENCE_BY_REQUEST ? names[limit] : "unknown";
}

/* Where a tensor lives: one block, every block, or the model as a whole. */
#define PER_BLOCK (-2)
#define GLOBAL (-1)

static long long block_of(const clql_model_tensor *t, uint64_t layers) {
  unsigned long long b;
  int used = 0;
  if (sscanf(t->name, "blk.%llu.%n", &b, &used) == 1 && used > 0 && b < layers)
    return (long long)b;
  return t->count == layers && layers > 1 ? PER_BLOCK : GLOBAL;
}

/* What a device holds: blocks [begin, end), the embedding, the output head
 * (with the other whole-model tensors). */
typedef struct {
  uint64_t begin, end;
  int embedding, output;
} scope;

/* The model's figures that do not depend on the request. */
typedef struct {
  const clql_model *m;
  clql_model_info info;
  const clql_model_tensor *tensors;
  size_t ntensors;
  const clql_model_layer *layers;
  size_t nlayers;
  uint64_t *kv_token;    /* per block: K + V bytes of one token */
  uint64_t *kv_row_max;  /* per block: the larger of the K and V row of one token */
  clql_kv_type kv_type;
  uint64_t batch;        /* request.batch */
} model_view;

typedef struct {
  uint64_t weights, by_kind[CLQL_TENSOR_KIND_COUNT_];
  uint64_t kv_token, kv, kv_largest, scratch, workspace, need, largest, tokens;
} costs;

static void view_free(model_view *v) {
  clql_free(v->kv_token);
  clql_free(v->kv_row_max);
}

static clql_status view_make(const clql_model *m, const clql_inference_request *r,
                             model_view *v) {
  memset(v, 0, sizeof *v);
  v->m = m;
  clql_status st = clql_model_get_info(m, &v->info);
  if (st != CLQL_SUCCESS) return st;
  if ((int)r->kv_type < 0 || r->kv_type >= CLQL_KV_TYPE_COUNT_)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "KV type %d", (int)r->kv_type);
  const clql_model_info *i = &v->info;
  if (!i->layers || !i->kv_heads || !i->key_length || !i->value_length || !i->heads)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                     "model '%s' has no attention description (layers, heads, KV heads, key and "
                     "value lengths): give them (@layers, @heads, ... in a model file)",
                     i->name);
  v->tensors = clql_model_tensors_of(m, &v->ntensors);
  v->layers = clql_model_layers_of(m, &v->nlayers);
  v->kv_type = r->kv_type;
  v->batch = r->batch;
  size_t blocks;
  if (!clql_to_size(i->layers, &blocks) || blocks > SIZE_MAX / sizeof(uint64_t))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%llu layers", (unsigned long long)i->layers);
  v->kv_token = clql_calloc(blocks, sizeof *v->kv_token);
  v->kv_row_max = clql_calloc(blocks, sizeof *v->kv_row_max);
  if (!v->kv_token || !v->kv_row_max) {
    view_free(v);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "KV rows");
  }
  for (uint64_t b = 0; b < i->layers; b++) {
    uint64_t kv = clql_model_kv_heads_at(m, b), ke, ve, kb, vb;
    if (!clql_mul_u64(kv, i->key_length, &ke) || !clql_mul_u64(kv, i->value_length, &ve) ||
        !clql_storage_row_bytes((int)r->kv_type, ke, &kb) ||
        !clql_storage_row_bytes((int)r->kv_type, ve, &vb) || !clql_add_u64(kb, vb, &v->kv_token[b])) {
      view_free(v);
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                       "block %llu: K rows of %llu and V rows of %llu elements are not whole "
                       "blocks of %s",
                       (unsigned long long)b, (unsigned long long)(kv * i->key_length),
                       (unsigned long long)(kv * i->value_length), clql_kv_type_name(r->kv_type));
    }
    v->kv_row_max[b] = kb > vb ? kb : vb;
  }
  return CLQL_SUCCESS;
}

static int in_scope(long long block, const scope *s) {
  return block >= 0 && (uint64_t)block >= s->begin && (uint64_t)block < s->end;
}

/* The costs of scope s at context c and s sequences; 0 on overflow. */
static int costs_at(const model_view *v, const scope *sc, uint64_t c, uint64_t s, costs *out) {
  memset(out, 0, sizeof *out);
  const clql_model_info *i = &v->info;
  const uint64_t blocks = sc->end - sc->begin;
  int ok = 1;
  /* weights */
  for (size_t t = 0; t < v->ntensors; t++) {
    const clql_model_tensor *tn = &v->tensors[t];
    long long b = block_of(tn, i->layers);
    uint64_t n = b == PER_BLOCK                     ? blocks
                 : b >= 0                           ? (uint64_t)in_scope(b, sc)
                 : tn->kind == CLQL_TENSOR_EMBEDDING ? (uint64_t)sc->embedding
                                                     : (uint64_t)sc->output;
    uint64_t bytes;
    if (n == 0) continue;
    ok = ok && clql_mul_u64(tn->bytes, b == PER_BLOCK || b >= 0 ? n : tn->count, &bytes) &&
         clql_add_u64(out->weights, bytes, &out->weights) &&
         clql_add_u64(out->by_kind[tn->kind], bytes, &out->by_kind[tn->kind]);
    if (tn->largest > out->largest) out->largest = tn->largest;
  }
  /* a tied output head is the embedding, on the device that holds the output */
  if (sc->output && i->tied_output && !sc->embedding)
    for (size_t t = 0; t < v->ntensors; t++)
      if (v->tensors[t].kind == CLQL_TENSOR_EMBEDDING) {
        ok = ok && clql_add_u64(out->weights, v->tensors[t].bytes, &out->weights) &&
             clql_add_u64(out->by_kind[CLQL_TENSOR_OUTPUT], v->tensors[t].bytes,
                          &out->by_kind[CLQL_TENSOR_OUTPUT]);
        if (v->tensors[t].largest > out->largest) out->largest = v->tensors[t].largest;
      }
  /* the KV cache: per layer one K and one V buffer for every token of every sequence */
  uint64_t cs, row_max = 0;
  ok = ok && clql_mul_u64(c, s, &cs);
  for (uint64_t b = sc->begin; ok && b < sc->end; b++) {
    ok = clql_add_u64(out->kv_token, v->kv_token[b], &out->kv_token);
    if (v->kv_row_max[b] > row_max) row_max = v->kv_row_max[b];
  }
  ok = ok && clql_mul_u64(out->kv_token, cs, &out->kv) && clql_mul_u64(row_max, cs, &out->kv_largest);
  /* scratch and workspace of the tokens in flight */
  out->tokens = v->batch ? v->batch : s;
  if (blocks || sc->output) {
    uint64_t per = 0, scores, logits = 0;
    ok = ok && clql_mul_u64(i->heads, c, &scores) && clql_add_u64(per, 2 * i->hidden, &per) &&
         clql_add_u64(per, scores, &per) && clql_add_u64(per, i->ffn, &per);
    if (ok && sc->output) ok = clql_mul_u64(out->tokens, i->vocab * 4, &logits);
    ok = ok && clql_add_u64(per, sc->output ? i->vocab : 0, &per) &&
         clql_mul_u64(per, 4, &per) && clql_mul_u64(per, out->tokens, &out->scratch);
    if (logits > out->largest) out->largest = logits;
  }
  if (ok && blocks && v->nlayers) {
    clql_workspace_bytes ws;
    if (clql_model_workspace_bytes(v->layers, v->nlayers, out->tokens, 0, &ws) != CLQL_SUCCESS) {
      clql_clear_error();
      return 0;
    }
    out->workspace = ws.total;
    if (ws.largest > out->largest) out->largest = ws.largest;
  }
  if (out->kv_largest > out->largest) out->largest = out->kv_largest;
  ok = ok && clql_add_u64(out->weights, out->kv, &out->need) &&
       clql_add_u64(out->need, out->scratch, &out->need) &&
       clql_add_u64(out->need, out->workspace, &out->need);
  return ok;
}

/* Does (c, s) fit the budget? *why: the constraint that fails. */
static int fits_at(const model_view *v, const scope *sc, const clql_budget *b, uint64_t c,
                   uint64_t s, costs *out, clql_inference_limit *why) {
  if (!costs_at(v, sc, c, s, out)) {
    *why = CLQL_INFERENCE_BY_BUDGET;
    return 0;
  }
  if (out->largest > b->max_alloc) {
    *why = CLQL_INFERENCE_BY_MAX_ALLOC;
    return 0;
  }
  if (out->need > b->bytes) {
    *why = CLQL_INFERENCE_BY_BUDGET;
    return 0;
  }
  return 1;
}

/* A fit test over one free variable x (sequences or context). */
typedef int (*fit_fn)(const void *ctx, uint64_t x, clql_inference_limit *why);

/* The largest x in [1, hi] that fits (0 when 1 does not) and why x + 1 does
 * not; fitting is monotone in x. *why is left alone when hi fits. */
static uint64_t largest_fit(fit_fn fits, const void *ctx, uint64_t hi, clql_inference_limit *why) {
  clql_inference_limit w;
  if (!fits(ctx, 1, &w)) {
    *why = w;
    return 0;
  }
  uint64_t lo = 1, top = 1;
  while (top < hi) { /* grow geometrically: the answer is far below SEARCH_MAX */
    uint64_t next = top * 2 < hi ? top * 2 : hi;
    if (!fits(ctx, next, &w)) {
      *why = w;
      hi = next - 1;
      break;
    }
    lo = top = next;
  }
  if (top == hi && fits(ctx, hi, &w)) return hi;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(ctx, mid, &w))
      lo = mid;
    else
      hi = mid - 1, *why = w;
  }
  return lo;
}

/* ---- one device ---- */

/* The first member of every search: the variable that is not searched. */
typedef struct {
  uint64_t fixed;
  int by_sequences; /* searching sequences (fixed: context), else the context */
} search_head;

typedef struct {
  search_head h;
  const model_view *v;
  const scope *sc;
  const clql_budget *b;
} one_search;

static int one_fits(const void *p, uint64_t x, clql_inference_limit *why) {
  const one_search *o = p;
  costs c;
  return o->h.by_sequences ? fits_at(o->v, o->sc, o->b, o->h.fixed, x, &c, why)
                           : fits_at(o->v, o->sc, o->b, x, o->h.fixed, &c, why);
}

static uint64_t context_cap(const clql_model_info *i) {
  return i->max_context ? i->max_context : SEARCH_MAX;
}

/* Resolve the request into (context, sequences) with the fit test f (over
 * sequences with ctx_seq, over the context with ctx_ctx): the open one is
 * searched; a context beyond the model's stops at max_context; both given
 * are left for the caller to test. The shared logic of one device and of a
 * split. */
static clql_status resolve(const clql_model_info *i, const clql_inference_request *r, fit_fn f,
                           void *ctx_seq, void *ctx_ctx, uint64_t *c, uint64_t *s,
                           clql_inference_limit *why, int *fits) {
  *fits = 0;
  uint64_t cap = context_cap(i);
  *c = r->context, *s = r->sequences;
  if (!*c && !*s) {
    if (!i->max_context)
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                       "the model states no maximum context: give a context length");
    *c = i->max_context;
  }
  if (*c && *c > cap) { /* longer than the model was trained for */
    *why = CLQL_INFERENCE_BY_MAX_CONTEXT;
    if (!*s) *s = 1;
    return CLQL_SUCCESS;
  }
  if (*c && *s) return CLQL_SUCCESS; /* both given: the caller tests them */
  if (*c) {
    ((search_head *)ctx_seq)->fixed = *c;
    *why = CLQL_INFERENCE_BY_BUDGET;
    uint64_t n = largest_fit(f, ctx_seq, SEARCH_MAX, why);
    *fits = n > 0;
    *s = n ? n : 1;
    return CLQL_SUCCESS;
  }
  ((search_head *)ctx_ctx)->fixed = *s;
  *why = CLQL_INFERENCE_BY_MAX_CONTEXT;
  uint64_t n = largest_fit(f, ctx_ctx, cap, why);
  *fits = n > 0;
  *c = n ? n : 1;
  if (n == cap && !i->max_context) *why = CLQL_INFERENCE_BY_BUDGET;
  return CLQL_SUCCESS;
}

clql_status clql_plan_inference(const clql_memory_report *mem, const clql_budget_options *opts,
                                const clql_model *model, const clql_inference_request *request,
                                clql_inference_plan *out) {
  if (!mem || !model || !request || !out)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "report, model, request and out are required");
  clql_inference_plan p;
  memset(&p, 0, sizeof p);
  clql_status st = clql_budget_compute(mem, opts, &p.budget);
  model_view v;
  if (st == CLQL_SUCCESS) st = view_make(model, request, &v);
  if (st != CLQL_SUCCESS) return st;
  const scope all = {0, v.info.layers, 1, 1};
  one_search by_s = {{0, 1}, &v, &all, &p.budget}, by_c = {{0, 0}, &v, &all, &p.budget};
  int fits = 0;
  clql_inference_limit why = CLQL_INFERENCE_BY_REQUEST;
  st = resolve(&v.info, request, one_fits, &by_s, &by_c, &p.context, &p.sequences, &why, &fits);
  if (st == CLQL_SUCCESS && request->context && request->sequences &&
      why != CLQL_INFERENCE_BY_MAX_CONTEXT) {
    costs c;
    fits = fits_at(&v, &all, &p.budget, p.context, p.sequences, &c, &why);
    if (fits) why = CLQL_INFERENCE_BY_REQUEST;
  }
  costs c;
  if (st == CLQL_SUCCESS && !costs_at(&v, &all, p.context, p.sequences, &c))
    st = clql_fail(CLQL_ERR_SIZE_OVERFLOW, "context %llu x %llu sequences overflows 64 bits",
                   (unsigned long long)p.context, (unsigned long long)p.sequences);
  view_free(&v);
  if (st != CLQL_SUCCESS) return st;
  p.fits = fits;
  p.limited_by = why;
  p.tokens = c.tokens;
  p.weights_bytes = c.weights;
  memcpy(p.weights_by_kind, c.by_kind, sizeof p.weights_by_kind);
  p.kv_bytes_per_token = c.kv_token;
  p.kv_bytes = c.kv;
  p.kv_largest_buffer = c.kv_largest;
  p.scratch_bytes = c.scratch;
  p.workspace_bytes = c.workspace;
  p.need_bytes = c.need;
  p.largest_buffer = c.largest;
  p.remaining_bytes = fits && c.need <= p.budget.bytes ? p.budget.bytes - c.need : 0;
  *out = p;
  return CLQL_SUCCESS;
}

/* ---- several devices, layers split ---- */

typedef struct {
  search_head h;
  const model_view *v;
  const clql_budget *budgets;
  size_t count;
} split_search;

/* Fill devices in order at (c, s): each takes as many of the remaining blocks
 * as it holds (the first the embedding, whoever takes the last block the
 * output head). parts may be NULL. 1 when every block has a device. */
static int assign(const model_view *v, const clql_budget *budgets, size_t count, uint64_t c,
                  uint64_t s, clql_inference_part *parts, clql_inference_limit *why) {
  const uint64_t layers = v->info.layers;
  uint64_t at = 0;
  *why = CLQL_INFERENCE_BY_BUDGET;
  for (size_t d = 0; d < count; d++) {
    /* the most blocks from `at` this device holds: monotone, so search */
    uint64_t lo = 0, hi = layers - at;
    costs k;
    clql_inference_limit w;
    while (lo < hi) {
      uint64_t mid = lo + (hi - lo + 1) / 2;
      scope sc = {at, at + mid, at == 0, at + mid == layers};
      if (fits_at(v, &sc, &budgets[d], c, s, &k, &w))
        lo = mid;
      else
        hi = mid - 1, *why = w;
    }
    scope sc = {at, at + lo, at == 0 && lo > 0, at + lo == layers && lo > 0};
    int ok = fits_at(v, &sc, &budgets[d], c, s, &k, &w) || lo == 0;
    if (parts) {
      clql_inference_part *p = &parts[d];
      p->layer_begin = sc.begin, p->layer_end = sc.end;
      p->embedding = sc.embedding, p->output = sc.output;
      p->budget = budgets[d];
      if (lo == 0) memset(&k, 0, sizeof k);
      p->weights_bytes = k.weights, p->kv_bytes = k.kv, p->scratch_bytes = k.scratch;
      p->workspace_bytes = k.workspace, p->need_bytes = k.need;
      p->fits = ok;
    }
    at += lo;
  }
  return at == layers;
}

static int split_fits(const void *p, uint64_t x, clql_inference_limit *why) {
  const split_search *o = p;
  return o->h.by_sequences ? assign(o->v, o->budgets, o->count, o->h.fixed, x, NULL, why)
                           : assign(o->v, o->budgets, o->count, x, o->h.fixed, NULL, why);
}

clql_status clql_plan_inference_split(const clql_split_device *devices, size_t count,
                                      const clql_model *model,
                                      const clql_inference_request *request,
                                      clql_inference_part *parts, clql_inference_split_plan *out) {
  if (!devices || !count || !model || !request || !parts || !out)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                     "devices, a count, model, request, parts and out are required");
  clql_budget *budgets = clql_calloc(count, sizeof *budgets);
  if (!budgets) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "budgets");
  clql_status st = CLQL_SUCCESS;
  for (size_t d = 0; st == CLQL_SUCCESS && d < count; d++)
    st = clql_budget_compute(&devices[d].memory, devices[d].options, &budgets[d]);
  model_view v;
  if (st == CLQL_SUCCESS) st = view_make(model, request, &v);
  if (st != CLQL_SUCCESS) {
    clql_free(budgets);
    return st;
  }
  clql_inference_split_plan p;
  memset(&p, 0, sizeof p);
  p.devices = count;
  split_search by_s = {{0, 1}, &v, budgets, count}, by_c = {{0, 0}, &v, budgets, count};
  int fits = 0;
  clql_inference_limit why = CLQL_INFERENCE_BY_REQUEST;
  st = resolve(&v.info, request, split_fits, &by_s, &by_c, &p.context, &p.sequences, &why, &fits);
  if (st == CLQL_SUCCESS && request->context && request->sequences &&
      why != CLQL_INFERENCE_BY_MAX_CONTEXT) {
    fits = assign(&v, budgets, count, p.context, p.sequences, NULL, &why);
    if (fits) why = CLQL_INFERENCE_BY_REQUEST;
  }
  if (st == CLQL_SUCCESS) {
    memset(parts, 0, count * sizeof *parts);
    clql_inference_limit w;
    assign(&v, budgets, count, p.context, p.sequences, parts, &w);
    for (uint64_t b = 0; b < v.info.layers; b++) p.kv_bytes_per_token += v.kv_token[b];
  }
  view_free(&v);
  clql_free(budgets);
  if (st != CLQL_SUCCESS) return st;
  p.fits = fits;
  p.limited_by = why;
  *out = p;
  return CLQL_SUCCESS;
}
