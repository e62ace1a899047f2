#include "format.h"
#include <stdio.h>

void tool_size_text(uint64_t bytes, char *buf, size_t size) {
  const double v = (double)bytes;
  if (bytes >= (1ull << 30))
    snprintf(buf, size, "%.2f GiB", v / (double)(1ull << 30));
  else if (bytes >= (1ull << 20))
    snprintf(buf, size, "%.2f MiB", v / (double)(1ull << 20));
  else
    snprintf(buf, size, "%.1f KiB", v / 1024.0);
}

json_t *tool_json_u64(uint64_t v) {
  return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}
