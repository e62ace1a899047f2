/* Layers from GGUF files written by the gguf Python package: a forward pass
 * equals the scalar reference on the imported weights exactly, and the
 * dense product with the package's own dequantized weights within the bound
 * that int8 activation quantization allows. */
#include <jansson.h>
#include <math.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 1;


/* One ternary tensor: layer forward vs the reference and vs the package's values. */
static void check_tensor(const clql_gguf *g, const char *name, json_t *values) {
  enum { B = 3 };
  clql_ternary_sizes sz;
  CLQL_REQUIRE(clql_gguf_import(g, name, NULL, 0, NULL, 0, &sz) == CLQL_SUCCESS);
  uint64_t n = sz.n, k = sz.k;
  CLQL_REQUIRE(json_array_size(values) == n * k);
  int8_t *t = malloc(sz.weights);
  float *scales = malloc(sz.scales * sizeof *scales), *x = malloc(B * k * sizeof *x),
        *y = malloc(B * n * sizeof *y), *ref = malloc(B * n * sizeof *ref);
  CLQL_REQUIRE(t && scales && x && y && ref);
  CLQL_REQUIRE(clql_gguf_import(g, name, t, sz.weights, scales, sz.scales, NULL) == CLQL_SUCCESS);
  for (uint64_t i = 0; i < B * k; i++) x[i] = clql_test_uniform(-3.0f, 3.0f);
  for (uint64_t i = 0; i < B * n; i++) y[i] = NAN; /* poisoned: every output must be written */

  clql_layer *layer = NULL;
  CLQL_REQUIRE(clql_gguf_layer_create(clql_test_ctx, g, name, NULL, &layer) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_layer_forward(layer, x, B, y), CLQL_SUCCESS);
  clql_layer_destroy(layer);

  clql_layer_shape shape = {.n = n, .k = k, .qtype = CLQL_QTYPE_I2S, .group_size = sz.group_size};
  CU_ASSERT_EQUAL(clql_ref_forward(&shape, t, scales, x, B, ref), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(memcmp(y, ref, B * n * sizeof *y), 0);

  /* Against the package's dequantized weights, in double: activation
   * quantization moves each x by at most amax/254. */
  size_t outside = 0;
  for (int b = 0; b < B; b++) {
    double amax = 1e-5;
    for (uint64_t i = 0; i < k; i++) amax = fmax(amax, fabs(x[b * k + i]));
    for (uint64_t r = 0; r < n; r++) {
      double exact = 0, wsum = 0, mag = 0;
      for (uint64_t i = 0; i < k; i++) {
        double w = json_number_value(json_array_get(values, (size_t)(r * k + i)));
        exact += w * x[b * k + i];
        wsum += fabs(w);
        mag += fabs(w * x[b * k + i]);
      }
      double bound = amax / 254.0 * wsum + 1e-5 * mag + 1e-6;
      outside += fabs((double)y[b * n + r] - exact) > bound;
    }
  }
  if (outside) printf("\n  %s: %zu outputs outside the bound\n", name, outside);
  CU_ASSERT_EQUAL(outside, 0);
  free(t), free(scales), free(x), free(y), free(ref);
}

static void test_fixture_layers(void) {
  const char *dir = getenv("CLQL_GGUF_FIXTURES");
  CLQL_REQUIRE(dir != NULL);
  char path[4096];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  json_error_t err;
  json_t *manifest = json_load_file(path, 0, &err);
  CLQL_REQUIRE(manifest != NULL);
  size_t fi, ti, checked = 0;
  json_t *file, *tensor;
  json_array_foreach(json_object_get(manifest, "files"), fi, file) {
    snprintf(path, sizeof path, "%s/%s", dir, json_string_value(json_object_get(file, "file")));
    clql_gguf *g = NULL;
    CLQL_REQUIRE(clql_gguf_open(path, &g) == CLQL_SUCCESS);
    json_array_foreach(json_object_get(file, "tensors"), ti, tensor) {
      const char *type = json_string_value(json_object_get(tensor, "type"));
      if (strcmp(type, "TQ1_0") && strcmp(type, "TQ2_0") && strcmp(type, "I2_S")) continue;
      check_tensor(g, json_string_value(json_object_get(tensor, "name")),
                   json_object_get(tensor, "values"));
      checked++;
    }
    clql_gguf_close(g);
  }
  CU_ASSERT(checked >= 6); /* TQ1_0, TQ2_0 and I2_S tensors of the fixtures */
  json_decref(manifest);
}

static void test_bad_input(void) {
  clql_layer *layer = NULL;
  CU_ASSERT_EQUAL(clql_gguf_layer_create(clql_test_ctx, NULL, "x", NULL, &layer), CLQL_ERR_INVALID_ARGUMENT);
  char path[4096];
  snprintf(path, sizeof path, "%s/ternary.gguf", getenv("CLQL_GGUF_FIXTURES"));
  clql_gguf *g = NULL;
  CLQL_REQUIRE(clql_gguf_open(path, &g) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_gguf_layer_create(clql_test_ctx, g, "no.such.tensor", NULL, &layer), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(clql_gguf_layer_create(clql_test_ctx, g, "output_norm.weight", NULL, &layer),
                  CLQL_ERR_UNSUPPORTED); /* F32, not ternary */
  CU_ASSERT_PTR_NULL(layer);
  clql_gguf_close(g);
}

static CU_TestInfo gguf_layer_tests[] = {{"fixture_layers", test_fixture_layers},
                                         {"bad_input", test_bad_input},
                                         CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {
    {.pName = "gguf_layer", .pInitFunc = clql_test_context_open, .pCleanupFunc = clql_test_context_close, .pTests = gguf_layer_tests},
    CU_SUITE_INFO_NULL};
