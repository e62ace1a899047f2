/* The model description and the inference planner: presets, the text
 * format's @ lines, GGUF files written by the gguf Python package (their
 * expected figures worked out by tests/gguf/make_fixtures.py), replayed
 * device records, and bad metadata. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "gguf_build.h"
#include "runner.h"

const int clql_test_needs_device = 0;

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static clql_model *preset(const char *name) {
  clql_model *m = NULL;
  CLQL_REQUIRE(clql_model_from_preset(name, CLQL_QTYPE_I2S, &m) == CLQL_SUCCESS);
  return m;
}

static clql_memory_report report(uint64_t total, uint64_t max_alloc, uint64_t free) {
  clql_memory_report r = {.total = total, .max_alloc = max_alloc, .free = free,
                          .free_known = free != 0, .free_source = CLQL_MEM_SOURCE_AMD_EXT};
  return r;
}

static clql_inference_plan plan(const clql_memory_report *mem, const clql_model *m, uint64_t ctx,
                                uint64_t seq, clql_kv_type kv) {
  clql_inference_request r = {.context = ctx, .sequences = seq, .kv_type = kv};
  clql_inference_plan p;
  memset(&p, 0, sizeof p);
  CU_ASSERT_EQUAL_FATAL(clql_plan_inference(mem, NULL, m, &r, &p), CLQL_SUCCESS);
  return p;
}

/* ---- the preset ---- */

