// GradientAllReducer: averages the gradients of a network's parameters over
// the ranks of a Communicator, overlapped with the backward pass.
//
// The parameters are grouped into buckets of about bucket_bytes, in reverse
// registration order (the order backward produces their gradients). A post
// hook on each parameter's gradient accumulator marks it ready once its
// gradient is complete; when every parameter of a bucket is ready, its
// gradients are flattened into one buffer (pre-divided by the world size)
// and an asynchronous all-reduce starts while backward continues. Buckets
// start strictly in index order, so every rank issues the same collectives
// in the same order whatever its autograd scheduling. Finish() launches
// what has not started (e.g. parameters without a gradient this step count
// as zero), waits, and copies the averages back into the .grad tensors.
//
// Gradient accumulation: only a backward pass after Arm() reduces; earlier
// micro-batches accumulate locally (like DDP's no_sync).
//
// Includes torch (trainer-only header), not c10d. Not thread-safe: one
// training thread; the hooks run on the autograd thread of that backward.
#ifndef FACET_TRAINER_DISTRIBUTED_GRADIENT_ALL_REDUCER_H_
#define FACET_TRAINER_DISTRIBUTED_GRADIENT_ALL_REDUCER_H_

#include <torch/torch.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/distributed/process_group_setup.h"

namespace facet {

class GradientAllReducer {
 public:
  // Default bucket size, as PyTorch's DistributedDataParallel.
  static constexpr size_t kDefaultBucketBytes = 25u << 20;

  // `communicator` is borrowed and must outlive the reducer. The
  // parameters must require gradients and be the same, in the same order,
  // on every rank. InvalidArgument for bucket_bytes == 0.
  static absl::StatusOr<std::unique_ptr<GradientAllReducer>> Create(
      Communicator* communicator, std::vector<torch::Tensor> parameters,
      size_t bucket_bytes);
  ~GradientAllReducer();

  // The next backward pass reduces its (accumulated) gradients.
  void Arm();
  // Completes the armed pass: after it every .grad holds the average over
  // the ranks. The collective's error (naming the rank) otherwise.
  absl::Status Finish();

  int num_buckets() const;

 private:
  struct Impl;
  explicit GradientAllReducer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facet

#endif  // FACET_TRAINER_DISTRIBUTED_GRADIENT_ALL_REDUCER_H_
