/* Shared internals of libclql; never installed. */
#ifndef CLQL_INTERNAL_H
#define CLQL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <clql.h>
#include "base/base.h"
#include "base/config.h"

/* Set ws->largest and ws->total (parts at CLQL_WORKSPACE_ALIGN offsets) from
 * ws->part; 0 on overflow. The one definition of a workspace's size (layout.c). */
int clql_workspace_sum(clql_workspace_bytes *ws);

/* The byte offset of the work counters in the act_scales part of a
 * workspace for batch tokens (layout.c); 0 on overflow. */
int clql_ws_counters_at(uint64_t batch, uint64_t *offset);

/* opts over base: each field whose bit is in opts->set replaces base's. */
clql_budget_options clql_budget_options_over(const clql_budget_options *base,
                                             const clql_budget_options *opts);

/* clql_plan_model against a budget already computed, with other_resident
 * bytes held beside the layers' weights (plan.c). */
clql_status clql_plan_model_in(const clql_budget *budget, const clql_model_layer *layers,
                               size_t count, uint64_t other_resident, uint64_t requested_batch,
                               unsigned ws_flags, clql_model_plan *out);

/* ---- model descriptions (model_desc.c) ---- */
/* Bytes of `elements` elements of storage type `type` (a clql_kv_type, or a
 * tensor type of the same table); 0 when blocks do not divide them or on
 * overflow. */
int clql_storage_row_bytes(int type, uint64_t elements, uint64_t *bytes);
uint64_t clql_model_kv_heads_at(const clql_model *m, uint64_t block);
const clql_model_layer *clql_model_layers_of(const clql_model *m, size_t *count);
const clql_model_tensor *clql_model_tensors_of(const clql_model *m, size_t *count);

/* ---- model sums and text (model.c) ---- */
/* The ternary layers of model text [text, text + len) (`@` lines skipped);
 * allow_empty: a text without layers is not an error. */
clql_status clql_model_parse_layers(const char *text, size_t len, const char *origin,
                                    clql_qtype qtype, int allow_empty, clql_model_layer *layers,
                                    size_t capacity, size_t *count);
/* A model file's text (at most 1 MiB), NUL-terminated; clql_free it. */
clql_status clql_model_file_read(const char *path, char **text, size_t *len);
/* Resident bytes and the largest resident buffer (largest may be NULL). */
clql_status clql_model_resident(const clql_model_layer *layers, size_t count, uint64_t *total,
                                clql_buffer_ref *largest);
/* clql_model_workspace_bytes with the layer index that sets each part (owner may be NULL). */
clql_status clql_model_workspace_owned(const clql_model_layer *layers, size_t count,
                                       uint64_t batch, unsigned flags, clql_workspace_bytes *out,
                                       size_t owner[CLQL_WS_PART_COUNT]);

/* ---- device selection (pure) ---- */
typedef enum { CLQL_SEL_DEFAULT, CLQL_SEL_PAIR, CLQL_SEL_INDEX, CLQL_SEL_NAME } clql_selector_kind;
typedef struct {
  clql_selector_kind kind;
  unsigned platform, device, index;
  const char *text; /* the item as given, pointing into the parsed string (NULL: the
                       default); what CLQL_SEL_NAME matches, what messages quote */
} clql_selector;

clql_status clql_selector_parse(const char *text, clql_selector *out);
/* Index into devs of the first match, or -1. */
long clql_selector_match(const clql_selector *sel, const clql_device_info *devs, size_t count);
/* A comma-separated list of selectors, each in the grammar above, white
 * space around an item ignored; the items' text points into `text`, a
 * private copy. NULL or "" is one CLQL_SEL_DEFAULT item; an empty item or
 * one that repeats an earlier one is CLQL_ERR_BAD_SELECTOR. */
typedef struct {
  char *text;
  clql_selector *items;
  size_t count;
} clql_selector_list;
clql_status clql_selector_list_parse(const char *text, clql_selector_list *out);
void clql_selector_list_free(clql_selector_list *list);
/* The list in selectors or, when that is NULL or "", in cfg's CLQL_DEVICE;
 * *source names where it came from ("argument", "CLQL_DEVICE") and starts
 * the detail of a failure. */
clql_status clql_selector_list_of(const char *selectors, const clql_config *cfg,
                                  clql_selector_list *out, const char **source);

/* ---- device queries ---- */
clql_status clql_device_fill(cl_platform_id platform, cl_device_id device, const clql_config *cfg,
                             clql_device_info *out);
/* The memory report of a live device under cfg; cached: through the cache
 * (cfg's CLQL_PROBE_TTL_MS). A report measured here refreshes the cache. */
