/* Hooks for the tests, compiled only into the clql_internal archive the tests
 * link, never into the shipped library: the allocation-fault counter behind
 * the allocator's gate (alloc.c), and forcing a layer's kernel block. */
#include <stdatomic.h>
#include <string.h>
#include "internal.h"
#include "run/layer.h"
#include "test_hooks.h"

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

void clql_alloc_fault_arm(unsigned long nth, int every) {
  atomic_store(&armed, 0);
  atomic_store(&seen, 0);
  atomic_store(&failed, 0);
  atomic_store(&requested, 0);
  atomic_store(&fail_at, nth);
  atomic_store(&fail_every, every);
  atomic_store(&armed, 1);
  clql_alloc_set_gate(should_fail);
}

void clql_alloc_fault_disarm(void) { atomic_store(&armed, 0); }

unsigned long clql_alloc_fault_calls(void) { return atomic_load(&seen); }

unsigned long clql_alloc_fault_injected(void) { return atomic_load(&failed); }

unsigned long long clql_alloc_fault_bytes(void) { return atomic_load(&requested); }

/* Hidden knob for tests: force a block (rows a power of two <= 16, tokens per
 * work-item of GEMM passes) of the portable kernels, or of the K-split ones
 * when those run (rows do not matter to them). */
clql_status clql_layer_set_block(clql_layer *layer, unsigned rows, unsigned tokens) {
  if (!layer || rows == 0 || rows > CLQL_ROW_MULTIPLE || (rows & (rows - 1)) || tokens == 0 ||
      tokens > 16)
    return clql_fail(CLQL_ERR_INVALID_ARGUMENT, "block of %u rows x %u tokens", rows, tokens);
  layer->rows = rows;
  layer->tokens = tokens;
  memset(layer->product, 0, sizeof layer->product);
  if (layer->family != CLQL_FAMILY_KSPLIT) layer->family = CLQL_FAMILY_PORTABLE;
  return CLQL_SUCCESS;
}
