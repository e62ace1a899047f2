/* Every host allocation of libclql goes through these wrappers so that tests
 * can make the Nth one fail and walk each out-of-memory path (the sweeps in
 * tests/). The control is hidden: only programs linked with the static
 * clql_internal archive reach it. Disarmed, the cost is one relaxed atomic
 * load per allocation. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static atomic_int armed;
static atomic_int fail_every;
static atomic_ulong seen, fail_at, failed;
static atomic_ullong requested;

static int should_fail(size_t bytes) {
  if (!atomic_load_explicit(&armed, memory_order_relaxed)) return 0;
  atomic_fetch_add(&requested, bytes);
  unsigned long n = atomic_fetch_add(&seen, 1) + 1, at = atomic_load(&fail_at);
  if (!at || (n != at && !(atomic_load(&fail_every) && n > at))) return 0;
  atomic_fetch_add(&failed, 1);
  return 1;
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

void clql_alloc_fault_arm(unsigned long nth, int every) {
  atomic_store(&armed, 0);
  atomic_store(&seen, 0);
  atomic_store(&failed, 0);
  atomic_store(&requested, 0);
  atomic_store(&fail_at, nth);
  atomic_store(&fail_every, every);
  atomic_store(&armed, 1);
}

void clql_alloc_fault_disarm(void) { atomic_store(&armed, 0); }

unsigned long clql_alloc_fault_calls(void) { return atomic_load(&seen); }

unsigned long clql_alloc_fault_injected(void) { return atomic_load(&failed); }

unsigned long long clql_alloc_fault_bytes(void) { return atomic_load(&requested); }
