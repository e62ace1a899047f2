#include "format.h"
#include <stdio.h>

void tool_size_text(uint64_t bytes, char *buf, size_t size) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  int u = 0;
  while (v >= 1024.0 && u < 4) v /= 1024.0, u++;
  snprintf(buf, size, u ? "%.2f %s" : "%.0f %s", v, units[u]);
}

void tool_pci_text(const clql_pci_address *pci, char *buf, size_t size) {
  snprintf(buf, size, "%04x:%02x:%02x.%x", pci->domain, pci->bus, pci->device, pci->function);
}

json_t *tool_json_u64(uint64_t v) {
  return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}
