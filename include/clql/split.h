/* One model across several devices, each within its own budget.
 *
 * Two ways to split (clql_split_mode):
 *   rows    every layer's output rows (N) are divided among the devices
 *           (tensor split): each device holds a slice of every layer and a
 *           forward runs on all devices at once, then gathers y;
 *   layers  whole layers in model order, a contiguous run per device
 *           (pipeline): activations move from device to device.
 * Shares follow each device's throughput when it is known, else its budget,
 * and never exceed what the device can hold: a device's weights and its
 * workspace fit its own budget and every buffer its own max_alloc. Pure
 * arithmetic on memory reports, like the single-device planner. */
#ifndef CLQL_SPLIT_H
#define CLQL_SPLIT_H

#include <stddef.h>
#include <stdint.h>
#include <clql/export.h>
#include <clql/model.h>
#include <clql/plan.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clql_split_mode {
  CLQL_SPLIT_ROWS = 0,  /**< "rows": tensor split of every layer's N */
  CLQL_SPLIT_LAYERS = 1 /**< "layers": whole layers per device, in order */
} clql_split_mode;

CLQL_API const char *clql_split_mode_name(clql_split_mode mode);
/** "rows" or "layers" (case-insensitive); CLQL_ERR_INVALID_ARGUMENT otherwise. */
CLQL_API clql_status clql_split_mode_parse(const char *name, clql_split_mode *out);

/** One device as the split planner sees it. */
typedef struct clql_split_device {
  clql_memory_report memory;
  const clql_budget_options *options; /**< NULL: the defaults */
  double throughput; /**< relative speed when measured (> 0); 0: share by budget */
} clql_split_device;

/** Row shares are fractions of CLQL_SPLIT_UNITS; slices start on multiples of 16 rows. */
#define CLQL_SPLIT_UNITS (1u << 20)
#define CLQL_SPLIT_ROW_ALIGN 16u

typedef struct clql_split_part {
  uint32_t share_begin, share_end; /**< rows mode: this device's fraction of every layer */
  /** layers mode: its run of layers, counts expanded in execution order: block by block
   *  when every entry has the same count (a repeated block, as the presets), else each
   *  entry's count in turn */
  uint64_t layer_begin, layer_end;
  clql_model_plan plan;            /**< the device's own plan for what it holds */
} clql_split_part;

typedef struct clql_split_plan {
  clql_split_mode mode;
  size_t devices;
  uint64_t layers;        /**< layers of the model (counts expanded) */
  uint64_t batch;         /**< largest batch every device can run; 0 when something does not fit */
  int fits;               /**< 1 when every device's part fits */
  size_t binding_device;  /**< the device whose batch (or failure) decides */
  uint64_t weight_bytes;  /**< weights + scales over all devices */
} clql_split_plan;

/**
 * Split a model over `count` devices. parts receives one entry per device
 * (in the order given). A split that does not fit is still CLQL_SUCCESS with
 * fits = 0; each part's plan then says what does not fit where.
 */
CLQL_API clql_status clql_plan_split(const clql_split_device *devices, size_t count,
                                     const clql_model_layer *layers, size_t nlayers,
                                     clql_split_mode mode, uint64_t requested_batch,
                                     unsigned ws_flags, clql_split_part *parts,
                                     clql_split_plan *out);

/** Rows [*begin, *end) of a layer with n rows that a rows-mode part holds. */
CLQL_API clql_status clql_split_rows(uint64_t n, const clql_split_part *part, uint64_t *begin,
                                     uint64_t *end);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_SPLIT_H */
