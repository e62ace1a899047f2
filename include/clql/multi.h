/* Several devices: one device set across every platform, a split plan over
 * it (clql/split.h) and layers that run on all of its devices.
 *
 * A set holds one clql_context per device. Forward passes through the set's
 * split layers and models use each context from one thread of their own
 * (one thread per device while a pass runs), so the set, its contexts and
 * everything made from it are used by one caller thread at a time, and the
 * caller must not use a set's contexts elsewhere during a pass.
 *
 * Each device is planned from its own memory report (captured when its
 * context was created, as single-device layers do), its own budget options
 * and, when measured, its throughput. Sub-devices of one device share its
 * memory: give each of them a budget (clql_device_set_budget) that together
 * fit the parent. */
#ifndef CLQL_MULTI_H
#define CLQL_MULTI_H

#include <stddef.h>
#include <stdint.h>
#include <clql/context.h>
#include <clql/device.h>
#include <clql/export.h>
#include <clql/layer.h>
#include <clql/model.h>
#include <clql/plan.h>
#include <clql/split.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clql_device_set clql_device_set;

/**
 * A set from a comma-separated list of selectors ("0:0,1:0", "gfx1030,rtx"),
 * each in the grammar of clql_device_select (white space around an item is
 * ignored, so a name piece cannot hold a comma). NULL or "": the list in
 * $CLQL_DEVICE when set, else every GPU of every platform, else every
 * device. An empty item, or two items that choose the same device, is
 * CLQL_ERR_BAD_SELECTOR; an item that matches nothing CLQL_ERR_NO_DEVICE.
 * clql creates one context per device, in list order, and destroys them
 * with the set.
 */
CLQL_API clql_status clql_device_set_create(const char *selectors, clql_device_set **out);

/**
 * The devices a selector list chooses, by the rules of
 * clql_device_set_create, without creating anything. Ask the size, then
 * pass the buffer (CLQL_ERR_BUFFER_TOO_SMALL when capacity is smaller).
 */
CLQL_API clql_status clql_device_set_select(const char *selectors, clql_device_info *devices,
                                         size_t capacity, size_t *count);

/**
 * A set over the caller's contexts (count >= 1, no context twice; several
 * contexts may share a device). The set borrows them: they must outlive it
 * and everything made from it, and are not destroyed with it.
 */
CLQL_API clql_status clql_device_set_wrap(clql_context *const *contexts, size_t count,
                                          clql_device_set **out);

typedef enum clql_partition {
  CLQL_PARTITION_EQUALLY = 0,  /**< sub-devices of values[0] compute units each (count 1) */
  CLQL_PARTITION_BY_COUNTS = 1 /**< sub-device i has values[i] compute units (count >= 1) */
} clql_partition;

/**
 * A set of the sub-devices of one device (selector as clql_device_select)
 * made with clCreateSubDevices, one context each. A device that does not
 * offer the partition type (CL_DEVICE_PARTITION_PROPERTIES) gives
 * CLQL_ERR_UNSUPPORTED; one that refuses the numbers passes the OpenCL
 * error through (CL_DEVICE_PARTITION_FAILED, CL_INVALID_DEVICE_PARTITION_COUNT).
 */
CLQL_API clql_status clql_device_set_partition(const char *selector, clql_partition how,
                                               const unsigned *values, size_t count,
                                               clql_device_set **out);

/** Release the set, its contexts (unless wrapped) and sub-devices. NULL is a no-op. */
CLQL_API void clql_device_set_destroy(clql_device_set *set);

/** Number of devices; 0 for NULL. */
CLQL_API size_t clql_device_set_count(const clql_device_set *set);
/** The context of device `index` (NULL when out of range). */
CLQL_API clql_context *clql_device_set_context(const clql_device_set *set, size_t index);
/**
 * Device `index` as the set sees it (NULL when out of range): the context's
 * description with its platform and device indices; a sub-device has those
 * of its parent.
 */
CLQL_API const clql_device_info *clql_device_set_info(const clql_device_set *set, size_t index);
/** "P:D" of device `index`, "P:D.S" for sub-device S; "" when out of range. */
CLQL_API const char *clql_device_set_label(const clql_device_set *set, size_t index);

/**
 * Budget options of device `index` over its context's configuration (copied;
 * NULL: the configuration alone, the initial state), used by
 * clql_device_set_plan and by every layer the set creates on that device.
 * Values are checked as clql_budget_compute checks them
 * (CLQL_ERR_INVALID_CONFIG).
 */
CLQL_API clql_status clql_device_set_budget(clql_device_set *set, size_t index,
                                            const clql_budget_options *opts);
/** Relative measured speed of device `index` (> 0), or 0 to share by budget (the initial state). */
CLQL_API clql_status clql_device_set_throughput(clql_device_set *set, size_t index,
                                                double throughput);

/**
 * $CLQL_SPLIT ("rows" or "layers", any case, white space around it ignored)
 * into *mode, reading the environment's configuration now. Unset or empty:
 * CLQL_ERR_NOT_FOUND and *mode untouched, so a caller's default stays; a bad
 * value of any clql variable: CLQL_ERR_INVALID_CONFIG naming it, *mode
 * untouched.
 */