static void test_preset(void) {
  clql_model *m = preset("bitnet-b1.58-2b4t");
  clql_model_info i;
  CU_ASSERT_EQUAL_FATAL(clql_model_get_info(m, &i), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(i.layers, 30);
  CU_ASSERT_EQUAL(i.hidden, 2560);
  CU_ASSERT_EQUAL(i.ffn, 6912);
  CU_ASSERT_EQUAL(i.heads, 20);
  CU_ASSERT_EQUAL(i.kv_heads, 5);
  CU_ASSERT_EQUAL(i.key_length, 128);
  CU_ASSERT_EQUAL(i.vocab, 128256);
  CU_ASSERT_EQUAL(i.max_context, 4096);
  CU_ASSERT_TRUE(i.tied_output);
  /* the ternary layers as clql_plan_model sums them, the f16 embedding, f32 norms */
  clql_model_layer l[8];
  size_t n = 0;
  uint64_t ternary = 0;
  CU_ASSERT_EQUAL(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, l, 8, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_model_weight_bytes(l, n, &ternary), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(i.bytes_by_kind[CLQL_TENSOR_TERNARY], ternary);
  CU_ASSERT_EQUAL(i.bytes_by_kind[CLQL_TENSOR_EMBEDDING], 2ull * 2560 * 128256); /* 0.66 GB */
  CU_ASSERT_EQUAL(i.bytes_by_kind[CLQL_TENSOR_NORM], 4ull * (30 * (3 * 2560 + 6912) + 2560));
  CU_ASSERT_EQUAL(i.bytes_by_kind[CLQL_TENSOR_OUTPUT], 0); /* tied */
  CU_ASSERT_EQUAL(i.weights_bytes, ternary + 2ull * 2560 * 128256 + i.bytes_by_kind[CLQL_TENSOR_NORM]);
  size_t got = 0;
  CU_ASSERT_EQUAL(clql_model_get_layers(m, NULL, 0, &got), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(got, n);
  CU_ASSERT_EQUAL(clql_model_get_layers(m, l, 1, &got), CLQL_ERR_BUFFER_TOO_SMALL);
  clql_model_tensor t[16];
  CU_ASSERT_EQUAL(clql_model_get_tensors(m, t, 16, &got), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(got, i.tensors);
  /* 76,800 bytes per token in f16: 30 x 5 x (128 + 128) x 2; 40,800 in q8_0 */
  clql_memory_report mem = report(80 * GiB, 20 * GiB, 79 * GiB);
  CU_ASSERT_EQUAL(plan(&mem, m, 4096, 1, CLQL_KV_F16).kv_bytes_per_token, 76800);
  CU_ASSERT_EQUAL(plan(&mem, m, 4096, 1, CLQL_KV_F32).kv_bytes_per_token, 153600);
  CU_ASSERT_EQUAL(plan(&mem, m, 4096, 1, CLQL_KV_Q8_0).kv_bytes_per_token, 30 * 2 * 640 / 32 * 34);
  clql_inference_plan p = plan(&mem, m, 4096, 1, CLQL_KV_F16);
  CU_ASSERT_EQUAL(p.kv_bytes, 76800ull * 4096); /* 314.6 MB for one sequence */
  CU_ASSERT_EQUAL(p.weights_bytes, i.weights_bytes);
  CU_ASSERT_EQUAL(p.kv_largest_buffer, 5ull * 128 * 2 * 4096);
  /* the fused preset: the same model, other ternary layers */
  clql_model *fused = preset("bitnet-b1.58-2b4t-fused");
  clql_model_info fi;
  CU_ASSERT_EQUAL(clql_model_get_info(fused, &fi), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(fi.kv_elements_per_token, i.kv_elements_per_token);
  CU_ASSERT_EQUAL(fi.bytes_by_kind[CLQL_TENSOR_EMBEDDING], i.bytes_by_kind[CLQL_TENSOR_EMBEDDING]);
  clql_model_destroy(fused);
  clql_model_destroy(m);
}

/* ---- the planner fills the budget and never more ---- */

/* Everything a plan counts, at (ctx, seq): does it fit? */
static int fits(const clql_memory_report *mem, const clql_model *m, uint64_t ctx, uint64_t seq) {
  return plan(mem, m, ctx, seq, CLQL_KV_F16).fits;
}

static void check_fills(const clql_memory_report *mem, const clql_model *m, uint64_t ctx) {
  clql_inference_plan p = plan(mem, m, ctx, 0, CLQL_KV_F16);
  if (!p.fits) return;
  CU_ASSERT(p.need_bytes <= p.budget.bytes);
  CU_ASSERT_EQUAL(p.need_bytes,
                  p.weights_bytes + p.kv_bytes + p.scratch_bytes + p.workspace_bytes);
  CU_ASSERT_EQUAL(p.remaining_bytes, p.budget.bytes - p.need_bytes);
  CU_ASSERT_EQUAL(p.kv_bytes, p.kv_bytes_per_token * ctx * p.sequences);
  CU_ASSERT(p.largest_buffer <= p.budget.max_alloc);
  CU_ASSERT_TRUE(fits(mem, m, ctx, p.sequences));
  CU_ASSERT_FALSE(fits(mem, m, ctx, p.sequences + 1)); /* one more does not fit */
  clql_inference_plan more = plan(mem, m, ctx, p.sequences + 1, CLQL_KV_F16);
  CU_ASSERT_EQUAL(more.limited_by, p.limited_by);
  /* the other way round: the longest context for those sequences */
  clql_inference_plan c = plan(mem, m, 0, p.sequences, CLQL_KV_F16);
  CU_ASSERT_TRUE(c.fits);
  CU_ASSERT(c.context >= ctx);
  if (c.limited_by != CLQL_INFERENCE_BY_MAX_CONTEXT) CU_ASSERT_FALSE(fits(mem, m, c.context + 1, p.sequences));
}

static void test_replayed_devices(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/inference.json", getenv("CLQL_TEST_DATA"));
  clql_device_info devs[8];
  size_t n = 0;
  CU_ASSERT_EQUAL_FATAL(clql_profile_devices(path, NULL, devs, 8, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(n, 5);
  /* the APU's free memory is bound by what its host had available */
  CU_ASSERT_TRUE(devs[4].memory.unified);
  CU_ASSERT_EQUAL(devs[4].memory.free, 3 * GiB);
  CU_ASSERT_EQUAL(devs[4].memory.free_bounds, CLQL_FREE_HOST_BOUND);
  CU_ASSERT_FALSE(devs[3].memory.unified);
  CU_ASSERT_EQUAL(devs[3].memory.free_bounds, 0);
  clql_model *m = preset("bitnet-b1.58-2b4t");
  const uint64_t expect_min[5] = {5, 10, 0, 200, 2}; /* sequences of 4096 tokens, at least */
  for (size_t d = 0; d < n; d++) {
    clql_inference_plan p = plan(&devs[d].memory, m, 4096, 0, CLQL_KV_F16);
    printf("\n  %s: %llu x 4096 (%s)", devs[d].profile_id, (unsigned long long)p.sequences,
           clql_inference_limit_name(p.limited_by));
    if (expect_min[d]) {
      CU_ASSERT_TRUE(p.fits);
      CU_ASSERT(p.sequences >= expect_min[d]);
      CU_ASSERT_EQUAL(p.limited_by, CLQL_INFERENCE_BY_BUDGET);
    } else { /* 256 MiB buffers: the 626 MiB embedding is one buffer */
      CU_ASSERT_FALSE(p.fits);
      CU_ASSERT_EQUAL(p.limited_by, CLQL_INFERENCE_BY_MAX_ALLOC);
      CU_ASSERT_EQUAL(p.largest_buffer, 2ull * 2560 * 128256);
    }
    for (uint64_t ctx = 512; ctx <= 4096; ctx *= 2) check_fills(&devs[d].memory, m, ctx);
  }
  /* longer than the model was trained for */
  clql_inference_plan p = plan(&devs[3].memory, m, 8192, 1, CLQL_KV_F16);
  CU_ASSERT_FALSE(p.fits);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_INFERENCE_BY_MAX_CONTEXT);
  /* both open: the model's context, as many sequences as fit */
  p = plan(&devs[3].memory, m, 0, 0, CLQL_KV_F16);
  CU_ASSERT_EQUAL(p.context, 4096);
  CU_ASSERT_TRUE(p.fits);
  /* few sequences: the model's maximum context binds */
  p = plan(&devs[3].memory, m, 0, 2, CLQL_KV_F16);
  CU_ASSERT_EQUAL(p.context, 4096);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_INFERENCE_BY_MAX_CONTEXT);
  /* a request that fits says so */
  p = plan(&devs[0].memory, m, 1024, 2, CLQL_KV_F16);
  CU_ASSERT_TRUE(p.fits);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_INFERENCE_BY_REQUEST);
  /* a budget knob applies */
  clql_budget_options o = {.set = CLQL_BUDGET_LIMIT, .limit = 2 * GiB};
  clql_inference_request r = {.context = 4096};
  CU_ASSERT_EQUAL(clql_plan_inference(&devs[3].memory, &o, m, &r, &p), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(p.budget.bytes, 2 * GiB);
  CU_ASSERT(p.need_bytes <= 2 * GiB);
  clql_model_destroy(m);
}

/* ---- the text format ---- */

static const char *const text_model =
    "# a small GQA model\n"
    "@arch llama\n@layers 4\n@hidden 512\n@ffn 1024\n@heads 8\n@kv_heads 2\n@vocab 1000\n"
    "@context 8192\n@tied 0\n"
    "q 512 512 4\nk 128 512 4\nv 128 512 4\no 512 512 4\n"
    "@tensor token_embd embedding f16 512000\n"
    "@tensor output output q8_0 512000\n"
    "@tensor attn_norm norm f32 512 4\n";

static void test_text_format(void) {
  clql_model *m = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_model_from_text(text_model, "small.txt", CLQL_QTYPE_TL1, &m),
                        CLQL_SUCCESS);
  clql_model_info i;
  CU_ASSERT_EQUAL(clql_model_get_info(m, &i), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(i.name, "small.txt");
  CU_ASSERT_STRING_EQUAL(i.arch, "llama");
  CU_ASSERT_EQUAL(i.key_length, 64); /* hidden / heads */
  CU_ASSERT_EQUAL(i.kv_elements_per_token, 4 * 2 * (64 + 64));
  CU_ASSERT_FALSE(i.tied_output);
  CU_ASSERT_EQUAL(i.bytes_by_kind[CLQL_TENSOR_EMBEDDING], 1024000);
  CU_ASSERT_EQUAL(i.bytes_by_kind[CLQL_TENSOR_OUTPUT], 512000 / 32 * 34);
  CU_ASSERT_EQUAL(i.bytes_by_kind[CLQL_TENSOR_NORM], 4 * 512 * 4);
  /* the same text through the linear planner's parser: its ternary layers */
  size_t n = 0;
  CU_ASSERT_EQUAL(clql_model_parse(text_model, CLQL_QTYPE_TL1, NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 4);
  /* buffers of at most 1 MiB (the 1,024,000-byte embedding fits): a layer's
   * K cache is 2 x 64 x 2 bytes per token of every sequence, 16 KiB per
   * sequence of 64 tokens, so 64 sequences stop it long before the budget */
  clql_memory_report mem = report(64 * GiB, 1 * MiB, 60 * GiB);
  clql_inference_request r = {.context = 64, .kv_type = CLQL_KV_F16};
  clql_inference_plan p;
  CU_ASSERT_EQUAL(clql_plan_inference(&mem, NULL, m, &r, &p), CLQL_SUCCESS);
  CU_ASSERT_TRUE(p.fits);
  CU_ASSERT_EQUAL(p.limited_by, CLQL_INFERENCE_BY_MAX_ALLOC);
  CU_ASSERT_EQUAL(p.sequences, 64);
  CU_ASSERT_EQUAL(p.kv_largest_buffer, 1 * MiB);
  clql_model_destroy(m);

  /* the old format: ternary layers only, no attention to plan */
  CU_ASSERT_EQUAL_FATAL(clql_model_from_text("q 2560 2560 30\n", NULL, CLQL_QTYPE_I2S, &m),
                        CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_plan_inference(&mem, NULL, m, &r, &p), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "attention"));
  clql_model_destroy(m);

  const struct {
    const char *text, *detail;
  } bad[] = {
      {"@layers\n", "line 1: expected: @layers N"},
      {"@layers 0\n@tensor x other f32 4\n", "line 1: @layers is 0"},
      {"@layer 30\n", "unknown directive '@layer'"},
      {"@tensor e embedding f17 100\n", "tensor type 'f17'"},
      {"@tensor e ternary f16 100\n", "tensor kind 'ternary'"},
      {"@tensor e other q8_0 100\n", "100 elements of Q8_0 (blocks of 32)"},
      {"@tied yes\n", "expected: @tied 0 or @tied 1"},
      {"q 16 32\n@heads 3\n@hidden 64\n", "not a multiple of @heads"},
      {"q 16 32\n@heads 2\n@kv_heads 4\n", "@kv_heads 4 exceeds @heads 2"},
      {"@hidden 99999999999999999999\n", "too large for 64 bits"},
      {"@arch a\x1b[2Jb\n", "unexpected byte 0x1b"},
      {"# nothing\n", "no tensors"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    m = (clql_model *)&i;
    CU_ASSERT_EQUAL(clql_model_from_text(bad[k].text, "m.txt", CLQL_QTYPE_I2S, &m),
                    CLQL_ERR_PARSE);
    CU_ASSERT_PTR_NULL(m);
    if (!strstr(clql_last_error_detail(), bad[k].detail))
      printf("\n  %zu: '%s' lacks '%s'", k, clql_last_error_detail(), bad[k].detail);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), bad[k].detail));
  }
  CU_ASSERT_EQUAL(clql_model_from_text(NULL, NULL, CLQL_QTYPE_I2S, &m), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_model_from_file("/nonexistent/m.txt", CLQL_QTYPE_I2S, &m), CLQL_ERR_IO);
}

/* ---- GGUF files from the gguf package ---- */

static void check_model_file(json_t *e, const char *dir) {
  const char *file = json_string_value(json_object_get(e, "file"));
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  clql_gguf *g = NULL;
  CU_ASSERT_EQUAL_FATAL(clql_gguf_open(path, &g), CLQL_SUCCESS);
  clql_model *m = NULL;
  clql_status st = clql_model_from_gguf(g, &m);
  if (st != CLQL_SUCCESS) printf("\n  %s: %s", file, clql_last_error_detail());
  CU_ASSERT_EQUAL_FATAL(st, CLQL_SUCCESS);
  clql_gguf_close(g); /* the description holds no view into the file */
  clql_model_info i;
  CU_ASSERT_EQUAL(clql_model_get_info(m, &i), CLQL_SUCCESS);
#define U(key) ((uint64_t)json_integer_value(json_object_get(e, key)))
  CU_ASSERT_STRING_EQUAL(i.arch, json_string_value(json_object_get(e, "arch")));
  CU_ASSERT_EQUAL(i.layers, U("layers"));
  CU_ASSERT_EQUAL(i.hidden, U("hidden"));
  CU_ASSERT_EQUAL(i.ffn, U("ffn"));
  CU_ASSERT_EQUAL(i.heads, U("heads"));
  CU_ASSERT_EQUAL(i.key_length, U("key_length"));
  CU_ASSERT_EQUAL(i.value_length, U("value_length"));
  CU_ASSERT_EQUAL(i.vocab, U("vocab"));
  CU_ASSERT_EQUAL(i.max_context, U("context"));
  CU_ASSERT_EQUAL(i.tied_output, json_is_true(json_object_get(e, "tied")));
  CU_ASSERT_EQUAL(i.kv_elements_per_token, U("kv_elements_per_token"));
  CU_ASSERT_EQUAL(i.weights_bytes, U("weights_bytes"));
  CU_ASSERT_EQUAL(i.tensors, U("tensors"));
  json_t *kinds = json_object_get(e, "bytes_by_kind");
  for (int k = 0; k < CLQL_TENSOR_KIND_COUNT_; k++)
    CU_ASSERT_EQUAL(i.bytes_by_kind[k], (uint64_t)json_integer_value(json_object_get(
                                            kinds, clql_tensor_kind_name((clql_tensor_kind)k))));
  /* KV bytes per token, per type, as the metadata's formula gives them */
  clql_memory_report mem = report(16 * GiB, 4 * GiB, 15 * GiB);
  json_t *per = json_object_get(e, "kv_bytes_per_token");
  const clql_kv_type types[] = {CLQL_KV_F16, CLQL_KV_F32, CLQL_KV_Q8_0};
  for (size_t t = 0; t < 3; t++) {
    json_t *want = json_object_get(per, clql_kv_type_name(types[t]));
    clql_inference_request r = {.context = 128, .sequences = 1, .kv_type = types[t]};
    clql_inference_plan p;
    st = clql_plan_inference(&mem, NULL, m, &r, &p);
    if (json_is_null(want)) { /* rows that are not whole blocks of the type */
      CU_ASSERT_EQUAL(st, CLQL_ERR_INVALID_ARGUMENT);
      CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "not whole blocks"));
    } else {
      CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
      CU_ASSERT_EQUAL(p.kv_bytes_per_token, (uint64_t)json_integer_value(want));
      CU_ASSERT_EQUAL(p.weights_bytes, U("weights_bytes"));
    }
  }
#undef U
  check_fills(&mem, m, 256);
  clql_model_destroy(m);
}

static void test_gguf_models(void) {
  const char *dir = getenv("CLQL_GGUF_FIXTURES");
  CLQL_REQUIRE(dir != NULL);
  char path[4200];
  snprintf(path, sizeof path, "%s/models.json", dir);
  json_error_t err;
  json_t *root = json_load_file(path, 0, &err);
  CLQL_REQUIRE(root != NULL);
  json_t *models = json_object_get(root, "models");
  CU_ASSERT_EQUAL(json_array_size(models), 2);
  size_t k;
  json_t *e;
  json_array_foreach(models, k, e) check_model_file(e, dir);
  json_decref(root);
}

/* ---- bad and missing metadata ---- */

/* A llama-style file of the given metadata (key, value) pairs and two
 * tensors: token_embd (vocab 32 x hidden 64) and one norm. */
typedef struct {
  const char *key;
  int type; /* GT_U32, GT_STR, or GT_ARR of u32 */
  uint64_t u;
  const char *s;
  const uint32_t *arr;
  uint64_t arr_len;
} meta_kv;

static clql_status open_model(const meta_kv *kv, size_t n, clql_model **out) {
  gguf_builder g;
  gguf_init(&g);
  for (size_t i = 0; i < n; i++) {
    if (kv[i].type == GT_STR) {
      gguf_kv_str(&g, kv[i].key, kv[i].s);
    } else if (kv[i].type == GT_ARR) {
      gguf_key(&g, kv[i].key, GT_ARR);
      gb_u32(&g.meta, GT_U32);
      gb_u64(&g.meta, kv[i].arr_len);
      for (uint64_t j = 0; j < kv[i].arr_len; j++) gb_u32(&g.meta, kv[i].arr[j]);
    } else {
      gguf_kv_u32(&g, kv[i].key, (uint32_t)kv[i].u);
    }
  }
  static uint16_t embd[32 * 64];
  static float norm[64];
  const uint64_t embd_dims[2] = {64, 32}, norm_dims[1] = {64};
  gguf_tensor(&g, "token_embd.weight", 1 /* F16 */, 2, embd_dims, embd, sizeof embd);
  gguf_tensor(&g, "output_norm.weight", 0 /* F32 */, 1, norm_dims, norm, sizeof norm);
  size_t len = 0;
  uint8_t *file = gguf_finish(&g, 3, &len, NULL);
  gguf_free(&g);
  clql_gguf *h = NULL;
  clql_status st = clql_gguf_open_memory(file, len, &h);
  if (st == CLQL_SUCCESS) st = clql_model_from_gguf(h, out);
  clql_gguf_close(h);
  free(file);
  return st;
}

static void test_bad_metadata(void) {
  static const uint32_t per_block[2] = {2, 4}, short_array[1] = {2};
  const meta_kv base[] = {{"general.architecture", GT_STR, 0, "llama", NULL, 0},
                          {"llama.block_count", GT_U32, 2, NULL, NULL, 0},
                          {"llama.embedding_length", GT_U32, 64, NULL, NULL, 0},
                          {"llama.feed_forward_length", GT_U32, 128, NULL, NULL, 0},
                          {"llama.attention.head_count", GT_U32, 4, NULL, NULL, 0},
                          {"llama.context_length", GT_U32, 256, NULL, NULL, 0}};
  const size_t nb = sizeof base / sizeof base[0];
  clql_model *m = NULL;
  CU_ASSERT_EQUAL_FATAL(open_model(base, nb, &m), CLQL_SUCCESS);
  clql_model_info i;
  CU_ASSERT_EQUAL(clql_model_get_info(m, &i), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(i.kv_heads, 4);    /* absent: one per query head */
  CU_ASSERT_EQUAL(i.key_length, 16); /* absent: 64 / 4 */
  CU_ASSERT_EQUAL(i.vocab, 32);      /* from token_embd's rows */
  CU_ASSERT_TRUE(i.tied_output);     /* no output.weight */
  clql_model_destroy(m);

  /* each required key missing in turn names itself */
  const char *names[] = {"general.architecture", "llama.block_count", "llama.embedding_length",
                         "llama.feed_forward_length", "llama.attention.head_count",
                         "llama.context_length"};
  for (size_t drop = 0; drop < nb; drop++) {
    meta_kv kv[8];
    size_t n = 0;
    for (size_t j = 0; j < nb; j++)
      if (j != drop) kv[n++] = base[j];
    m = NULL;
    CU_ASSERT_EQUAL(open_model(kv, n, &m), CLQL_ERR_PARSE);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), names[drop]));
  }
  /* contradictions, each naming the key */
  const struct {
    meta_kv extra;
    const char *detail;
  } bad[] = {
      {{"llama.attention.head_count_kv", GT_U32, 3, NULL, NULL, 0}, "head_count_kv: 3 KV heads"},
      {{"llama.attention.head_count_kv", GT_U32, 8, NULL, NULL, 0}, "head_count_kv: 8 KV heads"},
      {{"llama.attention.head_count_kv", GT_ARR, 0, NULL, short_array, 1}, "an array of 1"},
      {{"llama.vocab_size", GT_U32, 33, NULL, NULL, 0}, "token_embd.weight has 32 rows"},
      {{"llama.attention.key_length", GT_STR, 0, "64", NULL, 0}, "key_length: not a whole number"},
      {{"llama.attention.value_length", GT_U32, 0, NULL, NULL, 0}, "value_length is 0"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    meta_kv kv[8];
    memcpy(kv, base, sizeof base);
    kv[nb] = bad[k].extra;
    m = NULL;
    CU_ASSERT_EQUAL(open_model(kv, nb + 1, &m), CLQL_ERR_PARSE);
    if (!strstr(clql_last_error_detail(), bad[k].detail))
      printf("\n  %zu: '%s' lacks '%s'", k, clql_last_error_detail(), bad[k].detail);
    CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), bad[k].detail));
  }
  /* a head count that does not divide the hidden size, without key_length */
  meta_kv odd[8];
  memcpy(odd, base, sizeof base);
  odd[4].u = 3;
  CU_ASSERT_EQUAL(open_model(odd, nb, &m), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "key_length is missing"));
  /* KV heads per block */
  meta_kv kv[8];
  memcpy(kv, base, sizeof base);
  kv[nb] = (meta_kv){"llama.attention.head_count_kv", GT_ARR, 0, NULL, per_block, 2};
  CU_ASSERT_EQUAL_FATAL(open_model(kv, nb + 1, &m), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_model_get_info(m, &i), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(i.kv_heads, 4);
  CU_ASSERT_EQUAL(i.kv_elements_per_token, (2 + 4) * (16 + 16));
  clql_model_destroy(m);
  CU_ASSERT_EQUAL(clql_model_from_gguf(NULL, &m), CLQL_ERR_INVALID_ARGUMENT);
}

