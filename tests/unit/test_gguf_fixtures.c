/* clql's GGUF reader and ternary importers against files written by an
 * independent implementation: the `gguf` Python package (llama.cpp's writer
 * and its TQ1_0 / TQ2_0 quantizers), through tests/gguf/make_fixtures.py.
 * The fixtures directory ($CLQL_GGUF_FIXTURES) holds manifest.json with every
 * metadata value written and the values the package dequantizes; clql must
 * reproduce each exactly (t * scale == value, bit for bit). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "../../lib/internal.h"
#include "runner.h"

const int clql_test_needs_device = 0;

static int expect(int ok, const char *what, const char *where) {
  if (!ok) printf("\n  mismatch: %s (%s)\n", what, where);
  CU_ASSERT(ok);
  return ok;
}

static int type_named(const char *name) {
  for (int t = 0; t < CLQL_GGUF_TYPE_COUNT_; t++)
    if (strcmp(name, clql_gguf_type_name((clql_gguf_type)t)) == 0) return t;
  return -1;
}

/* A scalar or string value against its JSON value. */
static void check_scalar(const clql_gguf_value *v, json_t *jv, const char *where) {
  switch (v->type) {
  case CLQL_GGUF_UINT64: {
    uint64_t u = 0;
    CU_ASSERT_EQUAL(clql_gguf_value_uint(v, &u), CLQL_SUCCESS);
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)u);
    expect(json_is_string(jv) && strcmp(json_string_value(jv), text) == 0, "uint64", where);
    break;
  }
  case CLQL_GGUF_UINT8: case CLQL_GGUF_INT8: case CLQL_GGUF_UINT16: case CLQL_GGUF_INT16:
  case CLQL_GGUF_UINT32: case CLQL_GGUF_INT32: case CLQL_GGUF_INT64: {
    int64_t i = 0;
    CU_ASSERT_EQUAL(clql_gguf_value_int(v, &i), CLQL_SUCCESS);
    expect(json_is_integer(jv) && json_integer_value(jv) == i, "integer", where);
    break;
  }
  case CLQL_GGUF_FLOAT32: case CLQL_GGUF_FLOAT64: {
    double d = 0;
    CU_ASSERT_EQUAL(clql_gguf_value_float(v, &d), CLQL_SUCCESS);
    expect(json_is_number(jv) && json_number_value(jv) == d, "float", where);
    break;
  }
  case CLQL_GGUF_BOOL: {
    int b = -1;
    CU_ASSERT_EQUAL(clql_gguf_value_bool(v, &b), CLQL_SUCCESS);
    expect(json_is_boolean(jv) && json_is_true(jv) == b, "bool", where);
    break;
  }
  case CLQL_GGUF_STRING: {
    const char *s = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL(clql_gguf_value_string(v, &s, &len), CLQL_SUCCESS);
    expect(json_is_string(jv) && json_string_length(jv) == len &&
               memcmp(json_string_value(jv), s, len) == 0,
           "string", where);
    break;
  }
  default: expect(0, "unexpected type", where);
  }
}

/* A value against its manifest node {"type", "value"[, "elem_type"]}. */
static void check_node(const clql_gguf_value *v, json_t *node, const char *where) {
  const char *type = json_string_value(json_object_get(node, "type"));
  json_t *jv = json_object_get(node, "value");
  if (!expect(type && (int)v->type == type_named(type), "type", where)) return;
  if (v->type != CLQL_GGUF_ARRAY) {
    check_scalar(v, jv, where);
    return;
  }
  const char *elem = json_string_value(json_object_get(node, "elem_type"));
  if (!expect(elem && (int)v->elem_type == type_named(elem), "element type", where)) return;
  if (!expect(json_array_size(jv) == v->count, "array length", where)) return;
  for (uint64_t i = 0; i < v->count; i++) {
    clql_gguf_value e;
    CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(v, i, &e), CLQL_SUCCESS);
    json_t *je = json_array_get(jv, (size_t)i);
    if (e.type == CLQL_GGUF_ARRAY) check_node(&e, je, where);
    else check_scalar(&e, je, where);
  }
}

static void check_metadata(const clql_gguf *g, json_t *meta) {
  CU_ASSERT_EQUAL(clql_gguf_meta_count(g), json_array_size(meta));
  for (size_t i = 0; i < json_array_size(meta); i++) {
    json_t *node = json_array_get(meta, i);
    const char *key = json_string_value(json_object_get(node, "key")), *at = NULL;
    clql_gguf_value v;
    if (!expect(clql_gguf_meta_find(g, key, &v) == CLQL_SUCCESS, "key present", key)) continue;
    check_node(&v, node, key);
    /* meta_at follows the file order, which is the writer's order. */
    CU_ASSERT_EQUAL(clql_gguf_meta_at(g, i, &at, NULL), CLQL_SUCCESS);
    expect(at && strcmp(at, key) == 0, "file order", key);
  }
}