CLQL_API clql_status clql_split_mode_env(clql_split_mode *mode);

/**
 * clql_plan_split over the set's devices, as the set's layers run them
 * (float input and output staged: CLQL_WS_WITH_INPUT | CLQL_WS_WITH_OUTPUT).
 * parts has room for `capacity` entries, at least clql_device_set_count
 * (CLQL_ERR_BUFFER_TOO_SMALL otherwise).
 */
CLQL_API clql_status clql_device_set_plan(const clql_device_set *set,
                                          const clql_model_layer *layers, size_t nlayers,
                                          clql_split_mode mode, uint64_t requested_batch,
                                          clql_split_part *parts, size_t capacity,
                                          clql_split_plan *out);

/** What one device of a split layer or model holds and did. */
typedef struct clql_split_device_stats {
  uint64_t row_begin, row_end;     /**< split layer: its rows of the layer; model: 0 */
  uint64_t layer_begin, layer_end; /**< model in layers mode: its layers; else 0 */
  uint64_t layers;                 /**< layers (or slices of layers) it holds */
  uint64_t resident_bytes;         /**< weights + scales allocated on it */
  uint64_t workspace_peak_bytes;   /**< largest workspace it held at once, measured */
  uint64_t batch;                  /**< tokens per chunk: its planned batch (0: holds nothing) */
  clql_budget budget;              /**< the budget it was planned against */
} clql_split_device_stats;

typedef struct clql_split_layer clql_split_layer;

/**
 * A layer whose output rows are divided over the set as rows-mode `parts`
 * say (count = clql_device_set_count): device d holds rows [b, e) of
 * clql_split_rows(N, &parts[d]), packed for its device with the matching
 * scales. Each device's slice is planned again from the set's current
 * knobs; one whose weights and workspace at batch 1 do not fit its budget
 * (or max_alloc) gives CLQL_ERR_DOES_NOT_FIT naming the device. Parts that
 * do not cover the rows once, in order, are CLQL_ERR_INVALID_ARGUMENT. The
 * host weights may be freed afterwards; the set must outlive the layer.
 */
CLQL_API clql_status clql_split_layer_create(clql_device_set *set, const clql_split_part *parts,
                                             size_t count, const clql_ternary_weights *weights,
                                             clql_split_layer **out);

/**
 * x[batch][K] -> y[batch][N] on every device holding rows at once, each in
 * chunks of its planned batch; the result equals clql_ref_forward of the
 * whole layer bit for bit. A failure on any device fails the pass (the
 * detail names the device); y is then unspecified.
 */
CLQL_API clql_status clql_split_layer_forward(clql_split_layer *layer, const float *x,
                                              uint64_t batch, float *y);

CLQL_API clql_status clql_split_layer_device_stats(const clql_split_layer *layer, size_t device,
                                                   clql_split_device_stats *out);

/** NULL is a no-op. */
CLQL_API void clql_split_layer_destroy(clql_split_layer *layer);

typedef struct clql_split_model clql_split_model;

/**
 * A model over the set as `plan` and `parts` (from clql_device_set_plan or
 * clql_plan_split, count = plan->devices = clql_device_set_count) say:
 * layers[i] is layer i of the model with counts expanded (plan->layers of
 * them in layers mode). Rows mode: every layer is split as by
 * clql_split_layer_create; layers mode: each layer lives on the device
 * whose run holds it. Each device's share is planned again from what it
 * really holds (all its weights resident, one workspace at a time);
 * CLQL_ERR_DOES_NOT_FIT names a device that cannot hold it.
 */
CLQL_API clql_status clql_split_model_create(clql_device_set *set, const clql_split_plan *plan,
                                             const clql_split_part *parts,
                                             const clql_ternary_weights *layers, size_t count,
                                             clql_split_model **out);

/** Layer `index` alone: x[batch][K] -> y[batch][N], on its device or devices. */
CLQL_API clql_status clql_split_model_forward_layer(clql_split_model *model, size_t index,
                                                    const float *x, uint64_t batch, float *y);

/**
 * Every layer in order, each one's output the next one's input (N of layer
 * i must equal K of layer i + 1, else CLQL_ERR_INVALID_SHAPE):
 * x[batch][K first] -> y[batch][N last]. Activations move between devices
 * through host memory. Equals the layers run one by one on one device.
 */
CLQL_API clql_status clql_split_model_forward(clql_split_model *model, const float *x,
                                              uint64_t batch, float *y);

/** The device that runs layer `index` in layers mode; CLQL_ERR_INVALID_ARGUMENT in rows mode. */
CLQL_API clql_status clql_split_model_layer_device(const clql_split_model *model, size_t index,
                                                   size_t *device);

CLQL_API clql_status clql_split_model_device_stats(const clql_split_model *model, size_t device,
                                                   clql_split_device_stats *out);

/** NULL is a no-op. */
CLQL_API void clql_split_model_destroy(clql_split_model *model);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_MULTI_H */
