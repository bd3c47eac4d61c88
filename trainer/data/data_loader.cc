#include "trainer/data/data_loader.h"

#include <map>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "glog/logging.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "trainer/data/degradation_pipeline.h"
#include "trainer/data/sample_rng.h"

namespace facet {

class DataLoader::Impl {
 public:
  Impl(const FaceDataset* dataset, const Options& options,
       DegradationPipeline pipeline)
      : dataset_(dataset), options_(options), pipeline_(std::move(pipeline)) {
    next_to_claim_ = options_.first_batch;
    next_to_yield_ = options_.first_batch;
    for (int i = 0; i < options_.num_workers; ++i) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }

  ~Impl() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& worker : workers_) worker.join();
  }

  absl::Status Next(TrainingBatch* batch) {
    if (workers_.empty()) {
      return BuildSafely(next_to_yield_++, batch);
    }
    absl::MutexLock lock(&mu_);
    const int64_t wanted = next_to_yield_;
    auto ready = [this, wanted]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return ready_.count(wanted) > 0;
    };
    mu_.Await(absl::Condition(&ready));
    auto node = ready_.extract(wanted);
    ++next_to_yield_;  // Lets a worker claim one more batch.
    *batch = std::move(node.mapped().batch);
    return node.mapped().status;
  }

 private:
  void WorkerLoop() {
    for (;;) {
      int64_t number;
      {
        absl::MutexLock lock(&mu_);
        auto can_claim = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ ||
                 next_to_claim_ < next_to_yield_ + options_.prefetch_batches;
        };
        mu_.Await(absl::Condition(&can_claim));
        if (stopping_) return;
        number = next_to_claim_++;
      }
      Built built;
      built.status = BuildSafely(number, &built.batch);
      absl::MutexLock lock(&mu_);
      ready_.emplace(number, std::move(built));
    }
  }

  // The dataset order of `epoch`, cached for the two newest epochs.
  std::shared_ptr<const std::vector<int64_t>> EpochOrder(int64_t epoch) {
    absl::MutexLock lock(&order_mu_);
    auto found = orders_.find(epoch);
    if (found != orders_.end()) return found->second;
    auto order = std::make_shared<std::vector<int64_t>>(dataset_->size());
    std::iota(order->begin(), order->end(), 0);
    if (options_.shuffle) {
      SampleRng rng(options_.seed, RngStream::kEpochOrder,
                    static_cast<uint64_t>(epoch));
      for (size_t i = order->size(); i > 1; --i) {
        std::swap((*order)[i - 1],
                  (*order)[rng.UniformInt(0, static_cast<int64_t>(i) - 1)]);
      }
    }
    orders_[epoch] = order;
    while (orders_.size() > 2) orders_.erase(orders_.begin());
    return order;
  }

  // Build() with OpenCV's exceptions turned into a status, so that none
  // ends a worker thread (and with it the process).
  absl::Status BuildSafely(int64_t number, TrainingBatch* out) {
    try {
      return Build(number, out);
    } catch (const cv::Exception& e) {
      return absl::InternalError(
          absl::StrCat("batch ", number, ": OpenCV failed: ", e.what()));
    }
  }

  // Builds batch `number` into `*out`.
  absl::Status Build(int64_t number, TrainingBatch* out) {
    const int n = options_.batch_size;
    const int s = options_.degradation.net_size;
    const size_t plane = static_cast<size_t>(s) * s;
    const int64_t size = static_cast<int64_t>(dataset_->size());
    TrainingBatch& batch = *out;
    batch = TrainingBatch();
    batch.batch_number = number;
    batch.batch_size = n;
    batch.image_size = s;
    batch.lq.resize(n * 3 * plane);
    batch.hq.resize(n * 3 * plane);
    batch.labels.resize(n * plane);
    for (int j = 0; j < n; ++j) {
      const int64_t position =
          (number * options_.num_shards + options_.shard_index) * n + j;
      int64_t index = (*EpochOrder(position / size))[position % size];
      absl::StatusOr<FaceSample> sample = GetWithRetries(&index);
      if (!sample.ok()) return sample.status();
      absl::StatusOr<DegradedFace> degraded =
          pipeline_.Degrade(sample->image, options_.seed, position);
      if (!degraded.ok()) {
        return absl::Status(
            degraded.status().code(),
            absl::StrCat(sample->name, ": ", degraded.status().message()));
      }
      cv::Mat labels = sample->labels;
      if (labels.rows != s || labels.cols != s) {
        cv::resize(labels, labels, cv::Size(s, s), 0, 0, cv::INTER_NEAREST);
      }
      CopyPlanes(degraded->lq, &batch.lq[j * 3 * plane]);
      CopyPlanes(degraded->hq, &batch.hq[j * 3 * plane]);
      int64_t* out = &batch.labels[j * plane];
      for (int y = 0; y < s; ++y) {
        const uint8_t* row = labels.ptr<uint8_t>(y);
        for (int x = 0; x < s; ++x) *out++ = row[x];
      }
      batch.dataset_indices.push_back(index);
      batch.stream_positions.push_back(position);
      batch.params.push_back(degraded->params);
    }
    return absl::OkStatus();
  }

  // Gets sample *index, or the first of the following ones that loads,
  // whose index it then stores in *index.
  absl::StatusOr<FaceSample> GetWithRetries(int64_t* index) {
    const int64_t size = static_cast<int64_t>(dataset_->size());
    absl::Status last;
    for (int attempt = 0; attempt < options_.max_failures; ++attempt) {
      const int64_t candidate = (*index + attempt) % size;
      absl::StatusOr<FaceSample> sample =
          dataset_->Get(static_cast<size_t>(candidate));
      if (sample.ok()) {
        *index = candidate;
        return sample;
      }
      last = sample.status();
      LOG_EVERY_N(WARNING, 100) << "skipping a training sample: " << last;
    }
    return absl::Status(last.code(),
                        absl::StrCat(options_.max_failures,
                                     " dataset samples in a row failed; last: ",
                                     last.message()));
  }

  // RGB uint8 HWC -> float CHW in [-1, 1].
  static void CopyPlanes(const cv::Mat& rgb, float* out) {
    const int s = rgb.rows;
    const size_t plane = static_cast<size_t>(s) * s;
    for (int y = 0; y < s; ++y) {
      const uint8_t* row = rgb.ptr<uint8_t>(y);
      for (int x = 0; x < s; ++x) {
        for (int c = 0; c < 3; ++c) {
          out[c * plane + y * s + x] = row[3 * x + c] * (2.0f / 255.0f) - 1.0f;
        }
      }
    }
  }

  const FaceDataset* const dataset_;
  const Options options_;
  const DegradationPipeline pipeline_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t next_to_claim_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_to_yield_ = 0;  // Written by the consumer under mu_ when
                               // workers exist; read by workers under mu_.
  struct Built {
    absl::Status status;
    TrainingBatch batch;
  };
  std::map<int64_t, Built> ready_ ABSL_GUARDED_BY(mu_);

  absl::Mutex order_mu_;
  std::map<int64_t, std::shared_ptr<const std::vector<int64_t>>> orders_
      ABSL_GUARDED_BY(order_mu_);

  std::vector<std::thread> workers_;
};

