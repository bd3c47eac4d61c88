#include "trainer/data/data_loader.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "trainer/data/synthetic_faces.h"

namespace facet {
namespace {

// Small sizes keep the loader tests fast: faces at 128, degraded at 128,
// batches at 64.
DataLoader::Options SmallOptions(int workers) {
  DataLoader::Options options;
  options.batch_size = 3;
  options.num_workers = workers;
  options.seed = 5;
  options.degradation.work_size = 128;
  options.degradation.net_size = 64;
  options.degradation.downscale_min = 16;
  options.degradation.downscale_max = 64;
  return options;
}

std::unique_ptr<SyntheticFaceSet> Faces(size_t size) {
  SyntheticFaceSet::Options options;
  options.size = size;
  options.image_size = 128;
  return *SyntheticFaceSet::Create(options);
}

std::vector<TrainingBatch> Take(const FaceDataset& dataset,
                                const DataLoader::Options& options, int n) {
  auto loader = DataLoader::Create(&dataset, options);
  EXPECT_TRUE(loader.ok()) << loader.status();
  std::vector<TrainingBatch> batches(n);
  for (TrainingBatch& b : batches) {
    absl::Status s = (*loader)->Next(&b);
    EXPECT_TRUE(s.ok()) << s;
  }
  return batches;
}

// A dataset whose listed indices fail to load.
class FlakyDataset : public FaceDataset {
 public:
  FlakyDataset(const FaceDataset* inner, std::set<size_t> bad)
      : inner_(inner), bad_(std::move(bad)) {}
  size_t size() const override { return inner_->size(); }
  absl::StatusOr<FaceSample> Get(size_t index) const override {
    if (bad_.count(index)) {
      return absl::DataLossError(absl::StrCat("face ", index, " is broken"));
    }
    return inner_->Get(index);
  }
  std::string Describe() const override { return "flaky"; }

