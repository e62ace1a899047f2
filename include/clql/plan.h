/* The workspace planner: a pure calculator (no OpenCL calls) from a memory
 * report, budget knobs and a layer shape to the largest batch that fits.
 *
 * budget = min(free - reserve, fraction * total, limit), never below zero.
 * When free is unknown the plan starts from total with stricter defaults and
 * says so (free_is_fallback). Every buffer must also fit max_alloc. */
#ifndef CLQL_PLAN_H
#define CLQL_PLAN_H

#include <stdint.h>
#include <clql/device.h>
#include <clql/export.h>
#include <clql/layout.h>
#include <clql/model.h>
#include <clql/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which fields of clql_budget_options are set; unset ones take the
 * defaults. The planners read no environment: the knobs CLQL_MEM_FRACTION,
 * CLQL_MEM_LIMIT, CLQL_MEM_RESERVE and CLQL_MAX_BATCH reach them through a
 * configuration (clql_config_budget). */
#define CLQL_BUDGET_FRACTION 1u
#define CLQL_BUDGET_LIMIT 2u
#define CLQL_BUDGET_RESERVE_BYTES 4u
#define CLQL_BUDGET_RESERVE_PERCENT 8u
#define CLQL_BUDGET_MAX_BATCH 16u

typedef struct clql_budget_options {
  unsigned set;           /**< CLQL_BUDGET_* bits */
  double fraction;        /**< 0 < fraction <= 1, of total */
  uint64_t limit;         /**< absolute cap in bytes */
  uint64_t reserve_bytes; /**< bytes kept free */
  double reserve_percent; /**< percent of total kept free (0..100) */
  uint64_t max_batch;     /**< cap on the batch (>= 1) */
  unsigned from_env;      /**< bits of set whose values came from the environment (informational) */
} clql_budget_options;

/** The budget actually used, with the knob values it came from. */
typedef struct clql_budget {
  uint64_t bytes;          /**< the budget */
  uint64_t total;          /**< device total */
  uint64_t free;           /**< free memory the budget started from (total when unknown) */
  uint64_t reserve;        /**< bytes kept free */
  double fraction;         /**< fraction of total allowed */
  uint64_t limit;          /**< absolute cap; UINT64_MAX when none */
  uint64_t max_batch;      /**< batch cap */
  uint64_t max_alloc;      /**< largest single buffer */
  int free_is_fallback;    /**< 1 when free was unknown and total was used */
  clql_mem_source free_source;
  unsigned from_env;       /**< CLQL_BUDGET_* bits whose values came from the environment */
} clql_budget;

/** Why a plan's batch stops where it does. */
typedef enum clql_limited_by {
  CLQL_LIMITED_BY_BUDGET = 0,    /**< "budget": one more token exceeds the budget */
  CLQL_LIMITED_BY_MAX_ALLOC = 1, /**< "max_alloc": one more token makes a buffer too large */
  CLQL_LIMITED_BY_CAP = 2,       /**< "cap": the max_batch knob */
  CLQL_LIMITED_BY_REQUEST = 3    /**< "request": the caller asked for no more */
} clql_limited_by;

CLQL_API const char *clql_limited_by_name(clql_limited_by reason);

/**
 * Compute the budget; opts may be NULL (the defaults). Each knob comes from
 * opts when its bit is set, else from the default; the reserve bytes win
 * over the reserve percentage. A bad value (a fraction outside (0, 1], a
 * limit or batch cap of 0, a percentage outside [0, 100]) is
 * CLQL_ERR_INVALID_CONFIG, as the same value of the variable would be.
 */
CLQL_API clql_status clql_budget_compute(const clql_memory_report *mem,
                                         const clql_budget_options *opts, clql_budget *out);

typedef struct clql_layer_plan {
  clql_layer_shape shape;
  clql_budget budget;
  clql_weight_bytes weights;
  clql_workspace_bytes workspace; /**< at `batch` (at batch 1 when nothing fits) */
  uint64_t batch;                 /**< largest batch that fits; 0 when even 1 does not */
  clql_limited_by limited_by;
  int fits;                       /**< 1 when weights + workspace(batch >= 1) fit */
  uint64_t resident_bytes;        /**< weights + scales */
  uint64_t largest_buffer;        /**< largest single buffer of the plan */
} clql_layer_plan;

