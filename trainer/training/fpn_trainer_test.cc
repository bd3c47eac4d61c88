#include "trainer/training/fpn_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "tests/util/test_paths.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

TrainingBatch RandomBatch(int n, int size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  TrainingBatch b;
  b.batch_size = n;
  b.image_size = size;
  b.lq.resize(size_t(n) * 3 * size * size);
  b.hq.resize(b.lq.size());
  b.labels.resize(size_t(n) * size * size);
  for (auto& v : b.lq) v = u(rng);
  for (auto& v : b.hq) v = u(rng);
  // Labels follow a simple function of the input so there is something to learn.
  for (size_t i = 0; i < b.labels.size(); ++i) b.labels[i] = b.lq[i] > 0 ? 1 : 0;
  return b;
}

FpnTrainerOptions TinyOptions() {
  FpnTrainerOptions o;
  o.config = *NetConfigPreset("tiny");
  o.device = "cpu";
  o.seed = 11;
  return o;
}

TEST(FpnTrainerTest, LossDecreasesOnAFixedBatch) {
  auto t = FpnTrainer::Create(TinyOptions(), nullptr);
  ASSERT_TRUE(t.ok()) << t.status();
  TrainingBatch b = RandomBatch(2, 64, 1);
  double first = 0, last = 0;
  for (int i = 0; i < 15; ++i) {
    auto r = (*t)->Step(b);
    ASSERT_TRUE(r.ok()) << r.status();
    if (i == 0) first = r->loss;
    last = r->loss;
    EXPECT_EQ(r->step, i + 1);
    EXPECT_DOUBLE_EQ(r->learning_rate, 2e-4);
  }
  EXPECT_LT(last, first);
}

TEST(FpnTrainerTest, ResumeGivesTheSameNextLosses) {
  const std::string dir = testing::MakeTempDir("facet-resume");
  std::vector<TrainingBatch> batches;
  for (int i = 0; i < 6; ++i) batches.push_back(RandomBatch(2, 64, 100 + i));
  // Uninterrupted: 6 steps.
  auto a = FpnTrainer::Create(TinyOptions(), nullptr);
  ASSERT_TRUE(a.ok());
  std::vector<double> straight;
  for (const auto& b : batches) straight.push_back((*a)->Step(b)->loss);
  // Interrupted after 3 steps, checkpointed, resumed in a fresh trainer.
  auto b1 = FpnTrainer::Create(TinyOptions(), nullptr);
  ASSERT_TRUE(b1.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*b1)->Step(batches[i]).ok());
  ASSERT_TRUE((*b1)->SaveCheckpoint(dir).ok());
  FpnTrainerOptions other_seed = TinyOptions();
  other_seed.seed = 99;  // The checkpoint, not the seed, decides the weights.
  auto b2 = FpnTrainer::Create(other_seed, nullptr);
  ASSERT_TRUE(b2.ok());
  ASSERT_TRUE((*b2)->LoadCheckpoint(dir).ok());
  EXPECT_EQ((*b2)->step(), 3);
  for (int i = 3; i < 6; ++i) {
    auto r = (*b2)->Step(batches[i]);
    ASSERT_TRUE(r.ok());
    EXPECT_NEAR(r->loss, straight[i], 1e-6 * std::max(1.0, std::fabs(straight[i]))) << "step " << i + 1;
  }
  fs::remove_all(dir);
}

TEST(FpnTrainerTest, CheckpointOfAnotherConfigurationIsRejected) {
  const std::string dir = testing::MakeTempDir("facet-ckpt");
  auto a = FpnTrainer::Create(TinyOptions(), nullptr);
  ASSERT_TRUE((*a)->SaveCheckpoint(dir).ok());
  FpnTrainerOptions small = TinyOptions();
  small.config = *NetConfigPreset("small");
  auto b = FpnTrainer::Create(small, nullptr);
  absl::Status s = (*b)->LoadCheckpoint(dir);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_TRUE(absl::IsNotFound((*b)->LoadCheckpoint(dir + "/nothing-here")));
  fs::remove_all(dir);
}

TEST(FpnTrainerTest, NonFiniteLossSkipsTheUpdate) {
  auto t = FpnTrainer::Create(TinyOptions(), nullptr);
  ASSERT_TRUE(t.ok());
  auto before = (*t)->Weights();
  ASSERT_TRUE(before.ok());
  TrainingBatch b = RandomBatch(1, 64, 3);
  b.hq[5] = NAN;
  auto r = (*t)->Step(b);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("non-finite"), std::string::npos);
  EXPECT_EQ((*t)->step(), 0);
  auto after = (*t)->Weights();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(before->at("encoder.0.conv2d.weight").data, after->at("encoder.0.conv2d.weight").data);
}

TEST(FpnTrainerTest, MalformedBatchIsInvalidArgument) {
  auto t = FpnTrainer::Create(TinyOptions(), nullptr);
  TrainingBatch b = RandomBatch(1, 64, 3);
  b.labels.pop_back();
  EXPECT_TRUE(absl::IsInvalidArgument((*t)->Step(b).status()));
}

TEST(FpnTrainerTest, EvaluatePerfectLabelsOnlyWhenLearned) {
  auto t = FpnTrainer::Create(TinyOptions(), nullptr);
  SegmentationMetrics m(19);
  ASSERT_TRUE((*t)->Evaluate(RandomBatch(2, 64, 5), &m).ok());
  SegmentationReport r = m.Report();
  EXPECT_EQ(r.pixels, 2 * 64 * 64);
  EXPECT_GT(r.psnr_db, 0);
}

}  // namespace
}  // namespace facet
