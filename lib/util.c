#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void clql_strlcpy(char *dst, const char *src, size_t size) {
  if (size == 0) return;
  size_t n = strlen(src);
  if (n >= size) n = size - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

int clql_read_text_file(const char *path, size_t max, char **text) {
  *text = NULL;
  FILE *f = fopen(path, "r");
  if (!f) return errno == ENOMEM ? -1 : 0;
  char *buf = max < SIZE_MAX ? clql_malloc(max + 1) : NULL;
  if (!buf) {
    fclose(f);
    return -1;
  }
  size_t n = fread(buf, 1, max, f);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    clql_free(buf);
    return 0;
  }
  buf[n] = '\0';
  *text = buf;
  return 1;
}

int clql_path(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < size) return 1;
  if (size) buf[0] = '\0';
  return 0;
}

void clql_sanitize(char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) *s = '?';
  }
}

int clql_contains_nocase(const char *haystack, const char *needle) {
  size_t nl = strlen(needle);
  if (nl == 0) return 1;
  for (const char *h = haystack; *h; h++) {
    size_t i = 0;
    while (i < nl && h[i] &&
           tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
      i++;
    if (i == nl) return 1;
  }
  return 0;
}

int clql_has_extension(const char *extensions, const char *name) {
  size_t nl = strlen(name);
  if (!extensions || nl == 0) return 0;
  for (const char *p = extensions; (p = strstr(p, name)) != NULL; p += nl) {
    int starts = p == extensions || p[-1] == ' ';
    int ends = p[nl] == '\0' || p[nl] == ' ';
    if (starts && ends) return 1;
  }
  return 0;
}
