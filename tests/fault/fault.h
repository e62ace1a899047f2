/* Fault sweeps: count the injection points of a scenario, then fail each one
 * in turn. Two injectors: OpenCL calls through the loader layer
 * (tools/fault-layer) and host allocations through libclql's allocator hook
 * (lib/base/alloc.c; tests using it link clql_internal). */
#ifndef CLQL_TEST_FAULT_H
#define CLQL_TEST_FAULT_H

#include <clql.h>

/* A scenario returns its status; it must leave nothing allocated on any path.
 * Before checking its results with calls of its own, it calls
 * clql_fault_pause() so those calls are neither counted nor failed. */
typedef clql_status (*clql_fault_scenario)(void *user);

typedef struct {
  unsigned long calls;     /* injection points of the scenario without faults */
  unsigned long injected;  /* runs in which a fault was injected */
  unsigned long failed;    /* of those, runs that returned an error status */
  unsigned long recovered; /* of those, runs that still succeeded (optional queries, retries) */
} clql_fault_sweep_result;

/* 1 when the layer is loaded (OPENCL_LAYERS) and its controls were found. */
int clql_fault_available(void);

/* OpenCL: run the scenario once counting the calls matching `call` (an entry
 * point or "*"), then once per call with that call failing with `error`, then
 * once more without faults. Asserts that every run returns success or a
 * known status with a detail, that every point was reached, and that the
 * final run succeeds. Prints one line with the counts per entry point. */
clql_fault_sweep_result clql_fault_sweep(const char *label, const char *call, cl_int error,
                                         clql_fault_scenario scenario, void *user);

/* The same, but run i fails call i and every later matching call (a device
 * that stops answering). */
clql_fault_sweep_result clql_fault_sweep_every(const char *label, const char *call, cl_int error,
                                               clql_fault_scenario scenario, void *user);

/* The same as clql_fault_sweep over libclql's host allocations. */
clql_fault_sweep_result clql_fault_sweep_alloc(const char *label, clql_fault_scenario scenario,
                                               void *user);

/* Both sweeps: every OpenCL call failing with CL_OUT_OF_HOST_MEMORY (when the
 * layer is loaded), then every host allocation. */
void clql_fault_sweep_all(const char *label, clql_fault_scenario scenario, void *user);

/* Outside a sweep: fail the nth call of entry point `call` from now on with
 * error, once; clql_fault_pause() disarms it. */
void clql_fault_arm_call(const char *call, unsigned long nth, cl_int error);
/* Stop counting and failing until the next run of the sweep. */
void clql_fault_pause(void);

/* Non-zero while a sweep injects (or counts) in the current run. */
int clql_fault_active(void);

/* The failed allocation of this run was another library's (jansson's, through
 * json_set_alloc_funcs), which may report it as something else: any known
 * status with a detail is accepted. */
void clql_fault_foreign(void);

#endif
