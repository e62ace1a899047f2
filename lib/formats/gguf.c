/* GGUF reader (versions 2 and 3, little-endian); see include/clql/gguf.h.
 *
 * Layout: "GGUF", u32 version, u64 tensor count, u64 metadata count, the
 * metadata (string key, u32 type, value), the tensor infos (string name, u32
 * n_dims, u64 dims[n_dims], u32 type, u64 offset), padding to the alignment,
 * then the tensor data. Strings are u64 length + bytes; arrays are u32
 * element type + u64 count + elements.
 *
 * Every read is bounds-checked against the buffer. Counts are capped by the
 * bytes left divided by the smallest encoding of one item, and nothing is
 * allocated from a count: entries, array slots and names are stored as they
 * are read and checked, and a repeated name fails as soon as it is read, so
 * memory stays within a small multiple of the bytes validated so far (a
 * sparse file claiming 2^26 tensors costs nothing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../internal.h"

#define GGUF_DEFAULT_ALIGNMENT 32u
#define GGUF_MAX_DEPTH 16 /* nested arrays; bounds the recursion */
#define GGUF_MIN_KV 13u   /* u64 key length + u32 type + a 1-byte value */
#define GGUF_MIN_TENSOR 24u /* u64 name length + u32 n_dims + u32 type + u64 offset */
#define GGML_TYPE_I2_S_BITNET 36u

/* Upstream ggml's tensor types (ids, block sizes and block bytes as in the
 * gguf Python package's GGML_QUANT_SIZES). Removed ids (4, 5, 31-33, 36-38)
 * are absent. */
typedef struct {
  uint32_t id;
  const char *name;
  uint32_t block, block_bytes;
} ggml_type_info;

static const ggml_type_info ggml_types[] = {
  {0, "F32", 1, 4},          {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},
  {3, "Q4_1", 32, 20},       {6, "Q5_0", 32, 22},      {7, "Q5_1", 32, 24},
  {8, "Q8_0", 32, 34},       {9, "Q8_1", 32, 40},      {10, "Q2_K", 256, 84},
  {11, "Q3_K", 256, 110},    {12, "Q4_K", 256, 144},   {13, "Q5_K", 256, 176},
  {14, "Q6_K", 256, 210},    {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66},
  {17, "IQ2_XS", 256, 74},   {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50},
  {20, "IQ4_NL", 32, 18},    {21, "IQ3_S", 256, 110},  {22, "IQ2_S", 256, 82},
  {23, "IQ4_XS", 256, 136},  {24, "I8", 1, 1},         {25, "I16", 1, 2},
  {26, "I32", 1, 4},         {27, "I64", 1, 8},        {28, "F64", 1, 8},
  {29, "IQ1_M", 256, 56},    {30, "BF16", 1, 2},       {34, "TQ1_0", 256, 54},
  {35, "TQ2_0", 256, 66},    {39, "MXFP4", 32, 17},    {40, "NVFP4", 64, 36},
  {41, "Q1_0", 128, 18},
};

static const ggml_type_info *ggml_type_find(uint32_t id) {
  for (size_t i = 0; i < sizeof ggml_types / sizeof ggml_types[0]; i++)
    if (ggml_types[i].id == id) return &ggml_types[i];
  return NULL;
}

/* Where an element of a string or array array starts, and (for an array of
 * arrays) where its own elements' slots start. */
typedef struct {
  uint64_t pos, slot;
} value_slot;

typedef struct {
  uint64_t key_off; /* into names until parsing ends, then key points there */
  const char *key;
  clql_gguf_value value;
} kv_entry;

typedef struct {
  uint64_t name_off;
  uint64_t rel_offset; /* as stored: from the start of the data section */
  clql_gguf_tensor_info info;
} tensor_entry;

struct clql_gguf {
  const uint8_t *data;
  uint64_t size;
  void *map;
  size_t map_len;
  uint32_t version;
  uint64_t alignment, data_offset;
  kv_entry *kv; /* grown as entries are read, never sized from a count in the file */
  size_t n_kv, cap_kv;
  tensor_entry *tensors;
  size_t n_tensors, cap_tensors;
  clql_name_index kv_index, tensor_index; /* by key / by name */
  value_slot *slots;
  uint64_t n_slots, cap_slots;
  char *names; /* NUL-terminated keys and tensor names */
  uint64_t names_len, names_cap;
};

const char *clql_gguf_type_name(clql_gguf_type type) {
  static const char *const names[] = {"uint8",   "int8",  "uint16", "int16", "uint32",
                                      "int32",   "float32", "bool", "string", "array",
                                      "uint64",  "int64", "float64"};
  if ((int)type < 0 || type >= CLQL_GGUF_TYPE_COUNT_) return "unknown";
  return names[type];
}

/* Bytes of a fixed-size value type; 0 for string and array. */
static uint64_t fixed_size(uint32_t type) {
  static const uint8_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  return type < CLQL_GGUF_TYPE_COUNT_ ? sizes[type] : 0;
}

/* Smallest encoding of one value: a string is at least its length, an array
 * at least its element type and count. */
static uint64_t min_size(uint32_t type) {
  return type == CLQL_GGUF_STRING ? 8 : type == CLQL_GGUF_ARRAY ? 12 : fixed_size(type);
}