absl::StatusOr<std::unique_ptr<DataLoader>> DataLoader::Create(
    const FaceDataset* dataset, const Options& options) {
  if (dataset == nullptr || dataset->size() == 0) {
    return absl::InvalidArgumentError("DataLoader needs a non-empty dataset");
  }
  if (options.batch_size < 1 || options.num_workers < 0 ||
      options.prefetch_batches < 1 || options.max_failures < 1 ||
      options.first_batch < 0 || options.num_shards < 1 ||
      options.shard_index < 0 || options.shard_index >= options.num_shards) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DataLoader options: batch_size = ", options.batch_size,
        ", num_workers = ", options.num_workers, ", prefetch_batches = ",
        options.prefetch_batches, ", max_failures = ", options.max_failures,
        ", first_batch = ", options.first_batch, ", shard ",
        options.shard_index, " of ", options.num_shards,
        "; expected batch_size >= 1, num_workers >= 0, prefetch_batches >= 1, "
        "max_failures >= 1, first_batch >= 0, 0 <= shard_index < num_shards"));
  }
  absl::StatusOr<DegradationPipeline> pipeline =
      DegradationPipeline::Create(options.degradation);
  if (!pipeline.ok()) return pipeline.status();
  cv::setNumThreads(0);
  return std::unique_ptr<DataLoader>(new DataLoader(
      std::make_unique<Impl>(dataset, options, *std::move(pipeline))));
}

DataLoader::DataLoader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DataLoader::~DataLoader() = default;

absl::Status DataLoader::Next(TrainingBatch* batch) {
  return impl_->Next(batch);
}

}  // namespace facet
