/* The base layer of libclql, shared by lib/ and probes/: host allocation,
 * status details, logging, overflow-checked arithmetic, strings, small
 * files and strict number parsing. It depends on nothing but the public
 * headers and libc; never installed. */
#ifndef CLQL_LIB_BASE_H
#define CLQL_LIB_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <clql.h>

#if defined(__GNUC__)
#  define CLQL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#  define CLQL_PRINTF(fmt, args)
#endif

/* Record a detail message for the calling thread and return status, so error
 * paths read: return clql_fail(CLQL_ERR_PARSE, "bad %s", what); */
clql_status clql_fail(clql_status status, const char *fmt, ...) CLQL_PRINTF(2, 3);
void clql_clear_error(void);

void clql_log(clql_log_level level, const char *fmt, ...) CLQL_PRINTF(2, 3);
int clql_log_enabled(clql_log_level level);

/* Overflow-checked arithmetic on 64-bit sizes: return 0 on overflow. */
static inline int clql_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}
static inline int clql_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
  return !__builtin_add_overflow(a, b, out);
}
/* uint64 to size_t, failing where size_t is narrower. */
static inline int clql_to_size(uint64_t v, size_t *out) {
  if (v > (uint64_t)SIZE_MAX) return 0;
  *out = (size_t)v;
  return 1;
}
static inline uint64_t clql_round_up_u64(uint64_t v, uint64_t m, int *ok) {
  uint64_t r = v % m ? m - v % m : 0, out;
  if (!clql_add_u64(v, r, &out)) {
    *ok = 0;
    return 0;
  }
  return out;
}

/* A query that fails for lack of memory fails the whole report; any other
 * failure means the device does not answer that query. */
static inline int clql_cl_resource_error(cl_int err) {
  return err == CL_OUT_OF_HOST_MEMORY || err == CL_OUT_OF_RESOURCES;
}

/* ---- host memory (alloc.c) ----
 * Every allocation of the library goes through these (libc semantics), so a
 * test can fail the Nth one. clql_free is free. */
void *clql_malloc(size_t size);
void *clql_calloc(size_t count, size_t size);
void *clql_realloc(void *p, size_t size);
void clql_free(void *p);
char *clql_strdup(const char *s);
/* The allocator asks gate (when set) before each allocation and fails it on
 * a non-zero answer; only the test hooks (test_hooks.c) set it. */
typedef int (*clql_alloc_gate_fn)(size_t bytes);
void clql_alloc_set_gate(clql_alloc_gate_fn gate);

/* IEEE binary16 <-> float32, bit-exact; float to half rounds to nearest even. */
float clql_half_to_float(uint16_t h);
uint16_t clql_float_to_half(float f);

/* Bounded copy that always terminates dst. */
void clql_strlcpy(char *dst, const char *src, size_t size);
/* Open path read-only only when it is a regular file: a FIFO, a device or a
 * directory is refused without blocking (files are untrusted; a FIFO given
 * as a model would otherwise wait forever). The descriptor (blocking again,
 * close-on-exec) and the file's size, or -1 with errno and *why (a static
 * text: "not a regular file" or strerror's). */
int clql_open_regular(const char *path, uint64_t *size, const char **why);
/* read() until EOF or max bytes: 0 with *n, or -1 (errno) on a read error. */
int clql_read_fd(int fd, char *buf, size_t max, size_t *n);
/* Read a whole small text file (at most max bytes) into *text (clql_free it):
 * 1 when read, 0 when absent or unreadable, -1 when out of host memory (a
 * caller must not take that for a missing file). */
int clql_read_text_file(const char *path, size_t max, char **text);
/* snprintf for file paths: 0 (and buf "") when the path does not fit, so a
 * cut path (from a long CLQL_SYSFS_ROOT, say) never names another file. */
int clql_path(char *buf, size_t size, const char *fmt, ...) CLQL_PRINTF(3, 4);
/* clql_printable (log.h), also compiled into the profile layer, which must
 * not export it. */
size_t clql_text_copy(const char *src, char *dst, size_t size, unsigned flags);
/* clql_printable in place, keeping lines: details and log lines quote
 * untrusted text (file contents, the environment, drivers' build logs) and
 * must not carry terminal escapes. */
void clql_sanitize(char *s);
/* Names (of GGUF keys and tensors, of profile records) indexed by a keyed
 * hash: duplicate checks and lookups in linear time, with memory in
 * proportion to the names added. Entry i is named name_of(user, i); an index
 * of zeros is empty. */
typedef const char *(*clql_name_fn)(const void *user, size_t index);
typedef struct {
  size_t *slot; /* entry index + 1; 0: empty */
  size_t mask;  /* capacity - 1 (a power of two), at most half full */
  size_t count;
  uint64_t key[2];
} clql_name_index;
/* 1 when entry `index` (named name) was added, 0 when an entry of that name
 * is there already (*earlier: its index), -1 when out of host memory. */
int clql_name_index_add(clql_name_index *x, const char *name, size_t index, clql_name_fn name_of,
                        const void *user, size_t *earlier);
/* The entry named name, or SIZE_MAX. */
size_t clql_name_index_find(const clql_name_index *x, const char *name, clql_name_fn name_of,
                            const void *user);
void clql_name_index_free(clql_name_index *x);
/* Case-insensitive substring test. */
int clql_contains_nocase(const char *haystack, const char *needle);
/* Whole-token match in a space-separated extension string. */
int clql_has_extension(const char *extensions, const char *name);

/* ---- strict parsing of numbers (numbers.c) ----
 * Each returns 1 and sets *out, or returns 0 with *why a static reason and
 * *out untouched. Surrounding white space is ignored, nothing else is. */
int clql_parse_u64(const char *text, uint64_t *out, const char **why);
int clql_parse_u64_span(const char *begin, const char *end, uint64_t *out, const char **why);
/* Digits with an optional K, M, G, T, KiB, MiB, GiB or TiB (any case; all 1024-based). */
int clql_parse_bytes(const char *text, uint64_t *out, const char **why);
/* Non-negative decimal: 1, 0.25, .5; no sign, exponent or locale. */
int clql_parse_decimal(const char *text, double *out, const char **why);
/* Bytes as clql_parse_bytes, or a percentage "7.5%" (0..100). */
int clql_parse_reserve(const char *text, uint64_t *bytes, double *percent, int *is_percent,
                       const char **why);

/* "%04x:%02x:%02x.%x", the form sysfs and NVML use. */
void clql_format_bdf(const clql_pci_address *pci, char *buf, size_t size);

#endif /* CLQL_LIB_BASE_H */
