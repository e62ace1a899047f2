/* One model over the devices of several hosts, on MPI (include/clql/mpi.h).
 * Built into libclql with -DCLQL_MPI=ON. */
#include <clql/mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

#define STAGED (CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT)
#define DETAIL_MAX 512

/* What a rank says of itself, then of each device; fixed size, versioned,
 * sent as bytes between ranks of one build. */
typedef struct {
  uint32_t version;
  int32_t status; /* 0, or the clql_status that stopped it */
  uint32_t devices;
  char detail[DETAIL_MAX];
} rank_record;

typedef struct {
  uint32_t version;
  uint32_t local_index;
  char name[64];
  clql_memory_report memory;
  clql_budget_options options;
} device_record;

struct clql_mpi_cluster {
  MPI_Comm comm;
  int rank, size;
  clql_device_set *set; /* this rank's devices */
  device_record *all;   /* every rank's, in rank order */
  int *owner;           /* the rank of each */
  size_t count, first;  /* all devices; the index of this rank's first */
};

/* Every rank learns the lowest failing rank's status and detail: the same
 * answer everywhere. `st` is this rank's own. */
static clql_status agree(MPI_Comm comm, int rank, clql_status st) {
  int mine = st == CLQL_SUCCESS ? INT32_MAX : rank, first = INT32_MAX;
  if (MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
    return clql_fail(CLQL_ERR_INTERNAL, "MPI_Allreduce failed");
  if (first == INT32_MAX) return CLQL_SUCCESS;
  struct {
    int32_t status;
    char detail[DETAIL_MAX];
  } msg = {0};
  if (rank == first) {
    msg.status = (int32_t)st;
    snprintf(msg.detail, sizeof msg.detail, "%s", clql_last_error_detail());
  }
  if (MPI_Bcast(&msg, (int)sizeof msg, MPI_BYTE, first, comm) != MPI_SUCCESS)
    return clql_fail(CLQL_ERR_INTERNAL, "MPI_Bcast failed");
  msg.detail[DETAIL_MAX - 1] = '\0';
  return clql_fail((clql_status)msg.status, "rank %d: %s", first, msg.detail);
}

/* ---- the cluster ---- */

clql_status clql_mpi_cluster_create(MPI_Comm comm, const char *selectors,
                                    clql_mpi_cluster **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  clql_mpi_cluster *c = clql_calloc(1, sizeof *c);
  if (!c) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "cluster");
  c->comm = comm;
  if (MPI_Comm_rank(comm, &c->rank) != MPI_SUCCESS || MPI_Comm_size(comm, &c->size) != MPI_SUCCESS) {
    clql_free(c);
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "not a valid communicator");
  }
  /* this rank: its devices, or why it has none */
  rank_record me = {.version = CLQL_MPI_RECORD_VERSION};
  clql_status st = clql_device_set_create(selectors, &c->set);
  if (st == CLQL_SUCCESS && clql_device_set_count(c->set) == 0)
    st = clql_fail(CLQL_ERR_NO_DEVICE, "no device");
  if (st == CLQL_SUCCESS) me.devices = (uint32_t)clql_device_set_count(c->set);
  me.status = (int32_t)st;
  if (st != CLQL_SUCCESS) snprintf(me.detail, sizeof me.detail, "%s", clql_last_error_detail());
  /* every rank's header: versions, counts, failures */
  rank_record *ranks = clql_calloc((size_t)c->size, sizeof *ranks);
  int *counts = clql_calloc((size_t)c->size, sizeof *counts);
  int *displs = clql_calloc((size_t)c->size, sizeof *displs);
  int ok = ranks && counts && displs;
  int all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
  if (!all_ok) st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "rank records");
  const int gathered = all_ok && MPI_Allgather(&me, (int)sizeof me, MPI_BYTE, ranks,
                                               (int)sizeof me, MPI_BYTE, comm) == MPI_SUCCESS;
  if (all_ok && !gathered)
    st = clql_fail(CLQL_ERR_INTERNAL, "MPI_Allgather of the rank records failed");
  /* A failure read from the records (this rank's own included) is the same
   * on every rank: already agreed. */
  int shared = 0;
  for (int r = 0; gathered && !shared && r < c->size; r++) {
    ranks[r].detail[DETAIL_MAX - 1] = '\0';
    if (ranks[r].version != CLQL_MPI_RECORD_VERSION)
      st = clql_fail(CLQL_ERR_UNSUPPORTED, "rank %d sends records of version %u; this is %u", r,
                     ranks[r].version, CLQL_MPI_RECORD_VERSION);
    else if (ranks[r].status != 0)
      st = clql_fail((clql_status)ranks[r].status, "rank %d: %s", r, ranks[r].detail);
    shared = ranks[r].version != CLQL_MPI_RECORD_VERSION || ranks[r].status != 0;
  }
  /* every device's record, in rank order */
  for (int r = 0; all_ok && st == CLQL_SUCCESS && r < c->size; r++) {
    if (ranks[r].devices > (uint32_t)(INT32_MAX / sizeof(device_record)))
      st = clql_fail(CLQL_ERR_SIZE_OVERFLOW, "rank %d: %u devices", r, ranks[r].devices);
    counts[r] = (int)(ranks[r].devices * sizeof(device_record));
    displs[r] = r ? displs[r - 1] + counts[r - 1] : 0;
    if (r == c->rank) c->first = c->count;
    c->count += ranks[r].devices;
  }
  device_record *mine = NULL;
  if (all_ok && st == CLQL_SUCCESS) {
    c->all = clql_calloc(c->count, sizeof *c->all);
    c->owner = clql_calloc(c->count, sizeof *c->owner);
    mine = clql_calloc(me.devices, sizeof *mine);
    if (!c->all || !c->owner || !mine) st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "device records");
  }
  for (uint32_t d = 0; st == CLQL_SUCCESS && d < me.devices; d++) {
    const clql_device_info *info = clql_device_set_info(c->set, d);
    device_record *rec = &mine[d];
    rec->version = CLQL_MPI_RECORD_VERSION;
    rec->local_index = d;
    clql_strlcpy(rec->name, info->name, sizeof rec->name);
    rec->memory = info->memory;
    rec->options = *clql_device_set_opts(c->set, d);
  }
  /* a rank that failed here tells the others before they wait on it */
  if (!shared) st = agree(comm, c->rank, st);
  if (st == CLQL_SUCCESS &&
      MPI_Allgatherv(mine, counts[c->rank], MPI_BYTE, c->all, counts, displs, MPI_BYTE, comm) !=
          MPI_SUCCESS)
    st = clql_fail(CLQL_ERR_INTERNAL, "MPI_Allgatherv of the device records failed");
  for (int r = 0, at = 0; st == CLQL_SUCCESS && r < c->size; r++)
    for (uint32_t d = 0; d < ranks[r].devices; d++, at++) {
      c->owner[at] = r;
      c->all[at].name[sizeof c->all[at].name - 1] = '\0';
      if (c->all[at].version != CLQL_MPI_RECORD_VERSION)
        st = clql_fail(CLQL_ERR_UNSUPPORTED, "rank %d: a device record of version %u", r,
                       c->all[at].version);
    }
  clql_free(mine);
  clql_free(ranks);
  clql_free(counts);
  clql_free(displs);
  if (st != CLQL_SUCCESS) {
    clql_mpi_cluster_destroy(c);
    return st;
  }
  *out = c;
  return CLQL_SUCCESS;
}

