#include "trainer/training/parsing_loss.h"

#include <algorithm>
#include <cmath>

#include "core/image/label_palette.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

namespace F = torch::nn::functional;

torch::Tensor RandomLogits(int64_t n, int64_t size) {
  torch::manual_seed(7);
  return torch::randn({n, kNumLabels, size, size});
}

// Weight 1 is the paper's loss, bit for bit.
TEST(ParsingLossTest, WeightOneIsThePlainCrossEntropy) {
  torch::Tensor logits = RandomLogits(2, 8);
  torch::Tensor labels =
      torch::randint(0, kNumLabels, {2, 8, 8}, torch::kInt64);
  ParsingLoss loss(kNumLabels, 1.0, torch::kCPU);
  EXPECT_TRUE(
      torch::equal(loss(logits, labels), F::cross_entropy(logits, labels)));
}

// Every pixel's -log p counts `weight` times on a part label, once on any
// other, and the sum is divided by the number of pixels.
TEST(ParsingLossTest, PartPixelsCountWeightTimesOverThePixelCount) {
  torch::Tensor logits = RandomLogits(1, 4);
  torch::Tensor labels = torch::full({1, 4, 4}, int64_t{kSkin}, torch::kInt64);
  labels[0][1][1] = kLeftEye;
  labels[0][2][2] = kUpperLip;
  labels[0][3][0] = kHair;
  torch::Tensor nll = F::cross_entropy(
      logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  const double w = 3.0;
  double expected = 0;
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      const int64_t label = labels[0][y][x].item<int64_t>();
      const bool part = label == kLeftEye || label == kUpperLip;
      expected += (part ? w : 1.0) * nll[0][y][x].item<double>();
    }
  }
  expected /= 16;
  ParsingLoss loss(kNumLabels, w, torch::kCPU);
  EXPECT_NEAR(loss(logits, labels).item<double>(), expected, 1e-5);
  // Not the weighted mean (sum over the weights' sum), which would not
  // add up over micro-batches.
  const double weighted_mean = expected * 16 / (14 + 2 * w);
  EXPECT_GT(std::abs(loss(logits, labels).item<double>() - weighted_mean),
            1e-3);
}

// Halves of a batch, each scaled by its share of the pixels, add up to the
// whole batch's loss: gradient accumulation and ranks stay exact.
TEST(ParsingLossTest, HalvesAddUpToTheWholeBatch) {
  torch::Tensor logits = RandomLogits(4, 6);
  torch::Tensor labels =
      torch::randint(0, kNumLabels, {4, 6, 6}, torch::kInt64);
  ParsingLoss loss(kNumLabels, 5.0, torch::kCPU);
  const double whole = loss(logits, labels).item<double>();
  const double halves =
      0.5 * loss(logits.slice(0, 0, 2), labels.slice(0, 0, 2)).item<double>() +
      0.5 * loss(logits.slice(0, 2, 4), labels.slice(0, 2, 4)).item<double>();
  EXPECT_NEAR(whole, halves, 1e-5);
}

TEST(ParsingLossTest, TheInnerPartsAreTheSmallFeatures) {
  const auto& parts = kInnerFacePartLabels;
  EXPECT_EQ(parts.size(), 8u);
  for (int label : {kBackground, kSkin, kHair, kEyeGlasses, kLeftEar, kNeck}) {
    EXPECT_EQ(std::count(parts.begin(), parts.end(), label), 0) << label;
  }
  for (int label : {kNose, kLeftBrow, kRightEye, kMouth, kLowerLip}) {
    EXPECT_EQ(std::count(parts.begin(), parts.end(), label), 1) << label;
  }
}

}  // namespace
}  // namespace facet
