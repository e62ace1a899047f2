/* Model descriptions for inference planning (include/clql/inference.h): from
 * a preset, the model text format's `@` lines, or a GGUF file's metadata and
 * tensor directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

struct clql_model {
  clql_model_info info;
  clql_model_tensor *tensors;
  size_t ntensors, tensors_cap;
  clql_model_layer *layers; /* the ternary ones */
  size_t nlayers, layers_cap;
  uint64_t *kv_heads; /* per block (info.layers entries) when they differ; NULL: info.kv_heads each */
};

const char *clql_tensor_kind_name(clql_tensor_kind kind) {
  static const char *const names[] = {"ternary", "embedding", "output", "norm", "other"};
  return (int)kind >= 0 && kind < CLQL_TENSOR_KIND_COUNT_ ? names[kind] : "unknown";
}

/* Storage types the description sizes (KV types share the table). */
typedef struct {
  const char *name;
  uint64_t block, bytes; /* bytes per block of `block` elements */
} storage_type;

static const storage_type storage[] = {
    {"F16", 1, 2},      {"F32", 1, 4},      {"BF16", 1, 2},     {"Q8_0", 32, 34}, {"Q4_0", 32, 18},
    {"Q4_1", 32, 20},   {"Q5_0", 32, 22},   {"Q5_1", 32, 24},   {"IQ4_NL", 32, 18}};

/* The KV types are the first entries of the table, in enum order. */
_Static_assert(CLQL_KV_TYPE_COUNT_ == sizeof storage / sizeof storage[0], "KV types and storage");

int clql_storage_row_bytes(int type, uint64_t elements, uint64_t *bytes) {
  const storage_type *t = &storage[type];
  if (elements % t->block) return 0;
  return clql_mul_u64(elements / t->block, t->bytes, bytes);
}

static int storage_index(const char *name) {
  for (size_t i = 0; i < sizeof storage / sizeof storage[0]; i++)
    if (strcasecmp(name, storage[i].name) == 0) return (int)i;
  return -1;
}

const char *clql_kv_type_name(clql_kv_type type) {
  static const char *const names[] = {"f16",  "f32",  "bf16", "q8_0",  "q4_0",
                                      "q4_1", "q5_0", "q5_1", "iq4_nl"};
  return (int)type >= 0 && type < CLQL_KV_TYPE_COUNT_ ? names[type] : "unknown";
}

clql_status clql_kv_type_parse(const char *name, clql_kv_type *out) {
  if (!name || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "name or out is NULL");
  int i = storage_index(name);
  if (i < 0) {
    char shown[32];
    clql_strlcpy(shown, name, sizeof shown);
    clql_sanitize(shown);
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT,
                     "KV type '%s' (known: f16, f32, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl)",
                     shown);
  }
  *out = (clql_kv_type)i;
  return CLQL_SUCCESS;
}

/* ---- building ---- */

static clql_status model_new(clql_model **out) {
  *out = clql_calloc(1, sizeof **out);
  return *out ? CLQL_SUCCESS : clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "model description");
}

void clql_model_destroy(clql_model *m) {
  if (!m) return;
  clql_free(m->tensors);
  clql_free(m->layers);
  clql_free(m->kv_heads);
  clql_free(m);
}

static clql_status add_tensor(clql_model *m, const char *name, size_t name_len,
                              clql_tensor_kind kind, const char *type, uint64_t bytes,
                              uint64_t largest, uint64_t count) {
  if (m->ntensors == m->tensors_cap) {
    size_t cap = m->tensors_cap ? m->tensors_cap * 2 : 16;
    clql_model_tensor *t = clql_realloc(m->tensors, cap * sizeof *t);
    if (!t) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "model tensors");
    m->tensors = t;
    m->tensors_cap = cap;
  }
  clql_model_tensor *t = &m->tensors[m->ntensors];
  memset(t, 0, sizeof *t);
  if (name_len >= sizeof t->name) name_len = sizeof t->name - 1; /* a label: cut long names */
  memcpy(t->name, name, name_len);
  clql_sanitize(t->name);
  t->kind = kind;
  clql_strlcpy(t->type, type, sizeof t->type);
  t->bytes = bytes;
  t->largest = largest;
  t->count = count;
  uint64_t all, sum;
  if (!clql_mul_u64(bytes, count, &all) || !clql_add_u64(m->info.weights_bytes, all, &sum) ||
      !clql_add_u64(m->info.bytes_by_kind[kind], all, &m->info.bytes_by_kind[kind]))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "the model's bytes overflow 64 bits at %s",
                     t->name);
  m->info.weights_bytes = sum;
  m->ntensors++;
  m->info.tensors = m->ntensors;
  return CLQL_SUCCESS;
}

