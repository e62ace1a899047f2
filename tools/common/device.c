/* The device a one-device tool runs on (tool.h). Apart from tool.c because
 * it resolves selectors against the live devices: the fuzz target of the
 * command lines links tool.c without the OpenCL half of the library. */
#include <stdio.h>
#include "tool.h"

int tool_one_device(const char *tool, const char *selector) {
  if (!selector || !*selector) return 0;
  size_t n = 0;
  clql_status st = clql_device_set_select(selector, NULL, 0, &n);
  if (st != CLQL_SUCCESS) return tool_fail(tool, st);
  if (n > 1) {
    fprintf(tool_err(),
            "%s: -d '%s' chooses %zu devices; %s runs on one (lists are for clql-probe and "
            "device sets)\n",
            tool, tool_text(selector), n, tool);
    return TOOL_EXIT_USAGE;
  }
  return 0;
}
