/* libFuzzer target for the GGUF reader: parse arbitrary bytes from memory,
 * then use everything a caller can reach (metadata values and nested arrays,
 * the tensor directory, lookups, tensor data, ternary import) and check the
 * reader's promises (memory asked for at most 32 times the file's size plus
 * 64 KiB among them); a broken promise aborts so the fuzzer reports it.
 * Built with -DCLQL_FUZZ=ON (clang); see tests/fuzz/CMakeLists.txt. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "../../lib/internal.h"
#include "../../lib/test_hooks.h"
#include "fuzz.h"


static unsigned sink; /* keeps the reads of tensor data */

static void use_value(const clql_gguf_value *v, int depth) {
  int64_t i;
  uint64_t u;
  double d;
  int b;
  const char *s;
  size_t len;
  EXPECT(depth <= 16);
  if (clql_gguf_value_int(v, &i) == CLQL_SUCCESS) sink += (unsigned)i;
  if (clql_gguf_value_uint(v, &u) == CLQL_SUCCESS) sink += (unsigned)u;
  if (clql_gguf_value_float(v, &d) == CLQL_SUCCESS) sink += d > 0;
  if (clql_gguf_value_bool(v, &b) == CLQL_SUCCESS) EXPECT(b == 0 || b == 1);
  if (clql_gguf_value_string(v, &s, &len) == CLQL_SUCCESS) {
    EXPECT(len == v->count);
    if (len) sink += (unsigned char)s[0] + (unsigned char)s[len - 1];
  }
  if (v->type != CLQL_GGUF_ARRAY) return;
  /* The first and last few elements: enough to reach every layout, fast on
   * long arrays. */
  for (uint64_t k = 0; k < v->count; k++) {
    if (k == 8 && v->count > 16) k = v->count - 8;
    clql_gguf_value e;
    EXPECT(clql_gguf_array_at(v, k, &e) == CLQL_SUCCESS);
    EXPECT(e.type == v->elem_type);
    use_value(&e, depth + 1);
  }
  clql_gguf_value e;
  EXPECT(clql_gguf_array_at(v, v->count, &e) == CLQL_ERR_NOT_FOUND);
}

static void use_tensor(const clql_gguf *g, const clql_gguf_tensor_info *t, size_t size) {
  clql_gguf_tensor_info found;
  EXPECT(clql_gguf_tensor_find(g, t->name, &found) == CLQL_SUCCESS);
  EXPECT(found.offset == t->offset && found.bytes == t->bytes);
  EXPECT(t->offset >= clql_gguf_data_offset(g) && t->offset % clql_gguf_alignment(g) == 0);
  EXPECT(t->offset <= size && t->bytes <= size - t->offset);
  const uint8_t *p = t->data;
  for (uint64_t k = 0; k < t->bytes; k++) sink += p[k];
  clql_ternary_sizes s;
  if (clql_gguf_import(g, t->name, NULL, 0, NULL, 0, &s) != CLQL_SUCCESS) return;
  EXPECT(s.bytes == t->bytes && s.weights == t->elements);
  int8_t *w = malloc(s.weights);
  float *sc = malloc(s.scales * sizeof *sc);
  if (w && sc && clql_gguf_import(g, t->name, w, s.weights, sc, s.scales, NULL) == CLQL_SUCCESS)
    for (uint64_t k = 0; k < s.weights; k++) EXPECT(w[k] >= -1 && w[k] <= 1);
  free(w);
  free(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  clql_gguf *g = NULL;
  /* Memory in proportion to the bytes read, whatever the counts claim. */
  clql_alloc_fault_arm(0, 0);
  clql_status st = clql_gguf_open_memory(data, size, &g);
  clql_alloc_fault_disarm();
  EXPECT(clql_alloc_fault_bytes() <= 32ull * size + (64u << 10));
  if (st != CLQL_SUCCESS) {
    EXPECT(g == NULL && clql_last_error_detail()[0] != '\0');
    return 0;
  }
  uint64_t a = clql_gguf_alignment(g);
  EXPECT(a && (a & (a - 1)) == 0);
  EXPECT(clql_gguf_version(g) == 2 || clql_gguf_version(g) == 3);
  for (size_t i = 0; i < clql_gguf_meta_count(g); i++) {
    const char *key;
    clql_gguf_value v, again;
    EXPECT(clql_gguf_meta_at(g, i, &key, &v) == CLQL_SUCCESS);
    EXPECT(clql_gguf_meta_find(g, key, &again) == CLQL_SUCCESS && again.pos_ == v.pos_);
    use_value(&v, 0);
  }
  size_t n = 0;
  EXPECT(clql_gguf_tensors(g, NULL, 0, &n) == CLQL_SUCCESS);
  clql_gguf_tensor_info *t = calloc(n ? n : 1, sizeof *t);
  if (t && clql_gguf_tensors(g, t, n, &n) == CLQL_SUCCESS)
    for (size_t i = 0; i < n; i++) use_tensor(g, &t[i], size);
  free(t);
  clql_gguf_close(g);
  return 0;
}