static uint64_t load_le(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* ---- parsing ---- */

typedef struct {
  clql_gguf *g;
  uint64_t pos;
  uint64_t claimed_kv, claimed_tensors; /* the header's counts */
  char where[192]; /* the item being parsed, for error details */
} reader;

/* A printable, bounded copy of untrusted text for a detail message. */
static void printable(const uint8_t *s, uint64_t len, char *out, size_t size) {
  size_t n = 0;
  for (uint64_t i = 0; i < len && n + 4 < size; i++) {
    unsigned char c = s[i];
    out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  if (len > n && n + 4 <= size) out[n++] = '.', out[n++] = '.', out[n++] = '.';
  out[n] = '\0';
}

static clql_status need(reader *r, uint64_t n, const char *field) {
  if (n <= r->g->size - r->pos) return CLQL_SUCCESS;
  return clql_fail(CLQL_ERR_PARSE, "%s: %s needs %llu bytes at offset %llu, past the end of the file (%llu bytes)",
                   r->where, field, (unsigned long long)n, (unsigned long long)r->pos,
                   (unsigned long long)r->g->size);
}

static clql_status read_uint(reader *r, unsigned bytes, const char *field, uint64_t *out) {
  clql_status st = need(r, bytes, field);
  if (st != CLQL_SUCCESS) return st;
  *out = load_le(r->g->data + r->pos, bytes);
  r->pos += bytes;
  return CLQL_SUCCESS;
}

/* A string's payload position and length; its bytes are in the buffer. */
static clql_status read_string(reader *r, const char *field, uint64_t *pos, uint64_t *len) {
  clql_status st = read_uint(r, 8, field, len);
  if (st != CLQL_SUCCESS) return st;
  if (*len > r->g->size - r->pos)
    return clql_fail(CLQL_ERR_PARSE, "%s: %s length %llu runs past the end of the file (%llu bytes left)",
                     r->where, field, (unsigned long long)*len,
                     (unsigned long long)(r->g->size - r->pos));
  *pos = r->pos;
  r->pos += *len;
  return CLQL_SUCCESS;
}

/* Copy a key or tensor name into the names arena, NUL-terminated. Embedded
 * NULs are rejected so lookups by C string are exact. */
static clql_status add_name(reader *r, uint64_t pos, uint64_t len, const char *field,
                            uint64_t *off) {
  clql_gguf *g = r->g;
  if (memchr(g->data + pos, 0, (size_t)len))
    return clql_fail(CLQL_ERR_PARSE, "%s: %s contains a NUL byte", r->where, field);
  uint64_t need_len;
  if (!clql_add_u64(g->names_len, len + 1, &need_len))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%s: names overflow", r->where);
  if (need_len > g->names_cap) {
    uint64_t cap = g->names_cap ? g->names_cap : 256;
    while (cap < need_len) {
      if (!clql_mul_u64(cap, 2, &cap)) return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "names overflow");
    }
    size_t bytes;
    if (!clql_to_size(cap, &bytes)) return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "names overflow");
    char *p = clql_realloc(g->names, bytes);
    if (!p) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "%llu bytes of names", (unsigned long long)cap);
    g->names = p;
    g->names_cap = cap;
  }
  memcpy(g->names + g->names_len, g->data + pos, (size_t)len);
  g->names[g->names_len + len] = '\0';
  *off = g->names_len;
  g->names_len = need_len;
  return CLQL_SUCCESS;
}

static clql_status reserve_slots(reader *r, uint64_t count, uint64_t *first) {
  clql_gguf *g = r->g;
  uint64_t total;
  if (!clql_add_u64(g->n_slots, count, &total))
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%s: array index overflows", r->where);
  if (total > g->cap_slots) {
    uint64_t cap = g->cap_slots > 32 ? g->cap_slots : 32, bytes64;
    while (cap < total) {
      if (!clql_mul_u64(cap, 2, &cap)) return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "array index overflows");
    }
    size_t bytes;
    if (!clql_mul_u64(cap, sizeof(value_slot), &bytes64) || !clql_to_size(bytes64, &bytes))
      return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%s: array index overflows", r->where);
    value_slot *p = clql_realloc(g->slots, bytes);
    if (!p) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "array index of %llu entries", (unsigned long long)cap);
    g->slots = p;
    g->cap_slots = cap;
  }
  *first = g->n_slots;
  g->n_slots = total;
  return CLQL_SUCCESS;
}

/* Check the value at r->pos and move past it. With record, also fill *v
 * and the slots of its string and array elements, which are reserved only
 * once every element has been checked: memory follows the bytes validated,
 * not a count in the file. */
