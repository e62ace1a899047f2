/* Device profiles: records in the format of devices.json, and the answers a
 * record gives to clGetDeviceInfo / clGetPlatformInfo.
 *
 * Shared by libclql (clql_profile_devices) and the OpenCL loader layer in
 * tools/profile-layer, which compiles profile.c itself: nothing here may call
 * into the rest of libclql. Errors come back as a clql_status plus a detail
 * written to the caller's buffer. */
#ifndef CLQL_PROFILE_INTERNAL_H
#define CLQL_PROFILE_INTERNAL_H

#include <stddef.h>
#include <clql/cl.h>
#include <clql/status.h>
#include "../base/cl_vendor.h"

/* A boolean field that may be absent (JSON null or missing). */
enum { CLQL_FIELD_ABSENT = -1 };

typedef struct clql_profile_flag {
  char *name;
  int on;
} clql_profile_flag;

typedef struct clql_profile_record {
  char *id;
  /* NULL when the record does not have the field. */
  char *platform_name, *platform_vendor, *device_name, *board_name, *device_vendor;
  char *device_version, *driver_version, *extensions;
  cl_device_type type; /* 0 when absent */
  int has_vendor_id;
  cl_uint vendor_id;
  int has_global_mem, has_max_alloc, has_local_mem, has_compute_units;
  /* A record without a total answers the smallest total its other figures
   * imply (max_alloc, AMD free memory), so no report shows a buffer or free
   * memory larger than the device. */
  int global_mem_derived;
  cl_ulong global_mem, max_alloc, local_mem;
  cl_uint compute_units;
  int host_unified_memory;  /* 0, 1 or CLQL_FIELD_ABSENT */
  int integrated_memory_nv; /* 0, 1 or CLQL_FIELD_ABSENT */
  size_t free_kib_count;    /* values of amd_global_free_memory_kib: 0, 1 or 2 */
  int has_host_available;   /* host_mem_available_kib was given */
  cl_ulong host_available;  /* the host's available memory when recorded, in bytes */
  size_t free_kib[2];
  int has_pci; /* pci_bus_id was present and parseable */
  cl_uint pci_domain, pci_bus, pci_device, pci_function;
  int has_uuid; /* device_uuid was present and parseable */
  unsigned char uuid[CLQL_UUID_SIZE];
  clql_profile_flag *flags; /* extension_flags entries that are true or false */
  size_t flag_count;
} clql_profile_record;

typedef struct clql_profile_set {
  clql_profile_record *records;
  size_t count;
} clql_profile_set;

/* Read and validate a whole file (a JSON array of records, or one record
 * object). CLQL_ERR_IO when unreadable, CLQL_ERR_PARSE with the record and
 * field named in detail, CLQL_ERR_OUT_OF_HOST_MEMORY. */
clql_status clql_profile_load(const char *path, clql_profile_set **out, char *detail,
                              size_t detail_size);
/* The same from size bytes in memory (not NUL-terminated); origin names the
 * data in details (NULL: "(memory)"). */
clql_status clql_profile_load_memory(const void *data, size_t size, const char *origin,
                                     clql_profile_set **out, char *detail, size_t detail_size);
void clql_profile_free(clql_profile_set *set);
const clql_profile_record *clql_profile_find(const clql_profile_set *set, const char *id);

/* The device's extension string as the record describes it: the record's
 * `extensions`, or else base (the underlying device's list, may be NULL)
 * plus the extensions the record's data implies; then extension_flags add
 * (true) or remove (false) names. Returns a malloc'd string or NULL. */
char *clql_profile_extensions(const clql_profile_record *r, const char *base);

/* Answer clGetDeviceInfo(param) from the record with the OpenCL size-query
 * protocol. Returns 1 when the record answers (the result in *err), 0 when
 * the query passes through to the underlying device. base_extensions as for
 * clql_profile_extensions. */
int clql_profile_device_info(const clql_profile_record *r, const char *base_extensions,
                             cl_device_info param, size_t size, void *value, size_t *size_ret,
                             cl_int *err);
/* The same for clGetPlatformInfo (name and vendor). */
int clql_profile_platform_info(const clql_profile_record *r, cl_platform_info param, size_t size,
                               void *value, size_t *size_ret, cl_int *err);

/* "DDDD:BB:DD.F" or "BB:DD.F", optionally followed by a space and a remark. */
int clql_parse_pci_bus_id(const char *text, cl_uint *domain, cl_uint *bus, cl_uint *device,
                          cl_uint *function);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, either case). */
int clql_parse_uuid(const char *text, unsigned char uuid[CLQL_UUID_SIZE]);

#endif /* CLQL_PROFILE_INTERNAL_H */
