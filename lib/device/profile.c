/* Device profile records: strict parsing with jansson, and the answers a
 * record gives to OpenCL queries. Compiled into libclql and into the profile
 * layer, so it depends only on jansson, libc and util.c. */
#include "profile.h"
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "../internal.h"

#define MIB_SHIFT 20

typedef struct {
  char *detail;
  size_t detail_size;
  size_t index;   /* record position in the file */
  const char *id; /* NULL until the record's id is known */
} parse_ctx;

static clql_status report(char *detail, size_t size, clql_status st, const char *fmt, ...)
    CLQL_PRINTF(4, 5);
static clql_status report(char *detail, size_t size, clql_status st, const char *fmt, ...) {
  if (detail && size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, size, fmt, ap);
    va_end(ap);
    clql_sanitize(detail);
  }
  return st;
}

/* A record-level error naming the record and the field. */
static clql_status field_error(const parse_ctx *c, const char *field, const char *problem) {
  if (c->id)
    return report(c->detail, c->detail_size, CLQL_ERR_PARSE, "record %zu ('%s'): %s: %s", c->index,
                  c->id, field, problem);
  return report(c->detail, c->detail_size, CLQL_ERR_PARSE, "record %zu: %s: %s", c->index, field,
                problem);
}

static clql_status no_memory(const parse_ctx *c) {
  return report(c->detail, c->detail_size, CLQL_ERR_OUT_OF_HOST_MEMORY, "out of memory");
}

/* Fields present as JSON null count as absent. */
static json_t *field(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_null(v) ? NULL : v;
}

static clql_status get_string(const parse_ctx *c, json_t *obj, const char *key, char **out) {
  json_t *v = field(obj, key);
  *out = NULL;
  if (!v) return CLQL_SUCCESS;
  if (!json_is_string(v)) return field_error(c, key, "must be a string or null");
  *out = clql_strdup(json_string_value(v));
  return *out ? CLQL_SUCCESS : no_memory(c);
}

static clql_status get_bool(const parse_ctx *c, json_t *obj, const char *key, int *out) {
  json_t *v = field(obj, key);
  *out = CLQL_FIELD_ABSENT;
  if (!v) return CLQL_SUCCESS;
  if (!json_is_boolean(v)) return field_error(c, key, "must be true, false or null");
  *out = json_is_true(v);
  return CLQL_SUCCESS;
}

/* A non-negative integer no larger than max. */
static clql_status get_uint(const parse_ctx *c, json_t *obj, const char *key, cl_ulong max,
                            int *has, cl_ulong *out) {
  json_t *v = field(obj, key);
  *has = 0;
  if (!v) return CLQL_SUCCESS;
  if (!json_is_integer(v)) return field_error(c, key, "must be an integer or null");
  json_int_t n = json_integer_value(v);
  if (n < 0) return field_error(c, key, "must not be negative");
  if ((cl_ulong)n > max) return field_error(c, key, "too large");
  *has = 1;
  *out = (cl_ulong)n;
  return CLQL_SUCCESS;
}

/* A size given in bytes (`key`) or in MiB (`key`_mib, integer or decimal,
 * multiplied by 2^20 and rounded down to whole bytes). Bytes win. */
static clql_status get_size(const parse_ctx *c, json_t *obj, const char *key, int *has,
                            cl_ulong *out) {
  clql_status st = get_uint(c, obj, key, UINT64_MAX, has, out);
  if (st != CLQL_SUCCESS || *has) return st;
  char mib_key[64];
  snprintf(mib_key, sizeof mib_key, "%s_mib", key);
  json_t *v = field(obj, mib_key);
  if (!v) return CLQL_SUCCESS;
  if (json_is_integer(v)) {
    json_int_t n = json_integer_value(v);
    if (n < 0) return field_error(c, mib_key, "must not be negative");
    if (!clql_mul_u64((cl_ulong)n, 1ULL << MIB_SHIFT, out))
      return field_error(c, mib_key, "overflows 64 bits in bytes");
  } else if (json_is_real(v)) {
    double d = json_real_value(v);
    if (!(d >= 0.0)) return field_error(c, mib_key, "must not be negative");
    double bytes = ldexp(d, MIB_SHIFT); /* exact: a power-of-two scale */
    if (!(bytes < 18446744073709551616.0))
      return field_error(c, mib_key, "overflows 64 bits in bytes");
    *out = (cl_ulong)bytes;
  } else {
    return field_error(c, mib_key, "must be a number or null");
  }
  *has = 1;
  return CLQL_SUCCESS;
}

