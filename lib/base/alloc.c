/* Every host allocation of libclql goes through these wrappers so that tests
 * can make the Nth one fail and walk each out-of-memory path (the sweeps in
 * tests/). The library holds only the gate, unset; the counting control that
 * sets it is compiled into the test-only archive (test_hooks.c). Unset, the
 * cost is one relaxed atomic load per allocation. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

static _Atomic(clql_alloc_gate_fn) gate;

void clql_alloc_set_gate(clql_alloc_gate_fn fn) { atomic_store(&gate, fn); }

static int should_fail(size_t bytes) {
  clql_alloc_gate_fn fn = atomic_load_explicit(&gate, memory_order_relaxed);
  return fn && fn(bytes);
}

void *clql_malloc(size_t size) { return should_fail(size) ? NULL : malloc(size); }

void *clql_calloc(size_t count, size_t size) {
  size_t bytes = count && size > SIZE_MAX / count ? SIZE_MAX : count * size;
  return should_fail(bytes) ? NULL : calloc(count, size);
}

void *clql_realloc(void *p, size_t size) { return should_fail(size) ? NULL : realloc(p, size); }

void clql_free(void *p) { free(p); }

char *clql_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = clql_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