void clql_mpi_cluster_destroy(clql_mpi_cluster *c) {
  if (!c) return;
  clql_device_set_destroy(c->set);
  clql_free(c->all);
  clql_free(c->owner);
  clql_free(c);
}

size_t clql_mpi_cluster_count(const clql_mpi_cluster *c) { return c ? c->count : 0; }

clql_status clql_mpi_cluster_device(const clql_mpi_cluster *c, size_t index, clql_mpi_device *out) {
  if (!c || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "cluster or out is NULL");
  if (index >= c->count)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "device %zu of %zu", index, c->count);
  memset(out, 0, sizeof *out);
  out->rank = c->owner[index];
  out->local_index = c->all[index].local_index;
  clql_strlcpy(out->name, c->all[index].name, sizeof out->name);
  out->memory = c->all[index].memory;
  out->options = c->all[index].options;
  return CLQL_SUCCESS;
}

clql_status clql_mpi_plan(const clql_mpi_cluster *c, const clql_model_layer *layers,
                          size_t nlayers, clql_split_mode mode, uint64_t requested_batch,
                          clql_split_part *parts, size_t capacity, clql_split_plan *out) {
  if (!c || !parts || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "cluster, parts and out are required");
  if (capacity < c->count)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "room for %zu parts; the cluster has %zu devices",
                     capacity, c->count);
  clql_split_device *devs = clql_calloc(c->count, sizeof *devs);
  if (!devs) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "split devices");
  for (size_t d = 0; d < c->count; d++) {
    devs[d].memory = c->all[d].memory;
    devs[d].options = &c->all[d].options;
  }
  clql_status st = clql_plan_split(devs, c->count, layers, nlayers, mode, requested_batch, STAGED,
                                   parts, out);
  clql_free(devs);
  return st;
}