static clql_status parse_value(reader *r, uint32_t type, int depth, int record,
                               clql_gguf_value *v) {
  clql_gguf *g = r->g;
  memset(v, 0, sizeof *v);
  v->type = (clql_gguf_type)type;
  v->owner_ = g;
  if (type == CLQL_GGUF_STRING) return read_string(r, "string", &v->pos_, &v->count);
  if (type != CLQL_GGUF_ARRAY) {
    uint64_t size = fixed_size(type);
    clql_status st = need(r, size, clql_gguf_type_name((clql_gguf_type)type));
    if (st != CLQL_SUCCESS) return st;
    if (type == CLQL_GGUF_BOOL && g->data[r->pos] > 1)
      return clql_fail(CLQL_ERR_PARSE, "%s: bool value %u at offset %llu is neither 0 nor 1",
                       r->where, g->data[r->pos], (unsigned long long)r->pos);
    v->pos_ = r->pos;
    r->pos += size;
    return CLQL_SUCCESS;
  }
  if (depth >= GGUF_MAX_DEPTH)
    return clql_fail(CLQL_ERR_PARSE, "%s: arrays nested deeper than %d", r->where, GGUF_MAX_DEPTH);
  uint64_t elem_type, count;
  clql_status st = read_uint(r, 4, "array element type", &elem_type);
  if (st != CLQL_SUCCESS) return st;
  if (elem_type >= CLQL_GGUF_TYPE_COUNT_)
    return clql_fail(CLQL_ERR_PARSE, "%s: unknown array element type %llu", r->where,
                     (unsigned long long)elem_type);
  st = read_uint(r, 8, "array count", &count);
  if (st != CLQL_SUCCESS) return st;
  uint64_t left = g->size - r->pos;
  if (count > left / min_size((uint32_t)elem_type))
    return clql_fail(CLQL_ERR_PARSE, "%s: array of %llu %s elements cannot fit in the %llu bytes left",
                     r->where, (unsigned long long)count,
                     clql_gguf_type_name((clql_gguf_type)elem_type), (unsigned long long)left);
  v->elem_type = (clql_gguf_type)elem_type;
  v->count = count;
  v->pos_ = r->pos;
  uint64_t size = fixed_size((uint32_t)elem_type);
  if (size) {
    if (elem_type == CLQL_GGUF_BOOL) {
      for (uint64_t i = 0; i < count; i++)
        if (g->data[r->pos + i] > 1)
          return clql_fail(CLQL_ERR_PARSE, "%s: bool element %llu is %u, neither 0 nor 1",
                           r->where, (unsigned long long)i, g->data[r->pos + i]);
    }
    r->pos += count * size; /* count <= left / size */
    return CLQL_SUCCESS;
  }
  const uint64_t start = r->pos;
  clql_gguf_value e;
  for (uint64_t i = 0; i < count; i++)
    if ((st = parse_value(r, (uint32_t)elem_type, depth + 1, 0, &e)) != CLQL_SUCCESS) return st;
  if (!record) return CLQL_SUCCESS;
  r->pos = start;
  st = reserve_slots(r, count, &v->slot_);
  for (uint64_t i = 0; st == CLQL_SUCCESS && i < count; i++) {
    st = parse_value(r, (uint32_t)elem_type, depth + 1, 1, &e);
    if (st == CLQL_SUCCESS) g->slots[v->slot_ + i] = (value_slot){e.pos_, e.slot_};
  }
  return st;
}

/* Sorting by offset: qsort has no context argument, so the offsets are
 * copied next to the indices (no shared state, so opening is thread-safe). */
typedef struct {
  uint64_t offset;
  size_t index;
} sort_item;

static int cmp_offset(const void *a, const void *b) {
  uint64_t x = ((const sort_item *)a)->offset, y = ((const sort_item *)b)->offset;
  return x < y ? -1 : x > y;
}

static const char *kv_name(const void *user, size_t i) {
  const clql_gguf *g = user;
  return g->names + g->kv[i].key_off;
}

static const char *tensor_name(const void *user, size_t i) {
  const clql_gguf *g = user;
  return g->names + g->tensors[i].name_off;
}

/* Indices 0..n-1 of the tensors in the order of their offsets. */
static clql_status sorted_by_offset(const clql_gguf *g, size_t **out) {
  size_t n = g->n_tensors;
  sort_item *items = clql_calloc(n ? n : 1, sizeof *items);
  size_t *idx = clql_calloc(n ? n : 1, sizeof *idx);
  if (!items || !idx) {
    clql_free(items);
    clql_free(idx);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "index of %zu entries", n);
  }
  for (size_t i = 0; i < n; i++) items[i] = (sort_item){g->tensors[i].rel_offset, i};
  qsort(items, n, sizeof *items, cmp_offset);
  for (size_t i = 0; i < n; i++) idx[i] = items[i].index;
  clql_free(items);
  *out = idx;
  return CLQL_SUCCESS;
}

/* A printable copy of a key or name (from the file) for detail messages. */
static const char *shown(const char *s, char *buf, size_t size) {
  printable((const uint8_t *)s, strlen(s), buf, size);
  return buf;
}

