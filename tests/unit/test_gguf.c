/* The GGUF reader on files built here: every metadata type, nested arrays,
 * the tensor directory and import; then corrupt files (every truncation,
 * huge counts and lengths, offsets past the end, bad alignment, unknown
 * types, overlaps, overflowing dims) that must give a clear status. Each file
 * is opened from a heap copy of exactly its length, so any read past the end
 * shows up under ASan or valgrind. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <clql.h>
#include "gguf_build.h"
#include "runner.h"

const int clql_test_needs_device = 0;

typedef struct {
  uint8_t *buf;
  size_t len;
  clql_gguf *g;
} opened;

static char not_opened_mark;
#define not_opened ((clql_gguf *)(void *)&not_opened_mark)

static clql_status open_bytes(const uint8_t *file, size_t len, opened *o) {
  o->len = len;
  o->buf = malloc(len ? len : 1);
  CLQL_REQUIRE(o->buf != NULL);
  if (len) memcpy(o->buf, file, len);
  /* not NULL beforehand: a failed open must clear the handle itself */
  o->g = not_opened;
  return clql_gguf_open_memory(o->buf, len, &o->g);
}

static void opened_close(opened *o) {
  if (o->g != not_opened) clql_gguf_close(o->g);
  free(o->buf);
  memset(o, 0, sizeof *o);
}

static clql_status open_built(const gguf_builder *b, opened *o) {
  size_t len;
  uint8_t *file = gguf_finish(b, 3, &len, NULL);
  clql_status st = open_bytes(file, len, o);
  free(file);
  return st;
}

/* Opening must give `want` with `part` in the detail message. */
static void expect_fail_bytes(const uint8_t *file, size_t len, clql_status want, const char *part) {
  opened o;
  clql_status st = open_bytes(file, len, &o);
  const char *detail = clql_last_error_detail();
  int ok = st == want && (!part || strstr(detail, part));
  if (!ok)
    printf("\n  expected %s with '%s', got %s: %s\n", clql_status_name(want), part ? part : "",
           clql_status_name(st), st == CLQL_SUCCESS ? "" : detail);
  CU_ASSERT(ok);
  CU_ASSERT_NOT_EQUAL(want, CLQL_SUCCESS);
  if (st != CLQL_SUCCESS) CU_ASSERT_PTR_NULL(o.g); /* a failed open hands back no handle */
  opened_close(&o);
}

static void expect_fail(const gguf_builder *b, clql_status want, const char *part) {
  size_t len;
  uint8_t *file = gguf_finish(b, 3, &len, NULL);
  expect_fail_bytes(file, len, want, part);
  free(file);
}

static void patch_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Ternary test data: random weights exported to `format`. */
static uint8_t *ternary_bytes(clql_ternary_format f, uint64_t n, uint64_t k, int8_t **weights,
                              float **scales, size_t *bytes) {
  clql_ternary_sizes s;
  CU_ASSERT_EQUAL_FATAL(clql_ternary_format_bytes(f, n, k, &s), CLQL_SUCCESS);
  int8_t *w = malloc(s.weights);
  float *sc = malloc(s.scales * sizeof *sc);
  uint8_t *b = malloc(s.bytes);
  CLQL_REQUIRE(w && sc && b);
  for (uint64_t i = 0; i < s.weights; i++) w[i] = (int8_t)clql_test_int(-1, 1);
  for (uint64_t i = 0; i < s.scales; i++) sc[i] = (float)clql_test_int(1, 64) / 16.0f;
  CU_ASSERT_EQUAL_FATAL(clql_ternary_export(f, n, k, w, sc, b, s.bytes), CLQL_SUCCESS);
  *weights = w;
  *scales = sc;
  *bytes = s.bytes;
  return b;
}