/* ---- the model ---- */

/* One layer's piece on one of this rank's devices: rows [begin, end) of a
 * layer (rows mode) or the whole layer (layers mode). */
typedef struct {
  clql_layer *layer;
  uint64_t begin, end; /* rows */
} piece;

struct clql_mpi_model {
  clql_mpi_cluster *c;
  clql_split_mode mode;
  size_t count;            /* layers */
  clql_layer_shape *shape; /* per layer */
  clql_split_part *parts;  /* per cluster device */
  clql_split_plan plan;
  piece *pieces;           /* [layer][local device] */
  size_t local;            /* this rank's devices */
  uint64_t max_n;          /* the widest activation */
};

static piece *piece_at(const clql_mpi_model *m, size_t layer, size_t local) {
  return &m->pieces[layer * m->local + local];
}

/* Rows [b, e) of w as a layer on ctx. */
static clql_status make_piece(clql_context *ctx, const clql_ternary_weights *w, uint64_t b,
                              uint64_t e, clql_layer **out) {
  clql_layer_shape s = w->shape;
  s.n = e - b;
  uint64_t per_row = w->scale_count / w->shape.n, scales = 0;
  const int tensor = s.group_size == CLQL_GROUP_TENSOR;
  clql_weight_bytes wb;
  clql_status st = clql_layout_weight_bytes(&s, &wb);
  if (st == CLQL_SUCCESS) st = clql_scale_count(&s, &scales);
  if (st != CLQL_SUCCESS) return st;
  clql_packed p = {.shape = s, .weights = clql_malloc((size_t)wb.weights),
                   .weights_bytes = wb.weights, .scales = clql_malloc((size_t)wb.scales),
                   .scales_bytes = wb.scales};
  if (!p.weights || !p.scales) st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "a layer's slice");
  if (st == CLQL_SUCCESS)
    st = clql_pack_ternary(&p, w->t + b * w->shape.k, s.n * s.k,
                           tensor ? w->scales : w->scales + b * per_row, scales);
  if (st == CLQL_SUCCESS) st = clql_layer_create(ctx, &p, NULL, out);
  clql_free(p.weights);
  clql_free(p.scales);
  return st;
}

static clql_status check_layers(const clql_ternary_weights *layers, size_t count) {
  if (!layers || count == 0) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "no layers");
  for (size_t i = 0; i < count; i++) {
    const clql_ternary_weights *w = &layers[i];
    uint64_t nk, sc;
    clql_status st = clql_scale_count(&w->shape, &sc);
    if (st != CLQL_SUCCESS) return st;
    if (!w->t || !w->scales || !clql_mul_u64(w->shape.n, w->shape.k, &nk) || nk != w->t_count ||
        sc != w->scale_count)
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer %zu: weights and scales do not match "
                                                  "its shape",
                       i);
    if (i && w->shape.k != layers[i - 1].shape.n)
      return clql_fail(CLQL_ERR_INVALID_SHAPE, "layer %zu takes %llu inputs; layer %zu gives %llu",
                       i, (unsigned long long)w->shape.k, i - 1,
                       (unsigned long long)layers[i - 1].shape.n);
  }
  return CLQL_SUCCESS;
}

