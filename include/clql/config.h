/* Configuration: every knob clql reads, in one object, read once.
 *
 * Each knob is named by its environment variable ("CLQL_MEM_LIMIT") and has
 * one grammar, whether it comes from the environment or from
 * clql_config_set(): sizes are digits with an optional K, M, G, T, KiB,
 * MiB, GiB or TiB (all 1024-based); words (CLQL_LOG, CLQL_KERNELS,
 * CLQL_SPLIT, CLQL_MEM_SOURCE, flags) ignore case; white space around a
 * value is ignored; an empty value leaves the knob unset (its default). A
 * bad value is CLQL_ERR_INVALID_CONFIG with a detail naming the variable,
 * the value and the reason; nothing is ignored with a warning.
 *
 * Who reads the environment, and when: clql_config_from_env() is the only
 * function of the library that does. A context reads it once, when it is
 * created with a NULL configuration, and never again. A function that takes
 * neither a context nor a configuration (clql_device_memory,
 * clql_device_select, device sets, clql_profile_devices...) reads it once
 * per call. Planning functions (clql_budget_compute, clql_plan_layer,
 * clql_plan_model, clql_plan_split) never read it: they take the budget
 * options they use (clql_config_budget gives a configuration's).
 *
 * Files, directories and libraries named by CLQL_KERNEL_DIR, CLQL_PROC_ROOT,
 * CLQL_SYSFS_ROOT, CLQL_NVML_LIBRARY and CLQL_LEVEL_ZERO_LIBRARY are not
 * taken from the environment of a setuid or setgid process (its environment
 * belongs to a less privileged user); clql_config_set still sets them. */
#ifndef CLQL_CONFIG_H
#define CLQL_CONFIG_H

#include <stddef.h>
#include <clql/export.h>
#include <clql/plan.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_config clql_config;

/** A configuration with every knob at its default; the environment is not read. */
CLQL_API clql_status clql_config_create(clql_config **out);

/**
 * A configuration from the defaults and the environment, read now. The
 * first bad value fails the call (CLQL_ERR_INVALID_CONFIG, *out NULL) with
 * its variable, value and reason in clql_last_error_detail().
 */
CLQL_API clql_status clql_config_from_env(clql_config **out);

/** A deep copy. */
CLQL_API clql_status clql_config_copy(const clql_config *config, clql_config **out);

/** NULL is a no-op. */
CLQL_API void clql_config_destroy(clql_config *config);

/**
 * Set knob `name` (its variable's name, e.g. "CLQL_MEM_LIMIT") to `value` in
 * the variable's grammar; NULL or "" (after white space) unsets it. An
 * unknown name or a bad value is CLQL_ERR_INVALID_CONFIG and leaves the
 * configuration as it was.
 */
CLQL_API clql_status clql_config_set(clql_config *config, const char *name, const char *value);

/**
 * The value knob `name` was set to, as given (white space trimmed), or ""
 * when it is unset. Ask the size, then pass the buffer: *length receives
 * the length without the terminating NUL; value may be NULL with capacity
 * 0; a capacity of at most *length is CLQL_ERR_BUFFER_TOO_SMALL.
 */
CLQL_API clql_status clql_config_get(const clql_config *config, const char *name, char *value,
                                     size_t capacity, size_t *length);

/** The knob names, static strings. Ask the size, then pass the buffer. */
CLQL_API clql_status clql_config_names(const char **names, size_t capacity, size_t *count);

/**
 * The budget knobs (CLQL_MEM_FRACTION, CLQL_MEM_LIMIT, CLQL_MEM_RESERVE,
 * CLQL_MAX_BATCH) as clql_budget_options: a .set bit per knob that is set,
 * and .from_env bits for those read from the environment.
 */
CLQL_API clql_status clql_config_budget(const clql_config *config, clql_budget_options *out);

/**
 * Set the budget knobs from options: each field whose bit is in opts->set
 * replaces that knob (the two reserve bits are one knob); fields not set are
 * left as they are. Checked as the variables are (a limit of 0 and a
 * max_batch of 0 are refused, as from the environment):
 * CLQL_ERR_INVALID_CONFIG, nothing changed.
 */
CLQL_API clql_status clql_config_set_budget(clql_config *config, const clql_budget_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_CONFIG_H */