/* A ternary layer: its tensor (as clql packs it) and its planner entry. */
static clql_status add_ternary(clql_model *m, const clql_model_layer *l) {
  clql_weight_bytes wb;
  clql_status st = clql_layout_weight_bytes(&l->shape, &wb);
  if (st != CLQL_SUCCESS) return st;
  if (m->nlayers == m->layers_cap) {
    size_t cap = m->layers_cap ? m->layers_cap * 2 : 16;
    clql_model_layer *p = clql_realloc(m->layers, cap * sizeof *p);
    if (!p) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "model layers");
    m->layers = p;
    m->layers_cap = cap;
  }
  m->layers[m->nlayers++] = *l;
  return add_tensor(m, l->name, strlen(l->name), CLQL_TENSOR_TERNARY,
                    clql_qtype_name(l->shape.qtype), wb.weights + wb.scales,
                    wb.weights > wb.scales ? wb.weights : wb.scales, l->count);
}

static clql_status add_ternary_list(clql_model *m, const clql_model_layer *l, size_t n) {
  clql_status st = CLQL_SUCCESS;
  for (size_t i = 0; st == CLQL_SUCCESS && i < n; i++) st = add_ternary(m, &l[i]);
  return st;
}

/* A tensor of elements of storage type `type`, count times. */
static clql_status add_stored(clql_model *m, const char *name, clql_tensor_kind kind, int type,
                              uint64_t elements, uint64_t count) {
  uint64_t bytes;
  if (!clql_storage_row_bytes(type, elements, &bytes))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "tensor %s: %llu elements of %s", name,
                     (unsigned long long)elements, storage[type].name);
  return add_tensor(m, name, strlen(name), kind, storage[type].name, bytes, bytes, count);
}

/* ---- presets ---- */

clql_status clql_model_from_preset(const char *name, clql_qtype qtype, clql_model **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  clql_model_layer layers[16];
  size_t n = 0;
  clql_status st = clql_model_preset(name, qtype, layers, 16, &n);
  if (st != CLQL_SUCCESS) return st;
  clql_model *m;
  if ((st = model_new(&m)) != CLQL_SUCCESS) return st;
  /* Both presets are BitNet b1.58 2B4T (separate or fused projections). */
  clql_model_info *i = &m->info;
  clql_strlcpy(i->name, name, sizeof i->name);
  clql_strlcpy(i->arch, "bitnet", sizeof i->arch);
  i->layers = 30, i->hidden = 2560, i->ffn = 6912, i->heads = 20, i->kv_heads = 5;
  i->key_length = i->value_length = 128, i->vocab = 128256, i->max_context = 4096;
  i->tied_output = 1;
  i->kv_elements_per_token = i->layers * i->kv_heads * (i->key_length + i->value_length);
  st = add_ternary_list(m, layers, n);
  const int f32 = storage_index("F32");
  if (st == CLQL_SUCCESS)
    st = add_stored(m, "token_embd", CLQL_TENSOR_EMBEDDING, storage_index("F16"),
                    i->hidden * i->vocab, 1);
  if (st == CLQL_SUCCESS) st = add_stored(m, "attn_norm", CLQL_TENSOR_NORM, f32, i->hidden, 30);
  if (st == CLQL_SUCCESS) st = add_stored(m, "attn_sub_norm", CLQL_TENSOR_NORM, f32, i->hidden, 30);
  if (st == CLQL_SUCCESS) st = add_stored(m, "ffn_norm", CLQL_TENSOR_NORM, f32, i->hidden, 30);
  if (st == CLQL_SUCCESS) st = add_stored(m, "ffn_sub_norm", CLQL_TENSOR_NORM, f32, i->ffn, 30);
  if (st == CLQL_SUCCESS) st = add_stored(m, "output_norm", CLQL_TENSOR_NORM, f32, i->hidden, 1);
  if (st != CLQL_SUCCESS) {
    clql_model_destroy(m);
    return st;
  }
  *out = m;
  return CLQL_SUCCESS;
}

