/* Diagnostics. clql writes nothing unless asked: set CLQL_LOG=error|warn|info|debug
 * (messages go to stderr) or install a callback. The callback is process-wide
 * and must be installed before other threads use clql. */
#ifndef CLQL_LOG_H
#define CLQL_LOG_H

#include <stddef.h>
#include <clql/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clql_log_level {
  CLQL_LOG_OFF = 0,
  CLQL_LOG_ERROR = 1,
  CLQL_LOG_WARN = 2,
  CLQL_LOG_INFO = 3,
  CLQL_LOG_DEBUG = 4
} clql_log_level;

typedef void (*clql_log_fn)(clql_log_level level, const char *message, void *user);

/** Send messages up to max_level to fn instead of stderr; fn NULL restores stderr. */
CLQL_API void clql_set_log_callback(clql_log_fn fn, void *user, clql_log_level max_level);

/** clql_printable: also keep newlines and tabs (multi-line text such as a build log). */
#define CLQL_PRINTABLE_KEEP_LINES 1u

/** Make text safe to show on a terminal: copy src to dst (size bytes, always
 * NUL-terminated when size > 0; dst may be src) with every byte a terminal
 * could act on replaced by '?': C0 controls (escape included), DEL, C1
 * controls (U+0080..U+009F) and bytes that are not UTF-8 (a terminal not in
 * UTF-8 reads 0x9b as CSI). Other UTF-8 is kept, byte for byte, so the
 * result is exactly as long as src: the return value (strlen(src)) says how
 * much room it needs, and one >= size means it was cut, on a character
 * boundary. Device, platform and driver names, profile records and names
 * from files are data: clql's log, its error details and its tools pass
 * them through this before printing them. */
CLQL_API size_t clql_printable(const char *src, char *dst, size_t size, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_LOG_H */