clql_status clql_mpi_model_create(clql_mpi_cluster *c, const clql_ternary_weights *layers,
                                  size_t count, clql_split_mode mode, clql_mpi_model **out) {
  if (!c || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "cluster or out is NULL");
  *out = NULL;
  clql_status st = check_layers(layers, count);
  if (st == CLQL_SUCCESS && mode != CLQL_SPLIT_ROWS && mode != CLQL_SPLIT_LAYERS)
    st = clql_fail(CLQL_ERR_INVALID_ARGUMENT, "split mode %d", (int)mode);
  clql_mpi_model *m = st == CLQL_SUCCESS ? clql_calloc(1, sizeof *m) : NULL;
  if (st == CLQL_SUCCESS && !m) st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "model");
  clql_model_layer *ml = NULL;
  if (m) {
    m->c = c;
    m->mode = mode;
    m->count = count;
    m->local = clql_device_set_count(c->set);
    m->shape = clql_calloc(count, sizeof *m->shape);
    m->parts = clql_calloc(c->count, sizeof *m->parts);
    m->pieces = clql_calloc(count * m->local, sizeof *m->pieces);
    ml = clql_calloc(count, sizeof *ml);
    if (!m->shape || !m->parts || !m->pieces || !ml)
      st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "model");
  }
  for (size_t i = 0; st == CLQL_SUCCESS && i < count; i++) {
    m->shape[i] = layers[i].shape;
    snprintf(ml[i].name, sizeof ml[i].name, "layer %zu", i);
    ml[i].shape = layers[i].shape;
    ml[i].count = 1;
    if (layers[i].shape.n > m->max_n) m->max_n = layers[i].shape.n;
    if (layers[i].shape.k > m->max_n) m->max_n = layers[i].shape.k;
  }
  /* the same plan on every rank */
  if (st == CLQL_SUCCESS)
    st = clql_mpi_plan(c, ml, count, mode, 0, m->parts, c->count, &m->plan);
  clql_free(ml);
  if (st == CLQL_SUCCESS && !m->plan.fits)
    st = clql_fail(CLQL_ERR_DOES_NOT_FIT, "the model does not fit the cluster's %zu devices "
                                          "(device %zu, on rank %d, decides)",
                   c->count, m->plan.binding_device, c->owner[m->plan.binding_device]);
  /* this rank's pieces */
  for (size_t d = 0; st == CLQL_SUCCESS && d < m->local; d++) {
    const clql_split_part *part = &m->parts[c->first + d];
    clql_context *ctx = clql_device_set_context(c->set, d);
    for (size_t i = 0; st == CLQL_SUCCESS && i < count; i++) {
      piece *p = piece_at(m, i, d);
      if (mode == CLQL_SPLIT_ROWS) {
        st = clql_split_rows(layers[i].shape.n, part, &p->begin, &p->end);
        if (st == CLQL_SUCCESS && p->end > p->begin)
          st = make_piece(ctx, &layers[i], p->begin, p->end, &p->layer);
      } else if (i >= part->layer_begin && i < part->layer_end) {
        p->begin = 0;
        p->end = layers[i].shape.n;
        st = make_piece(ctx, &layers[i], 0, layers[i].shape.n, &p->layer);
      }
    }
  }
  st = agree(c->comm, c->rank, st);
  if (st != CLQL_SUCCESS) {
    clql_mpi_model_destroy(m);
    return st;
  }
  *out = m;
  return CLQL_SUCCESS;
}

void clql_mpi_model_destroy(clql_mpi_model *m) {
  if (!m) return;
  for (size_t i = 0; m->pieces && i < m->count * m->local; i++) clql_layer_destroy(m->pieces[i].layer);
  clql_free(m->pieces);
  clql_free(m->parts);
  clql_free(m->shape);
  clql_free(m);
}

