/* The configuration: the CLQL_* knobs read once from the environment (or
 * given by the caller) and parsed. Part of the base layer, which lib/ and
 * probes/ both build on; never installed. */
#ifndef CLQL_LIB_CONFIG_H
#define CLQL_LIB_CONFIG_H

#include "base.h"

/* ---- configuration (config.c) ---- */
/* CLQL_KERNELS: unset, empty or "auto" (AUTO), or the family it forces. */
typedef enum {
  CLQL_KERNELS_AUTO,
  CLQL_KERNELS_PORTABLE, /* "portable" */
  CLQL_KERNELS_KSPLIT,   /* "ksplit" (or "split", its first name) */
  CLQL_KERNELS_AVX2,     /* "avx2": the x86 kernels in 256-bit form */
  CLQL_KERNELS_AVX512,   /* "avx512": the x86 kernels in 512-bit form, without VNNI */
  CLQL_KERNELS_VNNI      /* "vnni": with VNNI, without VBMI */
} clql_kernels_choice;

/* The knobs, in the order clql_config_names lists them. */
typedef enum {
  CLQL_KNOB_MEM_FRACTION,
  CLQL_KNOB_MEM_LIMIT,
  CLQL_KNOB_MEM_RESERVE,
  CLQL_KNOB_MAX_BATCH,
  CLQL_KNOB_MEM_SOURCE,
  CLQL_KNOB_PROBE_TTL_MS,
  CLQL_KNOB_KERNELS,
  CLQL_KNOB_LOG,
  CLQL_KNOB_SPLIT,
  CLQL_KNOB_LEVEL_ZERO,
  CLQL_KNOB_PROFILE_MEASURE,
  CLQL_KNOB_DEVICE,
  CLQL_KNOB_KERNEL_DIR,
  CLQL_KNOB_PROC_ROOT,
  CLQL_KNOB_SYSFS_ROOT,
  CLQL_KNOB_NVML_LIBRARY,
  CLQL_KNOB_LEVEL_ZERO_LIBRARY,
  CLQL_KNOB_COMMAND_BUFFER,
  CLQL_KNOB_WAIT,
  CLQL_KNOB_COUNT
} clql_knob;

/* CLQL_COMMAND_BUFFER: how sequences replay. */
typedef enum {
  CLQL_CMDBUF_AUTO, /* "auto": recorded where the device offers it and is not a CPU */
  CLQL_CMDBUF_ON,   /* "on": recorded, or CLQL_ERR_UNSUPPORTED */
  CLQL_CMDBUF_OFF   /* "off": plain enqueues */
} clql_cmdbuf_choice;

/* CLQL_WAIT: how a synchronous call waits for its commands. */
typedef enum {
  CLQL_WAIT_AUTO,  /* "auto": poll on PoCL's CPU device when its workers are pinned */
  CLQL_WAIT_BLOCK, /* "block": clFinish, the driver's own wait */
  CLQL_WAIT_POLL   /* "poll": query the last command's status, yielding the core between */
} clql_wait_choice;

struct clql_config {
  char *value[CLQL_KNOB_COUNT]; /* each set knob's text, trimmed; NULL: unset (default) */
  unsigned from_env;            /* bit per knob read from the environment */
  clql_budget_options budget;
  unsigned sources_allowed, sources_named; /* CLQL_MEM_SOURCE, as clql_source_policy */
  unsigned long probe_ttl_ms;
  clql_kernels_choice kernels;
  clql_log_level log_level;
  clql_split_mode split; /* meaningful when value[CLQL_KNOB_SPLIT] is set */
  clql_cmdbuf_choice command_buffer;
  clql_wait_choice wait;
  int level_zero, profile_measure;
  int zes_sysman; /* the user set ZES_ENABLE_SYSMAN (non-empty) */
};

/* Budget options whose fields in `bits` (and set in o->set) hold valid
 * values; 0 with *why (static) otherwise. */
int clql_budget_options_valid(const clql_budget_options *o, unsigned bits, const char **why);

/* ---- CLQL_MEM_SOURCE (policy.c) ---- */
/* The free-memory sources of the probe chain, in its order: probes/registry.c
 * builds the chain in this order (unit/probes checks the names). */
#define CLQL_PROBE_SOURCE_COUNT 5
extern const char *const clql_probe_source_names[CLQL_PROBE_SOURCE_COUNT];
typedef struct clql_source_policy {
  unsigned allowed; /* bit i: source i of the chain may run */
  unsigned named;   /* bit i: named explicitly, which counts as opting in */
} clql_source_policy;
/* Parse a CLQL_MEM_SOURCE value: "", "auto", "none", "name[,name...]"
 * (only these), "-name[,-name...]" (all but these). 0 with the reason in why
 * for anything else; *out is then untouched. */
int clql_source_policy_parse(const char *text, clql_source_policy *out, char *why,
                             size_t why_size);

/* The defaults (no environment): what a NULL configuration means below the
 * public API. */
const clql_config *clql_config_default(void);
/* Knob k's text, or NULL when unset; c NULL: the defaults. */
const char *clql_config_text(const clql_config *c, clql_knob k);
/* Fill *c (no handle) from the defaults and the environment / as a deep
 * copy; clear releases what it holds. On failure *c holds nothing. */
clql_status clql_config_init_env(clql_config *c);
clql_status clql_config_init_copy(clql_config *c, const clql_config *from);
void clql_config_clear(clql_config *c);
/* POCL_AFFINITY is set to a value PoCL takes as true: PoCL's CPU device then
 * pins a worker thread to each core. Read when a context is created. */
int clql_env_pocl_affinity(void);
/* given copied, or NULL: the environment read now; the log level applied. */
clql_status clql_config_resolve(const clql_config *given, clql_config *out);
/* Make c's CLQL_LOG the process's level: always, or only when c sets it
 * (log.c). */
void clql_log_apply(const clql_config *c, int always);
/* Knob k of cfg (a path: CLQL_SYSFS_ROOT, CLQL_NVML_LIBRARY...) when set,
 * else fallback ("/sys"). */
const char *clql_config_path(const clql_config *cfg, clql_knob k, const char *fallback);

#endif /* CLQL_LIB_CONFIG_H */
