#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../internal.h"

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

/* Length of the UTF-8 character at p that a terminal prints as text, or 0
 * when p starts a control (C0, DEL, C1 U+0080..U+009F) or a byte outside
 * UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short). */
static size_t text_char(const unsigned char *p) {
  if (*p < 0x80) return *p >= 0x20 && *p != 0x7f;
  size_t len = *p >= 0xc2 && *p <= 0xdf   ? 2
               : *p >= 0xe0 && *p <= 0xef ? 3
               : *p >= 0xf0 && *p <= 0xf4 ? 4
                                          : 0;
  uint32_t cp = *p & (0x7fu >> len);
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0; /* also stops at the terminating NUL */
    cp = cp << 6 | (p[i] & 0x3fu);
  }
  if (!len || cp <= 0x9f || (len == 3 && cp < 0x800) || (cp >= 0xd800 && cp <= 0xdfff) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

size_t clql_text_copy(const char *src, char *dst, size_t size, unsigned flags) {
  const unsigned char *p = (const unsigned char *)src;
  size_t n = 0; /* bytes of src done; the result has as many */
  int room = size > 0;
  while (p[n]) {
    size_t len = text_char(p + n);
    int keep = len || ((flags & CLQL_PRINTABLE_KEEP_LINES) && (p[n] == '\n' || p[n] == '\t'));
    if (!len) len = 1;
    if (room && n + len < size) { /* whole characters only: never a cut sequence */
      if (keep) memmove(dst + n, p + n, len);
      else dst[n] = '?';
    } else if (room) {
      dst[n] = '\0';
      room = 0;
    }
    n += len;
  }
  if (room) dst[n] = '\0';
  return n;
}

void clql_sanitize(char *s) { clql_text_copy(s, s, strlen(s) + 1, CLQL_PRINTABLE_KEEP_LINES); }

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

/* ---- name index ----
 * SipHash-1-3 with a key drawn per index: names come from untrusted files,
 * and a fixed hash would let a file choose names that all collide, making
 * the checks quadratic again. */

static uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

#define SIP_ROUND(v0, v1, v2, v3)                                                          \
  do {                                                                                     \
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);                              \
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;                                                 \
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;                                                 \
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);                              \
  } while (0)

static uint64_t siphash13(const uint64_t key[2], const char *s, size_t len) {
  uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
  uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t m = 0;
    for (int b = 0; b < 8; b++) m |= (uint64_t)p[i + (size_t)b] << (8 * b);
    v3 ^= m;
    SIP_ROUND(v0, v1, v2, v3);
    v0 ^= m;
  }
  uint64_t m = (uint64_t)len << 56;
  for (int b = 0; i + (size_t)b < len; b++) m |= (uint64_t)p[i + (size_t)b] << (8 * b);
  v3 ^= m;
  SIP_ROUND(v0, v1, v2, v3);
  v0 ^= m;
  v2 ^= 0xff;
  SIP_ROUND(v0, v1, v2, v3);
  SIP_ROUND(v0, v1, v2, v3);
  SIP_ROUND(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

static void draw_key(uint64_t key[2]) {
  if (getrandom(key, 2 * sizeof key[0], GRND_NONBLOCK) == (ssize_t)(2 * sizeof key[0])) return;
  struct timespec t; /* no entropy yet (early boot): still unknown to a file's author */
  clock_gettime(CLOCK_MONOTONIC, &t);
  key[0] = (uint64_t)t.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)key;
  key[1] = (uint64_t)t.tv_sec ^ rotl(key[0], 29) ^ (uint64_t)(uintptr_t)&draw_key;
}

static size_t slot_of(const clql_name_index *x, const char *name) {
  return (size_t)siphash13(x->key, name, strlen(name)) & x->mask;
}

int clql_name_index_add(clql_name_index *x, const char *name, size_t index, clql_name_fn name_of,
                        const void *user, size_t *earlier) {
  if (!x->slot) draw_key(x->key);
  if ((x->count + 1) * 2 > x->mask + 1 || !x->slot) { /* at most half full */
    size_t cap = x->slot ? (x->mask + 1) * 2 : 16;
    size_t *slot = cap <= SIZE_MAX / sizeof *slot ? clql_calloc(cap, sizeof *slot) : NULL;
    if (!slot) return -1;
    clql_name_index grown = {slot, cap - 1, x->count, {x->key[0], x->key[1]}};
    for (size_t i = 0; x->slot && i <= x->mask; i++) {
      if (!x->slot[i]) continue;
      size_t j = slot_of(&grown, name_of(user, x->slot[i] - 1));
      while (slot[j]) j = (j + 1) & grown.mask;
      slot[j] = x->slot[i];
    }
    clql_free(x->slot);
    *x = grown;
  }
  size_t j = slot_of(x, name);
  for (; x->slot[j]; j = (j + 1) & x->mask)
    if (strcmp(name_of(user, x->slot[j] - 1), name) == 0) {
      *earlier = x->slot[j] - 1;
      return 0;
    }
  x->slot[j] = index + 1;
  x->count++;
  return 1;
}

size_t clql_name_index_find(const clql_name_index *x, const char *name, clql_name_fn name_of,
                            const void *user) {
  if (!x->slot) return SIZE_MAX;
  for (size_t j = slot_of(x, name); x->slot[j]; j = (j + 1) & x->mask)
    if (strcmp(name_of(user, x->slot[j] - 1), name) == 0) return x->slot[j] - 1;
  return SIZE_MAX;
}

void clql_name_index_free(clql_name_index *x) {
  clql_free(x->slot);
  memset(x, 0, sizeof *x);
}

void clql_format_bdf(const clql_pci_address *pci, char *buf, size_t size) {
  snprintf(buf, size, "%04x:%02x:%02x.%x", pci->domain, pci->bus, pci->device, pci->function);
}