static int hex_digit(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* At most max_digits hex digits at *p (at least one); advances *p. */
static int parse_hex(const char **p, int max_digits, cl_ulong *out) {
  cl_ulong v = 0;
  int n = 0;
  for (int d; n < max_digits && (d = hex_digit((unsigned char)**p)) >= 0; n++, (*p)++)
    v = v * 16 + (cl_ulong)d;
  *out = v;
  return n > 0;
}

/* vendor_id: "0x1002" (the records' form) or a plain integer. */
static clql_status get_vendor_id(const parse_ctx *c, json_t *obj, clql_profile_record *r) {
  json_t *v = field(obj, "vendor_id");
  if (!v) return CLQL_SUCCESS;
  cl_ulong id = 0;
  if (json_is_string(v)) {
    const char *p = json_string_value(v);
    if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X'))
      return field_error(c, "vendor_id", "must be a hex string such as \"0x1002\"");
    p += 2;
    if (!parse_hex(&p, 8, &id) || *p) return field_error(c, "vendor_id", "not a 32-bit hex number");
  } else {
    int has = 0;
    clql_status st = get_uint(c, obj, "vendor_id", UINT32_MAX, &has, &id);
    if (st != CLQL_SUCCESS) return st;
  }
  r->has_vendor_id = 1;
  r->vendor_id = (cl_uint)id;
  return CLQL_SUCCESS;
}

static clql_status get_type(const parse_ctx *c, json_t *obj, clql_profile_record *r) {
  static const struct {
    const char *name;
    cl_device_type type;
  } types[] = {{"CPU", CL_DEVICE_TYPE_CPU},
               {"GPU", CL_DEVICE_TYPE_GPU},
               {"ACCELERATOR", CL_DEVICE_TYPE_ACCELERATOR},
               {"CUSTOM", CL_DEVICE_TYPE_CUSTOM}};
  json_t *v = field(obj, "device_type");
  if (!v) return CLQL_SUCCESS;
  if (!json_is_string(v)) return field_error(c, "device_type", "must be a string or null");
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (strcasecmp(json_string_value(v), types[i].name) == 0) {
      r->type = types[i].type;
      return CLQL_SUCCESS;
    }
  }
  return field_error(c, "device_type", "not CPU, GPU, ACCELERATOR or CUSTOM");
}

static clql_status get_free_kib(const parse_ctx *c, json_t *obj, clql_profile_record *r) {
  const char *key = "amd_global_free_memory_kib";
  json_t *v = field(obj, key);
  if (!v) return CLQL_SUCCESS;
  if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > 2)
    return field_error(c, key, "must be an array of one or two KiB values");
  for (size_t i = 0; i < json_array_size(v); i++) {
    json_t *e = json_array_get(v, i);
    if (!json_is_integer(e) || json_integer_value(e) < 0)
      return field_error(c, key, "values must be non-negative integers");
    if ((cl_ulong)json_integer_value(e) > (cl_ulong)SIZE_MAX)
      return field_error(c, key, "value does not fit size_t");
    r->free_kib[i] = (size_t)json_integer_value(e);
  }
  r->free_kib_count = json_array_size(v);
  return CLQL_SUCCESS;
}

static clql_status get_flags(const parse_ctx *c, json_t *obj, clql_profile_record *r) {
  json_t *v = field(obj, "extension_flags");
  if (!v) return CLQL_SUCCESS;
  if (!json_is_object(v)) return field_error(c, "extension_flags", "must be an object or null");
  r->flags = clql_calloc(json_object_size(v) + 1, sizeof *r->flags);
  if (!r->flags) return no_memory(c);
  const char *name;
  json_t *val;
  json_object_foreach(v, name, val) {
    if (json_is_null(val)) continue;
    if (!json_is_boolean(val))
      return field_error(c, "extension_flags", "values must be true, false or null");
    /* One name each: "a b": true would add two, and bring back a removed one. */
    if (!*name || strpbrk(name, " \t\n\r\f\v"))
      return field_error(c, "extension_flags", "keys must be single extension names");
    clql_profile_flag *f = &r->flags[r->flag_count];
    f->name = clql_strdup(name);
    if (!f->name) return no_memory(c);
    f->on = json_is_true(val);
    r->flag_count++;
  }
  return CLQL_SUCCESS;
}

