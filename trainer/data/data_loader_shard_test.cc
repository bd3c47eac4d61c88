// DataLoader sharding for data-parallel training: the ranks' shards are
// disjoint, cover every epoch, and reproduce the single-process stream.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "trainer/data/data_loader.h"
#include "trainer/data/synthetic_faces.h"

namespace facet {
namespace {

DataLoader::Options ShardOptions(int batch_size, int shards, int index) {
  DataLoader::Options options;
  options.batch_size = batch_size;
  options.num_workers = 0;
  options.seed = 9;
  options.degradation.work_size = 64;
  options.degradation.net_size = 32;
  options.degradation.downscale_min = 8;
  options.degradation.downscale_max = 32;
  options.num_shards = shards;
  options.shard_index = index;
  return options;
}

std::unique_ptr<SyntheticFaceSet> Faces(size_t size) {
  SyntheticFaceSet::Options options;
  options.size = size;
  options.image_size = 64;
  return *SyntheticFaceSet::Create(options);
}

TEST(DataLoaderShardTest, ShardsAreDisjointAndCoverEveryEpoch) {
  // 12 faces, 3 ranks of batch 2: a global batch of 6, two per epoch; run
  // two epochs (4 global batches).
  auto faces = Faces(12);
  constexpr int kRanks = 3, kBatch = 2, kBatchesPerRank = 4;
  std::map<int64_t, std::multiset<int64_t>> indices_by_epoch;
  std::set<int64_t> positions;
  for (int r = 0; r < kRanks; ++r) {
    auto loader =
        DataLoader::Create(faces.get(), ShardOptions(kBatch, kRanks, r));
    ASSERT_TRUE(loader.ok()) << loader.status();
    TrainingBatch b;
    for (int i = 0; i < kBatchesPerRank; ++i) {
      ASSERT_TRUE((*loader)->Next(&b).ok());
      for (int j = 0; j < kBatch; ++j) {
        EXPECT_TRUE(positions.insert(b.stream_positions[j]).second)
            << "position " << b.stream_positions[j] << " read by two ranks";
        indices_by_epoch[b.stream_positions[j] / 12].insert(
            b.dataset_indices[j]);
      }
    }
  }
  ASSERT_EQ(indices_by_epoch.size(), 2u);
  for (const auto& [epoch, indices] : indices_by_epoch) {
    std::set<int64_t> distinct(indices.begin(), indices.end());
    EXPECT_EQ(indices.size(), 12u) << "epoch " << epoch;
    EXPECT_EQ(distinct.size(), 12u) << "epoch " << epoch << " repeats a face";
  }
  EXPECT_EQ(*positions.begin(), 0);
  EXPECT_EQ(*positions.rbegin(), kRanks * kBatch * kBatchesPerRank - 1);
}

TEST(DataLoaderShardTest, ShardsReproduceTheGlobalBatch) {
  // Rank r's batch b is the r-th slice of one loader's global batch b:
  // same faces, same degradation, same pixels.
  auto faces = Faces(10);
  auto whole = DataLoader::Create(faces.get(), ShardOptions(4, 1, 0));
  ASSERT_TRUE(whole.ok());
  std::vector<std::unique_ptr<DataLoader>> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.push_back(*DataLoader::Create(faces.get(), ShardOptions(2, 2, r)));
  for (int b = 0; b < 3; ++b) {
    TrainingBatch global;
    ASSERT_TRUE((*whole)->Next(&global).ok());
    for (int r = 0; r < 2; ++r) {
      TrainingBatch part;
      ASSERT_TRUE(ranks[r]->Next(&part).ok());
      const size_t values = part.lq.size();
      ASSERT_EQ(values * 2, global.lq.size());
      EXPECT_TRUE(std::equal(part.lq.begin(), part.lq.end(),
                             global.lq.begin() + r * values))
          << "batch " << b << " rank " << r;
      EXPECT_EQ(part.dataset_indices[0], global.dataset_indices[2 * r]);
      EXPECT_EQ(part.stream_positions[1], global.stream_positions[2 * r + 1]);
    }
  }
}

TEST(DataLoaderShardTest, RejectsABadShard) {
  auto faces = Faces(4);
  auto loader = DataLoader::Create(faces.get(), ShardOptions(2, 2, 2));
  ASSERT_FALSE(loader.ok());
  EXPECT_NE(std::string(loader.status().message()).find("shard_index"),
            std::string::npos);
}

}  // namespace
}  // namespace facet
