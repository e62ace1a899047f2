#define _GNU_SOURCE
#include "fault.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "../../lib/internal.h"
#include "../../lib/test_hooks.h"
#include "runner.h"

/* The loader layer's controls, found in the copy the loader opened. */
static struct {
  void (*configure)(const char *, unsigned long, int, cl_int);
  void (*disarm)(void);
  unsigned long (*calls)(void);
  unsigned long (*injected)(void);
  void (*summary)(char *, size_t);
  long (*live_refs)(void);
} layer;

int clql_fault_available(void) {
  if (layer.configure) return 1;
  const char *path = getenv("CLQL_FAULT_LAYER");
  if (!path) return 0;
  void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
  if (!h) return 0;
  *(void **)&layer.configure = dlsym(h, "clql_fault_configure");
  *(void **)&layer.disarm = dlsym(h, "clql_fault_disarm");
  *(void **)&layer.calls = dlsym(h, "clql_fault_calls");
  *(void **)&layer.injected = dlsym(h, "clql_fault_injected");
  *(void **)&layer.summary = dlsym(h, "clql_fault_summary");
  *(void **)&layer.live_refs = dlsym(h, "clql_fault_live_refs");
  return layer.configure && layer.disarm && layer.calls && layer.injected && layer.summary &&
         layer.live_refs;
}

/* One injector: arm to fail the nth point (0: count only), disarm, counts. */
typedef struct {
  const char *kind;
  void (*arm)(unsigned long nth);
  void (*disarm)(void);
  unsigned long (*calls)(void);
  unsigned long (*injected)(void);
} injector;

static const char *cl_call;
static cl_int cl_error;
static int cl_every;
static void cl_arm(unsigned long nth) { layer.configure(cl_call, nth, cl_every, cl_error); }
static void alloc_arm(unsigned long nth) { clql_alloc_fault_arm(nth, 0); }

static const injector *active;
static int foreign;

void clql_fault_foreign(void) { foreign = 1; }

void clql_fault_arm_call(const char *call, unsigned long nth, cl_int error) {
  layer.configure(call, nth, 0, error);
}

void clql_fault_pause(void) {
  if (layer.disarm) layer.disarm();
  if (active) active->disarm();
  active = NULL;
}

int clql_fault_active(void) { return active != NULL; }

/* One run; every OpenCL object it made must be released by its end. */
static clql_status run(const injector *inj, unsigned long nth, clql_fault_scenario scenario,
                       void *user) {
  long refs = layer.live_refs ? layer.live_refs() : 0;
  clql_clear_error();
  foreign = 0;
  active = inj;
  inj->arm(nth);
  clql_status st = scenario(user);
  clql_fault_pause();
  long left = layer.live_refs ? layer.live_refs() - refs : 0;
  if (left) {
    CU_FAIL("OpenCL objects left behind");
    printf("\n  %s point %lu: %ld OpenCL object references left (status %s)\n", inj->kind, nth,
           left, clql_status_name(st));
  }
  return st;
}

static clql_fault_sweep_result sweep(const char *label, const injector *inj,
                                     clql_fault_scenario scenario, void *user) {
  clql_fault_sweep_result r = {0};
  clql_status st = run(inj, 0, scenario, user);
  CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
  r.calls = inj->calls();
  CU_ASSERT(r.calls > 0); /* a scenario that reaches no point sweeps nothing */
  char where[4096] = "";
  if (inj->arm == cl_arm) layer.summary(where, sizeof where);
  for (unsigned long i = 1; i <= r.calls; i++) {
    st = run(inj, i, scenario, user);
    if (inj->injected() == 0) {
      printf("\n  %s: %s point %lu of %lu not reached\n", label, inj->kind, i, r.calls);
      continue;
    }
    r.injected++;
    if (st == CLQL_SUCCESS) {
      r.recovered++;
      if (getenv("CLQL_FAULT_VERBOSE")) printf("\n  %s: recovered from %s point %lu\n", label, inj->kind, i);
      continue;
    }
    r.failed++;
    /* A failed allocation must be reported as one, not as bad input. */
    if (inj->arm == alloc_arm && !foreign && st != CLQL_ERR_OUT_OF_HOST_MEMORY &&
        st != CL_OUT_OF_HOST_MEMORY) {
      CU_FAIL("a failed allocation gave another status");
      printf("\n  %s: %s point %lu gave %s: %s\n", label, inj->kind, i, clql_status_name(st),
             clql_last_error_detail());
    }
    if (strcmp(clql_status_name(st), "CLQL_UNKNOWN_STATUS") == 0 || !clql_last_error_detail()[0]) {
      CU_FAIL("a fault gave an unknown status or no detail");
      printf("\n  %s: %s point %lu gave status %d, detail '%s'\n", label, inj->kind, i, (int)st,
             clql_last_error_detail());
    }
  }
  st = run(inj, 0, scenario, user); /* a clean retry works */
  CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
  CU_ASSERT_EQUAL(inj->calls(), r.calls); /* and makes the same calls */
  printf("\n  sweep %s: %lu %s, %lu faults injected, %lu errors reported, %lu recovered%s%s\n",
         label, r.calls, inj->kind, r.injected, r.failed, r.recovered, where[0] ? "\n    " : "",
         where);
  CU_ASSERT_EQUAL(r.injected, r.calls);
  return r;
}

static clql_fault_sweep_result opencl_sweep(const char *label, const char *call, cl_int error,
                                            int every, clql_fault_scenario scenario, void *user) {
  injector inj = {every ? "OpenCL calls (each failing with all later ones)" : "OpenCL calls",
                  cl_arm, layer.disarm, layer.calls, layer.injected};
  cl_call = call;
  cl_error = error;
  cl_every = every;
  return sweep(label, &inj, scenario, user);
}

clql_fault_sweep_result clql_fault_sweep(const char *label, const char *call, cl_int error,
                                         clql_fault_scenario scenario, void *user) {
  return opencl_sweep(label, call, error, 0, scenario, user);
}

clql_fault_sweep_result clql_fault_sweep_every(const char *label, const char *call, cl_int error,
                                               clql_fault_scenario scenario, void *user) {
  return opencl_sweep(label, call, error, 1, scenario, user);
}

clql_fault_sweep_result clql_fault_sweep_alloc(const char *label, clql_fault_scenario scenario,
                                               void *user) {
  static const injector host = {"host allocations", alloc_arm, clql_alloc_fault_disarm,
                                clql_alloc_fault_calls, clql_alloc_fault_injected};
  return sweep(label, &host, scenario, user);
}

void clql_fault_sweep_all(const char *label, clql_fault_scenario scenario, void *user) {
  if (clql_fault_available()) {
    clql_fault_sweep_result r = clql_fault_sweep(label, "*", CL_OUT_OF_HOST_MEMORY, scenario, user);
    CU_ASSERT(r.calls > 0);
  }
  clql_fault_sweep_alloc(label, scenario, user);
}