/* Import `name` and compare with the weights and scales it was made from. */
static void check_import(const clql_gguf *g, const char *name, const int8_t *w, const float *sc) {
  clql_ternary_sizes s;
  CU_ASSERT_EQUAL_FATAL(clql_gguf_import(g, name, NULL, 0, NULL, 0, &s), CLQL_SUCCESS);
  int8_t *w2 = malloc(s.weights);
  float *sc2 = malloc(s.scales * sizeof *sc2);
  CLQL_REQUIRE(w2 && sc2);
  CU_ASSERT_EQUAL(clql_gguf_import(g, name, w2, s.weights - 1, sc2, s.scales, NULL),
                  CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(clql_gguf_import(g, name, w2, s.weights, sc2, s.scales, NULL), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(memcmp(w2, w, s.weights), 0);
  CU_ASSERT_EQUAL(memcmp(sc2, sc, s.scales * sizeof *sc), 0);
  free(w2);
  free(sc2);
}

/* ---- a valid file with every value type ---- */

typedef struct {
  int8_t *w_tq2, *w_tq1;
  float *s_tq2, *s_tq1;
  float norm[8];
} rich_data;

static void build_rich(gguf_builder *b, rich_data *d) {
  gguf_init(b);
  b->alignment = 64;
  gguf_kv_str(b, "general.architecture", "llama");
  gguf_kv_u32(b, "general.alignment", 64);
  gguf_key(b, "t.u8", GT_U8), gb_uint(&b->meta, 250, 1);
  gguf_key(b, "t.i8", GT_I8), gb_uint(&b->meta, (uint8_t)-5, 1);
  gguf_key(b, "t.u16", GT_U16), gb_uint(&b->meta, 65535, 2);
  gguf_key(b, "t.i16", GT_I16), gb_uint(&b->meta, (uint16_t)-300, 2);
  gguf_key(b, "t.i32", GT_I32), gb_u32(&b->meta, (uint32_t)INT32_MIN);
  gguf_key(b, "t.f32", GT_F32), gb_u32(&b->meta, 0x3FC00000u); /* 1.5 */
  gguf_key(b, "t.bool", GT_BOOL), gb_uint(&b->meta, 1, 1);
  gguf_key(b, "t.u64", GT_U64), gb_u64(&b->meta, UINT64_MAX);
  gguf_key(b, "t.i64", GT_I64), gb_u64(&b->meta, (uint64_t)INT64_MIN);
  gguf_key(b, "t.f64", GT_F64), gb_u64(&b->meta, 0xC000000000000000ull); /* -2.0 */
  gguf_key(b, "t.empty", GT_STR), gb_u64(&b->meta, 0);
  /* [["ab", "c"], [], ["def"]] */
  gguf_key(b, "t.nested", GT_ARR), gb_u32(&b->meta, GT_ARR), gb_u64(&b->meta, 3);
  gb_u32(&b->meta, GT_STR), gb_u64(&b->meta, 2), gb_str(&b->meta, "ab"), gb_str(&b->meta, "c");
  gb_u32(&b->meta, GT_I32), gb_u64(&b->meta, 0);
  gb_u32(&b->meta, GT_STR), gb_u64(&b->meta, 1), gb_str(&b->meta, "def");
  gguf_key(b, "t.i16s", GT_ARR), gb_u32(&b->meta, GT_I16), gb_u64(&b->meta, 3);
  gb_uint(&b->meta, 1, 2), gb_uint(&b->meta, (uint16_t)-2, 2), gb_uint(&b->meta, 300, 2);
  gguf_key(b, "t.bools", GT_ARR), gb_u32(&b->meta, GT_BOOL), gb_u64(&b->meta, 2);
  gb_uint(&b->meta, 0, 1), gb_uint(&b->meta, 1, 1);

  size_t bytes;
  uint8_t *tq2 = ternary_bytes(CLQL_TERNARY_TQ2_0, 2, 512, &d->w_tq2, &d->s_tq2, &bytes);
  gguf_tensor(b, "blk.0.ffn_up.weight", 35, 2, (uint64_t[]){512, 2}, tq2, bytes);
  free(tq2);
  uint8_t *tq1 = ternary_bytes(CLQL_TERNARY_TQ1_0, 3, 256, &d->w_tq1, &d->s_tq1, &bytes);
  gguf_tensor(b, "blk.0.ffn_down.weight", 34, 2, (uint64_t[]){256, 3}, tq1, bytes);
  free(tq1);
  for (int i = 0; i < 8; i++) d->norm[i] = (float)i - 3.5f;
  gguf_tensor(b, "output_norm.weight", 0, 1, (uint64_t[]){8}, d->norm, sizeof d->norm);
  gguf_tensor(b, "empty", 0, 2, (uint64_t[]){0, 4}, NULL, 0);
  uint8_t f16[16] = {0};
  gguf_tensor(b, "token_embd.weight", 1, 2, (uint64_t[]){4, 2}, f16, sizeof f16);
}

static void rich_free(rich_data *d) {
  free(d->w_tq2), free(d->w_tq1), free(d->s_tq2), free(d->s_tq1);
}

static void check_rich_metadata(const clql_gguf *g) {
  clql_gguf_value v, e, e2;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  int bo = -1;
  const char *s = NULL;
  size_t len = 0;
  CU_ASSERT_EQUAL(clql_gguf_meta_count(g), 16);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.u8", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_int(&v, &i) == CLQL_SUCCESS && i == 250);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.i8", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_int(&v, &i) == CLQL_SUCCESS && i == -5);
  CU_ASSERT_EQUAL(clql_gguf_value_uint(&v, &u), CLQL_ERR_INVALID_ARGUMENT); /* negative */
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.u16", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_uint(&v, &u) == CLQL_SUCCESS && u == 65535);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.i16", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_int(&v, &i) == CLQL_SUCCESS && i == -300);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.i32", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_int(&v, &i) == CLQL_SUCCESS && i == INT32_MIN);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "general.alignment", &v), CLQL_SUCCESS);
  CU_ASSERT(v.type == CLQL_GGUF_UINT32 && clql_gguf_value_uint(&v, &u) == CLQL_SUCCESS && u == 64);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.f32", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_float(&v, &f) == CLQL_SUCCESS && f == 1.5);
  CU_ASSERT_EQUAL(clql_gguf_value_int(&v, &i), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.bool", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_bool(&v, &bo) == CLQL_SUCCESS && bo == 1);
  CU_ASSERT_EQUAL(clql_gguf_value_int(&v, &i), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.u64", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_uint(&v, &u) == CLQL_SUCCESS && u == UINT64_MAX);
  CU_ASSERT_EQUAL(clql_gguf_value_int(&v, &i), CLQL_ERR_INVALID_ARGUMENT); /* above INT64_MAX */
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.i64", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_int(&v, &i) == CLQL_SUCCESS && i == INT64_MIN);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.f64", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_float(&v, &f) == CLQL_SUCCESS && f == -2.0);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.empty", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_string(&v, &s, &len) == CLQL_SUCCESS && len == 0);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "general.architecture", &v), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_string(&v, &s, &len) == CLQL_SUCCESS && len == 5 &&
            memcmp(s, "llama", 5) == 0);
  CU_ASSERT_EQUAL(clql_gguf_value_bool(&v, &bo), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_gguf_array_at(&v, 0, &e), CLQL_ERR_INVALID_ARGUMENT);

  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.nested", &v), CLQL_SUCCESS);
  CU_ASSERT(v.type == CLQL_GGUF_ARRAY && v.elem_type == CLQL_GGUF_ARRAY && v.count == 3);
  CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&v, 0, &e), CLQL_SUCCESS);
  CU_ASSERT(e.type == CLQL_GGUF_ARRAY && e.elem_type == CLQL_GGUF_STRING && e.count == 2);
  CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&e, 1, &e2), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_string(&e2, &s, &len) == CLQL_SUCCESS && len == 1 && s[0] == 'c');
  CU_ASSERT_EQUAL(clql_gguf_array_at(&e, 2, &e2), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&v, 1, &e), CLQL_SUCCESS);
  CU_ASSERT(e.type == CLQL_GGUF_ARRAY && e.elem_type == CLQL_GGUF_INT32 && e.count == 0);
  CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&v, 2, &e), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&e, 0, &e2), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_string(&e2, &s, &len) == CLQL_SUCCESS && len == 3 &&
            memcmp(s, "def", 3) == 0);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.i16s", &v), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&v, 1, &e), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_int(&e, &i) == CLQL_SUCCESS && i == -2);
  CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&v, 2, &e), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_int(&e, &i) == CLQL_SUCCESS && i == 300);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.bools", &v), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&v, 1, &e), CLQL_SUCCESS);
  CU_ASSERT(clql_gguf_value_bool(&e, &bo) == CLQL_SUCCESS && bo == 1);

  const char *key = NULL;
  CU_ASSERT(clql_gguf_meta_at(g, 2, &key, &v) == CLQL_SUCCESS && strcmp(key, "t.u8") == 0);
  CU_ASSERT_EQUAL(clql_gguf_meta_at(g, 16, &key, &v), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.missing", &v), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(clql_gguf_meta_find(g, "t.u", &v), CLQL_ERR_NOT_FOUND);
}