/* ---- several devices ---- */

static void test_split(void) {
  clql_model *m = preset("bitnet-b1.58-2b4t");
  clql_split_device two[2] = {{.memory = report(8 * GiB, 4 * GiB, 8 * GiB - 256 * MiB)},
                              {.memory = report(8 * GiB, 4 * GiB, 8 * GiB - 256 * MiB)}};
  clql_inference_request r = {.context = 4096};
  clql_inference_part parts[2];
  clql_inference_split_plan sp;
  CU_ASSERT_EQUAL_FATAL(clql_plan_inference_split(two, 2, m, &r, parts, &sp), CLQL_SUCCESS);
  CU_ASSERT_TRUE(sp.fits);
  CU_ASSERT_EQUAL(sp.kv_bytes_per_token, 76800);
  /* every block has a device, in order; each device within its budget */
  CU_ASSERT_EQUAL(parts[0].layer_begin, 0);
  CU_ASSERT_EQUAL(parts[0].layer_end, parts[1].layer_begin);
  CU_ASSERT_EQUAL(parts[1].layer_end, 30);
  CU_ASSERT_TRUE(parts[0].embedding);
  CU_ASSERT_TRUE(parts[1].output);
  for (int d = 0; d < 2; d++) CU_ASSERT(parts[d].need_bytes <= parts[d].budget.bytes);
  /* one more sequence does not fit */
  clql_inference_request more = {.context = 4096, .sequences = sp.sequences + 1};
  clql_inference_split_plan sp2;
  CU_ASSERT_EQUAL(clql_plan_inference_split(two, 2, m, &more, parts, &sp2), CLQL_SUCCESS);
  CU_ASSERT_FALSE(sp2.fits);
  /* two 8 GiB devices serve more than one, and the KV is theirs */
  clql_inference_plan one = plan(&two[0].memory, m, 4096, 0, CLQL_KV_F16);
  CU_ASSERT(sp.sequences > one.sequences);
  /* one device: the same as the single-device plan */
  CU_ASSERT_EQUAL(clql_plan_inference_split(two, 1, m, &r, parts, &sp), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(sp.sequences, one.sequences);
  CU_ASSERT_EQUAL(parts[0].need_bytes, one.need_bytes);
  CU_ASSERT_EQUAL(clql_plan_inference_split(NULL, 1, m, &r, parts, &sp), CLQL_ERR_INVALID_ARGUMENT);
  clql_model_destroy(m);
}

static void test_bad_input(void) {
  clql_model *m = preset("bitnet-b1.58-2b4t");
  clql_memory_report mem = report(8 * GiB, 2 * GiB, 7 * GiB);
  clql_inference_request r = {.context = 4096};
  clql_inference_plan p;
  CU_ASSERT_EQUAL(clql_plan_inference(NULL, NULL, m, &r, &p), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_plan_inference(&mem, NULL, NULL, &r, &p), CLQL_ERR_INVALID_ARGUMENT);
  r.kv_type = (clql_kv_type)99;
  CU_ASSERT_EQUAL(clql_plan_inference(&mem, NULL, m, &r, &p), CLQL_ERR_INVALID_ARGUMENT);
  /* enormous requests: no overflow, just no fit */
  r = (clql_inference_request){.context = 4096, .sequences = UINT64_MAX / 2};
  CU_ASSERT_NOT_EQUAL(clql_plan_inference(&mem, NULL, m, &r, &p), CLQL_SUCCESS);
  clql_kv_type t;
  CU_ASSERT_EQUAL(clql_kv_type_parse("Q8_0", &t), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(t, CLQL_KV_Q8_0);
  CU_ASSERT_EQUAL(clql_kv_type_parse("q3_k", &t), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_STRING_EQUAL(clql_kv_type_name(CLQL_KV_IQ4_NL), "iq4_nl");
  CU_ASSERT_STRING_EQUAL(clql_inference_limit_name((clql_inference_limit)9), "unknown");
  CU_ASSERT_STRING_EQUAL(clql_tensor_kind_name(CLQL_TENSOR_NORM), "norm");
  clql_model_destroy(m);
  m = (clql_model *)&r;
  CU_ASSERT_EQUAL(clql_model_from_preset("no-such", CLQL_QTYPE_I2S, &m), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NULL(m);
  clql_model_destroy(NULL);
}

static CU_TestInfo tests[] = {{"preset", test_preset},
                              {"replayed_devices", test_replayed_devices},
                              {"text_format", test_text_format},
                              {"gguf_models", test_gguf_models},
                              {"bad_metadata", test_bad_metadata},
                              {"split", test_split},
                              {"bad_input", test_bad_input},
                              CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "inference", .pTests = tests}, CU_SUITE_INFO_NULL};