int clql_parse_pci_bus_id(const char *text, cl_uint *domain, cl_uint *bus, cl_uint *device,
                          cl_uint *function) {
  const char *p = text;
  cl_ulong a = 0, b = 0, d = 0, f = 0;
  if (!parse_hex(&p, 8, &a) || *p++ != ':' || !parse_hex(&p, 2, &b)) return 0;
  if (*p == ':') { /* domain:bus:device.function */
    p++;
    if (!parse_hex(&p, 2, &d)) return 0;
  } else { /* bus:device.function */
    d = b;
    b = a;
    a = 0;
    if (b > 0xff) return 0;
  }
  if (*p++ != '.' || !parse_hex(&p, 1, &f)) return 0;
  if (*p && !isspace((unsigned char)*p)) return 0;
  if (d > 0x1f || f > 7) return 0;
  *domain = (cl_uint)a;
  *bus = (cl_uint)b;
  *device = (cl_uint)d;
  *function = (cl_uint)f;
  return 1;
}

int clql_parse_uuid(const char *text, unsigned char uuid[CLQL_UUID_SIZE]) {
  static const int groups[] = {8, 4, 4, 4, 12};
  const char *p = text;
  size_t k = 0;
  for (int g = 0; g < 5; g++) {
    if (g && *p++ != '-') return 0;
    for (int i = 0; i < groups[g]; i += 2) {
      int hi = hex_digit((unsigned char)p[0]), lo = hi < 0 ? -1 : hex_digit((unsigned char)p[1]);
      if (lo < 0) return 0;
      uuid[k++] = (unsigned char)(hi * 16 + lo);
      p += 2;
    }
  }
  return *p == '\0';
}

static clql_status parse_record(parse_ctx *c, json_t *obj, clql_profile_record *r) {
  if (!json_is_object(obj)) return field_error(c, "record", "must be a JSON object");
  json_t *id = json_object_get(obj, "id");
  if (!json_is_string(id) || !*json_string_value(id))
    return field_error(c, "id", "must be a non-empty string");
  r->id = clql_strdup(json_string_value(id));
  if (!r->id) return no_memory(c);
  c->id = r->id;

  struct {
    const char *key;
    char **dst;
  } strings[] = {{"platform_name", &r->platform_name},   {"platform_vendor", &r->platform_vendor},
                 {"device_name", &r->device_name},       {"board_name", &r->board_name},
                 {"device_vendor", &r->device_vendor},   {"device_version", &r->device_version},
                 {"driver_version", &r->driver_version}, {"extensions", &r->extensions}};
  clql_status st = CLQL_SUCCESS;
  for (size_t i = 0; i < sizeof strings / sizeof strings[0] && st == CLQL_SUCCESS; i++)
    st = get_string(c, obj, strings[i].key, strings[i].dst);
  cl_ulong cu = 0;
  if (st == CLQL_SUCCESS) st = get_vendor_id(c, obj, r);
  if (st == CLQL_SUCCESS) st = get_type(c, obj, r);
  if (st == CLQL_SUCCESS)
    st = get_size(c, obj, "global_mem_size", &r->has_global_mem, &r->global_mem);
  if (st == CLQL_SUCCESS)
    st = get_size(c, obj, "max_mem_alloc_size", &r->has_max_alloc, &r->max_alloc);
  if (st == CLQL_SUCCESS)
    st = get_uint(c, obj, "local_mem_size", UINT64_MAX, &r->has_local_mem, &r->local_mem);
  if (st == CLQL_SUCCESS)
    st = get_uint(c, obj, "max_compute_units", UINT32_MAX, &r->has_compute_units, &cu);
  r->compute_units = (cl_uint)cu;
  if (st == CLQL_SUCCESS) st = get_bool(c, obj, "host_unified_memory", &r->host_unified_memory);
  if (st == CLQL_SUCCESS) st = get_bool(c, obj, "integrated_memory_nv", &r->integrated_memory_nv);
  if (st == CLQL_SUCCESS) st = get_free_kib(c, obj, r);
  cl_ulong host_kib = 0;
  if (st == CLQL_SUCCESS)
    st = get_uint(c, obj, "host_mem_available_kib", UINT64_MAX / 1024, &r->has_host_available,
                  &host_kib);
  r->host_available = host_kib * 1024;
  if (st == CLQL_SUCCESS) st = get_flags(c, obj, r);
  if (st != CLQL_SUCCESS) return st;
  if (!r->has_global_mem) {
    cl_ulong implied = r->has_max_alloc ? r->max_alloc : 0, free_bytes;
    if (r->free_kib_count && clql_mul_u64(r->free_kib[0], 1024, &free_bytes) &&
        free_bytes > implied)
      implied = free_bytes;
    if (implied) {
      r->has_global_mem = r->global_mem_derived = 1;
      r->global_mem = implied;
    }
  }

  /* Identity strings are kept when they do not parse (the records quote
   * clinfo, which sometimes adds remarks); they simply answer nothing. */
  json_t *pci = field(obj, "pci_bus_id");
  if (pci && !json_is_string(pci)) return field_error(c, "pci_bus_id", "must be a string or null");
  if (pci)
    r->has_pci = clql_parse_pci_bus_id(json_string_value(pci), &r->pci_domain, &r->pci_bus,
                                       &r->pci_device, &r->pci_function);
  json_t *uuid = field(obj, "device_uuid");
  if (uuid && !json_is_string(uuid))
    return field_error(c, "device_uuid", "must be a string or null");
  if (uuid) r->has_uuid = clql_parse_uuid(json_string_value(uuid), r->uuid);
  return CLQL_SUCCESS;
}