clql_status clql_device_memory_with(cl_device_id device, const clql_config *cfg, int cached,
                                    clql_memory_report *out, clql_mem_trace_fn trace,
                                    void *user);
/* Every device of every platform, in a malloc'd array (at least one device,
 * else CLQL_ERR_NO_DEVICE). */
clql_status clql_devices_all(const clql_config *cfg, clql_device_info **out, size_t *count);
clql_status clql_devices_get_with(const clql_config *cfg, clql_device_info *devices,
                                  size_t capacity, size_t *count);
/* clql_device_select under cfg (its CLQL_DEVICE when selector is NULL or ""). */
clql_status clql_device_select_with(const char *selector, const clql_config *cfg,
                                    clql_device_info *out);
/* A context with a new OpenCL context and queue on the device info describes
 * (clql_context_create after selection); info is copied into it. */
clql_status clql_context_create_on(const clql_device_info *info, const clql_config *config,
                                   clql_context **out);
/* Identity fields of out (name, vendor, type, ids, PCI) from a probe target,
 * live or recorded; memory and platform fields are the caller's. */
struct clql_probe_target;
clql_status clql_device_fill_target(const struct clql_probe_target *t, clql_device_info *out);
/* The memory report of a live device through the cache of lib/device/memory.c:
 * an entry younger than t's configuration's CLQL_PROBE_TTL_MS is returned
 * as is, otherwise the chain runs on t (t->config must be set). */
clql_status clql_memory_cached(const struct clql_probe_target *t, cl_device_id device,
                               clql_memory_report *out);

/* ---- device sets (multi.c) ---- */
/* The budget options device `index` of a set plans with (NULL: environment). */
const clql_budget_options *clql_device_set_opts(const clql_device_set *set, size_t index);

/* ---- kernels and the per-context program cache ---- */
typedef struct {
  const char *name;
  const unsigned char *data; /* NUL-terminated */
  size_t size;               /* without the NUL */
} clql_kernel_source;
extern const clql_kernel_source clql_kernel_sources[];
extern const size_t clql_kernel_source_count;

/* The embedded source of NAME.cl (NULL: none). Every program is the prelude
 * (CLQL_PRELUDE.cl, helpers several kernels share) followed by its own file,
 * built with CLQL_BASE_OPTIONS before its own options (clql_build_options). */
const char *clql_embedded_source(const char *name);
#define CLQL_PRELUDE "common"
#define CLQL_BASE_OPTIONS "-cl-std=CL1.2"
/* CLQL_BASE_OPTIONS and options (NULL: none) into buf; 0 when it is too small. */
int clql_build_options(char *buf, size_t size, const char *options);

/* ---- build options of the programs (kernel_options.c) ----
 * The one place they are spelled: the library builds with them, and
 * clql-kernel-check lists every set a GPU can build for the offline
 * compilers (clql_gpu_kernel_builds). */
typedef enum {
  CLQL_FAMILY_PORTABLE, /* a work-item per row(s): CPUs without the x86 kernels */
  CLQL_FAMILY_KSPLIT,    /* a work-group per tile, K split over its work-items: GPUs */
  CLQL_FAMILY_X86,      /* AVX-512BW vectors: x86 CPUs under PoCL */
  CLQL_FAMILY_COUNT
} clql_kernel_family;
/* Product kernel names by family and qtype. */
extern const char *const clql_product_kernel_names[CLQL_FAMILY_COUNT][3];
/* Tokens per work-item of the portable and K-split GEMM kernels: each
 * decoded weight word serves this many tokens. */
#define CLQL_GEMM_TOKENS 4u
/* Work-items of the activation kernel (at most; one float of local memory each). */
#define CLQL_ACTQUANT_LOCAL 256u
/* The form of the x86 kernels: as the device's compiler targets (512-bit
 * with AVX-512BW, else 256-bit), or forced 256-bit (CLQL_KERNELS=avx2),
 * 512-bit (CLQL_KERNELS=avx512; no kernels without AVX-512BW), 512-bit
 * with VNNI where the compiler has AVX-512BW (the host CPU has AVX512-VNNI),
 * forced 512-bit with VNNI (CLQL_KERNELS=vnni; no kernels without
 * AVX-512BW), or with VNNI and VBMI (the host CPU has both). */
typedef enum {
  CLQL_X86_NATIVE,
  CLQL_X86_256,
  CLQL_X86_512,
  CLQL_X86_VNNI,
  CLQL_X86_512_VNNI,
  CLQL_X86_VBMI
} clql_x86_form;
/* Options of the ternary program: the portable and K-split kernels' block
 * (-DROWS=block, TOKENS), or with simd the x86 kernels' (VECS = block row
 * vectors, TOKENS, their form); div_rn: the device divides correctly
 * rounded when asked. 0 when buf is too small. */
