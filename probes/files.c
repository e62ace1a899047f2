/* Helpers shared by the sources that read files or load vendor libraries. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "probe.h"

int clql_read_u64_file(const char *path, cl_ulong *out) {
  char *text;
  int got = clql_read_text_file(path, 128, &text);
  if (got <= 0) return got;
  const char *why = NULL;
  int r = 0;
  if (strncmp(text, "max", 3) == 0 && strspn(text + 3, " \t\n") == strlen(text + 3))
    r = 2;
  else if (clql_parse_u64(text, out, &why))
    r = 1;
  clql_free(text);
  return r;
}

int clql_dl_symbol(void *lib, const char *name, void *fn_out) {
  void *sym = dlsym(lib, name);
  if (!sym) return 0;
  memcpy(fn_out, &sym, sizeof sym);
  return 1;
}

void *clql_probe_dlopen(const char *path, char *failure, size_t failure_size) {
  /* A path (CLQL_NVML_LIBRARY=/tmp/fifo) is opened by dlopen as it is, with
   * a blocking open: anything but a regular file is refused first. */
  struct stat sb;
  if (strchr(path, '/') && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
    snprintf(failure, failure_size, "cannot load %s: not a regular file", path);
    return NULL;
  }
  void *lib = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (!lib) snprintf(failure, failure_size, "cannot load %s", path);
  return lib;
}