static void free_record(clql_profile_record *r) {
  char *strings[] = {r->id,           r->platform_name,  r->platform_vendor, r->device_name,
                     r->board_name,   r->device_vendor,  r->device_version,  r->driver_version,
                     r->extensions};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) clql_free(strings[i]);
  for (size_t i = 0; i < r->flag_count; i++) clql_free(r->flags[i].name);
  clql_free(r->flags);
}

void clql_profile_free(clql_profile_set *set) {
  if (!set) return;
  for (size_t i = 0; i < set->count; i++) free_record(&set->records[i]);
  clql_free(set->records);
  clql_free(set);
}

const clql_profile_record *clql_profile_find(const clql_profile_set *set, const char *id) {
  for (size_t i = 0; set && id && i < set->count; i++)
    if (strcmp(set->records[i].id, id) == 0) return &set->records[i];
  return NULL;
}

/* A failed json_load*: out of memory or the parser's message. */
static clql_status load_error(const json_error_t *jerr, const char *origin, char *detail,
                              size_t detail_size) {
  /* jansson leaves the error untouched when some allocations fail. */
  int oom = jerr->text[0] == '\0';
#if JANSSON_VERSION_HEX >= 0x020b00
  oom = oom || json_error_code(jerr) == json_error_out_of_memory;
#endif
  if (oom)
    return report(detail, detail_size, CLQL_ERR_OUT_OF_HOST_MEMORY, "%s: out of memory parsing",
                  origin);
  return report(detail, detail_size, CLQL_ERR_PARSE, "%s:%d:%d: %s", origin, jerr->line,
                jerr->column, jerr->text);
}

static const char *record_id(const void *records, size_t i) {
  return ((const clql_profile_record *)records)[i].id;
}

