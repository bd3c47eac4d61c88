// The int8 path of the oneDNN engine on random weights: calibration
// (Int8Calibrator), the int8 forward against fp32 in each activation layout,
// and its refusals (no ranges, ranges of other weights, a CPU without AVX2).
// The issue's >= 99 % agreement is checked on a trained network in
// tests/onednn_trained_agreement_test.cc: random weights leave small margins
// between classes.
#include <gtest/gtest.h>

#include <iostream>

#include "core/onednn/int8_calibrator.h"
#include "core/onednn/onednn_face_engine.h"
#include "core/onednn/onednn_test_util.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace {

using onednn_test::Agreement;
using onednn_test::MaxRelativeError;
using onednn_test::RandomWeights;
using onednn_test::SmoothImage;

constexpr int64_t kSize = 64;

std::vector<RgbImageView> Views(
    const std::vector<std::vector<uint8_t>>& images) {
  std::vector<RgbImageView> views;
  for (const auto& img : images) views.push_back({img.data(), kSize, kSize});
  return views;
}

std::vector<std::vector<uint8_t>> Images(uint32_t first, int count) {
  std::vector<std::vector<uint8_t>> images;
  for (int i = 0; i < count; ++i)
    images.push_back(SmoothImage(kSize, first + i));
  return images;
}

Int8Scales Calibrate(const RawTensorMap& weights, const NetConfig& config,
                     const std::string& method) {
  auto calibrator = Int8Calibrator::Create(weights, config, 0);
  EXPECT_TRUE(calibrator.ok()) << calibrator.status().ToString();
  if (!calibrator.ok()) return {};
  const auto images = Images(1, 4);
  EXPECT_TRUE((*calibrator)->Add(Views(images)).ok());
  EXPECT_EQ((*calibrator)->images(), 4);
  auto scales = (*calibrator)->Scales(method, "smooth test images");
  EXPECT_TRUE(scales.ok()) << scales.status().ToString();
  return scales.ok() ? *scales : Int8Scales();
}

struct Int8Case {
  const char* name;
  ActivationLayout layout;
  bool int8_heads;
};

class Int8EngineTest : public ::testing::TestWithParam<Int8Case> {};

