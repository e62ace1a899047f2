/* The split planner: shares of one model over several devices (split.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

const char *clql_split_mode_name(clql_split_mode mode) {
  switch (mode) {
  case CLQL_SPLIT_ROWS: return "rows";
  case CLQL_SPLIT_LAYERS: return "layers";
  }
  return "unknown";
}

clql_status clql_split_mode_parse(const char *name, clql_split_mode *out) {
  if (!name || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "split mode or output is NULL");
  if (strcasecmp(name, "rows") == 0) *out = CLQL_SPLIT_ROWS;
  else if (strcasecmp(name, "layers") == 0) *out = CLQL_SPLIT_LAYERS;
  else return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "split mode '%s' is not rows or layers", name);
  return CLQL_SUCCESS;
}

/* First row of share s (in CLQL_SPLIT_UNITS) of a layer with n rows:
 * n * s / UNITS rounded down to the row alignment; the whole layer ends at n. */
static uint64_t boundary(uint64_t n, uint64_t s) {
  if (s >= CLQL_SPLIT_UNITS) return n;
  /* n < 2^44 for any layer that passes the layout checks below; the
   * product with s < 2^20 then fits 64 bits. */
  uint64_t r = (n * s / CLQL_SPLIT_UNITS) / CLQL_SPLIT_ROW_ALIGN * CLQL_SPLIT_ROW_ALIGN;
  return r < n ? r : n;
}

clql_status clql_split_rows(uint64_t n, const clql_split_part *part, uint64_t *begin,
                            uint64_t *end) {
  if (!part || !begin || !end) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "NULL argument");
  if (n >= (1ull << 44)) return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%llu rows", (unsigned long long)n);
  *begin = boundary(n, part->share_begin);
  *end = boundary(n, part->share_end);
  return CLQL_SUCCESS;
}

/* A device's own plan for a sub-model; an empty sub-model fits at any batch. */
static clql_status plan_part(const clql_split_device *dev, const clql_model_layer *sub, size_t n,
                             uint64_t requested, unsigned flags, clql_model_plan *out) {
  if (n) return clql_plan_model(&dev->memory, dev->options, sub, n, requested, flags, out);
  memset(out, 0, sizeof *out);
  clql_status st = clql_budget_compute(&dev->memory, dev->options, &out->budget);
  if (st != CLQL_SUCCESS) return st;
  out->fits = 1;
  out->batch = requested && requested < out->budget.max_batch ? requested : out->budget.max_batch;
  out->limited_by = requested && requested <= out->budget.max_batch ? CLQL_LIMITED_BY_REQUEST
                                                                     : CLQL_LIMITED_BY_CAP;
  return CLQL_SUCCESS;
}

/* Rows s0..s1 of every layer; `exact` 0 takes the most rows a share of that
 * size can be given anywhere (it may straddle one more alignment step). */
static size_t rows_submodel(const clql_model_layer *layers, size_t nlayers, uint64_t s0,
                            uint64_t s1, int exact, clql_model_layer *sub) {
  size_t m = 0;
  for (size_t i = 0; i < nlayers; i++) {
    uint64_t n = layers[i].shape.n, rows;
    if (exact) {
      rows = boundary(n, s1) - boundary(n, s0);
    } else {
      rows = s1 > s0 ? boundary(n, s1 - s0) + CLQL_SPLIT_ROW_ALIGN : 0;
      if (rows > n) rows = n;
    }
    if (!rows) continue;
    sub[m] = layers[i];
    sub[m].shape.n = rows;
    m++;
  }
  return m;
}

/* Entries that all repeat the same number of times describe a repeated
 * block (a preset's q, k, v, ... once per transformer block): the layers
 * run block by block, so index j is entry j % n of block j / n. Otherwise
 * each entry's count runs in turn. */
static int repeated_block(const clql_model_layer *layers, size_t nlayers) {
  for (size_t i = 1; i < nlayers; i++)
    if (layers[i].count != layers[0].count) return 0;
  return nlayers > 1 && layers[0].count > 1;
}

/* Layers [begin, end) of the expanded sequence, as entries with counts, the
 * first entry holding layer begin and the last layer end - 1. */
static size_t layers_submodel(const clql_model_layer *layers, size_t nlayers, uint64_t begin,
                              uint64_t end, clql_model_layer *sub) {
  size_t m = 0;
  if (repeated_block(layers, nlayers)) {
    /* indices j < x with j % n == i: x / n, plus one when x % n > i */
    const uint64_t n = nlayers;
    for (uint64_t r = 0; r < n && begin < end; r++) {
      const uint64_t i = (begin + r) % n;
      uint64_t c = end / n + (end % n > i) - (begin / n + (begin % n > i));
      if (!c) continue;
      sub[m] = layers[i];
      sub[m].count = c;
      m++;
    }
    return m;
  }
  uint64_t at = 0;
  for (size_t i = 0; i < nlayers && at < end; i++) {
    uint64_t lo = at > begin ? at : begin, hi = at + layers[i].count < end ? at + layers[i].count : end;
    if (hi > lo) {
      sub[m] = layers[i];
      sub[m].count = hi - lo;
      m++;
    }
    at += layers[i].count;
  }
  return m;
}

