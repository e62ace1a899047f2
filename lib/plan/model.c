/* Model layer lists: presets, the text format of include/clql/model.h, and
 * the model-wide byte sums the planner and an allocator share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "../internal.h"

#define MODEL_FILE_MAX (1u << 20)

typedef struct {
  const char *name;
  uint64_t n, k;
} preset_layer;

typedef struct {
  const char *name;
  uint64_t blocks; /* every layer repeats once per transformer block */
  const preset_layer *layers;
  size_t count;
} preset;

/* BitNet b1.58 2B4T: 30 blocks; N x K = out x in (docs/formats.md, "BitNet b1.58 2B4T shapes"). */
static const preset_layer bitnet_2b4t[] = {{"q", 2560, 2560},    {"k", 640, 2560},
                                           {"v", 640, 2560},     {"o", 2560, 2560},
                                           {"gate", 6912, 2560}, {"up", 6912, 2560},
                                           {"down", 2560, 6912}};
/* The same model with q/k/v and gate/up fused into one matrix each. */
static const preset_layer bitnet_2b4t_fused[] = {
    {"qkv", 3840, 2560}, {"o", 2560, 2560}, {"gate_up", 13824, 2560}, {"down", 2560, 6912}};

static const preset presets[] = {
    {"bitnet-b1.58-2b4t", 30, bitnet_2b4t, sizeof bitnet_2b4t / sizeof bitnet_2b4t[0]},
    {"bitnet-b1.58-2b4t-fused", 30, bitnet_2b4t_fused,
     sizeof bitnet_2b4t_fused / sizeof bitnet_2b4t_fused[0]},
};
#define PRESET_COUNT (sizeof presets / sizeof presets[0])

static clql_status check_list_args(const void *buf, size_t capacity, size_t *count) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  if (!buf && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "buffer is NULL");
  return CLQL_SUCCESS;
}

static clql_status too_small(size_t n, size_t capacity) {
  return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu layers, room for %zu", n, capacity);
}

clql_status clql_model_preset_names(const char **names, size_t capacity, size_t *count) {
  clql_status st = check_list_args(names, capacity, count);
  if (st != CLQL_SUCCESS) return st;
  for (size_t i = 0; names && i < PRESET_COUNT && i < capacity; i++) names[i] = presets[i].name;
  *count = PRESET_COUNT;
  if (names && capacity < PRESET_COUNT)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu presets, room for %zu", (size_t)PRESET_COUNT,
                     capacity);
  return CLQL_SUCCESS;
}

static clql_model_layer make_layer(const char *name, size_t name_len, uint64_t n, uint64_t k,
                                   clql_qtype qtype, uint64_t count) {
  clql_model_layer l;
  memset(&l, 0, sizeof l);
  if (name_len >= sizeof l.name) name_len = sizeof l.name - 1; /* callers keep names shorter */
  memcpy(l.name, name, name_len);
  l.shape.n = n;
  l.shape.k = k;
  l.shape.qtype = qtype;
  l.shape.group_size = CLQL_GROUP_ROW;
  l.count = count;
  return l;
}

static clql_status check_qtype(clql_qtype qtype) {
  if ((int)qtype < 0 || qtype >= CLQL_QTYPE_COUNT_)
    return clql_fail(CLQL_ERR_INVALID_QTYPE, "qtype %d", (int)qtype);
  return CLQL_SUCCESS;
}

clql_status clql_model_preset(const char *name, clql_qtype qtype, clql_model_layer *layers,
                              size_t capacity, size_t *count) {
  clql_status st = check_list_args(layers, capacity, count);
  if (st == CLQL_SUCCESS) st = check_qtype(qtype);
  if (st != CLQL_SUCCESS) return st;
  if (!name) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "preset name is NULL");
  for (size_t p = 0; p < PRESET_COUNT; p++) {
    if (strcasecmp(name, presets[p].name) != 0) continue;
    const preset *m = &presets[p];
    for (size_t i = 0; layers && i < m->count && i < capacity; i++)
      layers[i] = make_layer(m->layers[i].name, strlen(m->layers[i].name), m->layers[i].n,
                             m->layers[i].k, qtype, m->blocks);
    *count = m->count;
    return layers && capacity < m->count ? too_small(m->count, capacity) : CLQL_SUCCESS;
  }
  char known[256] = "";
  for (size_t p = 0; p < PRESET_COUNT; p++) {
    if (p) strncat(known, ", ", sizeof known - strlen(known) - 1);
    strncat(known, presets[p].name, sizeof known - strlen(known) - 1);
  }
  return clql_fail(CLQL_ERR_NOT_FOUND, "no model preset '%s' (presets: %s)", name, known);
}

/* ---- the text format ---- */

static int name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-' || c == ':' || c == '/';
}

typedef struct {
  const char *origin; /* file path, or NULL for text */
  size_t line;
} parse_pos;

#define PARSE_FAIL(pos, fmt, ...)                                                         \
  clql_fail(CLQL_ERR_PARSE, "%s%sline %zu: " fmt, (pos)->origin ? (pos)->origin : "",     \
            (pos)->origin ? ": " : "", (pos)->line, __VA_ARGS__)

