#include "trainer/training/fpn_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "tests/util/test_paths.h"
#include "tests/util/tiny_net_config.h"

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
  o.config = testing::TinyNetConfig();
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

// Two identical halves: each micro-batch has the full batch's BatchNorm
// statistics, so gradient accumulation must reproduce the full-batch step
// (up to float rounding) — the case where BatchNorm allows the comparison.
TEST(FpnTrainerTest, MicroBatchesOfIdenticalHalvesMatchTheFullBatch) {
  FpnTrainerOptions full_options = TinyOptions();
  full_options.learning_rate = 1e-3;
  FpnTrainerOptions micro_options = full_options;
  micro_options.micro_batch_size = 2;
  auto full = FpnTrainer::Create(full_options, nullptr);
  auto micro = FpnTrainer::Create(micro_options, nullptr);
  ASSERT_TRUE(full.ok() && micro.ok());
  for (int step = 0; step < 4; ++step) {
    TrainingBatch half = RandomBatch(2, 64, 40 + step);
    TrainingBatch b = half;
    b.batch_size = 4;
    b.lq.insert(b.lq.end(), half.lq.begin(), half.lq.end());
    b.hq.insert(b.hq.end(), half.hq.begin(), half.hq.end());
    b.labels.insert(b.labels.end(), half.labels.begin(), half.labels.end());
    auto a = (*full)->Step(b);
    auto m = (*micro)->Step(b);
    ASSERT_TRUE(a.ok() && m.ok());
    EXPECT_NEAR(m->loss, a->loss, 1e-5 * a->loss) << "step " << step + 1;
    EXPECT_NEAR(m->parsing_loss, a->parsing_loss, 1e-5 * a->parsing_loss);
    EXPECT_NEAR(m->pixel_loss, a->pixel_loss, 1e-5 * a->pixel_loss);
  }
  auto wa = (*full)->Weights();
  auto wm = (*micro)->Weights();
  const auto& x = wa->at("encoder.0.conv2d.weight").data;
  const auto& y = wm->at("encoder.0.conv2d.weight").data;
  ASSERT_EQ(x.size(), y.size());
  const float* fx = reinterpret_cast<const float*>(x.data());
  const float* fy = reinterpret_cast<const float*>(y.data());
  for (size_t i = 0; i < x.size() / 4; ++i)
    EXPECT_NEAR(fx[i], fy[i], 2e-5) << i;
}

TEST(FpnTrainerTest, UnevenMicroBatchesReportTheBatchMean) {
  // 3 faces in micro-batches of 2 and 1: the reported losses are the
  // faces-weighted mean of what each micro-batch alone gives (the losses
  // are computed before the update; BatchNorm sees the same micro-batches).
  TrainingBatch b = RandomBatch(3, 64, 8);
  auto slice = [&](int first, int n) {
    TrainingBatch s;
    s.batch_size = n;
    s.image_size = 64;
    const size_t image = 3 * 64 * 64, labels = 64 * 64;
    s.lq.assign(b.lq.begin() + first * image,
                b.lq.begin() + (first + n) * image);
    s.hq.assign(b.hq.begin() + first * image,
                b.hq.begin() + (first + n) * image);
    s.labels.assign(b.labels.begin() + first * labels,
                    b.labels.begin() + (first + n) * labels);
    return s;
  };
  FpnTrainerOptions o = TinyOptions();
  o.micro_batch_size = 2;
  auto whole = FpnTrainer::Create(o, nullptr);
  auto first = FpnTrainer::Create(TinyOptions(), nullptr);
  auto second = FpnTrainer::Create(TinyOptions(), nullptr);
  ASSERT_TRUE(whole.ok() && first.ok() && second.ok());
  auto r = (*whole)->Step(b);
  auto r1 = (*first)->Step(slice(0, 2));
  auto r2 = (*second)->Step(slice(2, 1));
  ASSERT_TRUE(r.ok() && r1.ok() && r2.ok()) << r.status();
  const double expected = (2 * r1->loss + r2->loss) / 3;
  EXPECT_NEAR(r->loss, expected, 1e-6 * expected);
  EXPECT_NEAR(r->parsing_loss, (2 * r1->parsing_loss + r2->parsing_loss) / 3,
              1e-6 * expected);
  EXPECT_NEAR(r->pixel_loss, (2 * r1->pixel_loss + r2->pixel_loss) / 3,
              1e-6 * expected);
  o.micro_batch_size = -1;
  EXPECT_TRUE(absl::IsInvalidArgument(FpnTrainer::Create(o, nullptr).status()));
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