static clql_status parse_header(reader *r) {
  clql_gguf *g = r->g;
  snprintf(r->where, sizeof r->where, "header");
  clql_status st = need(r, 4, "magic");
  if (st != CLQL_SUCCESS) return st;
  if (memcmp(g->data, "GGUF", 4) != 0)
    return clql_fail(CLQL_ERR_PARSE, "header: magic is not \"GGUF\"");
  r->pos = 4;
  uint64_t version, n_tensors, n_kv;
  if ((st = read_uint(r, 4, "version", &version)) != CLQL_SUCCESS) return st;
  if (version == 0x02000000u || version == 0x03000000u)
    return clql_fail(CLQL_ERR_UNSUPPORTED, "header: big-endian GGUF is not supported");
  if (version != 2 && version != 3)
    return clql_fail(CLQL_ERR_UNSUPPORTED, "header: GGUF version %llu (clql reads 2 and 3)",
                     (unsigned long long)version);
  g->version = (uint32_t)version;
  if ((st = read_uint(r, 8, "tensor count", &n_tensors)) != CLQL_SUCCESS) return st;
  if ((st = read_uint(r, 8, "metadata count", &n_kv)) != CLQL_SUCCESS) return st;
  uint64_t left = g->size - r->pos;
  if (n_kv > left / GGUF_MIN_KV || n_tensors > left / GGUF_MIN_TENSOR ||
      n_kv * GGUF_MIN_KV + n_tensors * GGUF_MIN_TENSOR > left)
    return clql_fail(CLQL_ERR_PARSE, "header: %llu tensors and %llu metadata entries cannot fit in the %llu bytes left",
                     (unsigned long long)n_tensors, (unsigned long long)n_kv,
                     (unsigned long long)left);
  /* Nothing is allocated from these counts: a sparse file can claim 2^26
   * tensors whose bytes are all zeros. Entries are stored as they are read. */
  r->claimed_kv = n_kv;
  r->claimed_tensors = n_tensors;
  return CLQL_SUCCESS;
}

/* Room for entry n of an array grown as entries are read (doubling, so the
 * bytes allocated stay within twice what the entries read need). */
static clql_status grow(void **items, size_t *cap, size_t n, size_t size, const char *what) {
  if (n < *cap) return CLQL_SUCCESS;
  size_t c = *cap ? *cap * 2 : 16;
  if (c > SIZE_MAX / size) return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "%s: too many entries", what);
  void *p = clql_realloc(*items, c * size);
  if (!p) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "%s: %zu entries", what, c);
  *items = p;
  *cap = c;
  return CLQL_SUCCESS;
}

/* Item i of a section starts with its key or name: copy it to the arena,
 * name the item in r->where ("metadata #3 'general.name'") and index it; a
 * name seen before fails at once, before the rest of the directory is read. */
static clql_status read_name(reader *r, const char *section, size_t i, const char *field,
                             uint64_t *off, clql_name_index *index, clql_name_fn name_of,
                             const char *what) {
  snprintf(r->where, sizeof r->where, "%s #%zu", section, i);
  uint64_t pos, len;
  clql_status st = read_string(r, field, &pos, &len);
  if (st == CLQL_SUCCESS) st = add_name(r, pos, len, field, off);
  if (st != CLQL_SUCCESS) return st;
  char name[80];
  printable(r->g->data + pos, len, name, sizeof name);
  snprintf(r->where, sizeof r->where, "%s #%zu '%s'", section, i, name);
  size_t earlier;
  int added = clql_name_index_add(index, r->g->names + *off, i, name_of, r->g, &earlier);
  if (added < 0) return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "%s: name index", r->where);
  if (!added)
    return clql_fail(CLQL_ERR_PARSE, "%s '%s' appears twice (#%zu and #%zu)", what, name, earlier,
                     i);
  return CLQL_SUCCESS;
}

static clql_status parse_metadata(reader *r) {
  clql_gguf *g = r->g;
  for (size_t i = 0; i < r->claimed_kv; i++) {
    clql_status st = grow((void **)&g->kv, &g->cap_kv, i, sizeof *g->kv, "metadata");
    if (st != CLQL_SUCCESS) return st;
    kv_entry *e = &g->kv[i];
    memset(e, 0, sizeof *e);
    g->n_kv = i + 1; /* the index reads its name */
    uint64_t type;
    st = read_name(r, "metadata", i, "key", &e->key_off, &g->kv_index, kv_name, "metadata: key");
    if (st != CLQL_SUCCESS) return st;
    if ((st = read_uint(r, 4, "value type", &type)) != CLQL_SUCCESS) return st;
    if (type >= CLQL_GGUF_TYPE_COUNT_)
      return clql_fail(CLQL_ERR_PARSE, "%s: unknown value type %llu", r->where,
                       (unsigned long long)type);
    if ((st = parse_value(r, (uint32_t)type, 0, 1, &e->value)) != CLQL_SUCCESS) return st;
  }
  return CLQL_SUCCESS;
}

static clql_status parse_tensor_infos(reader *r) {
  clql_gguf *g = r->g;
  for (size_t i = 0; i < r->claimed_tensors; i++) {
    clql_status st = grow((void **)&g->tensors, &g->cap_tensors, i, sizeof *g->tensors,
                          "tensor info");
    if (st != CLQL_SUCCESS) return st;
    tensor_entry *t = &g->tensors[i];
    memset(t, 0, sizeof *t);
    g->n_tensors = i + 1;
    uint64_t n_dims, type;
    st = read_name(r, "tensor info", i, "name", &t->name_off, &g->tensor_index, tensor_name,
                   "tensor info: name");
    if (st != CLQL_SUCCESS) return st;
    if ((st = read_uint(r, 4, "n_dims", &n_dims)) != CLQL_SUCCESS) return st;
    if (n_dims > CLQL_GGUF_MAX_DIMS)
      return clql_fail(CLQL_ERR_PARSE, "%s: %llu dimensions (at most %d)", r->where,
                       (unsigned long long)n_dims, CLQL_GGUF_MAX_DIMS);
    t->info.n_dims = (uint32_t)n_dims;
    uint64_t elements = 1;
    for (unsigned d = 0; d < CLQL_GGUF_MAX_DIMS; d++) {
      uint64_t dim = 1;
      if (d < n_dims && (st = read_uint(r, 8, "dimension", &dim)) != CLQL_SUCCESS) return st;
      if (dim > (uint64_t)INT64_MAX)
        return clql_fail(CLQL_ERR_PARSE, "%s: dimension %u is %llu (ggml sizes are signed 64-bit)",
                         r->where, d, (unsigned long long)dim);
      if (!clql_mul_u64(elements, dim, &elements) || elements > (uint64_t)INT64_MAX)
        return clql_fail(CLQL_ERR_PARSE, "%s: element count overflows 64 bits", r->where);
      t->info.dims[d] = dim;
    }
    t->info.elements = elements;
    if ((st = read_uint(r, 4, "type", &type)) != CLQL_SUCCESS) return st;
    t->info.type_id = (uint32_t)type;
    if ((st = read_uint(r, 8, "offset", &t->rel_offset)) != CLQL_SUCCESS) return st;
  }
  return CLQL_SUCCESS;
}

