/* Drive the fault-injection loader layer (tools/fault-layer) from a test:
 * count the OpenCL calls of a scenario, then fail each one in turn. */
#ifndef CLQL_TEST_FAULT_H
#define CLQL_TEST_FAULT_H

#include <clql.h>

/* A scenario returns its status; it must leave nothing allocated on any path. */
typedef clql_status (*clql_fault_scenario)(void *user);

typedef struct {
  unsigned long calls;     /* OpenCL calls the scenario makes without faults */
  unsigned long injected;  /* runs in which a fault was injected */
  unsigned long failed;    /* of those, runs that returned an error status */
  unsigned long recovered; /* of those, runs that still succeeded (optional queries) */
} clql_fault_sweep_result;

/* 1 when the layer is loaded (OPENCL_LAYERS) and its controls were found. */
int clql_fault_available(void);

/* Run the scenario once counting calls, then once per call with that call
 * failing with `error`, then once more without faults. Asserts that every run
 * returns success or a known status, and that the final run succeeds. */
clql_fault_sweep_result clql_fault_sweep(const char *label, const char *call, cl_int error,
                                         clql_fault_scenario scenario, void *user);

#endif
