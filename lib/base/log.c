#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

static clql_log_fn log_fn;
static void *log_user;
static clql_log_level log_fn_level;

void clql_set_log_callback(clql_log_fn fn, void *user, clql_log_level max_level) {
  log_fn = fn;
  log_user = user;
  log_fn_level = max_level;
}

/* The level of CLQL_LOG as clql last read it: each reading of the
 * environment sets it (unset: off), and so does a configuration passed to a
 * context that sets CLQL_LOG. Never read from the environment here. */
/* Atomic: contexts made at once on two threads each read the environment
 * and set it (the same value, but a plain int would be a data race). */
static atomic_int process_level = CLQL_LOG_OFF;

void clql_log_apply(const clql_config *c, int always) {
  if (c && (always || clql_config_text(c, CLQL_KNOB_LOG)))
    atomic_store_explicit(&process_level, (int)c->log_level, memory_order_relaxed);
}

int clql_log_enabled(clql_log_level level) {
  if (log_fn) return level <= log_fn_level;
  return (int)level <= atomic_load_explicit(&process_level, memory_order_relaxed);
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

size_t clql_printable(const char *src, char *dst, size_t size, unsigned flags) {
  if (!src) src = "";
  if (!dst) size = 0;
  return clql_text_copy(src, dst, size, flags);
}