/* The records of a parsed document (consumed): an array, or one object. */
static clql_status parse_root(json_t *root, const char *origin, clql_profile_set **out,
                              char *detail, size_t detail_size) {
  clql_status st = CLQL_SUCCESS;
  json_t *list = root;
  if (json_is_object(root)) { /* a single record */
    list = json_array();
    if (!list || json_array_append(list, root) != 0)
      st = report(detail, detail_size, CLQL_ERR_OUT_OF_HOST_MEMORY, "out of memory");
  } else if (!json_is_array(root)) {
    st = report(detail, detail_size, CLQL_ERR_PARSE, "%s: must be a JSON array of device records",
                origin);
  }
  clql_profile_set *set = clql_calloc(1, sizeof *set);
  size_t n = st == CLQL_SUCCESS ? json_array_size(list) : 0;
  if (st == CLQL_SUCCESS && (!set || !(set->records = clql_calloc(n + 1, sizeof *set->records))))
    st = report(detail, detail_size, CLQL_ERR_OUT_OF_HOST_MEMORY, "out of memory");
  clql_name_index ids = {0}; /* a hash, not a scan per record: files hold 200k records */
  for (size_t i = 0; i < n && st == CLQL_SUCCESS; i++) {
    parse_ctx c = {detail, detail_size, i, NULL};
    set->count = i + 1;
    st = parse_record(&c, json_array_get(list, i), &set->records[i]);
    size_t earlier;
    int added = st == CLQL_SUCCESS ? clql_name_index_add(&ids, set->records[i].id, i, record_id,
                                                         set->records, &earlier)
                                   : 1;
    if (added < 0) st = no_memory(&c);
    if (added == 0) {
      char why[64];
      snprintf(why, sizeof why, "duplicate of an earlier record (%zu)", earlier);
      st = field_error(&c, "id", why);
    }
  }
  clql_name_index_free(&ids);
  if (list != root) json_decref(list);
  json_decref(root);
  if (st != CLQL_SUCCESS) {
    clql_profile_free(set);
    return st;
  }
  *out = set;
  return CLQL_SUCCESS;
}

clql_status clql_profile_load(const char *path, clql_profile_set **out, char *detail,
                              size_t detail_size) {
  *out = NULL;
  if (!path || !*path) return report(detail, detail_size, CLQL_ERR_IO, "no profile file given");
  uint64_t size;
  const char *why;
  int fd = clql_open_regular(path, &size, &why);
  if (fd < 0) return report(detail, detail_size, CLQL_ERR_IO, "%s: %s", path, why);
  json_error_t jerr;
  memset(&jerr, 0, sizeof jerr);
  json_t *root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
  close(fd);
  if (!root) return load_error(&jerr, path, detail, detail_size);
  return parse_root(root, path, out, detail, detail_size);
}

clql_status clql_profile_load_memory(const void *data, size_t size, const char *origin,
                                     clql_profile_set **out, char *detail, size_t detail_size) {
  *out = NULL;
  if (!origin) origin = "(memory)";
  if (!data && size) return report(detail, detail_size, CLQL_ERR_INVALID_ARGUMENT, "no data");
  json_error_t jerr;
  memset(&jerr, 0, sizeof jerr);
  json_t *root = json_loadb(data ? data : "", size, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) return load_error(&jerr, origin, detail, detail_size);
  return parse_root(root, origin, out, detail, detail_size);
}

/* ---- answering queries ---- */

/* The record has flag [name, name + len) set to on. */
static int flag_is(const clql_profile_record *r, const char *name, size_t len, int on) {
  for (size_t i = 0; i < r->flag_count; i++)
    if (r->flags[i].on == on && strncmp(r->flags[i].name, name, len) == 0 &&
        r->flags[i].name[len] == '\0')
      return 1;
  return 0;
}

char *clql_profile_extensions(const clql_profile_record *r, const char *base) {
  const char *src = r->extensions ? r->extensions : base ? base : "";
  /* Without a recorded list, the data the record has implies the
   * extensions that report it. */
  const char *implied[3];
  size_t nimplied = 0;
  if (!r->extensions) {
    if (r->free_kib_count) implied[nimplied++] = "cl_amd_device_attribute_query";
    if (r->has_pci) implied[nimplied++] = "cl_khr_pci_bus_info";
    if (r->has_uuid) implied[nimplied++] = "cl_khr_device_uuid";
  }
  size_t cap = strlen(src) + 2;
  for (size_t i = 0; i < nimplied; i++) cap += strlen(implied[i]) + 1;
  for (size_t i = 0; i < r->flag_count; i++) cap += strlen(r->flags[i].name) + 1;
  char *out = clql_malloc(cap);
  if (!out) return NULL;
  size_t len = 0;
  out[0] = '\0';
  for (const char *p = src; *p;) {
    while (*p == ' ') p++;
    size_t n = strcspn(p, " ");
    if (!n) break;
    if (!flag_is(r, p, n, 0)) {
      if (len) out[len++] = ' ';
      memcpy(out + len, p, n);
      out[len += n] = '\0';
    }
    p += n;
  }
  for (size_t i = 0; i < nimplied + r->flag_count; i++) {
    const char *name = i < nimplied ? implied[i] : r->flags[i - nimplied].name;
    if (i >= nimplied && !r->flags[i - nimplied].on) continue;
    if (flag_is(r, name, strlen(name), 0) || clql_has_extension(out, name)) continue;
    if (len) out[len++] = ' ';
    strcpy(out + len, name);
    len += strlen(name);
  }
  return out;
}