static clql_status fits_at_batch1(const clql_split_device *dev, const clql_model_layer *sub,
                                  size_t n, unsigned flags, int *fits) {
  clql_model_plan p;
  clql_status st = plan_part(dev, sub, n, 1, flags, &p);
  *fits = st == CLQL_SUCCESS && p.fits;
  return st;
}

/* Largest share (in units) of every layer that the device can hold. */
static clql_status max_share(const clql_split_device *dev, const clql_model_layer *layers,
                             size_t nlayers, unsigned flags, clql_model_layer *sub,
                             uint64_t *out) {
  uint64_t lo = 0, hi = CLQL_SPLIT_UNITS;
  int fits;
  size_t m = rows_submodel(layers, nlayers, 0, hi, 0, sub);
  clql_status st = fits_at_batch1(dev, sub, m, flags, &fits);
  if (st != CLQL_SUCCESS) return st;
  if (fits) lo = hi;
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    m = rows_submodel(layers, nlayers, 0, mid, 0, sub);
    st = fits_at_batch1(dev, sub, m, flags, &fits);
    if (st != CLQL_SUCCESS) return st;
    if (fits) lo = mid;
    else hi = mid;
  }
  *out = lo;
  return CLQL_SUCCESS;
}

/* What each device should get, relative to the others. */
static clql_status weights_of(const clql_split_device *devs, size_t count, double *w) {
  for (size_t d = 0; d < count; d++) {
    if (devs[d].throughput > 0) {
      w[d] = devs[d].throughput;
      continue;
    }
    if (!(devs[d].throughput == 0))
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "device %zu: throughput %g", d, devs[d].throughput);
    clql_budget b;
    clql_status st = clql_budget_compute(&devs[d].memory, devs[d].options, &b);
    if (st != CLQL_SUCCESS) return st;
    w[d] = (double)b.bytes;
  }
  return CLQL_SUCCESS;
}

/* Water-filling: shares proportional to w, none above its cap; the shares
 * sum to UNITS whenever the caps allow it. Returns 1 when they do. */
static int fill_shares(const double *w, const uint64_t *cap, size_t count, uint64_t *share) {
  uint64_t remaining = CLQL_SPLIT_UNITS;
  int *active = clql_calloc(count, sizeof *active);
  if (!active) return -1;
  for (size_t d = 0; d < count; d++) {
    share[d] = 0;
    active[d] = cap[d] > 0 && w[d] > 0;
  }
  for (;;) {
    double total = 0;
    size_t last = count;
    for (size_t d = 0; d < count; d++)
      if (active[d]) total += w[d], last = d;
    if (last == count || remaining == 0) break;
    int clipped = 0;
    for (size_t d = 0; d < count; d++) {
      if (!active[d]) continue;
      double want = (double)remaining * w[d] / total;
      if (want >= (double)cap[d]) {
        share[d] = cap[d];
        active[d] = 0;
        clipped = 1;
      }
    }
    if (clipped) {
      remaining = CLQL_SPLIT_UNITS;
      for (size_t d = 0; d < count; d++)
        if (!active[d]) remaining -= share[d] < remaining ? share[d] : remaining;
      continue;
    }
    uint64_t given = 0;
    for (size_t d = 0; d < count; d++) {
      if (!active[d]) continue;
      share[d] = (uint64_t)floor((double)remaining * w[d] / total);
      if (share[d] > cap[d]) share[d] = cap[d];
      given += share[d];
    }
    /* Rounding leftovers go to whoever still has room, last first. */
    uint64_t left = remaining - given;
    for (size_t d = count; d-- > 0 && left;) {
      if (!active[d]) continue;
      uint64_t room = cap[d] - share[d], take = room < left ? room : left;
      share[d] += take;
      left -= take;
    }
    remaining = left;
    break;
  }
  clql_free(active);
  return remaining == 0;
}

static clql_status split_rows(const clql_split_device *devs, size_t count,
                              const clql_model_layer *layers, size_t nlayers, uint64_t requested,
                              unsigned flags, clql_split_part *parts, clql_model_layer *sub,
                              int *all_fit) {
  double *w = clql_calloc(count, sizeof *w);
  uint64_t *cap = clql_calloc(count, sizeof *cap), *share = clql_calloc(count, sizeof *share);
  clql_status st = w && cap && share ? CLQL_SUCCESS
                                     : clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split shares");
  if (st == CLQL_SUCCESS) st = weights_of(devs, count, w);
  for (size_t d = 0; st == CLQL_SUCCESS && d < count; d++)
    st = max_share(&devs[d], layers, nlayers, flags, sub, &cap[d]);
  int filled = 0;
  if (st == CLQL_SUCCESS && (filled = fill_shares(w, cap, count, share)) < 0)
    st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split shares");
  if (st == CLQL_SUCCESS && !filled) {
    /* The devices cannot hold the model: the last one takes the rest and
     * its plan says by how much it is over. */
    uint64_t given = 0;
    for (size_t d = 0; d + 1 < count; d++) given += share[d];
    share[count - 1] = CLQL_SPLIT_UNITS - given;
  }
  uint64_t at = 0;
  for (size_t d = 0; st == CLQL_SUCCESS && d < count; d++) {
    parts[d].share_begin = (uint32_t)at;
    at += share[d];
    parts[d].share_end = (uint32_t)at;
    size_t m = rows_submodel(layers, nlayers, parts[d].share_begin, parts[d].share_end, 1, sub);
    st = plan_part(&devs[d], sub, m, requested, flags, &parts[d].plan);
  }
  *all_fit = filled;
  clql_free(w), clql_free(cap), clql_free(share);
  return st;
}