static clql_status parse_number(const parse_pos *pos, const char *what, const char *b,
                                const char *e, uint64_t *out) {
  const char *why = NULL;
  if (!clql_parse_u64_span(b, e, out, &why))
    return PARSE_FAIL(pos, "%s '%.*s' is %s", what, (int)(e - b), b, why);
  if (*out == 0) return PARSE_FAIL(pos, "%s is 0 (must be at least 1)", what);
  return CLQL_SUCCESS;
}

/* One line [s, e) without its end. Sets *got when it holds a layer. */
static clql_status parse_line(const parse_pos *pos, const char *s, const char *e,
                              clql_qtype qtype, clql_model_layer *out, int *got) {
  const char *field[4][2];
  int nf = 0;
  *got = 0;
  for (const char *p = s; p < e;) {
    if (*p == '#') break;
    if (*p == ' ' || *p == '\t' || (*p == '\r' && p + 1 == e)) {
      p++;
      continue;
    }
    const char *b = p;
    while (p < e && *p != ' ' && *p != '\t' && *p != '#' && *p != '\r') {
      unsigned char c = (unsigned char)*p;
      if (c < 0x20 || c >= 0x7f)
        return PARSE_FAIL(pos, "unexpected byte 0x%02x in column %zu", c, (size_t)(p - s) + 1);
      p++;
    }
    if (p < e && *p == '\r' && p + 1 != e)
      return PARSE_FAIL(pos, "unexpected byte 0x0d in column %zu", (size_t)(p - s) + 1);
    if (nf == 0 && *b == '@') return CLQL_SUCCESS; /* the rest of the model: model_desc.c */
    if (nf == 4) return PARSE_FAIL(pos, "%s", "too many fields (expected: name N K [count])");
    field[nf][0] = b;
    field[nf][1] = p;
    nf++;
  }
  if (nf == 0) return CLQL_SUCCESS;
  if (nf < 3) return PARSE_FAIL(pos, "%s", "too few fields (expected: name N K [count])");
  size_t name_len = (size_t)(field[0][1] - field[0][0]);
  if (name_len >= CLQL_MODEL_NAME_MAX)
    return PARSE_FAIL(pos, "name longer than %d characters", CLQL_MODEL_NAME_MAX - 1);
  for (const char *p = field[0][0]; p < field[0][1]; p++)
    if (!name_char(*p))
      return PARSE_FAIL(pos, "name '%.*s' has '%c' (allowed: letters, digits, _ . - : /)",
                        (int)name_len, field[0][0], *p);
  uint64_t n, k, count = 1;
  clql_status st = parse_number(pos, "N", field[1][0], field[1][1], &n);
  if (st == CLQL_SUCCESS) st = parse_number(pos, "K", field[2][0], field[2][1], &k);
  if (st == CLQL_SUCCESS && nf == 4)
    st = parse_number(pos, "count", field[3][0], field[3][1], &count);
  if (st != CLQL_SUCCESS) return st;
  *out = make_layer(field[0][0], name_len, n, k, qtype, count);
  *got = 1;
  return CLQL_SUCCESS;
}

clql_status clql_model_parse_layers(const char *text, size_t len, const char *origin,
                                    clql_qtype qtype, int allow_empty, clql_model_layer *layers,
                                    size_t capacity, size_t *count) {
  clql_status st = check_list_args(layers, capacity, count);
  if (st == CLQL_SUCCESS) st = check_qtype(qtype);
  if (st != CLQL_SUCCESS) return st;
  /* Pass 0 validates and counts; pass 1 fills, so a bad text writes nothing. */
  size_t n = 0;
  for (int pass = 0; pass < (layers ? 2 : 1); pass++) {
    parse_pos pos = {origin, 0};
    n = 0;
    for (const char *s = text, *end = text + len; s < end;) {
      const char *e = memchr(s, '\n', (size_t)(end - s));
      if (!e) e = end;
      pos.line++;
      clql_model_layer l;
      int got;
      st = parse_line(&pos, s, e, qtype, &l, &got);
      if (st != CLQL_SUCCESS) return st;
      if (got && pass == 1 && n < capacity) layers[n] = l;
      n += (size_t)got;
      s = e + (e < end);
    }
    if (n == 0 && !allow_empty)
      return clql_fail(CLQL_ERR_PARSE, "%s%sno layers (expected lines: name N K [count])",
                       origin ? origin : "", origin ? ": " : "");
  }
  *count = n;
  return layers && capacity < n ? too_small(n, capacity) : CLQL_SUCCESS;
}

clql_status clql_model_parse(const char *text, clql_qtype qtype, clql_model_layer *layers,
                             size_t capacity, size_t *count) {
  if (!text) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "text is NULL");
  return clql_model_parse_layers(text, strlen(text), NULL, qtype, 0, layers, capacity, count);
}