/* ---- the text format's @ lines ---- */

typedef struct {
  const char *origin;
  size_t line;
} text_pos;

#define TEXT_FAIL(pos, fmt, ...)                                                              \
  clql_fail(CLQL_ERR_PARSE, "%s%sline %zu: " fmt, (pos)->origin ? (pos)->origin : "",          \
            (pos)->origin ? ": " : "", (pos)->line, __VA_ARGS__)

/* The white-space separated fields of [s, e) (a '#' ends the line); at most
 * max; -1 past that. */
static int split_fields(const char *s, const char *e, const char *f[][2], int max) {
  int n = 0;
  for (const char *p = s; p < e && *p != '#';) {
    if (*p == ' ' || *p == '\t' || *p == '\r') {
      p++;
      continue;
    }
    if (n == max) return -1;
    f[n][0] = p;
    while (p < e && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#') p++;
    f[n++][1] = p;
  }
  return n;
}

static int field_is(const char *const f[2], const char *word) {
  size_t n = strlen(word);
  return (size_t)(f[1] - f[0]) == n && strncmp(f[0], word, n) == 0;
}

static clql_status field_u64(const text_pos *pos, const char *const f[2], const char *what,
                             uint64_t *out) {
  const char *why = NULL;
  if (!clql_parse_u64_span(f[0], f[1], out, &why))
    return TEXT_FAIL(pos, "%s '%.*s' is %s", what, (int)(f[1] - f[0]), f[0], why);
  if (*out == 0) return TEXT_FAIL(pos, "%s is 0 (must be at least 1)", what);
  return CLQL_SUCCESS;
}

/* One @ line. */
static clql_status parse_directive(clql_model *m, const text_pos *pos, const char *s,
                                   const char *e) {
  for (const char *p = s; p < e; p++) {
    unsigned char c = (unsigned char)*p;
    if ((c < 0x20 && c != '\t' && !(c == '\r' && p + 1 == e)) || c >= 0x7f)
      return TEXT_FAIL(pos, "unexpected byte 0x%02x in column %zu", c, (size_t)(p - s) + 1);
  }
  const char *f[7][2];
  int n = split_fields(s, e, f, 7);
  if (n < 0) return TEXT_FAIL(pos, "%s", "too many fields");
  if (n == 0 || *f[0][0] != '@') return CLQL_SUCCESS; /* a layer line or a comment */
  clql_model_info *i = &m->info;
  static const struct {
    const char *key;
    size_t offset;
  } numbers[] = {{"@layers", offsetof(clql_model_info, layers)},
                 {"@hidden", offsetof(clql_model_info, hidden)},
                 {"@ffn", offsetof(clql_model_info, ffn)},
                 {"@heads", offsetof(clql_model_info, heads)},
                 {"@kv_heads", offsetof(clql_model_info, kv_heads)},
                 {"@key_length", offsetof(clql_model_info, key_length)},
                 {"@value_length", offsetof(clql_model_info, value_length)},
                 {"@vocab", offsetof(clql_model_info, vocab)},
                 {"@context", offsetof(clql_model_info, max_context)}};
  for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
    if (!field_is(f[0], numbers[k].key)) continue;
    if (n != 2) return TEXT_FAIL(pos, "expected: %s N", numbers[k].key);
    return field_u64(pos, f[1], numbers[k].key, (uint64_t *)((char *)i + numbers[k].offset));
  }
  if (field_is(f[0], "@head_dim")) {
    if (n != 2) return TEXT_FAIL(pos, "%s", "expected: @head_dim N");
    clql_status st = field_u64(pos, f[1], "@head_dim", &i->key_length);
    i->value_length = i->key_length;
    return st;
  }
  if (field_is(f[0], "@tied")) {
    if (n != 2 || !(field_is(f[1], "0") || field_is(f[1], "1")))
      return TEXT_FAIL(pos, "%s", "expected: @tied 0 or @tied 1");
    i->tied_output = field_is(f[1], "1");
    return CLQL_SUCCESS;
  }
  if (field_is(f[0], "@arch")) {
    if (n != 2 || (size_t)(f[1][1] - f[1][0]) >= sizeof i->arch)
      return TEXT_FAIL(pos, "expected: @arch WORD (at most %zu characters)", sizeof i->arch - 1);
    memcpy(i->arch, f[1][0], (size_t)(f[1][1] - f[1][0]));
    i->arch[f[1][1] - f[1][0]] = '\0';
    return CLQL_SUCCESS;
  }
  if (field_is(f[0], "@tensor")) {
    if (n < 5 || n > 6)
      return TEXT_FAIL(pos, "%s", "expected: @tensor NAME KIND TYPE ELEMENTS [COUNT]");
    size_t name_len = (size_t)(f[1][1] - f[1][0]);
    if (name_len >= CLQL_MODEL_NAME_MAX)
      return TEXT_FAIL(pos, "tensor name longer than %d characters", CLQL_MODEL_NAME_MAX - 1);
    int kind = -1;
    for (int k = CLQL_TENSOR_EMBEDDING; k < CLQL_TENSOR_KIND_COUNT_; k++)
      if (field_is(f[2], clql_tensor_kind_name((clql_tensor_kind)k))) kind = k;
    if (kind < 0)
      return TEXT_FAIL(pos, "tensor kind '%.*s' (embedding, output, norm or other; ternary "
                            "layers are lines of their own)",
                       (int)(f[2][1] - f[2][0]), f[2][0]);
    char type[16] = "";
    if ((size_t)(f[3][1] - f[3][0]) < sizeof type) memcpy(type, f[3][0], (size_t)(f[3][1] - f[3][0]));
    int t = storage_index(type);
    if (t < 0)
      return TEXT_FAIL(pos, "tensor type '%.*s' (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, "
                            "iq4_nl)",
                       (int)(f[3][1] - f[3][0]), f[3][0]);
    uint64_t elements, count = 1, bytes;
    clql_status st = field_u64(pos, f[4], "ELEMENTS", &elements);
    if (st == CLQL_SUCCESS && n == 6) st = field_u64(pos, f[5], "COUNT", &count);
    if (st != CLQL_SUCCESS) return st;
    if (!clql_storage_row_bytes(t, elements, &bytes))
      return TEXT_FAIL(pos, "%llu elements of %s (blocks of %llu)", (unsigned long long)elements,
                       storage[t].name, (unsigned long long)storage[t].block);
    return add_tensor(m, f[1][0], name_len, (clql_tensor_kind)kind, storage[t].name, bytes, bytes,
                      count);
  }
  return TEXT_FAIL(pos, "unknown directive '%.*s' (@layers, @hidden, @ffn, @heads, @kv_heads, "
                        "@head_dim, @key_length, @value_length, @vocab, @context, @tied, @arch, "
                        "@tensor)",
                   (int)(f[0][1] - f[0][0]), f[0][0]);
}