// The int8 forward stays close to fp32 (a wrong bias or output scale would
// be off by orders of magnitude) in each layout, and reports itself.
TEST_P(Int8EngineTest, CloseToFp32) {
  if (!OnednnSupports(Precision::kInt8)) GTEST_SKIP() << "no avx2 on this CPU";
  const NetConfig config = testing::TinyNetConfig();
  const RawTensorMap weights = RandomWeights(config, 21);
  OnednnEngineOptions options;
  options.config = config;
  options.layout = GetParam().layout;
  auto fp32 = CreateOnednnFaceEngine(weights, options);
  ASSERT_TRUE(fp32.ok()) << fp32.status().ToString();
  options.precision = Precision::kInt8;
  options.int8_heads = GetParam().int8_heads;
  options.int8_scales = Calibrate(weights, config, "max");
  auto int8 = CreateOnednnFaceEngine(weights, options);
  ASSERT_TRUE(int8.ok()) << int8.status().ToString();
  EXPECT_EQ((*int8)->precision(), "int8");
  EXPECT_NE((*int8)->Describe().find("precision=int8"), std::string::npos);
  std::cerr << (*int8)->Describe() << "\n";
  const auto images = Images(40, 3);  // Not the calibration images.
  ParseOptions raw;
  raw.want_raw = true;
  auto a = (*int8)->Parse(Views(images), raw);
  auto b = (*fp32)->Parse(Views(images), raw);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  for (size_t i = 0; i < images.size(); ++i) {
    const double rel = MaxRelativeError((*a)[i].logits, (*b)[i].logits);
    const double agree = Agreement((*a)[i].labels, (*b)[i].labels);
    std::cerr << GetParam().name << " int8 vs fp32 image " << i
              << ": logits max rel error " << rel << ", image max rel error "
              << MaxRelativeError((*a)[i].image, (*b)[i].image)
              << ", argmax agreement " << agree << "\n";
    EXPECT_LE(rel, 0.1) << i;
    EXPECT_GE(agree, 0.9) << i;
    EXPECT_LE(MaxRelativeError((*a)[i].image, (*b)[i].image), 0.1) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, Int8EngineTest,
    ::testing::Values(
        Int8Case{"measured", ActivationLayout::kMeasure, true},
        Int8Case{"blocked", ActivationLayout::kBlocked, true},
        Int8Case{"channels_last", ActivationLayout::kChannelsLast, true},
        Int8Case{"fp32_heads", ActivationLayout::kMeasure, false}),
    [](const ::testing::TestParamInfo<Int8Case>& info) {
      return info.param.name;
    });

TEST(Int8CalibratorTest, PercentileRangesAreAtMostTheMaximum) {
  const NetConfig config = testing::TinyNetConfig();
  const RawTensorMap weights = RandomWeights(config, 22);
  const Int8Scales max = Calibrate(weights, config, "max");
  const Int8Scales p99 = Calibrate(weights, config, "percentile:99");
  ASSERT_EQ(max.input_ranges.size(), p99.input_ranges.size());
  EXPECT_EQ(max.weights_checksum, WeightsChecksum(weights));
  EXPECT_EQ(max.images, 4);
  EXPECT_TRUE(max.input_ranges.count("encoder.1.conv1"));
  EXPECT_TRUE(max.input_ranges.count("heads"));
  int smaller = 0;
  for (const auto& [name, range] : max.input_ranges) {
    EXPECT_LE(p99.input_ranges.at(name), range) << name;
    EXPECT_GT(p99.input_ranges.at(name), 0.0f) << name;
    smaller += p99.input_ranges.at(name) < range;
  }
  EXPECT_GT(smaller, 0);  // The 99th percentile clips something somewhere.
  // encoder.0 reads the input, x / 255 * 2 - 1: its range is at most 1.
  EXPECT_LE(max.input_ranges.at("encoder.0"), 1.0f);
  EXPECT_GT(max.input_ranges.at("encoder.0"), 0.5f);
}

TEST(Int8CalibratorTest, RejectsBadMethodsAndEmptyRuns) {
  const NetConfig config = testing::TinyNetConfig();
  auto calibrator =
      Int8Calibrator::Create(RandomWeights(config, 23), config, 0);
  ASSERT_TRUE(calibrator.ok());
  EXPECT_EQ((*calibrator)->Scales("max", "").status().code(),
            ModelErrorCode::kFailedPrecondition);
  const auto images = Images(1, 1);
  ASSERT_TRUE((*calibrator)->Add(Views(images)).ok());
  for (const char* bad : {"mean", "percentile:", "percentile:0",
                          "percentile:101", "percentile:9x"}) {
    auto s = (*calibrator)->Scales(bad, "");
    EXPECT_EQ(s.status().code(), ModelErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(s.status().message().find(bad), std::string::npos)
        << s.status().message();
  }
  EXPECT_TRUE((*calibrator)->Scales("percentile:99.9", "").ok());
}

TEST(Int8EngineRefusalTest, RangesOfOtherWeightsOrLayersAreRefused) {
  if (!OnednnSupports(Precision::kInt8)) GTEST_SKIP() << "no avx2 on this CPU";
  const NetConfig config = testing::TinyNetConfig();
  const RawTensorMap weights = RandomWeights(config, 24);
  OnednnEngineOptions options;
  options.config = config;
  options.precision = Precision::kInt8;
  options.int8_scales = Calibrate(RandomWeights(config, 25), config, "max");
  options.int8_scales_source = "v/int8_scales.safetensors";
  auto other = CreateOnednnFaceEngine(weights, options);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), ModelErrorCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("v/int8_scales.safetensors"),
            std::string::npos)
      << other.status().message();

  options.int8_scales = Calibrate(weights, config, "max");
  options.int8_scales.input_ranges.erase("decoder.1.conv2");
  auto missing = CreateOnednnFaceEngine(weights, options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ModelErrorCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("decoder.1.conv2"),
            std::string::npos);
}

// Run by CTest with ONEDNN_MAX_CPU_ISA=AVX (core/onednn/CMakeLists.txt), as a
// CPU without AVX2 would: int8 is refused naming the ISA it needs.
TEST(Int8EngineRefusalTest, DISABLED_RefusedWithoutAvx2) {
  if (OnednnSupports(Precision::kInt8)) {
    GTEST_SKIP() << "this run has " << OnednnIsaName()
                 << "; run with ONEDNN_MAX_CPU_ISA=AVX";
  }
  const NetConfig config = testing::TinyNetConfig();
  OnednnEngineOptions options;
  options.config = config;
  options.precision = Precision::kInt8;
  auto refused = CreateOnednnFaceEngine(RandomWeights(config, 26), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ModelErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("avx2"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find(OnednnIsaName()),
            std::string::npos);
  std::cerr << refused.status().message() << "\n";
}

}  // namespace
}  // namespace facet
