/* Test-only hooks (test_hooks.c): in the clql_internal archive the tests
 * link, not in the shipped library. Never installed. */
#ifndef CLQL_LIB_TEST_HOOKS_H
#define CLQL_LIB_TEST_HOOKS_H

#include "internal.h"

/* Count allocations from now on and fail the
 * nth (1-based; 0: none), or with every the nth and all later ones. disarm
 * stops counting and failing and keeps the counts. */
void clql_alloc_fault_arm(unsigned long nth, int every);
void clql_alloc_fault_disarm(void);
unsigned long clql_alloc_fault_calls(void);    /* allocations counted since arming */
unsigned long clql_alloc_fault_injected(void); /* of those, made to fail */
/* Bytes those allocations asked for (reallocations count their new size):
 * at least the most memory held at once, so a test can bound it. */
unsigned long long clql_alloc_fault_bytes(void);
/* Force a layer's kernel block (rows per work-item, a power of two up to 16;
 * GEMM tokens per work-item, 1..16), so tests reach the paths other devices
 * take. */
clql_status clql_layer_set_block(clql_layer *layer, unsigned rows, unsigned tokens);

#endif /* CLQL_LIB_TEST_HOOKS_H */
