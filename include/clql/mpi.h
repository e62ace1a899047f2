/* One model over the devices of several hosts, on MPI (libclql_mpi, built
 * with -DCLQL_MPI=ON).
 *
 * Every rank of a communicator probes its own devices; the reports are
 * gathered (a fixed-size, versioned record per device, with the rank's
 * budget knobs), and every rank computes the same split plan with the pure
 * planner (clql_plan_split) over all of them, in rank order. Each rank then
 * creates its part on its own devices: in rows mode a slice of every layer
 * per device, whose outputs are all-gathered (MPI_Allgatherv) after each
 * layer; in layers mode a run of whole layers per device, the activations
 * passed from stage to stage (MPI_Send / MPI_Recv) and the last stage's
 * output broadcast. Every call is collective: all ranks of the
 * communicator make it, in the same order, with the same arguments where
 * they are the model's (weights, batch). A failure on any rank (a rank
 * without a device, reports of another version, a model that does not fit
 * the cluster, an allocation that fails) is returned on every rank with the
 * same status and a detail naming the rank; no rank is left waiting. */
#ifndef CLQL_MPI_H
#define CLQL_MPI_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <clql/export.h>
#include <clql/multi.h>
#include <clql/split.h>
#include <clql/status.h>
#include <clql/ternary.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of the device record ranks exchange; ranks of another version are refused. */
#define CLQL_MPI_RECORD_VERSION 1u

typedef struct clql_mpi_cluster clql_mpi_cluster;

/**
 * Gather the devices of every rank of comm: each rank's devices are those
 * its `selectors` choose (as clql_device_set_create: NULL means the rank's
 * CLQL_DEVICE, else its GPUs, else every device), planned with its own
 * configuration's budget knobs. Collective.
 */
CLQL_API clql_status clql_mpi_cluster_create(MPI_Comm comm, const char *selectors,
                                             clql_mpi_cluster **out);
/** Release this rank's handle (no communication). NULL is a no-op. */
CLQL_API void clql_mpi_cluster_destroy(clql_mpi_cluster *cluster);

/** One device of the cluster, in rank order. */
typedef struct clql_mpi_device {
  int rank;                 /**< the rank that holds it */
  unsigned local_index;     /**< its index in that rank's device set */
  char name[64];            /**< the device name (cut) */
  clql_memory_report memory;
  clql_budget_options options; /**< the rank's budget knobs */
} clql_mpi_device;

/** Devices of the whole cluster, in rank order. */
CLQL_API size_t clql_mpi_cluster_count(const clql_mpi_cluster *cluster);
CLQL_API clql_status clql_mpi_cluster_device(const clql_mpi_cluster *cluster, size_t index,
                                             clql_mpi_device *out);

/**
 * The split plan over every device of the cluster (the float input and
 * output staged, as the cluster's layers run them); the same on every rank.
 * parts has room for `capacity` >= clql_mpi_cluster_count entries. Local.
 */
CLQL_API clql_status clql_mpi_plan(const clql_mpi_cluster *cluster, const clql_model_layer *layers,
                                   size_t nlayers, clql_split_mode mode, uint64_t requested_batch,
                                   clql_split_part *parts, size_t capacity, clql_split_plan *out);

typedef struct clql_mpi_model clql_mpi_model;

/**
 * Plan `count` layers (every rank passes the same weights) over the cluster
 * and create this rank's part. A model that does not fit the cluster is
 * CLQL_ERR_DOES_NOT_FIT on every rank. Collective.
 */
CLQL_API clql_status clql_mpi_model_create(clql_mpi_cluster *cluster,
                                           const clql_ternary_weights *layers, size_t count,
                                           clql_split_mode mode, clql_mpi_model **out);

/**
 * A forward pass through every layer: x[batch][K of layer 0] as rank 0 has
 * it (broadcast to the others; theirs is not read and may be NULL), y[batch][N of
 * the last layer] filled on every rank. Equal to clql_ref_forward layer by
 * layer, bit for bit. Collective.
 */
CLQL_API clql_status clql_mpi_model_forward(clql_mpi_model *model, const float *x, uint64_t batch,
                                            float *y);
/** The plan the model was made with (the same on every rank). Local. */
CLQL_API clql_status clql_mpi_model_plan(const clql_mpi_model *model, clql_split_plan *out);
/** Release this rank's part (no communication). NULL is a no-op. */
CLQL_API void clql_mpi_model_destroy(clql_mpi_model *model);

#ifdef __cplusplus
}
#endif

#endif /* CLQL_MPI_H */
