/* A prelude with a warning (-Wunused-variable): clql-kernel-check must fail
 * on it and show it (portability/detects_warnings). */
static int clql_helper(int x) {
  int unused;
  return x + 1;
}