/* clGetXxxInfo's protocol: value NULL asks only the size; a buffer smaller
 * than the answer is CL_INVALID_VALUE. */
static cl_int put(const void *src, size_t bytes, size_t size, void *value, size_t *size_ret) {
  if (value) {
    if (size < bytes) return CL_INVALID_VALUE;
    memcpy(value, src, bytes);
  }
  if (size_ret) *size_ret = bytes;
  return CL_SUCCESS;
}

/* Answer with src when the record has the field; 0 passes the query on. */
static int put_field(int present, const void *src, size_t bytes, size_t size, void *value,
                     size_t *size_ret, cl_int *err) {
  if (!present) return 0;
  *err = put(src, bytes, size, value, size_ret);
  return 1;
}

static int put_string(const char *s, size_t size, void *value, size_t *size_ret, cl_int *err) {
  return put_field(s != NULL, s, s ? strlen(s) + 1 : 0, size, value, size_ret, err);
}

/* Unified memory as the record says, else as its NVIDIA attribute says,
 * else from its type: a profile that makes PoCL's CPU a discrete GPU must
 * not inherit the CPU's shared memory. */
static int record_unified(const clql_profile_record *r) {
  if (r->host_unified_memory != CLQL_FIELD_ABSENT) return r->host_unified_memory;
  if (r->integrated_memory_nv != CLQL_FIELD_ABSENT) return r->integrated_memory_nv;
  if (r->type) return (r->type & CL_DEVICE_TYPE_CPU) != 0;
  return CLQL_FIELD_ABSENT;
}

/* The PCI and UUID queries, each answered only when the device's extension
 * list (as the record describes it) has the extension that defines it. */
static int identity_info(const clql_profile_record *r, const char *base, cl_device_info param,
                         size_t size, void *value, size_t *size_ret, cl_int *err) {
  const char *needs = NULL;
  if (param == CLQL_CL_DEVICE_UUID_KHR) {
    if (!r->has_uuid) return 0;
    needs = "cl_khr_device_uuid";
  } else if (!r->has_pci) {
    return 0;
  } else if (param == CLQL_CL_DEVICE_PCI_BUS_INFO_KHR) {
    needs = "cl_khr_pci_bus_info";
  } else if (param == CLQL_CL_DEVICE_TOPOLOGY_AMD) {
    needs = "cl_amd_device_attribute_query";
  } else {
    needs = "cl_nv_device_attribute_query";
  }
  char *ext = clql_profile_extensions(r, base);
  if (!ext) {
    *err = CL_OUT_OF_HOST_MEMORY;
    return 1;
  }
  int listed = clql_has_extension(ext, needs);
  clql_free(ext);
  if (!listed) return 0;
  switch (param) {
  case CLQL_CL_DEVICE_UUID_KHR: *err = put(r->uuid, sizeof r->uuid, size, value, size_ret); break;
  case CLQL_CL_DEVICE_PCI_BUS_INFO_KHR: {
    clql_cl_pci_bus_info_khr info = {r->pci_domain, r->pci_bus, r->pci_device, r->pci_function};
    *err = put(&info, sizeof info, size, value, size_ret);
    break;
  }
  case CLQL_CL_DEVICE_TOPOLOGY_AMD: {
    clql_cl_topology_amd topo;
    memset(&topo, 0, sizeof topo);
    topo.pcie.type = CLQL_CL_DEVICE_TOPOLOGY_TYPE_PCIE_AMD;
    topo.pcie.bus = (cl_char)(unsigned char)r->pci_bus;
    topo.pcie.device = (cl_char)(unsigned char)r->pci_device;
    topo.pcie.function = (cl_char)(unsigned char)r->pci_function;
    *err = put(&topo, sizeof topo, size, value, size_ret);
    break;
  }
  default: {
    cl_uint v = param == CLQL_CL_DEVICE_PCI_BUS_ID_NV    ? r->pci_bus
                : param == CLQL_CL_DEVICE_PCI_SLOT_ID_NV ? (r->pci_device << 3) | r->pci_function
                                                         : r->pci_domain;
    *err = put(&v, sizeof v, size, value, size_ret);
  }
  }
  return 1;
}

