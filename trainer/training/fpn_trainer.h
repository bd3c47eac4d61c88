// FpnTrainer: trains a FaceParsingNet with the paper's recipe (spec section
// 6): cross-entropy on the parsing logits plus a pixel loss (L2 by default,
// L1 selectable) between the image head and the HQ face, Adam.
//
// It owns the network and the optimizer; the loop, data, validation
// schedule and publishing live in the caller (train_command.cc). Torch
// stays in the .cc. Not thread-safe: one thread drives a trainer.
#ifndef FACET_TRAINER_TRAINING_FPN_TRAINER_H_
#define FACET_TRAINER_TRAINING_FPN_TRAINER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"
#include "trainer/data/training_batch.h"
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
  double grad_clip_norm = 0;        // Max global gradient norm; 0 = off.
  LrSchedule schedule = LrSchedule::kConstant;  // Default: constant (paper).
  int64_t total_steps = 0;          // For the cosine schedule.
  double min_learning_rate = 0;     // Cosine floor.
  std::string device = "auto";      // auto, cpu, cuda, cuda:N.
  int threads = 0;                  // Intra-op threads; 0 = LibTorch default.
  uint64_t seed = 1;                // Initialisation seed.
};

struct StepResult {
  int64_t step = 0;          // The step just completed (1-based).
  double loss = 0;           // parsing_weight * ce + pixel_weight * pixel.
  double parsing_loss = 0;
  double pixel_loss = 0;
  double learning_rate = 0;  // Used for this step.
};

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