static void check_values(const clql_gguf *g, const clql_gguf_tensor_info *t, json_t *values) {
  uint64_t n = t->elements;
  if (!expect(json_array_size(values) == n, "value count", t->name)) return;
  size_t bad = 0;
  if (t->ternary != CLQL_TERNARY_NONE) {
    clql_ternary_sizes s;
    CU_ASSERT_EQUAL_FATAL(clql_gguf_import(g, t->name, NULL, 0, NULL, 0, &s), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(s.weights, n);
    int8_t *w = malloc(s.weights);
    float *sc = malloc(s.scales * sizeof *sc);
    CLQL_REQUIRE(w && sc);
    CU_ASSERT_EQUAL_FATAL(clql_gguf_import(g, t->name, w, s.weights, sc, s.scales, NULL),
                          CLQL_SUCCESS);
    for (uint64_t i = 0; i < n; i++) {
      float scale = s.group_size == CLQL_GROUP_TENSOR ? sc[0] : sc[i / s.group_size];
      bad += (float)w[i] * scale != (float)json_number_value(json_array_get(values, (size_t)i));
    }
    free(w);
    free(sc);
  } else {
    const uint8_t *p = t->data;
    for (uint64_t i = 0; i < n; i++) {
      float f;
      if (strcmp(t->type_name, "F32") == 0) {
        memcpy(&f, p + 4 * i, sizeof f);
      } else if (strcmp(t->type_name, "F16") == 0) {
        f = clql_half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
      } else {
        expect(0, "fixture tensor type", t->name);
        return;
      }
      bad += f != (float)json_number_value(json_array_get(values, (size_t)i));
    }
    CU_ASSERT_EQUAL(clql_gguf_import(g, t->name, NULL, 0, NULL, 0, NULL), CLQL_ERR_UNSUPPORTED);
  }
  if (bad) printf("\n  %s: %zu of %llu values differ\n", t->name, bad, (unsigned long long)n);
  CU_ASSERT_EQUAL(bad, 0);
}

static void check_tensors(const clql_gguf *g, json_t *tensors) {
  size_t count = 0;
  CU_ASSERT_EQUAL(clql_gguf_tensors(g, NULL, 0, &count), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(count, json_array_size(tensors));
  for (size_t i = 0; i < json_array_size(tensors); i++) {
    json_t *jt = json_array_get(tensors, i), *shape = json_object_get(jt, "shape");
    const char *name = json_string_value(json_object_get(jt, "name"));
    clql_gguf_tensor_info t;
    if (!expect(clql_gguf_tensor_find(g, name, &t) == CLQL_SUCCESS, "tensor present", name))
      continue;
    expect(strcmp(t.type_name, json_string_value(json_object_get(jt, "type"))) == 0, "type", name);
    expect(t.bytes == (uint64_t)json_integer_value(json_object_get(jt, "bytes")), "bytes", name);
    expect(t.n_dims == json_array_size(shape), "n_dims", name);
    for (size_t d = 0; d < json_array_size(shape) && d < CLQL_GGUF_MAX_DIMS; d++)
      expect(t.dims[d] == (uint64_t)json_integer_value(json_array_get(shape, d)), "dims", name);
    expect(t.offset % clql_gguf_alignment(g) == 0, "aligned", name);
    check_values(g, &t, json_object_get(jt, "values"));
  }
}

static void test_fixtures(void) {
  const char *dir = getenv("CLQL_GGUF_FIXTURES");
  CLQL_REQUIRE(dir && *dir);
  char path[4096];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  json_error_t err;
  json_t *manifest = json_load_file(path, 0, &err);
  if (!manifest) printf("\n  %s: %s\n", path, err.text);
  CLQL_REQUIRE(manifest != NULL);
  printf("\n  fixtures from %s, seed %lld\n",
         json_string_value(json_object_get(manifest, "generator")),
         (long long)json_integer_value(json_object_get(manifest, "seed")));
  json_t *files = json_object_get(manifest, "files");
  CU_ASSERT(json_array_size(files) >= 2);
  for (size_t i = 0; i < json_array_size(files); i++) {
    json_t *jf = json_array_get(files, i);
    snprintf(path, sizeof path, "%s/%s", dir, json_string_value(json_object_get(jf, "file")));
    clql_gguf *g = NULL;
    clql_status st = clql_gguf_open(path, &g);
    if (st != CLQL_SUCCESS) printf("\n  %s: %s\n", path, clql_last_error_detail());
    CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
    if (!g) continue;
    CU_ASSERT_EQUAL(clql_gguf_version(g), json_integer_value(json_object_get(jf, "version")));
    CU_ASSERT_EQUAL(clql_gguf_alignment(g),
                    (uint64_t)json_integer_value(json_object_get(jf, "alignment")));
    check_metadata(g, json_object_get(jf, "metadata"));
    check_tensors(g, json_object_get(jf, "tensors"));
    clql_gguf_close(g);
  }
  json_decref(manifest);
}

static CU_TestInfo fixture_tests[] = {{"python_gguf_files", test_fixtures}, CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "gguf_fixtures", .pTests = fixture_tests},
                                   CU_SUITE_INFO_NULL};
