/* libFuzzer target for the device-selection grammar (CLQL_DEVICE, -d,
 * clql_device_select): parse any text, then match it against a fixed list of
 * devices, and check the grammar's promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../lib/internal.h"
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static clql_device_info devs[3];
  if (!devs[0].name[0]) {
    const char *names[] = {"gfx1030", "NVIDIA GeForce RTX 4090", "pthread-skylake"};
    const char *vendors[] = {"Advanced Micro Devices, Inc.", "NVIDIA Corporation", "GenuineIntel"};
    for (unsigned i = 0; i < 3; i++) {
      devs[i].index = i;
      devs[i].platform_index = i / 2;
      devs[i].device_index = i % 2;
      devs[i].type = i == 2 ? CL_DEVICE_TYPE_CPU : CL_DEVICE_TYPE_GPU;
      clql_strlcpy(devs[i].name, names[i], sizeof devs[i].name);
      clql_strlcpy(devs[i].vendor, vendors[i], sizeof devs[i].vendor);
      clql_strlcpy(devs[i].platform_name, i < 2 ? "Vendor platform" : "PoCL", CLQL_NAME_MAX);
    }
  }
  if (size > 4096) return 0;
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  clql_selector sel;
  clql_clear_error();
  clql_status st = clql_selector_parse(text, &sel);
  size_t len = strlen(text);
  if (st != CLQL_SUCCESS) {
    EXPECT(st == CLQL_ERR_BAD_SELECTOR && clql_last_error_detail()[0]);
  } else {
    /* Digits and colons never fall back to a name. */
    if (len && strspn(text, "0123456789:+-") == len) EXPECT(sel.kind != CLQL_SEL_NAME);
    if (sel.kind == CLQL_SEL_NAME) EXPECT(sel.text == text);
    if (sel.kind == CLQL_SEL_DEFAULT) EXPECT(len == 0);
    long i = clql_selector_match(&sel, devs, 3);
    EXPECT(i >= -1 && i < 3);
    if (sel.kind == CLQL_SEL_DEFAULT) EXPECT(i == 0);
    if (sel.kind == CLQL_SEL_INDEX) EXPECT(i == (sel.index < 3 ? (long)sel.index : -1));
    EXPECT(clql_selector_match(&sel, devs, 0) == -1);
  }
  free(text);
  return 0;
}