int clql_profile_device_info(const clql_profile_record *r, const char *base_extensions,
                             cl_device_info param, size_t size, void *value, size_t *size_ret,
                             cl_int *err) {
  switch (param) {
  case CL_DEVICE_NAME: return put_string(r->device_name, size, value, size_ret, err);
  case CLQL_CL_DEVICE_BOARD_NAME_AMD: return put_string(r->board_name, size, value, size_ret, err);
  case CL_DEVICE_VENDOR: return put_string(r->device_vendor, size, value, size_ret, err);
  case CL_DEVICE_VERSION: return put_string(r->device_version, size, value, size_ret, err);
  case CL_DRIVER_VERSION: return put_string(r->driver_version, size, value, size_ret, err);
  case CL_DEVICE_TYPE:
    return put_field(r->type != 0, &r->type, sizeof r->type, size, value, size_ret, err);
  case CL_DEVICE_VENDOR_ID:
    return put_field(r->has_vendor_id, &r->vendor_id, sizeof r->vendor_id, size, value, size_ret,
                     err);
  case CL_DEVICE_GLOBAL_MEM_SIZE:
    return put_field(r->has_global_mem, &r->global_mem, sizeof r->global_mem, size, value,
                     size_ret, err);
  case CL_DEVICE_MAX_MEM_ALLOC_SIZE:
    return put_field(r->has_max_alloc, &r->max_alloc, sizeof r->max_alloc, size, value, size_ret,
                     err);
  case CL_DEVICE_LOCAL_MEM_SIZE:
    return put_field(r->has_local_mem, &r->local_mem, sizeof r->local_mem, size, value, size_ret,
                     err);
  case CL_DEVICE_MAX_COMPUTE_UNITS:
    return put_field(r->has_compute_units, &r->compute_units, sizeof r->compute_units, size, value,
                     size_ret, err);
  case CL_DEVICE_HOST_UNIFIED_MEMORY:
  case CLQL_CL_DEVICE_INTEGRATED_MEMORY_NV: {
    int on = param == CL_DEVICE_HOST_UNIFIED_MEMORY ? record_unified(r) : r->integrated_memory_nv;
    cl_bool b = on == 1 ? CL_TRUE : CL_FALSE;
    return put_field(on != CLQL_FIELD_ABSENT, &b, sizeof b, size, value, size_ret, err);
  }
  case CL_DEVICE_EXTENSIONS: {
    char *ext = clql_profile_extensions(r, base_extensions);
    if (!ext) {
      *err = CL_OUT_OF_HOST_MEMORY;
      return 1;
    }
    put_string(ext, size, value, size_ret, err);
    clql_free(ext);
    return 1;
  }
  case CLQL_CL_DEVICE_GLOBAL_FREE_MEMORY_AMD: {
    /* ROCm's quirk: a buffer smaller than two size_t gets just the first
     * value, so a size query answers one size_t. */
    size_t n = r->free_kib_count >= 2 && size >= 2 * sizeof(size_t) ? 2 : 1;
    return put_field(r->free_kib_count > 0, r->free_kib, n * sizeof(size_t), size, value, size_ret,
                     err);
  }
  case CLQL_CL_DEVICE_UUID_KHR:
  case CLQL_CL_DEVICE_PCI_BUS_INFO_KHR:
  case CLQL_CL_DEVICE_TOPOLOGY_AMD:
  case CLQL_CL_DEVICE_PCI_BUS_ID_NV:
  case CLQL_CL_DEVICE_PCI_SLOT_ID_NV:
  case CLQL_CL_DEVICE_PCI_DOMAIN_ID_NV:
    return identity_info(r, base_extensions, param, size, value, size_ret, err);
  default: return 0;
  }
}

int clql_profile_platform_info(const clql_profile_record *r, cl_platform_info param, size_t size,
                               void *value, size_t *size_ret, cl_int *err) {
  if (param == CL_PLATFORM_NAME) return put_string(r->platform_name, size, value, size_ret, err);
  if (param == CL_PLATFORM_VENDOR)
    return put_string(r->platform_vendor ? r->platform_vendor : r->device_vendor, size, value,
                      size_ret, err);
  return 0;
}