/* Defaults the text may leave out: KV heads = heads, head dims = hidden / heads. */
static clql_status finish_text(clql_model *m, const char *origin) {
  clql_model_info *i = &m->info;
  if (!i->kv_heads) i->kv_heads = i->heads;
  if ((!i->key_length || !i->value_length) && i->heads && i->hidden) {
    if (i->hidden % i->heads)
      return clql_fail(CLQL_ERR_PARSE, "%s%s@hidden %llu is not a multiple of @heads %llu: give "
                                       "@head_dim",
                       origin ? origin : "", origin ? ": " : "", (unsigned long long)i->hidden,
                       (unsigned long long)i->heads);
    if (!i->key_length) i->key_length = i->hidden / i->heads;
    if (!i->value_length) i->value_length = i->hidden / i->heads;
  }
  if (i->kv_heads > i->heads && i->heads)
    return clql_fail(CLQL_ERR_PARSE, "%s%s@kv_heads %llu exceeds @heads %llu",
                     origin ? origin : "", origin ? ": " : "", (unsigned long long)i->kv_heads,
                     (unsigned long long)i->heads);
  uint64_t per, all;
  if (!clql_add_u64(i->key_length, i->value_length, &per) ||
      !clql_mul_u64(per, i->kv_heads, &per) || !clql_mul_u64(per, i->layers, &all))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "KV elements per token overflow 64 bits");
  i->kv_elements_per_token = all;
  return CLQL_SUCCESS;
}

