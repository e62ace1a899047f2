/* Sizes and PCI addresses as the tools print them, in tables and JSON. */
#ifndef CLQL_TOOL_FORMAT_H
#define CLQL_TOOL_FORMAT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <clql.h>

/* "1.50 GiB", "12.00 MiB", "12.00 KiB", "512 B" (powers of 1024). */
void tool_size_text(uint64_t bytes, char *buf, size_t size);
/* "0000:41:00.0": domain:bus:device.function. */
void tool_pci_text(const clql_pci_address *pci, char *buf, size_t size);
/* A byte count as a JSON integer (a real above INT64_MAX, which jansson's
 * integers cannot hold). */
json_t *tool_json_u64(uint64_t v);

#endif /* CLQL_TOOL_FORMAT_H */