int clql_product_options(char *buf, size_t size, int simd, unsigned block, unsigned tokens,
                         clql_x86_form x86, int div_rn);
/* Whether the host CPU has AVX512-VNNI (and AVX-512BW): 0 off x86. */
int clql_host_vnni(void);
/* Whether it also has AVX512-VBMI (vpermb). */
int clql_host_vbmi(void);
/* Options of the actquant program: the GPU variant or the CPU one (NULL). */
const char *clql_actquant_options(int gpu);
/* One program build: its options (after CLQL_BASE_OPTIONS) and the kernels
 * a GPU may run from it, with the local memory passed as arguments. */
typedef struct {
  const char *program;
  char options[160];
  const char *kernels[8];
  unsigned kernel_count;
  unsigned dynamic_local; /* bytes of __local arguments at most, per work-group */
} clql_kernel_build;
/* Every build clql can make on a GPU (not the x86 kernels): the first `cap`
 * into out; returns how many there are. */
size_t clql_gpu_kernel_builds(clql_kernel_build *out, size_t cap);

/* Kernel `kernel` of program `program` (a .cl file name without extension)
 * built with `options`, cached in ctx. The kernel is owned by the cache. */
clql_status clql_kernel_get(clql_context *ctx, const char *program, const char *kernel,
                            const char *options, cl_kernel *out);
/* Which kernels run on ctx's device: the GPU variants (K-split products,
 * the activation quantization spread over the work-group) on devices that
 * are not CPUs, or everywhere with CLQL_KERNELS=ksplit; never with another
 * CLQL_KERNELS family. *forced: the context's CLQL_KERNELS choice. */
clql_status clql_kernels_gpu(const clql_context *ctx, int *gpu, clql_kernels_choice *forced);
/* Largest usable power-of-two work-group size for kernel on ctx's device. */
size_t clql_work_group_size(clql_context *ctx, cl_kernel kernel, size_t wanted);

/* Fault injection for the out-of-memory paths. A device cannot be made to
 * fail on demand, so the library asks the context's hook (NULL: never fail)
 * before each device buffer it creates and each kernel it enqueues; a
 * non-zero return is used as that call's OpenCL error. Tests linked with the
 * static archive set it; it is not part of the public API. */
typedef enum { CLQL_FAULT_ALLOC, CLQL_FAULT_ENQUEUE } clql_fault_site;
typedef cl_int (*clql_fault_fn)(void *user, clql_fault_site site, size_t bytes);

/* Context internals that other modules use. */
struct clql_program_entry;
struct clql_context {
  cl_context context;
  cl_device_id device;
  cl_command_queue queue;
  clql_device_info info; /* info.memory: the report of the last probe */
  clql_config config;    /* read once, at creation */
  struct clql_program_entry *programs;

  /* The ledger: every device byte clql holds for this context. */
  clql_budget budget;        /* the configured budget from the last probe, clql's own bytes included */
  uint64_t held_at_probe;    /* what the context held when it was probed */
  uint64_t resident;         /* weights + scales of its layers */
  clql_layer **layers;       /* the layers on it, in creation order */
  clql_model_layer *shapes;  /* their shapes, for the workspace plan */
  size_t nlayers, layers_capacity;
  /* The workspace every layer uses in turn: one buffer per part, each the
   * part's bytes rounded to CLQL_WORKSPACE_ALIGN, so that it holds exactly
   * clql_model_workspace_bytes(shapes, ws_batch, ws_flags).total. */
  cl_mem part[CLQL_WS_PART_COUNT];
  uint64_t ws_batch, ws_bytes;
  unsigned ws_flags;
  int ws_grows;              /* its plan stopped at the request: a larger one may fit */
  clql_model_plan plan;      /* the plan of the held workspace (or the last one) */
  uint64_t batch_cap, halvings; /* out-of-memory cap of the context's batch */
  uint64_t ws_generation;    /* bumped whenever the workspace is allocated or released */
  int counters_zeroed;       /* the held workspace's work counters were zeroed */

  uint64_t launches;         /* kernel launches enqueued or recorded so far */
  int poll;                  /* synchronous calls poll (CLQL_WAIT) */
  cl_event last_launch;      /* when polling: the event of the last launch enqueued */
  uint64_t unwaited;         /* when polling: launches enqueued since the last wait */
  void *recording;           /* the cl_command_buffer_khr commands go into, or NULL */
  cl_event *first_event;     /* set by clql_layer_enqueue_events: where the pass's first
                                launch puts its event (while it is still NULL) */
  struct clql_sequence *sequences; /* its sequences, whose recordings hold the workspace */