clql_status clql_model_from_text(const char *text, const char *origin, clql_qtype qtype,
                                 clql_model **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!text) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "text is NULL");
  const size_t len = strlen(text);
  size_t n = 0;
  clql_status st = clql_model_parse_layers(text, len, origin, qtype, 1, NULL, 0, &n);
  clql_model_layer *layers = st == CLQL_SUCCESS ? clql_calloc(n ? n : 1, sizeof *layers) : NULL;
  if (st == CLQL_SUCCESS && !layers) st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "model layers");
  if (st == CLQL_SUCCESS)
    st = clql_model_parse_layers(text, len, origin, qtype, 1, layers, n, &n);
  clql_model *m = NULL;
  if (st == CLQL_SUCCESS) st = model_new(&m);
  if (st == CLQL_SUCCESS) st = add_ternary_list(m, layers, n);
  clql_free(layers);
  text_pos pos = {origin, 0};
  for (const char *s = text, *end = text + len; st == CLQL_SUCCESS && s < end;) {
    const char *e = memchr(s, '\n', (size_t)(end - s));
    if (!e) e = end;
    pos.line++;
    st = parse_directive(m, &pos, s, e);
    s = e + (e < end);
  }
  if (st == CLQL_SUCCESS && m->ntensors == 0)
    st = clql_fail(CLQL_ERR_PARSE, "%s%sno tensors (lines: name N K [count], or @tensor ...)",
                   origin ? origin : "", origin ? ": " : "");
  if (st == CLQL_SUCCESS) st = finish_text(m, origin);
  if (st != CLQL_SUCCESS) {
    clql_model_destroy(m);
    return st;
  }
  if (origin) {
    const char *base = strrchr(origin, '/');
    clql_strlcpy(m->info.name, base ? base + 1 : origin, sizeof m->info.name);
    clql_sanitize(m->info.name);
  }
  *out = m;
  return CLQL_SUCCESS;
}

clql_status clql_model_from_file(const char *path, clql_qtype qtype, clql_model **out) {
  if (!out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!path) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "path is NULL");
  char *text;
  size_t len;
  clql_status st = clql_model_file_read(path, &text, &len);
  if (st != CLQL_SUCCESS) return st;
  if (memchr(text, '\0', len))
    st = clql_fail(CLQL_ERR_PARSE, "%s: a NUL byte in the text", path);
  else
    st = clql_model_from_text(text, path, qtype, out);
  clql_free(text);
  return st;
}

/* ---- GGUF ---- */

/* `<arch>.<key>` as uint64; a scalar, or the largest of an array of one per
 * block (*per_block receives the array when asked, else NULL). CLQL_ERR_NOT_FOUND
 * when absent (detail names the key); CLQL_ERR_PARSE for a value of another kind. */
static clql_status arch_uint(const clql_gguf *g, const char *arch, const char *key,
                             uint64_t blocks, uint64_t *out, uint64_t **per_block) {
  char full[160];
  snprintf(full, sizeof full, "%s.%s", arch, key);
  if (per_block) *per_block = NULL;
  clql_gguf_value v;
  clql_status st = clql_gguf_meta_find(g, full, &v);
  if (st != CLQL_SUCCESS) return clql_fail(CLQL_ERR_NOT_FOUND, "metadata key %s is missing", full);
  if (v.type != CLQL_GGUF_ARRAY) {
    if (clql_gguf_value_uint(&v, out) != CLQL_SUCCESS)
      return clql_fail(CLQL_ERR_PARSE, "metadata key %s: not a whole number", full);
    return CLQL_SUCCESS;
  }
  if (!per_block || blocks == 0 || v.count != blocks)
    return clql_fail(CLQL_ERR_PARSE, "metadata key %s: an array of %llu (expected a number%s)",
                     full, (unsigned long long)v.count, per_block ? " or one per block" : "");
  uint64_t *values = clql_calloc(blocks, sizeof *values);
  if (!values) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "%s", full);
  uint64_t max = 0;
  for (uint64_t b = 0; b < blocks; b++) {
    clql_gguf_value e;
    if (clql_gguf_array_at(&v, b, &e) != CLQL_SUCCESS ||
        clql_gguf_value_uint(&e, &values[b]) != CLQL_SUCCESS) {
      clql_free(values);
      return clql_fail(CLQL_ERR_PARSE, "metadata key %s: element %llu is not a whole number",
                       full, (unsigned long long)b);
    }
    if (values[b] > max) max = values[b];
  }
  *out = max;
  *per_block = values;
  return CLQL_SUCCESS;
}

