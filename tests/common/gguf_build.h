/* A minimal GGUF writer for tests: valid files to start from, and the raw
 * pieces (counts, lengths, offsets) to corrupt them with. */
#ifndef CLQL_TEST_GGUF_BUILD_H
#define CLQL_TEST_GGUF_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runner.h"

typedef struct {
  uint8_t *p;
  size_t len, cap;
} gb_buf;

static inline void gb_bytes(gb_buf *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    CLQL_REQUIRE(p != NULL);
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, data, n);
  b->len += n;
}

static inline void gb_uint(gb_buf *b, uint64_t v, unsigned bytes) {
  uint8_t le[8];
  for (unsigned i = 0; i < bytes; i++) le[i] = (uint8_t)(v >> (8 * i));
  gb_bytes(b, le, bytes);
}
static inline void gb_u32(gb_buf *b, uint32_t v) { gb_uint(b, v, 4); }
static inline void gb_u64(gb_buf *b, uint64_t v) { gb_uint(b, v, 8); }
static inline void gb_str(gb_buf *b, const char *s) {
  gb_u64(b, strlen(s));
  gb_bytes(b, s, strlen(s));
}
static inline void gb_pad(gb_buf *b, size_t align) {
  static const uint8_t zero[256];
  while (b->len % align) gb_bytes(b, zero, 1);
}

/* Value type ids of the GGUF format. */
enum { GT_U8, GT_I8, GT_U16, GT_I16, GT_U32, GT_I32, GT_F32, GT_BOOL, GT_STR, GT_ARR, GT_U64, GT_I64, GT_F64 };

typedef struct {
  gb_buf meta, infos, data;
  uint64_t n_kv, n_tensors;
  size_t alignment; /* for the data padding and default offsets */
} gguf_builder;

/* Sections of a finished file, for truncation tests. */
typedef struct {
  size_t header_end, meta_end, infos_end, data_start;
} gguf_sections;

static inline void gguf_init(gguf_builder *g) {
  memset(g, 0, sizeof *g);
  g->alignment = 32;
}

static inline void gguf_free(gguf_builder *g) {
  free(g->meta.p);
  free(g->infos.p);
  free(g->data.p);
}

/* A key and type; the caller appends the value to g->meta. */
static inline void gguf_key(gguf_builder *g, const char *key, uint32_t type) {
  gb_str(&g->meta, key);
  gb_u32(&g->meta, type);
  g->n_kv++;
}
static inline void gguf_kv_str(gguf_builder *g, const char *key, const char *value) {
  gguf_key(g, key, GT_STR);
  gb_str(&g->meta, value);
}
static inline void gguf_kv_u32(gguf_builder *g, const char *key, uint32_t value) {
  gguf_key(g, key, GT_U32);
  gb_u32(&g->meta, value);
}

/* A tensor info only, at an explicit offset (for corrupt files). */
static inline void gguf_tensor_info(gguf_builder *g, const char *name, uint32_t type, uint32_t n_dims,
                             const uint64_t *dims, uint64_t offset) {
  gb_str(&g->infos, name);
  gb_u32(&g->infos, n_dims);
  for (uint32_t d = 0; d < n_dims; d++) gb_u64(&g->infos, dims[d]);
  gb_u32(&g->infos, type);
  gb_u64(&g->infos, offset);
  g->n_tensors++;
}

/* A tensor with its data, placed at the next aligned offset. */
static inline void gguf_tensor(gguf_builder *g, const char *name, uint32_t type, uint32_t n_dims,
                        const uint64_t *dims, const void *data, size_t bytes) {
  gb_pad(&g->data, g->alignment);
  gguf_tensor_info(g, name, type, n_dims, dims, g->data.len);
  gb_bytes(&g->data, data, bytes);
}

/* The whole file (malloc'd): header, metadata, infos, padding, data. The last
 * tensor is not padded, so every shorter prefix is a truncated file. */
static inline uint8_t *gguf_finish(const gguf_builder *g, uint32_t version, size_t *len,
                            gguf_sections *sec) {
  gb_buf out = {0};
  gb_bytes(&out, "GGUF", 4);
  gb_u32(&out, version);
  gb_u64(&out, g->n_tensors);
  gb_u64(&out, g->n_kv);
  size_t header_end = out.len;
  gb_bytes(&out, g->meta.p, g->meta.len);
  size_t meta_end = out.len;
  gb_bytes(&out, g->infos.p, g->infos.len);
  size_t infos_end = out.len;
  gb_pad(&out, g->alignment);
  size_t data_start = out.len;
  gb_bytes(&out, g->data.p, g->data.len);
  if (sec) *sec = (gguf_sections){header_end, meta_end, infos_end, data_start};
  *len = out.len;
  return out.p ? out.p : calloc(1, 1);
}

#endif
