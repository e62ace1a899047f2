/* Device profiles: reports for devices the machine does not have, from
 * recorded device data (records in the format of devices.json: clinfo values
 * with `id`, `device_type`, `vendor_id` "0x1002", `global_mem_size` bytes or
 * `global_mem_size_mib`, `amd_global_free_memory_kib`, `pci_bus_id`, ...).
 * A recorded device goes through the same probe chain as a live one; its
 * queries are answered from the record. */
#ifndef CLQL_PROFILE_H
#define CLQL_PROFILE_H

#include <stddef.h>
#include <clql/device.h>
#include <clql/export.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Device reports from recorded profiles (records in the format of devices.json).
 * id NULL or "": every record. Ask the size, then pass the buffer (CLQL_ERR_BUFFER_TOO_SMALL
 * when capacity < count). Each report goes through the same probe chain as a live device,
 * answering queries from the record.
 *
 * Errors: CLQL_ERR_IO (file unreadable), CLQL_ERR_PARSE (malformed JSON or
 * record; the detail names the record and field), CLQL_ERR_NOT_FOUND (no
 * record with that id). Reports have profile_id set, platform and device NULL,
 * and 0 for sizes the record does not have. */
CLQL_API clql_status clql_profile_devices(const char *path, const char *id,
                                          clql_device_info *devices, size_t capacity, size_t *count);

/** The memory report of record id (required) of the file, reporting every
 *  source tried to trace, as clql_device_memory_trace does for live devices. */
CLQL_API clql_status clql_profile_memory_trace(const char *path, const char *id,
                                               clql_memory_report *out, clql_mem_trace_fn trace,
                                               void *user);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_PROFILE_H */