static const kv_entry *kv_find(const clql_gguf *g, const char *key) {
  size_t i = clql_name_index_find(&g->kv_index, key, kv_name, g);
  return i == SIZE_MAX ? NULL : &g->kv[i];
}

static clql_status parse_alignment(clql_gguf *g) {
  g->alignment = GGUF_DEFAULT_ALIGNMENT;
  const kv_entry *e = kv_find(g, "general.alignment");
  if (!e) return CLQL_SUCCESS;
  if (e->value.type != CLQL_GGUF_UINT32)
    return clql_fail(CLQL_ERR_PARSE, "metadata 'general.alignment': type %s, expected uint32",
                     clql_gguf_type_name(e->value.type));
  uint64_t a = load_le(g->data + e->value.pos_, 4);
  if (a == 0 || (a & (a - 1)) != 0)
    return clql_fail(CLQL_ERR_PARSE, "metadata 'general.alignment': %llu is not a power of two",
                     (unsigned long long)a);
  g->alignment = a;
  return CLQL_SUCCESS;
}

/* Whether the file comes from bitnet.cpp's converter (see gguf.h). */
static int is_bitnet_file(const clql_gguf *g, char *arch, size_t arch_size) {
  const kv_entry *e = kv_find(g, "general.architecture");
  snprintf(arch, arch_size, "(none)");
  if (!e || e->value.type != CLQL_GGUF_STRING) return 0;
  const uint8_t *s = g->data + e->value.pos_;
  uint64_t n = e->value.count;
  printable(s, n, arch, arch_size);
  return (n == 6 && memcmp(s, "bitnet", 6) == 0) || (n == 12 && memcmp(s, "bitnet-b1.58", 12) == 0);
}

/* Type name, ternary format and byte size of tensor t (`name` is printable);
 * `extent` is the room up to the next tensor or the end of the data, used
 * only to confirm I2_S. */
static clql_status resolve_type(const clql_gguf *g, tensor_entry *t, const char *name, int bitnet,
                                const char *arch, uint64_t extent) {
  clql_gguf_tensor_info *info = &t->info;
  uint32_t id = info->type_id;
  if (bitnet && id == GGML_TYPE_I2_S_BITNET) {
    clql_ternary_sizes s = {0};
    int ok = info->dims[2] == 1 && info->dims[3] == 1 &&
             clql_ternary_format_bytes(CLQL_TERNARY_I2_S, info->dims[1], info->dims[0], &s) ==
                 CLQL_SUCCESS;
    if (ok) { /* the writer pads each tensor to the alignment, and no more */
      uint64_t padded = clql_round_up_u64(s.bytes, g->alignment, &ok);
      ok = ok && extent >= s.bytes && extent <= padded;
    }
    if (!ok)
      return clql_fail(CLQL_ERR_UNSUPPORTED,
                       "tensor '%s': type id 36 in a bitnet file, but shape %llu x %llu with %llu "
                       "bytes of room is not I2_S (2-D, K %% 128 == 0, N*K/4 + 32 bytes)",
                       name, (unsigned long long)info->dims[0], (unsigned long long)info->dims[1],
                       (unsigned long long)extent);
    info->type_name = "I2_S";
    info->ternary = CLQL_TERNARY_I2_S;
    info->bytes = s.bytes;
    return CLQL_SUCCESS;
  }
  if (bitnet && id >= 37 && id <= 39) {
    static const char *const fork_names[] = {"I8_S", "TL1", "TL2"};
    return clql_fail(CLQL_ERR_UNSUPPORTED,
                     "tensor '%s': type id %u is bitnet.cpp's %s in a bitnet file; clql reads "
                     "I2_S, TQ1_0 and TQ2_0",
                     name, id, fork_names[id - 37]);
  }
  const ggml_type_info *ti = ggml_type_find(id);
  if (!ti) {
    if (id == GGML_TYPE_I2_S_BITNET)
      return clql_fail(CLQL_ERR_UNSUPPORTED,
                       "tensor '%s': type id 36 is I2_S only in bitnet.cpp files "
                       "(general.architecture 'bitnet' or 'bitnet-b1.58'); this file's is '%s'",
                       name, arch);
    return clql_fail(CLQL_ERR_UNSUPPORTED, "tensor '%s': unknown ggml type id %u", name, id);
  }
  if (info->dims[0] % ti->block)
    return clql_fail(CLQL_ERR_PARSE,
                     "tensor '%s': row length %llu is not a multiple of the %s block (%u)", name,
                     (unsigned long long)info->dims[0], ti->name, ti->block);
  uint64_t bytes = info->dims[0] / ti->block * ti->block_bytes;
  for (unsigned d = 1; d < CLQL_GGUF_MAX_DIMS; d++)
    if (!clql_mul_u64(bytes, info->dims[d], &bytes))
      return clql_fail(CLQL_ERR_PARSE, "tensor '%s': byte size overflows 64 bits", name);
  info->type_name = ti->name;
  info->ternary = id == 34 ? CLQL_TERNARY_TQ1_0 : id == 35 ? CLQL_TERNARY_TQ2_0 : CLQL_TERNARY_NONE;
  info->bytes = bytes;
  return CLQL_SUCCESS;
}

