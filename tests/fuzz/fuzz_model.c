/* libFuzzer target for model files (clql_model_parse and clql_model_from_text,
 * the format of include/clql/model.h with its @ lines): parse any text, then
 * size and plan what parsed, for the linear layers and for inference. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <clql.h>
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 1 << 16) return 0;
  char *text = malloc(size);
  if (!text) return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  clql_qtype q = (clql_qtype)(data[0] % CLQL_QTYPE_COUNT_);
  size_t n = 0, again = 0;
  clql_status st = clql_model_parse(text, q, NULL, 0, &n);
  if (st != CLQL_SUCCESS) {
    EXPECT(clql_last_error_detail()[0]);
  } else {
    EXPECT(n >= 1);
    clql_model_layer *l = calloc(n, sizeof *l);
    EXPECT(l != NULL);
    EXPECT(clql_model_parse(text, q, l, n, &again) == CLQL_SUCCESS && again == n);
    for (size_t i = 0; i < n; i++) {
      EXPECT(l[i].shape.n >= 1 && l[i].shape.k >= 1 && l[i].count >= 1 && l[i].shape.qtype == q);
      EXPECT(memchr(l[i].name, 0, sizeof l[i].name) && l[i].name[0]);
    }
    uint64_t bytes;
    if (clql_model_weight_bytes(l, n, &bytes) == CLQL_SUCCESS) {
      const clql_memory_report mem = {.total = 1ull << 36, .max_alloc = 1ull << 34,
                                      .free = 1ull << 35, .free_known = 1};
      clql_model_plan p;
      if (clql_plan_model(&mem, NULL, l, n, 0, 0, &p) == CLQL_SUCCESS) {
        EXPECT(p.weight_bytes == bytes);
        EXPECT(!p.fits || (p.batch >= 1 && p.need_bytes <= p.budget.bytes));
      }
    }
    free(l);
  }
  /* The same text as a whole model (its @ lines too), planned for inference. */
  clql_model *m = NULL;
  st = clql_model_from_text(text, "fuzz", q, &m);
  EXPECT((st == CLQL_SUCCESS) == (m != NULL));
  if (st != CLQL_SUCCESS) EXPECT(clql_last_error_detail()[0]);
  if (m) {
    clql_model_info i;
    EXPECT(clql_model_get_info(m, &i) == CLQL_SUCCESS && i.tensors >= 1);
    const clql_memory_report mem = {.total = 1ull << 36, .max_alloc = 1ull << 34,
                                    .free = 1ull << 35, .free_known = 1};
    clql_inference_request r = {.context = 1 + data[0] % 4096, .kv_type = CLQL_KV_F16};
    clql_inference_plan p;
    if (clql_plan_inference(&mem, NULL, m, &r, &p) == CLQL_SUCCESS && p.fits)
      EXPECT(p.need_bytes <= p.budget.bytes && p.sequences >= 1);
    clql_model_destroy(m);
  }
  free(text);
  return 0;
}
