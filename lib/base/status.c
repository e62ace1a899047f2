#include <stdio.h>
#include <string.h>
#include "../internal.h"

const char *clql_status_name(int status) {
  switch (status) {
  case CLQL_SUCCESS: return "CLQL_SUCCESS";
#define CLQL_NAME_CASE_(name, value, msg) case value: return #name;
    CLQL_OPENCL_STATUS_LIST(CLQL_NAME_CASE_)
    CLQL_OWN_STATUS_LIST(CLQL_NAME_CASE_)
#undef CLQL_NAME_CASE_
  default: return "CLQL_UNKNOWN_STATUS";
  }
}

const char *clql_status_message(int status) {
  switch (status) {
  case CLQL_SUCCESS: return "success";
#define CLQL_MSG_CASE_(name, value, msg) case value: return msg;
    CLQL_OPENCL_STATUS_LIST(CLQL_MSG_CASE_)
    CLQL_OWN_STATUS_LIST(CLQL_MSG_CASE_)
#undef CLQL_MSG_CASE_
  default: return "unknown status code";
  }
}

/* Long enough for a typical kernel build log. */
static _Thread_local char last_detail[8192];

const char *clql_last_error_detail(void) { return last_detail; }

void clql_clear_error(void) { last_detail[0] = '\0'; }

clql_status clql_fail(clql_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_detail, sizeof last_detail, fmt, ap);
  va_end(ap);
  clql_sanitize(last_detail);
  clql_log(CLQL_LOG_DEBUG, "%s: %s", clql_status_name(status), last_detail);
  return status;
}

unsigned clql_version(void) { return CLQL_VERSION_HEX; }
const char *clql_version_string(void) { return CLQL_VERSION_STRING; }