/* Resolve every tensor's type and size, then check that each lies inside the
 * data section, at an aligned offset, and overlaps no other. */
static clql_status place_tensors(reader *r) {
  clql_gguf *g = r->g;
  char arch[80];
  int bitnet = is_bitnet_file(g, arch, sizeof arch);
  int ok = 1;
  g->data_offset = clql_round_up_u64(r->pos, g->alignment, &ok);
  if (!ok) return clql_fail(CLQL_ERR_PARSE, "tensor data: start offset overflows");
  if (g->n_tensors == 0) return CLQL_SUCCESS;
  if (g->data_offset > g->size)
    return clql_fail(CLQL_ERR_PARSE,
                     "tensor data: section starts at %llu, past the end of the file (%llu bytes)",
                     (unsigned long long)g->data_offset, (unsigned long long)g->size);
  uint64_t data_size = g->size - g->data_offset;
  size_t *order = NULL;
  clql_status st = sorted_by_offset(g, &order);
  if (st != CLQL_SUCCESS) return st;
  uint64_t prev_end = 0;
  char name[80], prev_name[80] = "";
  size_t next = 0; /* the first tensor in order at a larger offset: linear, not quadratic */
  for (size_t i = 0; i < g->n_tensors && st == CLQL_SUCCESS; i++) {
    tensor_entry *t = &g->tensors[order[i]];
    shown(g->names + t->name_off, name, sizeof name);
    uint64_t off = t->rel_offset, extent = data_size > off ? data_size - off : 0;
    while (next < g->n_tensors && (next <= i || g->tensors[order[next]].rel_offset <= off)) next++;
    if (next < g->n_tensors) extent = g->tensors[order[next]].rel_offset - off;
    if (off % g->alignment) {
      st = clql_fail(CLQL_ERR_PARSE, "tensor '%s': offset %llu is not a multiple of the alignment %llu",
                     name, (unsigned long long)off, (unsigned long long)g->alignment);
    } else if ((st = resolve_type(g, t, name, bitnet, arch, extent)) != CLQL_SUCCESS) {
      /* the detail is set */
    } else if (off > data_size || t->info.bytes > data_size - off) {
      st = clql_fail(CLQL_ERR_PARSE,
                     "tensor '%s': data at %llu + %llu bytes runs past the end of the file "
                     "(data section of %llu bytes)",
                     name, (unsigned long long)off, (unsigned long long)t->info.bytes,
                     (unsigned long long)data_size);
    } else if (t->info.bytes && off < prev_end) {
      st = clql_fail(CLQL_ERR_PARSE, "tensors '%s' and '%s' overlap", prev_name, name);
    } else {
      t->info.offset = g->data_offset + off;
      t->info.data = g->data + t->info.offset;
      if (t->info.bytes) {
        prev_end = off + t->info.bytes;
        memcpy(prev_name, name, sizeof name);
      }
    }
  }
  clql_free(order);
  return st;
}

static clql_status parse(clql_gguf *g) {
  reader r = {.g = g};
  clql_status st;
  if ((st = parse_header(&r)) != CLQL_SUCCESS || (st = parse_metadata(&r)) != CLQL_SUCCESS ||
      (st = parse_alignment(g)) != CLQL_SUCCESS || (st = parse_tensor_infos(&r)) != CLQL_SUCCESS ||
      (st = place_tensors(&r)) != CLQL_SUCCESS)
    return st;
  for (size_t i = 0; i < g->n_kv; i++) g->kv[i].key = g->names + g->kv[i].key_off;
  for (size_t i = 0; i < g->n_tensors; i++) g->tensors[i].info.name = g->names + g->tensors[i].name_off;
  return CLQL_SUCCESS;
}

/* ---- open / close ---- */

void clql_gguf_close(clql_gguf *g) {
  if (!g) return;
  if (g->map) munmap(g->map, g->map_len);
  clql_free(g->kv);
  clql_free(g->tensors);
  clql_name_index_free(&g->kv_index);
  clql_name_index_free(&g->tensor_index);
  clql_free(g->slots);
  clql_free(g->names);
  clql_free(g);
}

static clql_status open_buffer(const void *data, uint64_t size, void *map, size_t map_len,
                               clql_gguf **out) {
  clql_gguf *g = clql_calloc(1, sizeof *g);
  if (!g) {
    if (map) munmap(map, map_len);
    return clql_fail(CLQL_ERR_OUT_OF_HOST_MEMORY, "GGUF handle");
  }
  g->data = data;
  g->size = size;
  g->map = map;
  g->map_len = map_len;
  clql_status st = parse(g);
  if (st != CLQL_SUCCESS) {
    clql_gguf_close(g);
    return st;
  }
  *out = g;
  return CLQL_SUCCESS;
}