  clql_fault_fn fault_hook;
  void *fault_user;
  /* The activation kernel (owned by the program cache) and its local size,
   * chosen at the first quantization: not re-queried per pass. */
  cl_kernel actquant;
  size_t actquant_local;
};

static inline cl_int clql_fault_check(clql_context *ctx, clql_fault_site site, size_t bytes) {
  return ctx->fault_hook ? ctx->fault_hook(ctx->fault_user, site, bytes) : CL_SUCCESS;
}

/* ---- the ledger (context.c) ---- */
/* Bytes the context holds now: resident + workspace. */
uint64_t clql_context_held(const clql_context *ctx);
/* Account a layer of resident bytes on ctx: CLQL_ERR_DOES_NOT_FIT (naming
 * needed and remaining bytes) when they do not fit what the budget leaves
 * beside the other layers; the shared workspace is released when it must
 * make room (it is planned again at the next pass). */
clql_status clql_context_add_layer(clql_context *ctx, clql_layer *layer,
                                   const clql_layer_shape *shape, uint64_t resident);
void clql_context_remove_layer(clql_context *ctx, clql_layer *layer, uint64_t resident);
/* The shared workspace for a pass of `request` tokens with ws flags `flags`
 * (at least those parts): kept when it serves, else planned for the layers
 * present from what the ledger leaves and allocated. *batch: the tokens one
 * chunk may run (also set when allocating it fails: the batch that failed).
 * CLQL_ERR_DOES_NOT_FIT when not even one token fits. */
clql_status clql_context_workspace(clql_context *ctx, uint64_t request, unsigned flags,
                                   uint64_t *batch);
/* Out of memory at batch: release the workspace and cap the context's batch
 * at half; CLQL_ERR_OUT_OF_DEVICE_MEMORY at batch 1. */
clql_status clql_context_halve(clql_context *ctx, uint64_t batch, clql_status cause);

/* Launch kernel `name` on ctx (through the fault hook): enqueued, or into
 * the command buffer being recorded (event must then be NULL). Counted in
 * ctx->launches (sequence.c). */
clql_status clql_launch(clql_context *ctx, cl_kernel kernel, const char *name, cl_uint dims,
                        const size_t *global, const size_t *local, cl_event *event);
/* The kernel object to set arguments on and launch: kernel itself, or while
 * recording a private copy that the recording keeps (a recorded command
 * refers to its kernel, whose arguments a driver may read at replay). */
clql_status clql_launch_kernel(clql_context *ctx, cl_kernel kernel, cl_kernel *out);
/* ev (owned now) is the context's last launch, of `launches` kernels: what
 * clql_context_finish polls. */
void clql_context_note_launch(clql_context *ctx, cl_event ev, uint64_t launches);
/* clFinish on the context's queue, without polling (after a failure):
 * its result; what clql_context_finish would poll is dropped. */
cl_int clql_context_drain(clql_context *ctx);
/* The context's workspace changed: drop every recording that uses it. */
void clql_sequences_drop_recordings(clql_context *ctx);

/* clCreateBuffer through the fault hook; *out is NULL on failure, and the
 * status is the OpenCL error (detail recorded). */
clql_status clql_buffer_create(clql_context *ctx, cl_mem_flags flags, uint64_t bytes,
                               void *host, const char *what, cl_mem *out);

/* A caller buffer of ctx's context holding at least bytes (context.c): CLQL_ERR_INVALID_ARGUMENT
 * (NULL, another context), CLQL_ERR_BUFFER_TOO_SMALL, or the query's error. */
clql_status clql_buffer_check(const clql_context *ctx, cl_mem m, uint64_t bytes,
                              const char *what);

/* clql_quantize_activations reading x from element x_offset on: one chunk of
 * a larger input without a sub-buffer (whose offset would need alignment). */
clql_status clql_quantize_activations_at(clql_context *ctx, cl_mem x, uint64_t x_offset,
                                         size_t tokens, size_t k, cl_mem q, size_t q_stride,
                                         cl_mem scales);

/* The context a layer lives on; the checks of clql_layer_enqueue's buffers
 * (layer.c). */
clql_context *clql_layer_context(const clql_layer *layer);
clql_status clql_layer_check_io(const clql_layer *layer, cl_mem x, cl_mem y, uint64_t batch);


#endif /* CLQL_INTERNAL_H */
