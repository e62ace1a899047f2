/* Sizes as the tools print them, in tables and JSON. */
#ifndef CLQL_TOOL_FORMAT_H
#define CLQL_TOOL_FORMAT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* "1.50 GiB", "12.00 MiB", "12.0 KiB". */
void tool_size_text(uint64_t bytes, char *buf, size_t size);
/* A byte count as a JSON integer (a real above INT64_MAX, which jansson's
 * integers cannot hold). */
json_t *tool_json_u64(uint64_t v);

#endif /* CLQL_TOOL_FORMAT_H */