clql_status clql_gguf_open_memory(const void *data, size_t size, clql_gguf **out) {
  if (!out || (!data && size)) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "data or output is NULL");
  *out = NULL;
  static const uint8_t empty[1];
  return open_buffer(data ? data : empty, size, NULL, 0, out);
}

clql_status clql_gguf_open(const char *path, clql_gguf **out) {
  if (!path || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "path or output is NULL");
  *out = NULL;
  uint64_t file_size;
  const char *why;
  int fd = clql_open_regular(path, &file_size, &why);
  if (fd < 0) return clql_fail(CLQL_ERR_IO, "cannot open '%s': %s", path, why);
  size_t len;
  if (!clql_to_size(file_size, &len)) {
    close(fd);
    return clql_fail(CLQL_ERR_SIZE_OVERFLOW, "'%s' is larger than the address space", path);
  }
  void *map = NULL;
  if (len) {
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      close(fd);
      return clql_fail(CLQL_ERR_IO, "cannot map '%s' (%zu bytes)", path, len);
    }
  }
  close(fd);
  static const uint8_t empty[1];
  return open_buffer(map ? map : empty, len, map, len, out);
}

uint32_t clql_gguf_version(const clql_gguf *g) { return g ? g->version : 0; }
uint64_t clql_gguf_alignment(const clql_gguf *g) { return g ? g->alignment : 0; }
uint64_t clql_gguf_data_offset(const clql_gguf *g) { return g ? g->data_offset : 0; }

/* ---- metadata access ---- */

size_t clql_gguf_meta_count(const clql_gguf *g) { return g ? g->n_kv : 0; }

clql_status clql_gguf_meta_at(const clql_gguf *g, size_t index, const char **key,
                              clql_gguf_value *value) {
  if (!g) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "handle is NULL");
  if (index >= g->n_kv)
    return clql_fail(CLQL_ERR_NOT_FOUND, "metadata index %zu (the file has %zu)", index, g->n_kv);
  if (key) *key = g->kv[index].key;
  if (value) *value = g->kv[index].value;
  return CLQL_SUCCESS;
}

clql_status clql_gguf_meta_find(const clql_gguf *g, const char *key, clql_gguf_value *value) {
  if (!g || !key) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "handle or key is NULL");
  const kv_entry *e = kv_find(g, key);
  if (!e) return clql_fail(CLQL_ERR_NOT_FOUND, "no metadata key '%s'", key);
  if (value) *value = e->value;
  return CLQL_SUCCESS;
}

static clql_status value_check(const clql_gguf_value *v, const void *out) {
  if (!v || !v->owner_ || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "value or output is NULL");
  return CLQL_SUCCESS;
}

static clql_status wrong_type(const clql_gguf_value *v, const char *wanted) {
  return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "value has type %s, not %s",
                   clql_gguf_type_name(v->type), wanted);
}

/* An integer value as magnitude and sign; 0 when v is not an integer type. */
static int integer_of(const clql_gguf_value *v, uint64_t *mag, int *negative) {
  static const signed char width[] = {1, -1, 2, -2, 4, -4, 0, 0, 0, 0, 8, -8, 0};
  if ((int)v->type < 0 || v->type >= CLQL_GGUF_TYPE_COUNT_ || !width[v->type]) return 0;
  int w = width[v->type];
  unsigned bytes = (unsigned)(w < 0 ? -w : w);
  uint64_t raw = load_le(v->owner_->data + v->pos_, bytes);
  *negative = 0;
  *mag = raw;
  if (w < 0 && (raw >> (8 * bytes - 1)) & 1) { /* sign-extend, then take the magnitude */
    uint64_t ext = bytes == 8 ? raw : raw | ~((UINT64_C(1) << (8 * bytes)) - 1);
    *negative = 1;
    *mag = ~ext + 1;
  }
  return 1;
}

clql_status clql_gguf_value_int(const clql_gguf_value *v, int64_t *out) {
  clql_status st = value_check(v, out);
  if (st != CLQL_SUCCESS) return st;
  uint64_t mag;
  int neg;
  if (!integer_of(v, &mag, &neg)) return wrong_type(v, "an integer");
  if (!neg && mag > (uint64_t)INT64_MAX)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "value %llu does not fit int64", (unsigned long long)mag);
  *out = neg ? (mag == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
  return CLQL_SUCCESS;
}

clql_status clql_gguf_value_uint(const clql_gguf_value *v, uint64_t *out) {
  clql_status st = value_check(v, out);
  if (st != CLQL_SUCCESS) return st;
  uint64_t mag;
  int neg;
  if (!integer_of(v, &mag, &neg)) return wrong_type(v, "an integer");
  if (neg) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "value -%llu is negative", (unsigned long long)mag);
  *out = mag;
  return CLQL_SUCCESS;
}

