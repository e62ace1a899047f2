/* libFuzzer target for model files (the format of include/clql/model.h with
 * its @ lines): parse any text (clql_model_parse), load the same bytes as a
 * file (clql_model_load, which reads NUL bytes and CR too), check both agree,
 * then size and plan what parsed, for the linear layers (clql_plan_model) and
 * as a whole model for inference (clql_model_from_text, clql_plan_inference). */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <clql.h>
#include "fuzz.h"

/* The bytes as a file (in memory), loaded; the status, *n layers in l. */
static clql_status load_file(const uint8_t *data, size_t size, clql_qtype q,
                             clql_model_layer *l, size_t cap, size_t *n) {
  int fd = memfd_create("model", 0);
  EXPECT(fd >= 0);
  EXPECT(size == 0 || write(fd, data, size) == (ssize_t)size);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  clql_status st = clql_model_load(path, q, l, cap, n);
  close(fd);
  return st;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 1 << 16) return 0;
  char *text = malloc(size);
  if (!text) return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  clql_qtype q = (clql_qtype)(data[0] % CLQL_QTYPE_COUNT_);
  size_t n = 0, again = 0, from_file = 0;
  clql_status st = clql_model_parse(text, q, NULL, 0, &n);
  if (st != CLQL_SUCCESS) EXPECT(clql_last_error_detail()[0]);
  clql_status file_st = load_file(data + 1, size - 1, q, NULL, 0, &from_file);
  /* a file is read whole: the same as the text when it holds no NUL byte */
  const int has_nul = memchr(data + 1, 0, size - 1) != NULL;
  if (!has_nul) {
    EXPECT(file_st == st && (st != CLQL_SUCCESS || from_file == n));
  } else {
    EXPECT(file_st == CLQL_SUCCESS || file_st == CLQL_ERR_PARSE);
    EXPECT(file_st == CLQL_SUCCESS || clql_last_error_detail()[0]);
  }
  if (st == CLQL_SUCCESS) {
    EXPECT(n >= 1);
    clql_model_layer *l = calloc(n, sizeof *l);
    EXPECT(l != NULL);
    EXPECT(clql_model_parse(text, q, l, n, &again) == CLQL_SUCCESS && again == n);
    clql_model_layer *f = calloc(n, sizeof *f);
    EXPECT(f != NULL);
    if (!has_nul) {
      EXPECT(load_file(data + 1, size - 1, q, f, n, &again) == CLQL_SUCCESS && again == n);
      EXPECT(memcmp(f, l, n * sizeof *l) == 0);
    }
    free(f);
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
