// Training memory estimate: the peak resident memory of one training step,
// worked out from the network configuration before anything is allocated,
// so that a recipe that cannot fit is refused with a message instead of
// being killed by the kernel minutes later (issue 14, scenario 7).
//
// The model (docs/training.md, "Memory"):
//   peak = runtime + model state + data buffers
//          + calibration * micro_batch * saved activations per face
// where
//   - runtime is the process before training (LibTorch, code, threads);
//   - model state is 16 bytes per parameter: weights, gradients and Adam's
//     two moments, all float32;
//   - data buffers are the loader's batches in flight (LQ and HQ planes and
//     int64 labels: 32 bytes per pixel per face), `batch_size` faces each;
//   - saved activations are the tensors autograd keeps for backward, walked
//     layer by layer from the configuration exactly as FaceParsingNet builds
//     it (reflection pads keep their input, convolutions their padded input,
//     BatchNorm its input, LeakyReLU its input, cross-entropy its
//     log-probabilities); a tensor kept by two layers counts once;
//   - the calibration factor covers what the walk leaves out (gradients of
//     activations alive during backward, convolution workspaces, allocator
//     slack) and was measured on real steps (memory_estimate.cc).
// The image side is the configuration's in_size (training needs out_size ==
// in_size). CPU resident memory; on a CUDA device the activations live on
// the GPU and the same figures are a guide for its memory.
//
// Standard library and absl only (no LibTorch): cheap to include and test.
// Functions keep no state; any thread.
#ifndef FACET_TRAINER_TRAINING_MEMORY_ESTIMATE_H_
#define FACET_TRAINER_TRAINING_MEMORY_ESTIMATE_H_

#include <cstdint>
#include <string>

#include "core/model/net_config.h"

namespace facet {

// Measured on this project's CPU trainer (memory_estimate.cc has the table).
// Activation bytes actually resident at the step's peak per byte the walk
// counts.
extern const double kActivationCalibration;
// Resident bytes of a trainer process before the first step.
extern const int64_t kTrainerRuntimeBytes;

struct TrainingMemoryInputs {
  NetConfig config;           // The network trained; image side = in_size.
  int micro_batch_size = 8;   // Faces in one forward/backward pass.
  int batch_size = 8;         // Faces the loader assembles per step.
  int batches_in_flight = 4;  // Loader batches alive at once (prefetch + 2).
};

struct TrainingMemoryEstimate {
  int64_t parameters = 0;
  int64_t model_state_bytes = 0;                // 16 B per parameter.
  int64_t saved_activation_bytes_per_face = 0;  // The walk, uncalibrated.
  int64_t activation_bytes = 0;  // Calibrated, whole micro-batch.
  int64_t data_buffer_bytes = 0;
  int64_t runtime_bytes = 0;
  int64_t peak_bytes = 0;  // The sum: the figure to compare.

  // Bytes one more face in the micro-batch adds (calibrated).
  int64_t BytesPerFace() const;
  // "12.3 GiB (activations 11.2 GiB = 8 faces x 1.40 GiB, weights+grads+Adam
  // 0.33 GiB, data 0.03 GiB, runtime 0.40 GiB)".
  std::string ToString(int micro_batch_size) const;
};

// Bytes of the tensors autograd saves for backward for one face of
// `config` at its in_size, from the layer walk. REQUIRES: config valid.
int64_t SavedActivationBytesPerFace(const NetConfig& config);

// Number of parameters (weights and biases; BatchNorm running statistics
// excluded) of a network of `config`. REQUIRES: config valid.
int64_t TrainableParameters(const NetConfig& config);

// The estimate for `inputs`. REQUIRES: config valid, sizes >= 1.
TrainingMemoryEstimate EstimateTrainingMemory(
    const TrainingMemoryInputs& inputs);

// "1.25 GiB" / "640 MiB" for log and error messages.
std::string FormatBytes(int64_t bytes);

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_MEMORY_ESTIMATE_H_