/* A key that must be there and not 0 (v: where arch_uint stored it). */
static clql_status required(clql_status st, const char *arch, const char *key,
                            const uint64_t *v) {
  if (st == CLQL_ERR_NOT_FOUND)
    return clql_fail(CLQL_ERR_PARSE, "metadata key %s.%s is missing", arch, key);
  if (st != CLQL_SUCCESS) return st;
  if (*v == 0) return clql_fail(CLQL_ERR_PARSE, "metadata key %s.%s is 0", arch, key);
  return CLQL_SUCCESS;
}

static clql_tensor_kind kind_of(const clql_gguf_tensor_info *t) {
  if (strcmp(t->name, "token_embd.weight") == 0) return CLQL_TENSOR_EMBEDDING;
  if (strcmp(t->name, "output.weight") == 0) return CLQL_TENSOR_OUTPUT;
  if (strstr(t->name, "norm")) return CLQL_TENSOR_NORM;
  return CLQL_TENSOR_OTHER;
}

/* Every tensor of the directory: ternary ones as clql packs them
 * (clql_gguf_layer_create), the others at their size in the file. */
static clql_status gguf_tensors(clql_model *m, const clql_gguf *g, uint64_t *embd_rows,
                                int *has_output) {
  size_t n = 0;
  clql_status st = clql_gguf_tensors(g, NULL, 0, &n);
  clql_gguf_tensor_info *t = st == CLQL_SUCCESS ? clql_calloc(n ? n : 1, sizeof *t) : NULL;
  if (st == CLQL_SUCCESS && !t) st = clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "tensor directory");
  if (st == CLQL_SUCCESS) st = clql_gguf_tensors(g, t, n, &n);
  for (size_t i = 0; st == CLQL_SUCCESS && i < n; i++) {
    clql_tensor_kind kind = kind_of(&t[i]);
    if (kind == CLQL_TENSOR_EMBEDDING) *embd_rows = t[i].dims[1];
    if (kind == CLQL_TENSOR_OUTPUT) *has_output = 1;
    clql_ternary_sizes sz;
    if (t[i].ternary != CLQL_TERNARY_NONE &&
        clql_gguf_import(g, t[i].name, NULL, 0, NULL, 0, &sz) == CLQL_SUCCESS) {
      clql_model_layer l;
      memset(&l, 0, sizeof l);
      clql_strlcpy(l.name, t[i].name, sizeof l.name);
      l.shape = (clql_layer_shape){.n = sz.n, .k = sz.k, .qtype = CLQL_QTYPE_I2S,
                                   .group_size = sz.group_size};
      l.count = 1;
      st = add_ternary(m, &l);
      continue;
    }
    clql_clear_error(); /* a ternary tensor clql cannot import is sized as stored */
    st = add_tensor(m, t[i].name, strlen(t[i].name), kind, t[i].type_name, t[i].bytes,
                    t[i].bytes, 1);
  }
  clql_free(t);
  return st;
}

