// FpnTrainer: trains a FaceParsingNet with the paper's recipe (spec section
// 6): cross-entropy on the parsing logits plus a pixel loss (L2 by default,
// L1 selectable) between the image head and the HQ face, Adam.
//
// It owns the network and the optimizer; the loop, data, validation
// schedule and publishing live in the caller (training_loop.h). Torch
// stays in the .cc. Not thread-safe: one thread drives a trainer.
//
// Gradient accumulation (micro_batch_size): Step() splits the batch into
// micro-batches of at most micro_batch_size faces, runs forward and
// backward on each with its loss scaled by its share of the batch
// (faces / batch size), and takes one optimizer step; the reported losses
// are the whole batch's means. Without BatchNorm this equals the
// full-batch step up to float rounding. With BatchNorm (the FPN has it in
// every residual block) training-mode normalisation uses each
// micro-batch's own statistics, so the gradients differ from a full-batch
// step as they would across data-parallel ranks with per-rank BatchNorm,
// and the running statistics are updated once per micro-batch (k updates
// per step instead of one, each with BatchNorm's momentum).
//
// Data parallelism (communicator set): every rank builds the same network
// and calls Step() on its own shard of the global batch; gradients are
// averaged over the ranks during the last micro-batch's backward
// (GradientAllReducer, trainer/distributed/), BatchNorm is per rank or
// synchronised (sync_batch_norm), and the reported losses are the global
// means. Every collective failure is an Unavailable error naming the rank
// that stopped answering; the trainer is unusable after it.
#ifndef FACET_TRAINER_TRAINING_FPN_TRAINER_H_
#define FACET_TRAINER_TRAINING_FPN_TRAINER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"
#include "trainer/data/training_batch.h"
#include "trainer/distributed/process_group_setup.h"
#include "trainer/training/segmentation_metrics.h"

namespace facet {

enum class PixelLoss { kL2, kL1 };
enum class LrSchedule { kConstant, kCosine };

struct FpnTrainerOptions {
  NetConfig config;                 // Default: published.
  double learning_rate = 2e-4;      // Default: 2e-4 (paper).
  double beta1 = 0.9;               // Default: 0.9 (paper).
  double beta2 = 0.999;             // Default: 0.999 (paper).
  PixelLoss pixel_loss = PixelLoss::kL2;  // Default: L2 (paper; upstream used L1).
  double parsing_weight = 1.0;      // Default: 1.
  double pixel_weight = 1.0;        // Default: 1.
  // Weight of the parsing loss on the inner face parts (nose, eyes, brows,
  // mouth, lips) against the other classes (parsing_loss.h). Default: 1,
  // the paper's plain cross-entropy.
  double part_loss_weight = 1.0;
  double grad_clip_norm = 0;        // Max global gradient norm; 0 = off.
  LrSchedule schedule = LrSchedule::kConstant;  // Default: constant (paper).
  int64_t total_steps = 0;          // For the cosine schedule.
  double min_learning_rate = 0;     // Cosine floor.
  std::string device = "auto";      // auto, cpu, cuda, cuda:N.
  int threads = 0;                  // Intra-op threads; 0 = LibTorch default.
  uint64_t seed = 1;                // Initialisation seed.
  // Faces per forward/backward within a step (gradient accumulation; see
  // above); 0 = the whole batch at once. Default: 0.
  int micro_batch_size = 0;
  // Data-parallel group, borrowed (must outlive the trainer); null = train
  // alone. Default: null.
  Communicator* communicator = nullptr;
  // With a communicator: BatchNorm statistics over the global batch (true)
  // or per rank (false). Default: false.
  bool sync_batch_norm = false;
  // With a communicator: gradient all-reduce bucket size. Default: 25 MiB.
  size_t bucket_bytes = 25u << 20;
};

struct StepResult {
  int64_t step = 0;          // The step just completed (1-based).
  double loss = 0;           // parsing_weight * ce + pixel_weight * pixel.
  double parsing_loss = 0;
  double pixel_loss = 0;
  double learning_rate = 0;  // Used for this step.
};

// The device a data-parallel rank trains on: "auto" becomes
// "cuda:<local_rank>" when CUDA is available and "cpu" otherwise; other
// values pass through (checked by FpnTrainer::Create).
absl::StatusOr<std::string> ResolveTrainingDevice(const std::string& device,
                                                  int local_rank);

class FpnTrainer {
 public:
  // Builds the network on the device (seeded initialisation), optionally
  // starting from `init_weights` (loaded strictly). InvalidArgument for a bad
  // configuration or weights; FailedPrecondition for an unavailable device.
  static absl::StatusOr<std::unique_ptr<FpnTrainer>> Create(
      const FpnTrainerOptions& options, const RawTensorMap* init_weights);
  ~FpnTrainer();
  FpnTrainer(const FpnTrainer&) = delete;
  FpnTrainer& operator=(const FpnTrainer&) = delete;

  // One optimisation step in training mode. A non-finite loss or gradient
  // norm skips the update and returns DataLoss naming the step; weights
  // stay as they were. InvalidArgument for a malformed batch.
  absl::StatusOr<StepResult> Step(const TrainingBatch& batch);

  // Eval-mode forward of batch.lq; adds the predicted label maps against
  // batch.labels and the restored faces against batch.hq (both as uint8
  // pixels) to `metrics`.
  absl::Status Evaluate(const TrainingBatch& batch, SegmentationMetrics* metrics);

  // The network's state dict on the CPU (float32; int64 counters), ready to
  // publish. Fails with DataLoss if any weight is non-finite.
  absl::StatusOr<RawTensorMap> Weights();

  // Writes weights, optimizer state and step into `dir` atomically
  // (staging folder + rename; an older checkpoint there is replaced only
  // once the new one is complete).
  absl::Status SaveCheckpoint(const std::string& dir);
  // Restores what SaveCheckpoint wrote. NotFound if there is none;
  // InvalidArgument if it belongs to another configuration.
  absl::Status LoadCheckpoint(const std::string& dir);

  // Data parallelism: replaces every rank's weights, BatchNorm statistics,
  // optimizer state and step by rank 0's (after rank 0 resumed). A no-op
  // alone.
  absl::Status BroadcastStateFromRank0();
  // Data parallelism: a checksum all-reduce of the parameters (BatchNorm
  // running statistics excluded: per-rank BatchNorm lets them differ);
  // Internal error naming the ranks whose weights differ from rank 0's.
  // A no-op alone.
  absl::Status CheckReplicasIdentical();

  int64_t step() const;
  const NetConfig& config() const;
  std::string device() const;

 private:
  struct Impl;
  explicit FpnTrainer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_FPN_TRAINER_H_
