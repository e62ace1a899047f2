/* Selector lists ("0:0,1:0"): each item in the single-selector grammar,
 * white space around items ignored, empty items and repeats refused. */
#include <string.h>
#include "../../lib/internal.h"
#include "runner.h"

const int clql_test_needs_device = 0;

static void test_items(void) {
  clql_selector_list l;
  CLQL_REQUIRE(clql_selector_list_parse("0:0,1:0", &l) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(l.count, 2);
  CU_ASSERT_EQUAL(l.items[0].kind, CLQL_SEL_PAIR);
  CU_ASSERT_EQUAL(l.items[1].kind, CLQL_SEL_PAIR);
  CU_ASSERT_EQUAL(l.items[1].platform, 1u);
  clql_selector_list_free(&l);

  CLQL_REQUIRE(clql_selector_list_parse(" 3 ,\tgfx 1030 , 0:2", &l) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(l.count, 3);
  CU_ASSERT_EQUAL(l.items[0].kind, CLQL_SEL_INDEX);
  CU_ASSERT_EQUAL(l.items[0].index, 3u);
  CU_ASSERT_EQUAL(l.items[1].kind, CLQL_SEL_NAME);
  CU_ASSERT_STRING_EQUAL(l.items[1].text, "gfx 1030"); /* inner space kept */
  CU_ASSERT_EQUAL(l.items[2].device, 2u);
  clql_selector_list_free(&l);

  /* One item is the single grammar; NULL and "" the default device. */
  CLQL_REQUIRE(clql_selector_list_parse("rtx", &l) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(l.count, 1);
  CU_ASSERT_EQUAL(l.items[0].kind, CLQL_SEL_NAME);
  clql_selector_list_free(&l);
  CLQL_REQUIRE(clql_selector_list_parse(NULL, &l) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(l.count, 1);
  CU_ASSERT_EQUAL(l.items[0].kind, CLQL_SEL_DEFAULT);
  clql_selector_list_free(&l);
  CLQL_REQUIRE(clql_selector_list_parse("", &l) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(l.items[0].kind, CLQL_SEL_DEFAULT);
  clql_selector_list_free(&l);
  clql_selector_list_free(NULL);
}

static void test_bad_lists(void) {
  const char *bad[] = {"0,,1", ",0",      "0,",  ",",        "0, ,1",   "  ",   "0,\t",
                       "1:,0", "0,1:2:3", "0,0", "1:0, 1:0", "GFX,gfx", "0,1,0"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    clql_selector_list l;
    clql_status st = clql_selector_list_parse(bad[i], &l);
    CU_ASSERT_EQUAL(st, CLQL_ERR_BAD_SELECTOR);
    if (st != CLQL_ERR_BAD_SELECTOR) {
      printf("accepted bad list '%s'\n", bad[i]);
      clql_selector_list_free(&l);
      continue;
    }
    CU_ASSERT(strlen(clql_last_error_detail()) > 0);
    CU_ASSERT_PTR_NULL(l.items); /* nothing left to free */
  }
  CU_ASSERT(strstr(clql_last_error_detail(), "repeats item 1") != NULL);
  CU_ASSERT_EQUAL(clql_selector_list_parse("0", NULL), CLQL_ERR_INVALID_ARGUMENT);
}

static void test_items_match(void) {
  clql_device_info devs[3];
  memset(devs, 0, sizeof devs);
  for (unsigned i = 0; i < 3; i++) {
    devs[i].index = i;
    devs[i].platform_index = i / 2;
    devs[i].device_index = i % 2;
  }
  strcpy(devs[0].name, "pthread-cpu");
  strcpy(devs[1].name, "gfx1030");
  strcpy(devs[2].name, "NVIDIA GeForce RTX 4090");
  clql_selector_list l;
  CLQL_REQUIRE(clql_selector_list_parse("rtx, 0:1 ,0", &l) == CLQL_SUCCESS);
  CU_ASSERT_EQUAL(clql_selector_match(&l.items[0], devs, 3), 2);
  CU_ASSERT_EQUAL(clql_selector_match(&l.items[1], devs, 3), 1);
  CU_ASSERT_EQUAL(clql_selector_match(&l.items[2], devs, 3), 0);
  clql_selector_list_free(&l);
}

static CU_TestInfo list_tests[] = {{"items", test_items},
                                   {"bad_lists", test_bad_lists},
                                   {"items_match", test_items_match},
                                   CU_TEST_INFO_NULL};

CU_SuiteInfo clql_test_suites[] = {{.pName = "device_list", .pTests = list_tests},
                                   CU_SUITE_INFO_NULL};