clql_status clql_model_from_gguf(const clql_gguf *g, clql_model **out) {
  if (!g || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "file or out is NULL");
  *out = NULL;
  clql_model *m;
  clql_status st = model_new(&m);
  if (st != CLQL_SUCCESS) return st;
  clql_model_info *i = &m->info;
  clql_gguf_value v;
  const char *s = NULL;
  size_t len = 0;
  if (clql_gguf_meta_find(g, "general.architecture", &v) != CLQL_SUCCESS ||
      clql_gguf_value_string(&v, &s, &len) != CLQL_SUCCESS || len == 0 || len >= sizeof i->arch)
    st = clql_fail(CLQL_ERR_PARSE, "metadata key general.architecture is missing or not a "
                                   "short string");
  if (st == CLQL_SUCCESS) {
    memcpy(i->arch, s, len);
    i->arch[len] = '\0';
    clql_sanitize(i->arch);
    for (size_t c = 0; c < len && st == CLQL_SUCCESS; c++)
      if (i->arch[c] == '?')
        st = clql_fail(CLQL_ERR_PARSE, "metadata key general.architecture: '%s'", i->arch);
  }
  if (st == CLQL_SUCCESS && clql_gguf_meta_find(g, "general.name", &v) == CLQL_SUCCESS &&
      clql_gguf_value_string(&v, &s, &len) == CLQL_SUCCESS) {
    memcpy(i->name, s, len < sizeof i->name ? len : sizeof i->name - 1);
    clql_sanitize(i->name);
  }
  if (st == CLQL_SUCCESS) clql_clear_error(); /* general.name is optional */
  const char *a = i->arch;
  uint64_t *heads = NULL, *ffn = NULL;
  if (st == CLQL_SUCCESS)
    st = required(arch_uint(g, a, "block_count", 0, &i->layers, NULL), a, "block_count",
                  &i->layers);
  if (st == CLQL_SUCCESS)
    st = required(arch_uint(g, a, "embedding_length", 0, &i->hidden, NULL), a,
                  "embedding_length", &i->hidden);
  if (st == CLQL_SUCCESS)
    st = required(arch_uint(g, a, "feed_forward_length", i->layers, &i->ffn, &ffn), a,
                  "feed_forward_length", &i->ffn);
  if (st == CLQL_SUCCESS)
    st = required(arch_uint(g, a, "attention.head_count", i->layers, &i->heads, &heads), a,
                  "attention.head_count", &i->heads);
  if (st == CLQL_SUCCESS)
    st = required(arch_uint(g, a, "context_length", 0, &i->max_context, NULL), a,
                  "context_length", &i->max_context);
  if (st == CLQL_SUCCESS) {
    st = arch_uint(g, a, "attention.head_count_kv", i->layers, &i->kv_heads, &m->kv_heads);
    if (st == CLQL_ERR_NOT_FOUND) { /* absent: one KV head per query head */
      clql_clear_error();
      i->kv_heads = i->heads;
      st = CLQL_SUCCESS;
      if (heads) {
        m->kv_heads = heads;
        heads = NULL;
      }
    }
  }
  /* GQA: KV heads divide the query heads, layer by layer */
  for (uint64_t b = 0; st == CLQL_SUCCESS && b < i->layers; b++) {
    uint64_t q = heads ? heads[b] : i->heads, kv = m->kv_heads ? m->kv_heads[b] : i->kv_heads;
    if (kv == 0 || kv > q || q % kv)
      st = clql_fail(CLQL_ERR_PARSE, "metadata key %s.attention.head_count_kv: %llu KV heads for "
                                     "%llu heads in block %llu",
                     a, (unsigned long long)kv, (unsigned long long)q, (unsigned long long)b);
  }
  clql_free(heads);
  clql_free(ffn);
  const char *dims[2] = {"attention.key_length", "attention.value_length"};
  uint64_t *dim[2] = {&i->key_length, &i->value_length};
  for (int d = 0; d < 2 && st == CLQL_SUCCESS; d++) {
    st = arch_uint(g, a, dims[d], 0, dim[d], NULL);
    if (st == CLQL_ERR_NOT_FOUND) { /* absent: embedding_length / head_count */
      clql_clear_error();
      st = i->hidden % i->heads
               ? clql_fail(CLQL_ERR_PARSE, "metadata key %s.%s is missing and %s.embedding_length "
                                           "%llu is not a multiple of %s.attention.head_count %llu",
                           a, dims[d], a, (unsigned long long)i->hidden, a,
                           (unsigned long long)i->heads)
               : CLQL_SUCCESS;
      *dim[d] = i->hidden / i->heads;
    }
    if (st == CLQL_SUCCESS && *dim[d] == 0)
      st = clql_fail(CLQL_ERR_PARSE, "metadata key %s.%s is 0", a, dims[d]);
  }
  uint64_t embd_rows = 0;
  int has_output = 0;
  if (st == CLQL_SUCCESS) st = gguf_tensors(m, g, &embd_rows, &has_output);
  i->tied_output = !has_output;
  /* vocab: the key, else the tokenizer's list, else the embedding's rows */
  if (st == CLQL_SUCCESS) {
    st = arch_uint(g, a, "vocab_size", 0, &i->vocab, NULL);
    if (st == CLQL_ERR_NOT_FOUND) {
      clql_clear_error();
      st = CLQL_SUCCESS;
      if (clql_gguf_meta_find(g, "tokenizer.ggml.tokens", &v) == CLQL_SUCCESS &&
          v.type == CLQL_GGUF_ARRAY)
        i->vocab = v.count;
      else
        i->vocab = embd_rows;
      clql_clear_error();
    }
    if (st == CLQL_SUCCESS && i->vocab == 0)
      st = clql_fail(CLQL_ERR_PARSE, "no vocab size: %s.vocab_size, tokenizer.ggml.tokens and "
                                     "token_embd.weight are all missing",
                     a);
    if (st == CLQL_SUCCESS && embd_rows && embd_rows != i->vocab)
      st = clql_fail(CLQL_ERR_PARSE, "%s.vocab_size (or tokenizer.ggml.tokens) says %llu tokens; "
                                     "token_embd.weight has %llu rows",
                     a, (unsigned long long)i->vocab, (unsigned long long)embd_rows);
  }
  /* KV elements per token, block by block */
  uint64_t per_token = 0;
  for (uint64_t b = 0; st == CLQL_SUCCESS && b < i->layers; b++) {
    uint64_t kv = m->kv_heads ? m->kv_heads[b] : i->kv_heads, e;
    if (!clql_mul_u64(kv, i->key_length + i->value_length, &e) ||
        !clql_add_u64(per_token, e, &per_token) || i->key_length + i->value_length < i->key_length)
      st = clql_fail(CLQL_ERR_SIZE_OVERFLOW, "KV elements per token overflow 64 bits");
  }
  i->kv_elements_per_token = per_token;
  if (st != CLQL_SUCCESS) {
    clql_model_destroy(m);
    return st;
  }
  if (!i->name[0]) clql_strlcpy(i->name, i->arch, sizeof i->name);
  *out = m;
  return CLQL_SUCCESS;
}