clql_status clql_model_file_read(const char *path, char **text, size_t *len) {
  *text = NULL;
  uint64_t size;
  const char *why;
  int fd = clql_open_regular(path, &size, &why);
  if (fd < 0) return clql_fail(CLQL_ERR_IO, "%s: %s", path, why);
  char *buf = clql_malloc(MODEL_FILE_MAX + 1);
  if (!buf) {
    close(fd);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "reading %s", path);
  }
  size_t n = 0;
  int err = clql_read_fd(fd, buf, MODEL_FILE_MAX + 1, &n) != 0 ? errno : 0;
  close(fd);
  clql_status st = CLQL_SUCCESS;
  if (err)
    st = clql_fail(CLQL_ERR_IO, "%s: %s", path, strerror(err));
  else if (n > MODEL_FILE_MAX)
    st = clql_fail(CLQL_ERR_PARSE, "%s: larger than %u bytes", path, MODEL_FILE_MAX);
  if (st != CLQL_SUCCESS) {
    clql_free(buf);
    return st;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return CLQL_SUCCESS;
}

clql_status clql_model_load(const char *path, clql_qtype qtype, clql_model_layer *layers,
                            size_t capacity, size_t *count) {
  if (!path) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "path is NULL");
  char *buf;
  size_t len;
  clql_status st = clql_model_file_read(path, &buf, &len);
  if (st != CLQL_SUCCESS) return st;
  st = clql_model_parse_layers(buf, len, path, qtype, 0, layers, capacity, count);
  clql_free(buf);
  return st;
}

/* ---- model-wide sums ---- */

static clql_status check_model(const clql_model_layer *layers, size_t count) {
  if (!layers || count == 0) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model has no layers");
  for (size_t i = 0; i < count; i++)
    if (layers[i].count == 0)
      return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "layer %zu (%.*s): count is 0", i,
                       CLQL_MODEL_NAME_MAX - 1, layers[i].name);
  return CLQL_SUCCESS;
}

static void consider(clql_buffer_ref *largest, uint64_t bytes, size_t layer, clql_buffer_kind kind,
                     clql_workspace_part part) {
  if (bytes <= largest->bytes) return;
  largest->bytes = bytes;
  largest->layer = layer;
  largest->kind = kind;
  largest->part = part;
}

clql_status clql_model_resident(const clql_model_layer *layers, size_t count, uint64_t *total,
                                clql_buffer_ref *largest) {
  clql_status st = check_model(layers, count);
  if (st != CLQL_SUCCESS) return st;
  uint64_t sum = 0;
  clql_buffer_ref big;
  memset(&big, 0, sizeof big);
  for (size_t i = 0; i < count; i++) {
    clql_weight_bytes w;
    st = clql_layout_weight_bytes(&layers[i].shape, &w);
    if (st != CLQL_SUCCESS) return st;
    uint64_t one, all;
    if (!clql_add_u64(w.weights, w.scales, &one) || !clql_mul_u64(one, layers[i].count, &all) ||
        !clql_add_u64(sum, all, &sum))
      return clql_fail(CLQL_ERR_SIZE_OVERFLOW,
                       "model weights overflow 64 bits at layer %zu (%.*s, count %llu)", i,
                       CLQL_MODEL_NAME_MAX - 1, layers[i].name,
                       (unsigned long long)layers[i].count);
    consider(&big, w.weights, i, CLQL_BUFFER_WEIGHTS, CLQL_WS_INPUT);
    consider(&big, w.scales, i, CLQL_BUFFER_SCALES, CLQL_WS_INPUT);
  }
  *total = sum;
  if (largest) *largest = big;
  return CLQL_SUCCESS;
}

clql_status clql_model_weight_bytes(const clql_model_layer *layers, size_t count, uint64_t *out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "output is NULL");
  return clql_model_resident(layers, count, out, NULL);
}

clql_status clql_model_workspace_owned(const clql_model_layer *layers, size_t count,
                                       uint64_t batch, unsigned flags, clql_workspace_bytes *out,
                                       size_t owner[CLQL_WS_PART_COUNT]) {
  clql_status st = check_model(layers, count);
  if (st != CLQL_SUCCESS) return st;
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "output is NULL");
  clql_workspace_bytes m;
  memset(&m, 0, sizeof m);
  size_t own[CLQL_WS_PART_COUNT] = {0};
  for (size_t i = 0; i < count; i++) {
    clql_workspace_bytes ws;
    st = clql_layout_workspace_bytes(&layers[i].shape, batch, flags, &ws);
    if (st != CLQL_SUCCESS) return st;
    for (int p = 0; p < CLQL_WS_PART_COUNT; p++)
      if (ws.part[p] > m.part[p]) m.part[p] = ws.part[p], own[p] = i;
  }
  m.batch = batch;
  if (!clql_workspace_sum(&m))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "model workspace at batch %llu overflows",
                     (unsigned long long)batch);
  *out = m;
  if (owner) memcpy(owner, own, sizeof own);
  return CLQL_SUCCESS;
}

clql_status clql_model_workspace_bytes(const clql_model_layer *layers, size_t count,
                                       uint64_t batch, unsigned flags, clql_workspace_bytes *out) {
  return clql_model_workspace_owned(layers, count, batch, flags, out, NULL);
}
