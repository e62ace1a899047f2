/* The exit codes of every clql tool: one table, shared, documented once (README
 * "Exit codes"). A code keeps its meaning in every tool; a tool uses those
 * that can happen to it. Scripts rely on them: add codes, never renumber. */
#ifndef CLQL_TOOL_EXIT_CODES_H
#define CLQL_TOOL_EXIT_CODES_H

enum {
  TOOL_EXIT_OK = 0,
  /* clql-check, clql-bench: an output differs from the scalar reference (or,
   * clql-check --model, the context held more than its budget) */
  TOOL_EXIT_DIFFERS = 1,
  /* bad arguments, a bad CLQL_* value, or a file named by an option
   * (--plan, --model, --profile) that cannot be read or parsed */
  TOOL_EXIT_USAGE = 2,
  /* clql-gguf: its FILE cannot be read, is malformed or holds a type clql
   * cannot read (with --verify: invalid ternary codes) */
  TOOL_EXIT_BAD_FILE = 3,
  /* the model or a layer does not fit the budget (clql-check, clql-bench) */
  TOOL_EXIT_DOES_NOT_FIT = 4,
  /* the device failed a step: an OpenCL call, a kernel that does not build,
   * a layer that cannot be created or run (not a wrong result: that is 1) */
  TOOL_EXIT_DEVICE_FAILED = 5,
  /* a --device selector matched no device, or --profile names no record */
  TOOL_EXIT_NO_DEVICE = 6,
  /* no OpenCL platform, or no device on any platform */
  TOOL_EXIT_NO_PLATFORM = 9,
  /* out of host memory, gnuplot failing, a fault of the tool itself */
  TOOL_EXIT_INTERNAL = 255
};

#endif /* CLQL_TOOL_EXIT_CODES_H */
