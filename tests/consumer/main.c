/* A program outside the clql tree: it must build against an installed clql
 * and see the same version in the header as in the library it loads. */
#include <stdio.h>
#include <clql.h>

int main(void) {
  if ((clql_version() >> 16) != (CLQL_VERSION_HEX >> 16)) {
    fprintf(stderr, "clql major version mismatch: header %s, library %s\n", CLQL_VERSION_STRING,
            clql_version_string());
    return 1;
  }
  printf("consumer linked clql %s (%s)\n", clql_version_string(),
         clql_status_name(CLQL_ERR_NO_DEVICE));
  return 0;
}