/**
 * Plan one layer: the largest batch <= requested_batch (0: no request) and
 * <= the cap whose weights + workspace fit the budget with every buffer <=
 * max_alloc. ws_flags are the CLQL_WS_WITH_* flags of the forward that will
 * run. A plan that does not fit is still CLQL_SUCCESS with fits = 0 and the
 * numbers filled; bad input gives a status.
 */
CLQL_API clql_status clql_plan_layer(const clql_memory_report *mem, const clql_budget_options *opts,
                                     const clql_layer_shape *shape, uint64_t requested_batch,
                                     unsigned ws_flags, clql_layer_plan *out);

#define CLQL_ENV_VALUE_MAX 64

/** A variable of the environment that clql refuses, and why. */
typedef struct clql_env_problem {
  const char *variable;           /**< "CLQL_MEM_LIMIT" (static) */
  char value[CLQL_ENV_VALUE_MAX]; /**< its value; control bytes as '?', a cut one ends in "..." */
  const char *reason;             /**< "negative", "too large for 64 bits" (static) */
} clql_env_problem;

/**
 * Every clql variable of the environment set to a value that
 * clql_config_from_env refuses (the first of them fails it), for tools to
 * show at once. Ask the size, then pass the buffer. Reads the environment at
 * each call.
 */
CLQL_API clql_status clql_env_problems(clql_env_problem *problems, size_t capacity, size_t *count);

/** What a buffer of a plan holds. */
typedef enum clql_buffer_kind {
  CLQL_BUFFER_WEIGHTS = 0,  /**< "weights": one layer's packed weights */
  CLQL_BUFFER_SCALES = 1,   /**< "scales": one layer's scales */
  CLQL_BUFFER_WORKSPACE = 2 /**< "workspace": one part of the shared workspace */
} clql_buffer_kind;

CLQL_API const char *clql_buffer_kind_name(clql_buffer_kind kind);

/** One buffer of a model plan and the layer that needs it. */
typedef struct clql_buffer_ref {
  uint64_t bytes;
  size_t layer;             /**< index into the layer list */
  clql_buffer_kind kind;
  clql_workspace_part part; /**< which part, when kind is CLQL_BUFFER_WORKSPACE */
} clql_buffer_ref;

typedef struct clql_model_plan {
  clql_budget budget;
  uint64_t layers;                /**< layers resident: the sum of the counts */
  uint64_t weight_bytes;          /**< weights + scales of every layer, all resident */
  clql_workspace_bytes workspace; /**< shared workspace at `batch` (at batch 1 when nothing fits) */
  uint64_t batch;                 /**< largest batch that fits; 0 when even 1 does not */
  clql_limited_by limited_by;     /**< the binding constraint; when !fits, budget or max_alloc */
  int fits;                       /**< 1 when weights + workspace(batch >= 1) fit */
  uint64_t need_bytes;            /**< weight_bytes + workspace.total */
  uint64_t over_budget_bytes;     /**< need_bytes - budget.bytes when positive, else 0 */
  clql_buffer_ref largest;        /**< largest single buffer; over max_alloc when that stops it */
} clql_model_plan;

/**
 * Plan a whole model: every layer's weights resident, one workspace shared
 * by all (clql_model_workspace_bytes), and the largest batch <= the request
 * (0: none) and <= the cap for which weights + workspace fit the budget with
 * every buffer <= max_alloc. A model that does not fit is CLQL_SUCCESS with
 * fits = 0 and the numbers; sums that overflow 64 bits give
 * CLQL_ERR_SIZE_OVERFLOW naming the layer.
 */
CLQL_API clql_status clql_plan_model(const clql_memory_report *mem, const clql_budget_options *opts,
                                     const clql_model_layer *layers, size_t count,
                                     uint64_t requested_batch, unsigned ws_flags,
                                     clql_model_plan *out);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_PLAN_H */