/* ---- queries ---- */

clql_status clql_model_get_info(const clql_model *model, clql_model_info *out) {
  if (!model || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model or out is NULL");
  *out = model->info;
  return CLQL_SUCCESS;
}

/* Ask the size, then pass the buffer: n entries of `size` bytes from src. */
static clql_status copy_out(const void *src, size_t n, size_t size, void *dst, size_t capacity,
                            size_t *count, const char *what) {
  if (!count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "count is NULL");
  if (!dst && capacity) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "%s is NULL", what);
  *count = n;
  if (!dst) return CLQL_SUCCESS;
  if (n) memcpy(dst, src, (capacity < n ? capacity : n) * size);
  return capacity < n ? clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu %s, room for %zu", n, what,
                                  capacity)
                      : CLQL_SUCCESS;
}

clql_status clql_model_get_tensors(const clql_model *model, clql_model_tensor *tensors,
                                   size_t capacity, size_t *count) {
  if (!model) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model is NULL");
  return copy_out(model->tensors, model->ntensors, sizeof *tensors, tensors, capacity, count,
                  "tensors");
}

clql_status clql_model_get_layers(const clql_model *model, clql_model_layer *layers,
                                  size_t capacity, size_t *count) {
  if (!model) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "model is NULL");
  return copy_out(model->layers, model->nlayers, sizeof *layers, layers, capacity, count,
                  "layers");
}

uint64_t clql_model_kv_heads_at(const clql_model *m, uint64_t block) {
  return m->kv_heads ? m->kv_heads[block] : m->info.kv_heads;
}

const clql_model_layer *clql_model_layers_of(const clql_model *m, size_t *count) {
  *count = m->nlayers;
  return m->layers;
}

const clql_model_tensor *clql_model_tensors_of(const clql_model *m, size_t *count) {
  *count = m->ntensors;
  return m->tensors;
}