static clql_status split_layers(const clql_split_device *devs, size_t count,
                                const clql_model_layer *layers, size_t nlayers, uint64_t total,
                                uint64_t requested, unsigned flags, clql_split_part *parts,
                                clql_model_layer *sub, int *all_fit) {
  double *w = clql_calloc(count, sizeof *w), wsum = 0;
  clql_status st = w ? weights_of(devs, count, w)
                     : clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split weights");
  uint64_t model_bytes = 0;
  if (st == CLQL_SUCCESS) st = clql_model_weight_bytes(layers, nlayers, &model_bytes);
  for (size_t d = 0; w && d < count; d++) wsum += w[d];
  uint64_t at = 0;
  double wcum = 0;
  for (size_t d = 0; st == CLQL_SUCCESS && d < count; d++) {
    wcum += w[d];
    uint64_t end = at;
    if (d + 1 == count) {
      end = total;
    } else if (wsum > 0) {
      /* Grow the run while its end stays within this device's cumulative
       * share of the weight bytes and the run still fits the device. */
      double target = (double)model_bytes * wcum / wsum;
      while (end < total) {
        uint64_t bytes = 0;
        size_t m = layers_submodel(layers, nlayers, 0, end + 1, sub);
        st = clql_model_weight_bytes(sub, m, &bytes);
        if (st != CLQL_SUCCESS || (double)bytes > target) break;
        int fits;
        m = layers_submodel(layers, nlayers, at, end + 1, sub);
        st = fits_at_batch1(&devs[d], sub, m, flags, &fits);
        if (st != CLQL_SUCCESS || !fits) break;
        end++;
      }
    }
    parts[d].layer_begin = at;
    parts[d].layer_end = end;
    size_t m = layers_submodel(layers, nlayers, at, end, sub);
    if (st == CLQL_SUCCESS) st = plan_part(&devs[d], sub, m, requested, flags, &parts[d].plan);
    at = end;
  }
  *all_fit = 1;
  clql_free(w);
  return st;
}

clql_status clql_plan_split(const clql_split_device *devices, size_t count,
                            const clql_model_layer *layers, size_t nlayers, clql_split_mode mode,
                            uint64_t requested_batch, unsigned ws_flags, clql_split_part *parts,
                            clql_split_plan *out) {
  if (!devices || !count || !layers || !nlayers || !parts || !out)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "devices, layers, parts and out are required");
  if (mode != CLQL_SPLIT_ROWS && mode != CLQL_SPLIT_LAYERS)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "split mode %d", (int)mode);
  uint64_t total = 0, bytes = 0;
  for (size_t i = 0; i < nlayers; i++) {
    if (layers[i].count == 0 || layers[i].shape.n >= (1ull << 44))
      return clql_fail(CLQL_ERR_INVALID_SHAPE, "layer %zu (%s): count 0 or too many rows", i,
                       layers[i].name);
    if (!clql_add_u64(total, layers[i].count, &total))
      return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "layer counts overflow");
  }
  clql_status st = clql_model_weight_bytes(layers, nlayers, &bytes); /* validates every shape */
  if (st != CLQL_SUCCESS) return st;
  clql_model_layer *sub = clql_calloc(nlayers, sizeof *sub);
  if (!sub) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split sub-model");
  memset(parts, 0, count * sizeof *parts);
  int all_fit = 0;
  st = mode == CLQL_SPLIT_ROWS
           ? split_rows(devices, count, layers, nlayers, requested_batch, ws_flags, parts, sub,
                        &all_fit)
           : split_layers(devices, count, layers, nlayers, total, requested_batch, ws_flags,
                          parts, sub, &all_fit);
  clql_free(sub);
  if (st != CLQL_SUCCESS) return st;
  clql_split_plan p = {.mode = mode, .devices = count, .layers = total, .fits = all_fit,
                       .batch = UINT64_MAX};
  for (size_t d = 0; d < count; d++) {
    const clql_model_plan *mp = &parts[d].plan;
    p.weight_bytes += mp->weight_bytes;
    if (!mp->fits) {
      if (p.fits) p.binding_device = d;
      p.fits = 0;
    }
    if (mp->weight_bytes && mp->batch < p.batch) {
      p.batch = mp->batch;
      if (p.fits) p.binding_device = d;
    }
  }
  if (p.batch == UINT64_MAX) p.batch = parts[count - 1].plan.batch;
  if (!p.fits) p.batch = 0;
  *out = p;
  return CLQL_SUCCESS;
}
