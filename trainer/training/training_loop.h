// The training loop of `facet-trainer train`: steps the trainer on the
// loader's batches, reports progress and metrics, validates, publishes and
// checkpoints on schedule, until the step budget or a stop request.
//
// Data parallelism (parts.communicator set): every rank runs this loop in
// lock-step; only rank 0 validates, publishes, checkpoints and shows the
// bar (parts.publisher is null on the others). A stop request on any rank
// stops every rank after the same step (one tiny all-reduce per step), and
// the weights are compared across ranks every weight_check_every steps. A
// collective failure (a dead or hung rank) ends the loop with the error
// naming the rank.
//
// Not thread-safe; runs on the calling thread. Returns the process exit
// code: 0 done or stopped (checkpoint saved), 1 failed.
#ifndef FACET_TRAINER_TRAINING_TRAINING_LOOP_H_
#define FACET_TRAINER_TRAINING_TRAINING_LOOP_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "trainer/data/data_loader.h"
#include "trainer/data/face_dataset.h"
#include "trainer/distributed/process_group_setup.h"
#include "trainer/training/checkpoint_publisher.h"
#include "trainer/training/fpn_trainer.h"
#include "trainer/training/training_metrics.h"

namespace facet {

struct TrainingLoopOptions {
  int64_t steps = 1;  // Run until the trainer's step reaches this.
  int validation_batch_size = 8;
  int validation_batches = 4;
  uint64_t validation_seed = 1;
  int64_t val_every = 500;           // 0 = only when publishing.
  int64_t publish_every = 1000;      // 0 = only at the end.
  int64_t checkpoint_every = 500;    // 0 = only at the end.
  int64_t weight_check_every = 100;  // Data parallelism; 0 = never.
  int64_t log_every = 20;
  std::string checkpoint_dir;  // Training state (rank 0 writes it).
  std::string published_to;    // "REPO/MODEL", for log lines.
};

struct TrainingLoopParts {
  FpnTrainer* trainer = nullptr;             // Required.
  DataLoader* loader = nullptr;              // Required: this rank's shard.
  const FaceDataset* validation = nullptr;   // Required on rank 0.
  CheckpointPublisher* publisher = nullptr;  // Rank 0 only.
  TrainingMetrics* metrics = nullptr;        // Optional.
  Communicator* communicator = nullptr;      // Null: alone.
  const std::atomic<bool>* stop_requested = nullptr;  // Optional (signals).
};

int RunTrainingLoop(const TrainingLoopParts& parts,
                    const TrainingLoopOptions& options);

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_TRAINING_LOOP_H_