static void check_rich_tensors(const clql_gguf *g, const rich_data *d) {
  size_t count = 0;
  CU_ASSERT_EQUAL(clql_gguf_tensors(g, NULL, 0, &count), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(count, 5);
  clql_gguf_tensor_info t[5];
  CU_ASSERT_EQUAL(clql_gguf_tensors(g, t, 2, &count), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_STRING_EQUAL(t[1].name, "blk.0.ffn_down.weight");
  CU_ASSERT_EQUAL(clql_gguf_tensors(g, t, 5, &count), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(t[0].name, "blk.0.ffn_up.weight");
  CU_ASSERT_STRING_EQUAL(t[0].type_name, "TQ2_0");
  CU_ASSERT_EQUAL(t[0].ternary, CLQL_TERNARY_TQ2_0);
  CU_ASSERT(t[0].n_dims == 2 && t[0].dims[0] == 512 && t[0].dims[1] == 2 && t[0].dims[2] == 1);
  CU_ASSERT_EQUAL(t[0].bytes, 2 * 2 * 66);
  CU_ASSERT_EQUAL(t[0].offset, clql_gguf_data_offset(g));
  CU_ASSERT_STRING_EQUAL(t[1].type_name, "TQ1_0");
  CU_ASSERT_EQUAL(t[1].bytes, 3 * 54);
  CU_ASSERT_EQUAL(t[1].offset % 64, 0);
  CU_ASSERT_STRING_EQUAL(t[2].type_name, "F32");
  CU_ASSERT_EQUAL(t[2].ternary, CLQL_TERNARY_NONE);
  CU_ASSERT(t[2].bytes == 32 && memcmp(t[2].data, d->norm, 32) == 0);
  CU_ASSERT(t[3].elements == 0 && t[3].bytes == 0);
  CU_ASSERT(t[4].bytes == 16 && strcmp(t[4].type_name, "F16") == 0);
  clql_gguf_tensor_info one;
  CU_ASSERT_EQUAL(clql_gguf_tensor_find(g, "token_embd.weight", &one), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(one.offset, t[4].offset);
  CU_ASSERT_EQUAL(clql_gguf_tensor_find(g, "nope", &one), CLQL_ERR_NOT_FOUND);

  check_import(g, "blk.0.ffn_up.weight", d->w_tq2, d->s_tq2);
  check_import(g, "blk.0.ffn_down.weight", d->w_tq1, d->s_tq1);
  clql_ternary_sizes s;
  CU_ASSERT_EQUAL(clql_gguf_import(g, "blk.0.ffn_up.weight", NULL, 0, NULL, 0, &s), CLQL_SUCCESS);
  CU_ASSERT(s.n == 2 && s.k == 512 && s.scales == 4 && s.group_size == 256);
  CU_ASSERT_EQUAL(clql_gguf_import(g, "output_norm.weight", NULL, 0, NULL, 0, &s),
                  CLQL_ERR_UNSUPPORTED);
  CU_ASSERT_EQUAL(clql_gguf_import(g, "nope", NULL, 0, NULL, 0, &s), CLQL_ERR_NOT_FOUND);
}

static void test_valid_file(void) {
  gguf_builder b;
  rich_data d;
  build_rich(&b, &d);
  opened o;
  clql_status st = open_built(&b, &o);
  if (st != CLQL_SUCCESS) printf("\n  %s\n", clql_last_error_detail());
  CU_ASSERT_EQUAL_FATAL(st, CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_gguf_version(o.g), 3);
  CU_ASSERT_EQUAL(clql_gguf_alignment(o.g), 64);
  CU_ASSERT_EQUAL(clql_gguf_data_offset(o.g) % 64, 0);
  check_rich_metadata(o.g);
  check_rich_tensors(o.g, &d);
  opened_close(&o);

  /* The same through a mapped file, and as version 2. */
  size_t len;
  uint8_t *file = gguf_finish(&b, 2, &len, NULL);
  char *dir = clql_test_mkdtemp(), path[4096];
  snprintf(path, sizeof path, "%s/model.gguf", dir);
  FILE *fp = fopen(path, "wb");
  CLQL_REQUIRE(fp != NULL);
  CU_ASSERT_EQUAL(fwrite(file, 1, len, fp), len);
  fclose(fp);
  clql_gguf *g = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_gguf_open(path, &g), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_gguf_version(g), 2);
  check_rich_metadata(g);
  check_rich_tensors(g, &d);
  clql_gguf_close(g);
  clql_test_rmtree(dir);
  free(dir);
  free(file);
  rich_free(&d);
  gguf_free(&b);
}

static void test_open_errors(void) {
  clql_gguf *g = NULL;
  CU_ASSERT_EQUAL(clql_gguf_open("/nonexistent/model.gguf", &g), CLQL_ERR_IO);
  CU_ASSERT_PTR_NULL(g);
  char *dir = clql_test_mkdtemp();
  CU_ASSERT_EQUAL(clql_gguf_open(dir, &g), CLQL_ERR_IO); /* a directory */
  clql_test_write_file(dir, "empty.gguf", "");
  char path[4096];
  snprintf(path, sizeof path, "%s/empty.gguf", dir);
  CU_ASSERT_EQUAL(clql_gguf_open(path, &g), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "header"));
  clql_test_rmtree(dir);
  free(dir);
  CU_ASSERT_EQUAL(clql_gguf_open(NULL, &g), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_gguf_open_memory(NULL, 10, &g), CLQL_ERR_INVALID_ARGUMENT);
  clql_gguf_close(NULL);
  CU_ASSERT_EQUAL(clql_gguf_meta_count(NULL), 0);
}

static void test_header(void) {
  gguf_builder b;
  gguf_init(&b);
  size_t len;
  uint8_t *file = gguf_finish(&b, 3, &len, NULL);
  opened o;
  CU_ASSERT_EQUAL(open_bytes(file, 24, &o), CLQL_SUCCESS); /* no tensors, no metadata, no padding */
  CU_ASSERT_EQUAL(clql_gguf_alignment(o.g), 32);
  CU_ASSERT_EQUAL(clql_gguf_data_offset(o.g), 32);
  opened_close(&o);
  expect_fail_bytes(file, 0, CLQL_ERR_PARSE, "header: magic");
  file[0] = 'g';
  expect_fail_bytes(file, len, CLQL_ERR_PARSE, "magic");
  file[0] = 'G';
  file[4] = 1;
  expect_fail_bytes(file, len, CLQL_ERR_UNSUPPORTED, "version 1");
  file[4] = 4;
  expect_fail_bytes(file, len, CLQL_ERR_UNSUPPORTED, "version 4");
  file[4] = 0, file[7] = 3; /* version 3 written big-endian */
  expect_fail_bytes(file, len, CLQL_ERR_UNSUPPORTED, "big-endian");
  free(file);
}

/* Every prefix of a valid file is rejected as PARSE, with a detail that
 * names where parsing stopped. */
static void test_truncations(void) {
  gguf_builder b;
  rich_data d;
  build_rich(&b, &d);
  gguf_sections sec;
  size_t len;
  uint8_t *file = gguf_finish(&b, 3, &len, &sec);
  int seen[4] = {0};
  for (size_t cut = 0; cut < len; cut++) {
    opened o;
    clql_status st = open_bytes(file, cut, &o);
    const char *detail = clql_last_error_detail();
    int section = cut < sec.header_end ? 0 : cut < sec.meta_end ? 1 : cut < sec.infos_end ? 2 : 3;
    static const char *const own[] = {"header", "metadata", "tensor info", "tensor"};
    int ok = st == CLQL_ERR_PARSE && o.g == NULL &&
             (strncmp(detail, own[section], strlen(own[section])) == 0 ||
              strncmp(detail, "header", 6) == 0); /* counts that no longer fit */
    if (!ok) {
      printf("\n  cut at %zu: %s: %s\n", cut, clql_status_name(st), detail);
      CU_FAIL("truncated file");
      opened_close(&o);
      break;
    }
    seen[section] += strncmp(detail, own[section], strlen(own[section])) == 0;
    opened_close(&o);
  }
  for (int i = 0; i < 4; i++) CU_ASSERT(seen[i] > 0);
  if (sec.data_start > sec.infos_end + 1)
    expect_fail_bytes(file, sec.infos_end + 1, CLQL_ERR_PARSE, "tensor data: section starts");
  free(file);
  rich_free(&d);
  gguf_free(&b);
}

static void test_huge_counts(void) {
  gguf_builder b;
  gguf_init(&b);
  gguf_kv_str(&b, "general.architecture", "x");
  size_t len;
  uint8_t *file = gguf_finish(&b, 3, &len, NULL);
  patch_u64(file + 8, UINT64_C(1) << 63); /* tensor count */
  expect_fail_bytes(file, len, CLQL_ERR_PARSE, "header: 9223372036854775808 tensors");
  patch_u64(file + 8, 0);
  patch_u64(file + 16, UINT64_MAX); /* metadata count */
  expect_fail_bytes(file, len, CLQL_ERR_PARSE, "cannot fit");
  patch_u64(file + 16, 1);
  patch_u64(file + 24, UINT64_MAX); /* key length */
  expect_fail_bytes(file, len, CLQL_ERR_PARSE, "metadata #0: key length 18446744073709551615");
  patch_u64(file + 24, 1000);
  expect_fail_bytes(file, len, CLQL_ERR_PARSE, "key length 1000 runs past");
  free(file);
  gguf_free(&b);

  gguf_init(&b);
  gguf_key(&b, "s", GT_STR), gb_u64(&b.meta, UINT64_MAX);
  expect_fail(&b, CLQL_ERR_PARSE, "metadata #0 's': string length 18446744073709551615");
  gguf_free(&b);
  gguf_init(&b);
  gguf_key(&b, "a", GT_ARR), gb_u32(&b.meta, GT_U64), gb_u64(&b.meta, UINT64_C(1) << 62);
  expect_fail(&b, CLQL_ERR_PARSE, "array of 4611686018427387904 uint64 elements cannot fit");
  gguf_free(&b);
  gguf_init(&b);
  gguf_key(&b, "a", GT_ARR), gb_u32(&b.meta, GT_STR), gb_u64(&b.meta, UINT64_C(1) << 40);
  expect_fail(&b, CLQL_ERR_PARSE, "string elements cannot fit");
  gguf_free(&b);
  gguf_init(&b);
  gguf_key(&b, "a", GT_ARR), gb_u32(&b.meta, GT_ARR), gb_u64(&b.meta, 1);
  gb_u32(&b.meta, GT_STR), gb_u64(&b.meta, 1), gb_u64(&b.meta, UINT64_MAX - 7);
  expect_fail(&b, CLQL_ERR_PARSE, "string length");
  gguf_free(&b);

  /* Tensor infos: dims whose product overflows, a dim above INT64_MAX, too
   * many dims, a name length past the end. */
  gguf_init(&b);
  gguf_tensor_info(&b, "w", 0, 2, (uint64_t[]){UINT64_C(1) << 32, UINT64_C(1) << 32}, 0);
  expect_fail(&b, CLQL_ERR_PARSE, "tensor info #0 'w': element count overflows");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor_info(&b, "w", 0, 3, (uint64_t[]){3, UINT64_C(1) << 62, 5}, 0);
  expect_fail(&b, CLQL_ERR_PARSE, "element count overflows");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor_info(&b, "w", 0, 1, (uint64_t[]){UINT64_MAX}, 0);
  expect_fail(&b, CLQL_ERR_PARSE, "dimension 0 is 18446744073709551615");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor_info(&b, "w", 0, 5, (uint64_t[]){1, 1, 1, 1, 1}, 0);
  expect_fail(&b, CLQL_ERR_PARSE, "5 dimensions");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor_info(&b, "w", 0, 1, (uint64_t[]){1}, 0);
  file = gguf_finish(&b, 3, &len, NULL);
  patch_u64(file + 24, UINT64_C(1) << 60);
  expect_fail_bytes(file, len, CLQL_ERR_PARSE, "tensor info #0: name length");
  free(file);
  gguf_free(&b);
  /* The byte size overflows though the element count does not. */
  gguf_init(&b);
  gguf_tensor_info(&b, "w", 24, 2, (uint64_t[]){UINT64_C(1) << 31, UINT64_C(1) << 31}, 0);
  expect_fail(&b, CLQL_ERR_PARSE, "runs past the end");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor_info(&b, "w", 28, 2, (uint64_t[]){UINT64_C(1) << 31, UINT64_C(1) << 31 | 1}, 0);
  expect_fail(&b, CLQL_ERR_PARSE, "byte size overflows");
  gguf_free(&b);
}

static void test_offsets_and_overlap(void) {
  float data[16] = {0};
  gguf_builder b;
  gguf_init(&b);
  gguf_tensor_info(&b, "far", 0, 1, (uint64_t[]){4}, UINT64_C(1) << 63);
  gb_bytes(&b.data, data, 16);
  expect_fail(&b, CLQL_ERR_PARSE, "tensor 'far': data at 9223372036854775808 + 16 bytes runs past");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor_info(&b, "short", 0, 1, (uint64_t[]){16}, 0);
  gb_bytes(&b.data, data, 63); /* one byte short */
  expect_fail(&b, CLQL_ERR_PARSE, "tensor 'short': data at 0 + 64 bytes runs past");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor_info(&b, "odd", 0, 1, (uint64_t[]){4}, 16);
  gb_bytes(&b.data, data, 64);
  expect_fail(&b, CLQL_ERR_PARSE, "offset 16 is not a multiple of the alignment 32");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor_info(&b, "a", 0, 1, (uint64_t[]){16}, 0);
  gguf_tensor_info(&b, "b", 0, 1, (uint64_t[]){8}, 32);
  gb_bytes(&b.data, data, 64);
  expect_fail(&b, CLQL_ERR_PARSE, "tensors 'a' and 'b' overlap");
  gguf_free(&b);
  gguf_init(&b); /* the same start, listed in the other order */
  gguf_tensor_info(&b, "b", 0, 1, (uint64_t[]){8}, 0);
  gguf_tensor_info(&b, "a", 0, 1, (uint64_t[]){8}, 0);
  gb_bytes(&b.data, data, 64);
  expect_fail(&b, CLQL_ERR_PARSE, "overlap");
  gguf_free(&b);
  /* Empty tensors overlap nothing; two tensors may share a name only never. */
  gguf_init(&b);
  gguf_tensor_info(&b, "a", 0, 1, (uint64_t[]){8}, 0);
  gguf_tensor_info(&b, "z", 0, 1, (uint64_t[]){0}, 0);
  gb_bytes(&b.data, data, 32);
  opened o;
  CU_ASSERT_EQUAL(open_built(&b, &o), CLQL_SUCCESS);
  opened_close(&o);
  gguf_tensor_info(&b, "a", 0, 1, (uint64_t[]){0}, 32);
  expect_fail(&b, CLQL_ERR_PARSE, "tensor info: name 'a' appears twice");
  gguf_free(&b);
}

static void test_alignment(void) {
  float data[8] = {0};
  for (int i = 0; i < 4; i++) {
    static const uint32_t values[] = {0, 3, 48, 1};
    gguf_builder b;
    gguf_init(&b);
    gguf_kv_u32(&b, "general.alignment", values[i]);
    b.alignment = values[i] == 1 ? 1 : 32;
    gguf_tensor(&b, "w", 0, 1, (uint64_t[]){8}, data, sizeof data);
    if (values[i] == 1) {
      opened o;
      CU_ASSERT_EQUAL(open_built(&b, &o), CLQL_SUCCESS);
      CU_ASSERT_EQUAL(clql_gguf_alignment(o.g), 1);
      opened_close(&o);
    } else {
      expect_fail(&b, CLQL_ERR_PARSE, "'general.alignment'");
      expect_fail(&b, CLQL_ERR_PARSE, "is not a power of two");
    }
    gguf_free(&b);
  }
  gguf_builder b;
  gguf_init(&b);
  gguf_key(&b, "general.alignment", GT_U64), gb_u64(&b.meta, 32);
  expect_fail(&b, CLQL_ERR_PARSE, "general.alignment': type uint64, expected uint32");
  gguf_free(&b);
}

static void test_types_and_values(void) {
  uint8_t block[66];
  memset(block, 0x55, sizeof block);
  gguf_builder b;
  gguf_init(&b);
  gguf_tensor(&b, "w", 77, 1, (uint64_t[]){256}, block, 66);
  expect_fail(&b, CLQL_ERR_UNSUPPORTED, "tensor 'w': unknown ggml type id 77");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor(&b, "w", 31, 1, (uint64_t[]){256}, block, 66); /* removed upstream */
  expect_fail(&b, CLQL_ERR_UNSUPPORTED, "type id 31");
  gguf_free(&b);
  gguf_init(&b);
  gguf_tensor(&b, "w", 35, 1, (uint64_t[]){100}, block, 66);
  expect_fail(&b, CLQL_ERR_PARSE, "row length 100 is not a multiple of the TQ2_0 block (256)");
  gguf_free(&b);
  /* A TQ2_0 tensor with a code 3 opens (listing is fine) but does not import. */
  gguf_init(&b);
  block[7] = 0xFF;
  gguf_tensor(&b, "w", 35, 1, (uint64_t[]){256}, block, 66);
  opened o;
  CU_ASSERT_EQUAL_FATAL(open_built(&b, &o), CLQL_SUCCESS);
  int8_t w[256];
  float sc;
  CU_ASSERT_EQUAL(clql_gguf_import(o.g, "w", w, 256, &sc, 1, NULL), CLQL_ERR_INVALID_WEIGHTS);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "block 0"));
  opened_close(&o);
  gguf_free(&b);
  /* 3-D ternary tensors are not layer weights. */
  gguf_init(&b);
  memset(block, 0x55, sizeof block);
  uint8_t two[132];
  memcpy(two, block, 66), memcpy(two + 66, block, 66);
  gguf_tensor(&b, "w3", 35, 3, (uint64_t[]){256, 1, 2}, two, sizeof two);
  CU_ASSERT_EQUAL_FATAL(open_built(&b, &o), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_gguf_import(o.g, "w3", NULL, 0, NULL, 0, NULL), CLQL_ERR_INVALID_SHAPE);
  opened_close(&o);
  gguf_free(&b);

  gguf_init(&b);
  gguf_key(&b, "k", 13), gb_u32(&b.meta, 0);
  expect_fail(&b, CLQL_ERR_PARSE, "metadata #0 'k': unknown value type 13");
  gguf_free(&b);
  gguf_init(&b);
  gguf_key(&b, "k", GT_ARR), gb_u32(&b.meta, 99), gb_u64(&b.meta, 0);
  expect_fail(&b, CLQL_ERR_PARSE, "unknown array element type 99");
  gguf_free(&b);
  gguf_init(&b);
  gguf_key(&b, "k", GT_BOOL), gb_uint(&b.meta, 2, 1);
  expect_fail(&b, CLQL_ERR_PARSE, "bool value 2");
  gguf_free(&b);
  gguf_init(&b);
  gguf_key(&b, "k", GT_ARR), gb_u32(&b.meta, GT_BOOL), gb_u64(&b.meta, 2), gb_uint(&b.meta, 0x0700, 2);
  expect_fail(&b, CLQL_ERR_PARSE, "bool element 1 is 7");
  gguf_free(&b);
  gguf_init(&b);
  gguf_kv_str(&b, "dup", "a");
  gguf_kv_u32(&b, "dup", 1);
  expect_fail(&b, CLQL_ERR_PARSE, "metadata: key 'dup' appears twice");
  gguf_free(&b);
  gguf_init(&b);
  gb_u64(&b.meta, 3), gb_bytes(&b.meta, "a\0b", 3), gb_u32(&b.meta, GT_U8), gb_uint(&b.meta, 1, 1);
  b.n_kv = 1;
  expect_fail(&b, CLQL_ERR_PARSE, "key contains a NUL byte");
  gguf_free(&b);
  /* Nested arrays: 16 levels are read, 17 are refused. */
  for (int depth = 16; depth <= 17; depth++) {
    gguf_init(&b);
    gguf_key(&b, "deep", GT_ARR);
    for (int i = 1; i < depth; i++) gb_u32(&b.meta, GT_ARR), gb_u64(&b.meta, 1);
    gb_u32(&b.meta, GT_U8), gb_u64(&b.meta, 1), gb_uint(&b.meta, 42, 1);
    if (depth == 16) {
      CU_ASSERT_EQUAL_FATAL(open_built(&b, &o), CLQL_SUCCESS);
      clql_gguf_value v;
      CU_ASSERT_EQUAL(clql_gguf_meta_find(o.g, "deep", &v), CLQL_SUCCESS);
      for (int i = 1; i < depth; i++) CU_ASSERT_EQUAL_FATAL(clql_gguf_array_at(&v, 0, &v), CLQL_SUCCESS);
      CU_ASSERT(v.type == CLQL_GGUF_ARRAY && v.elem_type == CLQL_GGUF_UINT8 && v.count == 1);
      opened_close(&o);
    } else {
      expect_fail(&b, CLQL_ERR_PARSE, "nested deeper than 16");
    }
    gguf_free(&b);
  }
}

