// DataLoader: an endless stream of training batches from a FaceDataset.
//
// The stream is a sequence of epochs; epoch e visits every dataset index
// once, in an order shuffled from (seed, e). Sample j of batch b is the
// stream position p = b * batch_size + j (epochs run on without a gap), and
// its degradation is drawn from (seed, p). So batch b holds the same pixels
// whatever the number of workers, and a face seen again in a later epoch
// gets a fresh degradation.
//
// Sharding (data-parallel training): with num_shards = W, shard r's batch
// b holds stream positions (b * W + r) * batch_size + j, i.e. the r-th
// slice of global batch b of W * batch_size faces. The W shards are
// disjoint, together cover every epoch exactly as one loader with the
// global batch size does, and depend only on the seed, so W ranks with
// batch B see the same faces with the same degradations as one process
// with batch W * B.
//
// Workers build whole batches ahead of the consumer, at most
// prefetch_batches beyond the batch the consumer asks for next; Next()
// hands them out in order. With num_workers = 0, Next() builds the batch on
// the caller's thread. A sample whose Get() fails is logged and replaced by
// the next index (deterministically); after max_failures failures in a row
// the batch fails and Next() returns that error.
//
// Create() switches OpenCV's own thread pool off for the whole process
// (cv::setNumThreads(0)): the workers are the parallelism, and each should
// use one core. Size num_workers with PlanThreadBudget (thread_budget.h).
//
// Thread safety: Next() is for one consumer thread. The destructor stops
// and joins the workers (a batch being built is finished and dropped).
#ifndef FACET_TRAINER_DATA_DATA_LOADER_H_
#define FACET_TRAINER_DATA_DATA_LOADER_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/data/degradation_options.h"
#include "trainer/data/face_dataset.h"
#include "trainer/data/training_batch.h"

namespace facet {

class DataLoader {
 public:
  struct Options {
    int batch_size = 8;        // Default: 8 (the paper's).
    int num_workers = 1;       // Default: 1. 0 = load inside Next().
    int prefetch_batches = 2;  // Batches built ahead. Default: 2.
    uint64_t seed = 1;         // Epoch orders and degradations. Default: 1.
    bool shuffle = true;       // false: every epoch in index order.
    // The degradation; its net_size is the batch's image size S.
    DegradationOptions degradation;
    // Failed Get() calls in a row before a batch fails. Default: 16.
    int max_failures = 16;
    // The number of the first batch Next() returns; a resumed run passes
    // the step it resumes at and continues the same stream. Default: 0.
    int64_t first_batch = 0;
    // This loader's shard (see above). Default: 1 shard, index 0.
    int num_shards = 1;
    int shard_index = 0;
  };

  // `dataset` is borrowed and must outlive the loader. InvalidArgument for
  // an empty dataset or a bad option (named).
  static absl::StatusOr<std::unique_ptr<DataLoader>> Create(
      const FaceDataset* dataset, const Options& options);

  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Blocks until the next batch is ready and moves it into `*batch`.
  // On error (see above) `*batch` is left unspecified.
  absl::Status Next(TrainingBatch* batch);

 private:
  class Impl;
  explicit DataLoader(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace facet

#endif  // FACET_TRAINER_DATA_DATA_LOADER_H_