 private:
  const FaceDataset* inner_;
  std::set<size_t> bad_;
};

TEST(DataLoaderTest, BatchesHaveTheNetworkLayoutAndRanges) {
  auto faces = Faces(10);
  const std::vector<TrainingBatch> batches = Take(*faces, SmallOptions(1), 2);
  for (const TrainingBatch& b : batches) {
    ASSERT_EQ(b.batch_size, 3);
    ASSERT_EQ(b.image_size, 64);
    ASSERT_EQ(b.lq.size(), 3u * 3 * 64 * 64);
    ASSERT_EQ(b.hq.size(), 3u * 3 * 64 * 64);
    ASSERT_EQ(b.labels.size(), 3u * 64 * 64);
    ASSERT_EQ(b.params.size(), 3u);
    for (float v : b.lq) ASSERT_TRUE(v >= -1.0f && v <= 1.0f) << v;
    for (float v : b.hq) ASSERT_TRUE(v >= -1.0f && v <= 1.0f) << v;
    for (int64_t l : b.labels) ASSERT_TRUE(l >= 0 && l <= 18) << l;
    // Not a constant image: both ends of the range are used.
    EXPECT_LT(*std::min_element(b.hq.begin(), b.hq.end()), -0.5f);
    EXPECT_GT(*std::max_element(b.hq.begin(), b.hq.end()), 0.5f);
  }
  EXPECT_EQ(batches[0].batch_number, 0);
  EXPECT_EQ(batches[1].batch_number, 1);
  EXPECT_EQ(batches[1].stream_positions[0], 3);
}

TEST(DataLoaderTest, SameBatchesWhateverTheWorkerCount) {
  auto faces = Faces(7);
  const std::vector<TrainingBatch> reference = Take(*faces, SmallOptions(0), 4);
  for (int workers : {1, 3}) {
    const std::vector<TrainingBatch> other =
        Take(*faces, SmallOptions(workers), 4);
    for (int b = 0; b < 4; ++b) {
      EXPECT_EQ(other[b].dataset_indices, reference[b].dataset_indices)
          << workers << " workers, batch " << b;
      EXPECT_TRUE(other[b].lq == reference[b].lq)
          << workers << " workers, batch " << b;
      EXPECT_TRUE(other[b].labels == reference[b].labels);
    }
  }
}

TEST(DataLoaderTest, EpochsArePermutationsStableForASeed) {
  auto faces = Faces(12);
  DataLoader::Options options = SmallOptions(2);
  options.batch_size = 4;
  auto indices = [&](uint64_t seed) {
    options.seed = seed;
    std::vector<int64_t> all;
    for (const TrainingBatch& b : Take(*faces, options, 6)) {
      all.insert(all.end(), b.dataset_indices.begin(), b.dataset_indices.end());
    }
    return all;
  };
  const std::vector<int64_t> a = indices(1), again = indices(1),
                             other = indices(2);
  EXPECT_EQ(a, again);
  EXPECT_NE(a, other);
  std::vector<int64_t> expected(12);
  std::iota(expected.begin(), expected.end(), 0);
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::vector<int64_t> one(a.begin() + epoch * 12,
                             a.begin() + (epoch + 1) * 12);
    EXPECT_NE(one, expected) << "epoch " << epoch << " was not shuffled";
    std::sort(one.begin(), one.end());
    EXPECT_EQ(one, expected) << "epoch " << epoch;
  }
  EXPECT_NE(std::vector<int64_t>(a.begin(), a.begin() + 12),
            std::vector<int64_t>(a.begin() + 12, a.end()));
}

TEST(DataLoaderTest, WithoutShuffleIndicesRunInOrder) {
  auto faces = Faces(5);
  DataLoader::Options options = SmallOptions(0);
  options.shuffle = false;
  options.batch_size = 4;
  const std::vector<TrainingBatch> batches = Take(*faces, options, 2);
  EXPECT_EQ(batches[0].dataset_indices, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(batches[1].dataset_indices, (std::vector<int64_t>{4, 0, 1, 2}));
}

TEST(DataLoaderTest, FirstBatchResumesTheSameStream) {
  auto faces = Faces(8);
  const std::vector<TrainingBatch> full = Take(*faces, SmallOptions(1), 4);
  DataLoader::Options options = SmallOptions(1);
  options.first_batch = 2;
  const std::vector<TrainingBatch> resumed = Take(*faces, options, 2);
  EXPECT_EQ(resumed[0].batch_number, 2);
  EXPECT_EQ(resumed[0].dataset_indices, full[2].dataset_indices);
  EXPECT_TRUE(resumed[1].lq == full[3].lq);
}

TEST(DataLoaderTest, FailedSamplesAreReplacedByTheNextIndex) {
  auto faces = Faces(6);
  FlakyDataset flaky(faces.get(), {2});
  DataLoader::Options options = SmallOptions(1);
  options.shuffle = false;
  const std::vector<TrainingBatch> batches = Take(flaky, options, 1);
  EXPECT_EQ(batches[0].dataset_indices, (std::vector<int64_t>{0, 1, 3}));
}

TEST(DataLoaderTest, TooManyFailuresInARowFailTheBatch) {
  auto faces = Faces(4);
  FlakyDataset broken(faces.get(), {0, 1, 2, 3});
  for (int workers : {0, 2}) {
    DataLoader::Options options = SmallOptions(workers);
    options.max_failures = 3;
    auto loader = DataLoader::Create(&broken, options);
    ASSERT_TRUE(loader.ok());
    TrainingBatch batch;
    absl::Status s = (*loader)->Next(&batch);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(absl::StrContains(s.message(), "in a row")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "is broken")) << s;
  }
}

TEST(DataLoaderTest, DestroysCleanlyWithBatchesInFlight) {
  auto faces = Faces(4);
  for (int i = 0; i < 3; ++i) {
    DataLoader::Options options = SmallOptions(2);
    options.prefetch_batches = 3;
    auto loader = DataLoader::Create(faces.get(), options);
    ASSERT_TRUE(loader.ok());
    if (i == 1) {
      TrainingBatch batch;
      ASSERT_TRUE((*loader)->Next(&batch).ok());
    }
  }  // Each loader's destructor joins its workers.
}

TEST(DataLoaderTest, RejectsBadOptions) {
  auto faces = Faces(4);
  EXPECT_EQ(DataLoader::Create(nullptr, SmallOptions(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  struct Case {
    const char* what;
    std::function<void(DataLoader::Options*)> spoil;
  } cases[] = {
      {"batch_size", [](DataLoader::Options* o) { o->batch_size = 0; }},
      {"num_workers", [](DataLoader::Options* o) { o->num_workers = -1; }},
      {"prefetch_batches",
       [](DataLoader::Options* o) { o->prefetch_batches = 0; }},
      {"first_batch", [](DataLoader::Options* o) { o->first_batch = -2; }},
      {"net_size",
       [](DataLoader::Options* o) { o->degradation.net_size = 256; }},
  };
  for (const Case& c : cases) {
    DataLoader::Options options = SmallOptions(0);
    c.spoil(&options);
    auto loader = DataLoader::Create(faces.get(), options);
    EXPECT_EQ(loader.status().code(), absl::StatusCode::kInvalidArgument)
        << c.what;
    EXPECT_TRUE(absl::StrContains(loader.status().message(), c.what))
        << loader.status();
  }
}

}  // namespace
}  // namespace facet