/* ---- type id 36 ---- */

static void build_i2s(gguf_builder *b, const char *arch, uint64_t n, uint64_t k, int8_t **w,
                      float **sc) {
  gguf_init(b);
  if (arch) gguf_kv_str(b, "general.architecture", arch);
  size_t bytes;
  uint8_t *raw = ternary_bytes(CLQL_TERNARY_I2_S, n, k, w, sc, &bytes);
  gguf_tensor(b, "blk.0.attn_q.weight", 36, 2, (uint64_t[]){k, n}, raw, bytes);
  free(raw);
  float norm[4] = {1, 2, 3, 4};
  gguf_tensor(b, "blk.0.attn_norm.weight", 0, 1, (uint64_t[]){4}, norm, sizeof norm);
}

static void test_type36(void) {
  static const char *const archs[] = {"bitnet", "bitnet-b1.58"};
  for (int i = 0; i < 2; i++) {
    gguf_builder b;
    int8_t *w;
    float *sc;
    build_i2s(&b, archs[i], 3, 256, &w, &sc);
    opened o;
    clql_status st = open_built(&b, &o);
    if (st != CLQL_SUCCESS) printf("\n  %s\n", clql_last_error_detail());
    CU_ASSERT_EQUAL_FATAL(st, CLQL_SUCCESS);
    clql_gguf_tensor_info t;
    CU_ASSERT_EQUAL(clql_gguf_tensor_find(o.g, "blk.0.attn_q.weight", &t), CLQL_SUCCESS);
    CU_ASSERT_STRING_EQUAL(t.type_name, "I2_S");
    CU_ASSERT(t.type_id == 36 && t.ternary == CLQL_TERNARY_I2_S && t.bytes == 3 * 256 / 4 + 32);
    check_import(o.g, "blk.0.attn_q.weight", w, sc);
    clql_ternary_sizes s;
    CU_ASSERT_EQUAL(clql_gguf_import(o.g, "blk.0.attn_q.weight", NULL, 0, NULL, 0, &s),
                    CLQL_SUCCESS);
    CU_ASSERT(s.scales == 1 && s.group_size == CLQL_GROUP_TENSOR);
    opened_close(&o);
    free(w), free(sc);
    gguf_free(&b);
  }
  struct {
    const char *arch;
    uint64_t n, k;
    const char *part;
  } bad[] = {
    {"llama", 2, 256, "type id 36 is I2_S only in bitnet.cpp files"},
    {NULL, 2, 256, "this file's is '(none)'"},
    {"Bitnet", 2, 256, "this file's is 'Bitnet'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    gguf_builder b;
    int8_t *w;
    float *sc;
    build_i2s(&b, bad[i].arch, bad[i].n, bad[i].k, &w, &sc);
    expect_fail(&b, CLQL_ERR_UNSUPPORTED, bad[i].part);
    free(w), free(sc);
    gguf_free(&b);
  }
  /* Room that does not match N*K/4 + 32: the next tensor too far away, and a
   * tensor cut short at the end of the file. */
  gguf_builder b;
  gguf_init(&b);
  gguf_kv_str(&b, "general.architecture", "bitnet");
  uint8_t raw[2 * 128 / 4 + 32 + 64];
  memset(raw, 0x55, sizeof raw);
  gguf_tensor_info(&b, "w", 36, 2, (uint64_t[]){128, 2}, 0);
  gguf_tensor_info(&b, "next", 0, 1, (uint64_t[]){4}, 128);
  gb_bytes(&b.data, raw, sizeof raw), gb_bytes(&b.data, raw, 16);
  expect_fail(&b, CLQL_ERR_UNSUPPORTED, "with 128 bytes of room is not I2_S");
  gguf_free(&b);
  gguf_init(&b);
  gguf_kv_str(&b, "general.architecture", "bitnet");
  gguf_tensor(&b, "w", 36, 2, (uint64_t[]){128, 2}, raw, 2 * 128 / 4 + 31);
  expect_fail(&b, CLQL_ERR_UNSUPPORTED, "with 95 bytes of room");
  gguf_free(&b);
  gguf_init(&b);
  gguf_kv_str(&b, "general.architecture", "bitnet");
  gguf_tensor(&b, "w", 36, 3, (uint64_t[]){128, 1, 2}, raw, 2 * 128 / 4 + 32);
  expect_fail(&b, CLQL_ERR_UNSUPPORTED, "is not I2_S");
  gguf_free(&b);
  gguf_init(&b); /* K % 128 != 0 */
  gguf_kv_str(&b, "general.architecture", "bitnet");
  gguf_tensor(&b, "w", 36, 2, (uint64_t[]){64, 2}, raw, 2 * 64 / 4 + 32);
  expect_fail(&b, CLQL_ERR_UNSUPPORTED, "shape 64 x 2 with 64 bytes of room is not I2_S");
  gguf_free(&b);
  /* bitnet.cpp's other ids; 39 is MXFP4 elsewhere. */
  gguf_init(&b);
  gguf_kv_str(&b, "general.architecture", "bitnet");
  gguf_tensor(&b, "w", 38, 1, (uint64_t[]){32}, raw, 17);
  expect_fail(&b, CLQL_ERR_UNSUPPORTED, "type id 38 is bitnet.cpp's TL1");
  gguf_free(&b);
  gguf_init(&b);
  gguf_kv_str(&b, "general.architecture", "llama");
  gguf_tensor(&b, "w", 39, 1, (uint64_t[]){32}, raw, 17);
  opened o;
  CU_ASSERT_EQUAL_FATAL(open_built(&b, &o), CLQL_SUCCESS);
  clql_gguf_tensor_info t;
  CU_ASSERT(clql_gguf_tensor_find(o.g, "w", &t) == CLQL_SUCCESS &&
            strcmp(t.type_name, "MXFP4") == 0 && t.bytes == 17);
  opened_close(&o);
  gguf_free(&b);
}

static CU_TestInfo gguf_tests[] = {{"valid_file", test_valid_file},
                                   {"open_errors", test_open_errors},
                                   {"header", test_header},
                                   {"truncations", test_truncations},
                                   {"huge_counts", test_huge_counts},
                                   {"offsets_and_overlap", test_offsets_and_overlap},
                                   {"alignment", test_alignment},
                                   {"types_and_values", test_types_and_values},
                                   {"type36", test_type36},
                                   CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "gguf", .pTests = gguf_tests}, CU_SUITE_INFO_NULL};
