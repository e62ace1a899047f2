/* Model layer lists: presets, the text format and files, and the model-wide
 * sums. Expected bytes are worked out by hand from docs/formats.md. */
#include <stdio.h>
#include <string.h>
#include <clql.h>
#include "runner.h"

const int clql_test_needs_device = 0;

/* 2B4T, 30 blocks. I2S (and TL1, same grid): Kp/4 * N weight bytes + 4N of
 * row scales: q, o 1638400 + 10240; k, v 409600 + 2560; gate, up 4423680 +
 * 27648; down 4423680 + 10240; one block 17458176. TL2: 20 bytes per 96 of
 * Kp (2592 for 2560, 6912 for 6912): one block 14698496. */
#define BITNET_I2S_BYTES (30ull * 17458176)
#define BITNET_TL2_BYTES (30ull * 14698496)

static void test_preset_names(void) {
  size_t n = 0;
  CU_ASSERT_EQUAL_FATAL(clql_model_preset_names(NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  const char *names[2] = {NULL, NULL};
  size_t got = 0;
  CU_ASSERT_EQUAL(clql_model_preset_names(names, 1, &got), CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(got, 2);
  CU_ASSERT_STRING_EQUAL(names[0], "bitnet-b1.58-2b4t");
  CU_ASSERT_PTR_NULL(names[1]);
  CU_ASSERT_EQUAL(clql_model_preset_names(names, 2, &got), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(names[1], "bitnet-b1.58-2b4t-fused");
  CU_ASSERT_EQUAL(clql_model_preset_names(NULL, 0, NULL), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_model_preset_names(NULL, 3, &got), CLQL_ERR_INVALID_ARGUMENT);
}

static void test_bitnet_preset(void) {
  size_t n = 0;
  CU_ASSERT_EQUAL_FATAL(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, NULL, 0, &n),
                        CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(n, 7);
  clql_model_layer l[7];
  CU_ASSERT_EQUAL(clql_model_preset("BitNet-B1.58-2B4T", CLQL_QTYPE_I2S, l, 3, &n),
                  CLQL_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(n, 7);
  CU_ASSERT_EQUAL_FATAL(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_I2S, l, 7, &n),
                        CLQL_SUCCESS);
  const struct {
    const char *name;
    uint64_t n, k;
  } want[] = {{"q", 2560, 2560},    {"k", 640, 2560},  {"v", 640, 2560},   {"o", 2560, 2560},
              {"gate", 6912, 2560}, {"up", 6912, 2560}, {"down", 2560, 6912}};
  for (int i = 0; i < 7; i++) {
    CU_ASSERT_STRING_EQUAL(l[i].name, want[i].name);
    CU_ASSERT_EQUAL(l[i].shape.n, want[i].n);
    CU_ASSERT_EQUAL(l[i].shape.k, want[i].k);
    CU_ASSERT_EQUAL(l[i].shape.qtype, CLQL_QTYPE_I2S);
    CU_ASSERT_EQUAL(l[i].shape.group_size, CLQL_GROUP_ROW);
    CU_ASSERT_EQUAL(l[i].count, 30);
  }
  uint64_t bytes = 0;
  CU_ASSERT_EQUAL(clql_model_weight_bytes(l, 7, &bytes), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(bytes, BITNET_I2S_BYTES);
  CU_ASSERT_EQUAL_FATAL(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_TL1, l, 7, &n),
                        CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_model_weight_bytes(l, 7, &bytes), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(bytes, BITNET_I2S_BYTES);
  CU_ASSERT_EQUAL_FATAL(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_TL2, l, 7, &n),
                        CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_model_weight_bytes(l, 7, &bytes), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(bytes, BITNET_TL2_BYTES);
  /* The fused variant holds the same weights in fewer, larger matrices. */
  clql_model_layer f[4];
  CU_ASSERT_EQUAL_FATAL(clql_model_preset("bitnet-b1.58-2b4t-fused", CLQL_QTYPE_I2S, f, 4, &n),
                        CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 4);
  CU_ASSERT_EQUAL(f[2].shape.n, 13824);
  uint64_t weights = 0;
  for (int i = 0; i < 4; i++) weights += f[i].count * f[i].shape.n * f[i].shape.k;
  CU_ASSERT_EQUAL(weights, 30ull * (2 * 2560 * 2560 + 2 * 640 * 2560 + 3 * 6912 * 2560));

  CU_ASSERT_EQUAL(clql_model_preset("llama-70b", CLQL_QTYPE_I2S, NULL, 0, &n), CLQL_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "bitnet-b1.58-2b4t"));
  CU_ASSERT_EQUAL(clql_model_preset("bitnet-b1.58-2b4t", (clql_qtype)7, NULL, 0, &n),
                  CLQL_ERR_INVALID_QTYPE);
}

static void test_parse_good(void) {
  const char *text = "# a model\n"
                     "\n"
                     "attn.q   2560 2560 30   # per block\n"
                     "\tffn/down\t2560\t6912\r\n"
                     "   \n"
                     "  # indented comment\n"
                     "x:1 3 1 18446744073709551615";
  size_t n = 0;
  CU_ASSERT_EQUAL_FATAL(clql_model_parse(text, CLQL_QTYPE_TL2, NULL, 0, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL_FATAL(n, 3);
  clql_model_layer l[3];
  memset(l, 0xAB, sizeof l);
  CU_ASSERT_EQUAL_FATAL(clql_model_parse(text, CLQL_QTYPE_TL2, l, 3, &n), CLQL_SUCCESS);
  CU_ASSERT_STRING_EQUAL(l[0].name, "attn.q");
  CU_ASSERT_EQUAL(l[0].shape.n, 2560);
  CU_ASSERT_EQUAL(l[0].shape.k, 2560);
  CU_ASSERT_EQUAL(l[0].count, 30);
  CU_ASSERT_EQUAL(l[0].shape.qtype, CLQL_QTYPE_TL2);
  CU_ASSERT_EQUAL(l[0].shape.group_size, CLQL_GROUP_ROW);
  CU_ASSERT_STRING_EQUAL(l[1].name, "ffn/down");
  CU_ASSERT_EQUAL(l[1].shape.k, 6912);
  CU_ASSERT_EQUAL(l[1].count, 1);
  CU_ASSERT_STRING_EQUAL(l[2].name, "x:1");
  CU_ASSERT_EQUAL(l[2].count, UINT64_MAX);
  /* A count that large parses but the model's bytes overflow: an error, not a wrapped sum. */
  uint64_t bytes = 0;
  CU_ASSERT_EQUAL(clql_model_weight_bytes(l, 3, &bytes), CLQL_ERR_SIZE_OVERFLOW);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "x:1"));
  CU_ASSERT_EQUAL(bytes, 0);
  /* A name of 63 characters is the longest. */
  char longest[128];
  memset(longest, 'n', 63);
  strcpy(longest + 63, " 1 1\n");
  CU_ASSERT_EQUAL(clql_model_parse(longest, CLQL_QTYPE_I2S, l, 1, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(strlen(l[0].name), 63);
}

static void test_parse_errors(void) {
  const struct {
    const char *text, *detail;
  } bad[] = {
      {"", "no layers"},
      {"# only a comment\n\n", "no layers"},
      {"q 2560\n", "line 1: too few fields"},
      {"q\n", "line 1: too few fields"},
      {"ok 1 1\nq 1 2 3 4\n", "line 2: too many fields"},
      {"q 0 2560\n", "line 1: N is 0"},
      {"q 2560 0\n", "line 1: K is 0"},
      {"q 1 1 0\n", "line 1: count is 0"},
      {"q -1 2560\n", "line 1: N '-1' is negative"},
      {"q 2560 12a\n", "line 1: K '12a' is not a whole number"},
      {"q 2560 1e3\n", "line 1: K '1e3' is not a whole number"},
      {"q 2.5 1\n", "line 1: N '2.5' is not a whole number"},
      {"q 2560K 1\n", "line 1: N '2560K' is not a whole number"},
      {"\n\nq 1 1 99999999999999999999\n", "line 3: count '99999999999999999999' is too large"},
      {"q 18446744073709551616 1\n", "line 1: N '18446744073709551616' is too large"},
      {"q!x 1 1\n", "line 1: name 'q!x' has '!'"},
      {"q 1 1\x01\n", "line 1: unexpected byte 0x01"},
      {"q 1\r1\n", "line 1: unexpected byte 0x0d"},
      {"q 1 1\n\xc3\xa9 1 1\n", "line 2: unexpected byte 0xc3"},
      {"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn 1 1\n",
       "line 1: name longer than 63"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t n = 77;
    clql_model_layer l[2];
    memset(l, 0xAB, sizeof l);
    unsigned char before = ((unsigned char *)l)[0];
    CU_ASSERT_EQUAL(clql_model_parse(bad[i].text, CLQL_QTYPE_I2S, l, 2, &n), CLQL_ERR_PARSE);
    const char *d = clql_last_error_detail();
    CU_ASSERT_PTR_NOT_NULL(strstr(d, bad[i].detail));
    if (!strstr(d, bad[i].detail)) printf("\n  case %zu: detail '%s'\n", i, d);
    CU_ASSERT_EQUAL(n, 77);                                /* nothing written */
    CU_ASSERT_EQUAL(((unsigned char *)l)[0], before);
  }
}

static void test_files(void) {
  char *dir = clql_test_mkdtemp();
  char path[4096];
  clql_test_write_file(dir, "good.txt", "# two layers\nq 2560 2560 30\ndown 2560 6912 30\n");
  snprintf(path, sizeof path, "%s/good.txt", dir);
  clql_model_layer l[2];
  size_t n = 0;
  CU_ASSERT_EQUAL_FATAL(clql_model_load(path, CLQL_QTYPE_I2S, l, 2, &n), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(n, 2);
  uint64_t bytes = 0;
  CU_ASSERT_EQUAL(clql_model_weight_bytes(l, 2, &bytes), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(bytes, 30ull * (1638400 + 10240 + 4423680 + 10240));

  clql_test_write_file(dir, "bad.txt", "q 2560 2560\n\nk 640 zero\n");
  snprintf(path, sizeof path, "%s/bad.txt", dir);
  CU_ASSERT_EQUAL(clql_model_load(path, CLQL_QTYPE_I2S, l, 2, &n), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "bad.txt: line 3: K 'zero'"));

  snprintf(path, sizeof path, "%s/missing.txt", dir);
  CU_ASSERT_EQUAL(clql_model_load(path, CLQL_QTYPE_I2S, NULL, 0, &n), CLQL_ERR_IO);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "missing.txt"));
  CU_ASSERT_EQUAL(clql_model_load(dir, CLQL_QTYPE_I2S, NULL, 0, &n), CLQL_ERR_IO);

  /* A NUL byte is reported, not taken as the end of the text. */
  snprintf(path, sizeof path, "%s/nul.txt", dir);
  FILE *f = fopen(path, "wb");
  CLQL_REQUIRE(f != NULL);
  fwrite("q 1 1\nk 1\0 1\n", 1, 13, f);
  fclose(f);
  CU_ASSERT_EQUAL(clql_model_load(path, CLQL_QTYPE_I2S, NULL, 0, &n), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "line 2: unexpected byte 0x00"));

  /* Over 1 MiB: refused before parsing. */
  snprintf(path, sizeof path, "%s/big.txt", dir);
  f = fopen(path, "wb");
  CLQL_REQUIRE(f != NULL);
  for (int i = 0; i < 150000; i++) fputs("layer 1 1\n", f);
  fclose(f);
  CU_ASSERT_EQUAL(clql_model_load(path, CLQL_QTYPE_I2S, NULL, 0, &n), CLQL_ERR_PARSE);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "larger than"));
  clql_test_rmtree(dir);
  free(dir);
}

static void test_model_workspace(void) {
  clql_model_layer l[7];
  size_t n = 0;
  CU_ASSERT_EQUAL_FATAL(clql_model_preset("bitnet-b1.58-2b4t", CLQL_QTYPE_TL1, l, 7, &n),
                        CLQL_SUCCESS);
  const unsigned io = CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT;
  /* One layer: the same as the layout's own workspace. */
  for (int i = 0; i < 7; i++) {
    clql_workspace_bytes a, b;
    CU_ASSERT_EQUAL_FATAL(clql_model_workspace_bytes(&l[i], 1, 5, io, &a), CLQL_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(clql_layout_workspace_bytes(&l[i].shape, 5, io, &b), CLQL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof a), 0);
  }
  /* The model: the largest of each part, K = 6912 from down and N = 6912 from gate. */
  clql_workspace_bytes ws;
  CU_ASSERT_EQUAL_FATAL(clql_model_workspace_bytes(l, 7, 8, io, &ws), CLQL_SUCCESS);
  CU_ASSERT_EQUAL(ws.batch, 8);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_INPUT], 8ull * 6912 * 4);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACTIVATIONS], 8ull * 6912);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_ACT_SCALES], 64 + CLQL_WS_COUNTER_BYTES);
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_TABLES], 0); /* TL1 indices are decoded, not looked up */
  CU_ASSERT_EQUAL(ws.part[CLQL_WS_OUTPUT], 8ull * 6912 * 4);
  CU_ASSERT_EQUAL(ws.largest, 8ull * 6912 * 4);
  /* 221184 + 55296 + 128 + 221184, each a multiple of 4096 or rounded up to one */
  CU_ASSERT_EQUAL(ws.total, 221184ull + 57344 + 4096 + 221184);

  CU_ASSERT_EQUAL(clql_model_workspace_bytes(l, 0, 1, io, &ws), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(clql_model_workspace_bytes(l, 7, 0, io, &ws), CLQL_ERR_INVALID_SHAPE);
  CU_ASSERT_EQUAL(clql_model_workspace_bytes(l, 7, UINT64_MAX / 8, io, &ws),
                  CLQL_ERR_SIZE_OVERFLOW);
  l[3].count = 0;
  CU_ASSERT_EQUAL(clql_model_workspace_bytes(l, 7, 1, io, &ws), CLQL_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(clql_last_error_detail(), "layer 3 (o): count is 0"));
}

static CU_TestInfo model_tests[] = {{"preset_names", test_preset_names},
                                    {"bitnet_preset", test_bitnet_preset},
                                    {"parse_good", test_parse_good},
                                    {"parse_errors", test_parse_errors},
                                    {"files", test_files},
                                    {"model_workspace", test_model_workspace},
                                    CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "model", .pTests = model_tests}, CU_SUITE_INFO_NULL};
