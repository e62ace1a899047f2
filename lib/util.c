#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

void clql_strlcpy(char *dst, const char *src, size_t size) {
  if (size == 0) return;
  size_t n = strlen(src);
  if (n >= size) n = size - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

int clql_open_regular(const char *path, uint64_t *size, const char **why) {
  /* stat first, so that a device or FIFO is never opened (opening some
   * devices has effects); then open with O_NONBLOCK, so that the open cannot
   * wait for a FIFO's writer should the path change meanwhile, and check
   * again what was opened. */
  struct stat sb;
  if (stat(path, &sb) != 0) {
    *why = strerror(errno);
    return -1;
  }
  if (!S_ISREG(sb.st_mode)) {
    *why = "not a regular file";
    errno = EINVAL;
    return -1;
  }
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    *why = strerror(errno);
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  *why = NULL;
  if (fstat(fd, &sb) != 0)
    *why = strerror(errno);
  else if (!S_ISREG(sb.st_mode) || sb.st_size < 0)
    *why = "not a regular file", errno = EINVAL;
  else if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    *why = strerror(errno);
  if (*why) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  *size = (uint64_t)sb.st_size;
  return fd;
}

int clql_read_fd(int fd, char *buf, size_t max, size_t *n) {
  *n = 0;
  while (*n < max) {
    ssize_t got = read(fd, buf + *n, max - *n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) break;
    *n += (size_t)got;
  }
  return 0;
}

int clql_read_text_file(const char *path, size_t max, char **text) {
  *text = NULL;
  uint64_t size;
  const char *why;
  int fd = clql_open_regular(path, &size, &why);
  if (fd < 0) return errno == ENOMEM ? -1 : 0;
  char *buf = max < SIZE_MAX ? clql_malloc(max + 1) : NULL;
  size_t n = 0;
  int bad = !buf || clql_read_fd(fd, buf, max, &n) != 0;
  close(fd);
  if (!buf) return -1;
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
