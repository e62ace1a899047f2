/* Diagnostics. clql writes nothing unless asked: set CLQL_LOG=error|warn|info|debug
 * (messages go to stderr) or install a callback. The callback is process-wide
 * and must be installed before other threads use clql. */
#ifndef CLQL_LOG_H
#define CLQL_LOG_H

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

#ifdef __cplusplus
}
#endif

#endif /* CLQL_LOG_H */
