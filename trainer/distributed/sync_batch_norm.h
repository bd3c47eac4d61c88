// Synchronised BatchNorm for data-parallel training: in training mode the
// batch statistics of every BatchNorm layer are those of the global batch
// (all ranks' samples), as if one process saw it; the backward pass reduces
// the matching gradient sums. So a run on N ranks with per-rank batch B
// matches one process with batch N * B (up to float rounding).
//
// Forward, per layer: each rank sums x, x² and its element count per
// channel; one all-reduce gives the global mean and (biased) variance,
// which normalise x; the running statistics are updated from the global
// values (unbiased variance, BatchNorm2d's momentum), so they are identical
// on every rank. Backward: one all-reduce of Σ dy and Σ dy·x̂ per channel
// gives dx; dγ and dβ stay local (the GradientAllReducer averages them
// with the other gradients).
//
// Costs two small all-reduces per BatchNorm layer per micro-batch, issued
// in the same order on every rank (the network's, forward then backward).
// A collective failure throws (inside forward/backward; the trainer turns
// the exception into the Communicator's error naming the rank).
#ifndef FACET_TRAINER_DISTRIBUTED_SYNC_BATCH_NORM_H_
#define FACET_TRAINER_DISTRIBUTED_SYNC_BATCH_NORM_H_

#include "core/model/face_parsing_net.h"
#include "trainer/distributed/process_group_setup.h"

namespace facet {

// A BatchNormOverride that synchronises over `communicator` (borrowed; must
// outlive the network's use of the override).
BatchNormOverride MakeSyncBatchNorm(Communicator* communicator);

}  // namespace facet

#endif  // FACET_TRAINER_DISTRIBUTED_SYNC_BATCH_NORM_H_
