/* Shared by the libFuzzer targets: a broken promise aborts, so the fuzzer
 * reports it with the input that broke it. */
#ifndef CLQL_FUZZ_H
#define CLQL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define EXPECT(cond)      \
  do {                    \
    if (!(cond)) abort(); \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
