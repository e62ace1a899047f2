#include <string.h>
#include <strings.h>
#include "../internal.h"

const char *clql_qtype_name(clql_qtype qtype) {
  static const char *const names[CLQL_QTYPE_COUNT_] = {"I2S", "TL1", "TL2"};
  if ((int)qtype < 0 || qtype >= CLQL_QTYPE_COUNT_) return "unknown";
  return names[qtype];
}

clql_status clql_qtype_parse(const char *name, clql_qtype *out) {
  if (!name || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "qtype name or output is NULL");
  for (int q = 0; q < CLQL_QTYPE_COUNT_; q++) {
    if (strcasecmp(name, clql_qtype_name((clql_qtype)q)) == 0) {
      *out = (clql_qtype)q;
      return CLQL_SUCCESS;
    }
  }
  return clql_fail(CLQL_ERR_INVALID_QTYPE, "unknown qtype '%s' (expected I2S, TL1 or TL2)", name);
}

const char *clql_workspace_part_name(clql_workspace_part part) {
  static const char *const names[CLQL_WS_PART_COUNT] = {"input",  "activations", "act_scales",
                                                        "tables", "partials",    "output"};
  if ((int)part < 0 || part >= CLQL_WS_PART_COUNT) return "unknown";
  return names[part];
}

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* The multiple K is padded to: the kernel's granule, and whole groups. */
static uint64_t k_multiple(const clql_layer_shape *s) {
  uint64_t granule = s->qtype == CLQL_QTYPE_TL2 ? 96 : 128;
  if (s->group_size == CLQL_GROUP_ROW || s->group_size == CLQL_GROUP_TENSOR) return granule;
  uint64_t g = s->group_size;
  return g / gcd_u64(g, granule) * granule; /* lcm; g < 2^32 so no overflow */
}

clql_status clql_layout_check(const clql_layer_shape *s) {
  if (!s) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "shape is NULL");
  if (s->n == 0 || s->k == 0)
    return clql_fail(CLQL_ERR_INVALID_SHAPE, "shape %llux%llu: n and k must be at least 1",
                     (unsigned long long)s->n, (unsigned long long)s->k);
  if ((int)s->qtype < 0 || s->qtype >= CLQL_QTYPE_COUNT_)
    return clql_fail(CLQL_ERR_INVALID_QTYPE, "qtype %d", (int)s->qtype);
  uint32_t g = s->group_size;
  if (g != CLQL_GROUP_ROW && g != CLQL_GROUP_TENSOR) {
    uint32_t unit = s->qtype == CLQL_QTYPE_TL2 ? 96 : 32;
    if (g % unit != 0)
      return clql_fail(CLQL_ERR_INVALID_SHAPE, "group size %u must be a multiple of %u for %s", g,
                       unit, clql_qtype_name(s->qtype));
  }
  return CLQL_SUCCESS;
}

clql_status clql_layout_weight_bytes(const clql_layer_shape *s, clql_weight_bytes *out) {
  clql_status st = clql_layout_check(s);
  if (st != CLQL_SUCCESS) return st;
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "output is NULL");
  int ok = 1;
  uint64_t kp = clql_round_up_u64(s->k, k_multiple(s), &ok);
  uint64_t np = clql_round_up_u64(s->n, CLQL_ROW_MULTIPLE, &ok);
  uint64_t groups = 1, weights = 0, scale_count = 1, scales = 0;
  if (s->group_size != CLQL_GROUP_ROW && s->group_size != CLQL_GROUP_TENSOR)
    groups = kp / s->group_size;
  if (s->qtype == CLQL_QTYPE_TL2) /* 20 bytes per 96 weights */
    ok = ok && clql_mul_u64(kp / 96 * 20, np, &weights);
  else /* 2 bits per weight */
    ok = ok && clql_mul_u64(kp / 4, np, &weights);
  if (s->group_size != CLQL_GROUP_TENSOR) ok = ok && clql_mul_u64(groups, np, &scale_count);
  ok = ok && clql_mul_u64(scale_count, 4, &scales);
  if (!ok)
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "weights of %llux%llu overflow 64 bits",
                     (unsigned long long)s->n, (unsigned long long)s->k);
  out->k_padded = kp;
  out->groups = groups;
  out->weights = weights;
  out->scales = scales;
  out->n_padded = np;
  return CLQL_SUCCESS;
}

int clql_ws_counters_at(uint64_t batch, uint64_t *offset) {
  int ok = clql_mul_u64(batch, 4, offset);
  *offset = clql_round_up_u64(*offset, 64, &ok);
  return ok;
}

int clql_workspace_sum(clql_workspace_bytes *ws) {
  int ok = 1;
  ws->largest = ws->total = 0;
  for (int i = 0; ok && i < CLQL_WS_PART_COUNT; i++) {
    if (ws->part[i] > ws->largest) ws->largest = ws->part[i];
    uint64_t aligned = clql_round_up_u64(ws->part[i], CLQL_WORKSPACE_ALIGN, &ok);
    ok = ok && clql_add_u64(ws->total, aligned, &ws->total);
  }
  return ok;
}

clql_status clql_layout_workspace_bytes(const clql_layer_shape *s, uint64_t batch, unsigned flags,
                                        clql_workspace_bytes *out) {
  clql_weight_bytes w;
  clql_status st = clql_layout_weight_bytes(s, &w);
  if (st != CLQL_SUCCESS) return st;
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "output is NULL");
  if (batch == 0) return clql_fail(CLQL_ERR_INVALID_SHAPE, "batch must be at least 1");
  clql_workspace_bytes ws;
  memset(&ws, 0, sizeof ws);
  ws.batch = batch;
  int ok = 1;
  if (flags & CLQL_WS_WITH_INPUT)
    ok = ok && clql_mul_u64(s->k, 4, &ws.part[CLQL_WS_INPUT]) &&
         clql_mul_u64(ws.part[CLQL_WS_INPUT], batch, &ws.part[CLQL_WS_INPUT]);
  ok = ok && clql_mul_u64(w.k_padded, batch, &ws.part[CLQL_WS_ACTIVATIONS]);
  ok = ok && clql_ws_counters_at(batch, &ws.part[CLQL_WS_ACT_SCALES]) &&
       clql_add_u64(ws.part[CLQL_WS_ACT_SCALES], CLQL_WS_COUNTER_BYTES,
                    &ws.part[CLQL_WS_ACT_SCALES]);
  /* No tables part: the kernels decode TL1 and TL2 indices themselves. */
  if (flags & CLQL_WS_WITH_OUTPUT)
    ok = ok && clql_mul_u64(s->n, 4, &ws.part[CLQL_WS_OUTPUT]) &&
         clql_mul_u64(ws.part[CLQL_WS_OUTPUT], batch, &ws.part[CLQL_WS_OUTPUT]);
  ok = ok && clql_workspace_sum(&ws);
  if (!ok)
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "workspace of %llux%llu at batch %llu overflows",
                     (unsigned long long)s->n, (unsigned long long)s->k,
                     (unsigned long long)batch);
  *out = ws;
  return CLQL_SUCCESS;
}