clql_status clql_mpi_model_plan(const clql_mpi_model *m, clql_split_plan *out) {
  if (!m || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model or out is NULL");
  *out = m->plan;
  return CLQL_SUCCESS;
}

/* Rows mode, one layer: each local device its rows of every token, then
 * every rank's blocks gathered and laid out as y[batch][n]. */
static clql_status rows_layer(clql_mpi_model *m, size_t i, const float *x, uint64_t batch,
                              float *y, float *mine, float *gathered, int *counts, int *displs) {
  const clql_mpi_cluster *c = m->c;
  const uint64_t n = m->shape[i].n;
  clql_status st = CLQL_SUCCESS;
  uint64_t at = 0; /* this rank's floats so far */
  for (size_t d = 0; st == CLQL_SUCCESS && d < m->local; d++) {
    const piece *p = piece_at(m, i, d);
    if (!p->layer) continue;
    st = clql_layer_forward(p->layer, x, batch, mine + at);
    at += batch * (p->end - p->begin);
  }
  st = agree(c->comm, c->rank, st);
  if (st != CLQL_SUCCESS) return st;
  /* every rank's block: its devices' rows of every token, device by device */
  for (int r = 0, dev = 0; r < c->size; r++) {
    uint64_t rows = 0;
    for (; (size_t)dev < c->count && c->owner[dev] == r; dev++) {
      uint64_t b, e;
      clql_split_rows(n, &m->parts[dev], &b, &e);
      rows += e - b;
    }
    counts[r] = (int)(rows * batch);
    displs[r] = r ? displs[r - 1] + counts[r - 1] : 0;
  }
  if (MPI_Allgatherv(mine, (int)at, MPI_FLOAT, gathered, counts, displs, MPI_FLOAT, c->comm) !=
      MPI_SUCCESS)
    return clql_fail(CLQL_ERR_INTERNAL, "MPI_Allgatherv of layer %zu failed", i);
  const float *src = gathered;
  for (size_t dev = 0; dev < c->count; dev++) {
    uint64_t b, e;
    clql_split_rows(n, &m->parts[dev], &b, &e);
    for (uint64_t t = 0; t < batch; t++, src += e - b)
      memcpy(y + t * n + b, src, (size_t)(e - b) * sizeof *y);
  }
  return CLQL_SUCCESS;
}

/* Layers mode: each device in turn runs its layers; the activation travels
 * from the rank of one stage to the next (a status first, so that a stage
 * that failed stops the next instead of leaving it waiting), and the last
 * stage's rank broadcasts the result. */
static clql_status layers_pass(clql_mpi_model *m, float *cur, float *next, uint64_t batch,
                               float *y) {
  const clql_mpi_cluster *c = m->c;
  clql_status st = CLQL_SUCCESS;
  char detail[DETAIL_MAX] = "";
  int holder = 0; /* the rank that holds the activation */
  uint64_t width = m->shape[0].k;
  for (size_t dev = 0; dev < c->count; dev++) {
    const clql_split_part *part = &m->parts[dev];
    if (part->layer_end <= part->layer_begin) continue;
    const int owner = c->owner[dev];
    if (owner != holder) { /* hand the activation (or the failure) over */
      int32_t status = (int32_t)st;
      if (c->rank == holder) {
        MPI_Send(&status, 1, MPI_INT32_T, owner, 0, c->comm);
        MPI_Send(detail, DETAIL_MAX, MPI_CHAR, owner, 1, c->comm);
        if (st == CLQL_SUCCESS) MPI_Send(cur, (int)(batch * width), MPI_FLOAT, owner, 2, c->comm);
      } else if (c->rank == owner) {
        MPI_Recv(&status, 1, MPI_INT32_T, holder, 0, c->comm, MPI_STATUS_IGNORE);
        MPI_Recv(detail, DETAIL_MAX, MPI_CHAR, holder, 1, c->comm, MPI_STATUS_IGNORE);
        detail[DETAIL_MAX - 1] = '\0';
        st = (clql_status)status;
        if (st == CLQL_SUCCESS)
          MPI_Recv(cur, (int)(batch * width), MPI_FLOAT, holder, 2, c->comm, MPI_STATUS_IGNORE);
      }
      holder = owner;
    }
    if (c->rank == owner && st == CLQL_SUCCESS) {
      const size_t local = dev - c->first;
      for (uint64_t i = part->layer_begin; st == CLQL_SUCCESS && i < part->layer_end; i++) {
        st = clql_layer_forward(piece_at(m, (size_t)i, local)->layer, cur, batch, next);
        float *t = cur;
        cur = next, next = t;
        width = m->shape[i].n;
        if (st != CLQL_SUCCESS)
          snprintf(detail, sizeof detail, "rank %d: %s", c->rank, clql_last_error_detail());
      }
    }
    if (part->layer_end > part->layer_begin) width = m->shape[part->layer_end - 1].n;
  }
  /* the last stage tells every rank how it went, and the output */
  int32_t status = (int32_t)st;
  MPI_Bcast(&status, 1, MPI_INT32_T, holder, c->comm);
  MPI_Bcast(detail, DETAIL_MAX, MPI_CHAR, holder, c->comm);
  detail[DETAIL_MAX - 1] = '\0';
  if (status != 0) return clql_fail((clql_status)status, "%s", detail);
  if (c->rank == holder) memcpy(y, cur, (size_t)(batch * width) * sizeof *y);
  if (MPI_Bcast(y, (int)(batch * width), MPI_FLOAT, holder, c->comm) != MPI_SUCCESS)
    return clql_fail(CLQL_ERR_INTERNAL, "MPI_Bcast of the output failed");
  return CLQL_SUCCESS;
}

clql_status clql_mpi_model_forward(clql_mpi_model *m, const float *x, uint64_t batch, float *y) {
  if (!m) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model is NULL");
  const clql_mpi_cluster *c = m->c;
  clql_status st = CLQL_SUCCESS;
  uint64_t floats = 0;
  if (batch == 0) st = clql_fail(CLQL_ERR_INVALID_SHAPE, "batch must be at least 1");
  else if (!y || (c->rank == 0 && !x)) st = clql_fail(CLQL_ERR_INVALID_ARGUMENT, "x and y are required");
  else if (!clql_mul_u64(batch, m->max_n, &floats) || floats > INT32_MAX)
    st = clql_fail(CLQL_ERR_SIZE_OVERFLOW, "batch %llu of %llu floats exceeds one MPI message",
                   (unsigned long long)batch, (unsigned long long)m->max_n);
  float *cur = NULL, *next = NULL, *mine = NULL, *gathered = NULL;
  int *counts = NULL, *displs = NULL;
  if (st == CLQL_SUCCESS) {
    cur = clql_malloc((size_t)floats * sizeof *cur);
    next = clql_malloc((size_t)floats * sizeof *next);
    mine = clql_malloc((size_t)floats * sizeof *mine);
    gathered = clql_malloc((size_t)floats * sizeof *gathered);
    counts = clql_calloc((size_t)c->size, sizeof *counts);
    displs = clql_calloc((size_t)c->size, sizeof *displs);
    if (!cur || !next || !mine || !gathered || !counts || !displs)
      st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "activations");
  }
  st = agree(c->comm, c->rank, st);
  const uint64_t k0 = m->shape[0].k;
  if (st == CLQL_SUCCESS) {
    if (c->rank == 0) memcpy(cur, x, (size_t)(batch * k0) * sizeof *cur);
    if (MPI_Bcast(cur, (int)(batch * k0), MPI_FLOAT, 0, c->comm) != MPI_SUCCESS)
      st = clql_fail(CLQL_ERR_INTERNAL, "MPI_Bcast of the input failed");
  }
  if (st == CLQL_SUCCESS && m->mode == CLQL_SPLIT_LAYERS) {
    st = layers_pass(m, cur, next, batch, y);
  } else {
    for (size_t i = 0; st == CLQL_SUCCESS && i < m->count; i++) {
      float *out = i + 1 == m->count ? y : next;
      st = rows_layer(m, i, cur, batch, out, mine, gathered, counts, displs);
      if (st == CLQL_SUCCESS && out == next) {
        float *t = cur;
        cur = next, next = t;
      }
    }
  }
  clql_free(cur);
  clql_free(next);
  clql_free(mine);
  clql_free(gathered);
  clql_free(counts);
  clql_free(displs);
  return st;
}
