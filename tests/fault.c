#define _GNU_SOURCE
#include "fault.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "runner.h"

static void (*configure)(const char *, unsigned long, int, cl_int);
static unsigned long (*calls)(void);
static unsigned long (*injected)(void);

int clql_fault_available(void) {
  if (configure) return 1;
  const char *path = getenv("CLQL_FAULT_LAYER");
  if (!path) return 0;
  /* The loader opened the layer already; find that copy, not a new one. */
  void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
  if (!h) return 0;
  *(void **)&configure = dlsym(h, "clql_fault_configure");
  *(void **)&calls = dlsym(h, "clql_fault_calls");
  *(void **)&injected = dlsym(h, "clql_fault_injected");
  return configure && calls && injected;
}

clql_fault_sweep_result clql_fault_sweep(const char *label, const char *call, cl_int error,
                                         clql_fault_scenario scenario, void *user) {
  clql_fault_sweep_result r = {0};
  configure(call, 0, 0, error); /* count only */
  clql_status st = scenario(user);
  CU_ASSERT_EQUAL(st, CLQL_SUCCESS);
  r.calls = calls();
  for (unsigned long i = 1; i <= r.calls; i++) {
    configure(call, i, 0, error);
    st = scenario(user);
    if (injected() == 0) continue;
    r.injected++;
    if (st == CLQL_SUCCESS) {
      r.recovered++;
    } else {
      r.failed++;
      if (strcmp(clql_status_name(st), "CLQL_UNKNOWN_STATUS") == 0) {
        CU_FAIL("fault gave an unknown status");
        printf("\n%s: call %lu gave status %d\n", label, i, (int)st);
      }
    }
  }
  configure("", 0, 0, 0);
  CU_ASSERT_EQUAL(scenario(user), CLQL_SUCCESS); /* a clean retry works */
  printf("\n  sweep %s: %lu OpenCL calls, %lu faults injected, %lu errors reported, %lu "
         "recovered\n",
         label, r.calls, r.injected, r.failed, r.recovered);
  CU_ASSERT_EQUAL(r.injected, r.calls);
  return r;
}