clql_status clql_gguf_value_float(const clql_gguf_value *v, double *out) {
  clql_status st = value_check(v, out);
  if (st != CLQL_SUCCESS) return st;
  const uint8_t *p = v->owner_->data + v->pos_;
  if (v->type == CLQL_GGUF_FLOAT32) {
    uint32_t bits = (uint32_t)load_le(p, 4);
    float f;
    memcpy(&f, &bits, sizeof f);
    *out = f;
  } else if (v->type == CLQL_GGUF_FLOAT64) {
    uint64_t bits = load_le(p, 8);
    memcpy(out, &bits, sizeof *out);
  } else {
    return wrong_type(v, "a float");
  }
  return CLQL_SUCCESS;
}

clql_status clql_gguf_value_bool(const clql_gguf_value *v, int *out) {
  clql_status st = value_check(v, out);
  if (st != CLQL_SUCCESS) return st;
  if (v->type != CLQL_GGUF_BOOL) return wrong_type(v, "bool");
  *out = v->owner_->data[v->pos_] != 0;
  return CLQL_SUCCESS;
}

clql_status clql_gguf_value_string(const clql_gguf_value *v, const char **data, size_t *length) {
  clql_status st = value_check(v, data);
  if (st != CLQL_SUCCESS) return st;
  if (v->type != CLQL_GGUF_STRING) return wrong_type(v, "string");
  *data = (const char *)v->owner_->data + v->pos_;
  if (length) *length = (size_t)v->count; /* within the buffer, so it fits size_t */
  return CLQL_SUCCESS;
}

clql_status clql_gguf_array_at(const clql_gguf_value *a, uint64_t index, clql_gguf_value *e) {
  clql_status st = value_check(a, e);
  if (st != CLQL_SUCCESS) return st;
  if (a->type != CLQL_GGUF_ARRAY) return wrong_type(a, "array");
  if (index >= a->count)
    return clql_fail(CLQL_ERR_NOT_FOUND, "array index %llu (the array has %llu)",
                     (unsigned long long)index, (unsigned long long)a->count);
  const clql_gguf *g = a->owner_;
  clql_gguf_value v = {.type = a->elem_type, .owner_ = g};
  uint64_t size = fixed_size(a->elem_type);
  if (size) {
    v.pos_ = a->pos_ + index * size;
  } else { /* positions recorded at parse time; headers were checked then */
    value_slot s = g->slots[a->slot_ + index];
    v.pos_ = s.pos;
    v.count = load_le(g->data + s.pos - 8, 8);
    if (a->elem_type == CLQL_GGUF_ARRAY) {
      v.elem_type = (clql_gguf_type)load_le(g->data + s.pos - 12, 4);
      v.slot_ = s.slot;
    }
  }
  *e = v;
  return CLQL_SUCCESS;
}

/* ---- tensors ---- */

clql_status clql_gguf_tensors(const clql_gguf *g, clql_gguf_tensor_info *tensors, size_t capacity,
                              size_t *count) {
  if (!g || !count) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "handle or count is NULL");
  *count = g->n_tensors;
  if (!tensors) return CLQL_SUCCESS;
  size_t n = capacity < g->n_tensors ? capacity : g->n_tensors;
  for (size_t i = 0; i < n; i++) tensors[i] = g->tensors[i].info;
  if (capacity < g->n_tensors)
    return clql_fail(CLQL_ERR_BUFFER_TOO_SMALL, "%zu tensors, room for %zu", g->n_tensors, capacity);
  return CLQL_SUCCESS;
}

clql_status clql_gguf_tensor_find(const clql_gguf *g, const char *name, clql_gguf_tensor_info *out) {
  if (!g || !name || !out) return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "handle, name or output is NULL");
  size_t i = clql_name_index_find(&g->tensor_index, name, tensor_name, g);
  if (i == SIZE_MAX) return clql_fail(CLQL_ERR_NOT_FOUND, "no tensor '%s'", name);
  *out = g->tensors[i].info;
  return CLQL_SUCCESS;
}

clql_status clql_gguf_import(const clql_gguf *g, const char *name, int8_t *weights,
                             size_t weights_capacity, float *scales, size_t scales_capacity,
                             clql_ternary_sizes *sizes) {
  clql_gguf_tensor_info t;
  clql_status st = clql_gguf_tensor_find(g, name, &t);
  if (st != CLQL_SUCCESS) return st;
  if (t.ternary == CLQL_TERNARY_NONE)
    return clql_fail(CLQL_ERR_UNSUPPORTED, "tensor '%s' is %s, not I2_S, TQ1_0 or TQ2_0", name,
                     t.type_name);
  if (t.dims[2] != 1 || t.dims[3] != 1)
    return clql_fail(CLQL_ERR_INVALID_SHAPE, "tensor '%s' has %u dimensions; a layer weight has 2",
                     name, t.n_dims);
  clql_ternary_sizes s;
  if ((st = clql_ternary_format_bytes(t.ternary, t.dims[1], t.dims[0], &s)) != CLQL_SUCCESS) return st;
  if (s.bytes != t.bytes)
    return clql_fail(CLQL_ERR_INTERNAL, "tensor '%s': %llu bytes in the file, %llu expected", name,
                     (unsigned long long)t.bytes, (unsigned long long)s.bytes);
  if (sizes) *sizes = s;
  if (!weights && !scales) return CLQL_SUCCESS;
  return clql_ternary_import(t.ternary, s.n, s.k, t.data, (size_t)t.bytes, weights,
                             weights_capacity, scales, scales_capacity);
}
