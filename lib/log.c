#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static clql_log_fn log_fn;
static void *log_user;
static clql_log_level log_fn_level;

void clql_set_log_callback(clql_log_fn fn, void *user, clql_log_level max_level) {
  log_fn = fn;
  log_user = user;
  log_fn_level = max_level;
}

/* CLQL_LOG is read on every check: it is cheap, and tests change it at run time. */
static clql_log_level env_level(void) {
  const char *v = getenv("CLQL_LOG");
  if (!v || !*v) return CLQL_LOG_OFF;
  static const char *const names[] = {"off", "error", "warn", "info", "debug"};
  for (int i = 0; i < 5; i++)
    if (strcmp(v, names[i]) == 0) return (clql_log_level)i;
  return CLQL_LOG_WARN; /* unknown value: keep warnings so the mistake is visible */
}

int clql_log_enabled(clql_log_level level) {
  if (log_fn) return level <= log_fn_level;
  return level <= env_level();
}

void clql_log(clql_log_level level, const char *fmt, ...) {
  if (level == CLQL_LOG_OFF || !clql_log_enabled(level)) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  clql_sanitize(msg);
  if (log_fn) {
    log_fn(level, msg, log_user);
    return;
  }
  static const char *const tags[] = {"", "error", "warn", "info", "debug"};
  fprintf(stderr, "clql %s: %s\n", tags[level], msg);
}
