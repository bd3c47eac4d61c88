// The oneDNN engine against the LibTorch reference (FaceParser, plain
// BatchNorm path): golden weights, random weights with non-trivial
// BatchNorm statistics at the published channel widths (128 px, and 512 px
// once), each convolution algorithm policy, batches, concurrency, errors.
#include "core/onednn/onednn_face_engine.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "core/model/face_parser.h"
#include "core/model/face_parsing_net.h"
#include "core/model/safetensors.h"
#include "core/model/state_dict.h"
#include "core/onednn/onednn_test_util.h"
#include "tests/util/test_paths.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace {

using onednn_test::Agreement;
using onednn_test::MaxByteDifference;
using onednn_test::MaxRelativeError;
using onednn_test::RandomWeights;
using onednn_test::SmoothImage;

// The published channel widths at 128 px: 64 -> 128 -> 256, ten body blocks.
NetConfig Published128() { return *NetConfigPreset("128,128,32,64,19,10,32,256"); }

// Random weights whose BatchNorm running statistics are the real batch
// statistics of each layer on smooth 128 px images (as training leaves
// them), with random gamma and beta: every layer's output is normalised as
// in a trained network, so the parsing labels vary across the image
// instead of one class winning everywhere, as happens with raw random
// statistics deep in the published network.
RawTensorMap CalibratedWeights(const NetConfig& config, uint32_t seed) {
  RawTensorMap weights = RandomWeights(config, seed);
  FaceParsingNet net(config);
  EXPECT_TRUE(LoadStateDict(weights, net).ok());
  for (auto& module : net->modules(/*include_self=*/false)) {
    if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) bn->options.momentum(1.0);
  }
  net->train();
  torch::NoGradGuard no_grad;
  std::vector<float> x(2 * 3 * 128 * 128);
  for (int n = 0; n < 2; ++n) {
    const std::vector<uint8_t> img = SmoothImage(128, seed * 10 + n);
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 128 * 128; ++p) {
        x[(n * 3 + c) * 128 * 128 + p] = img[p * 3 + c] / 255.0f * 2 - 1;
      }
    }
  }
  net->forward(torch::from_blob(x.data(), {2, 3, 128, 128}));
  RawTensorMap calibrated = ExtractStateDict(net);
  for (auto& [name, t] : calibrated) {
    if (name.find("norm.norm.weight") != std::string::npos ||
        name.find("norm.norm.bias") != std::string::npos) {
      t = weights.at(name);
    }
  }
  return calibrated;
}

std::unique_ptr<FaceEngine> Torch(const RawTensorMap& weights, const NetConfig& config) {
  FaceParserOptions options;
  options.config = config;
  options.device = "cpu";
  options.fold_batch_norm = false;
  auto parser = FaceParser::Create(weights, options);
  EXPECT_TRUE(parser.ok()) << parser.status().ToString();
  return parser.ok() ? std::unique_ptr<FaceEngine>(std::move(*parser)) : nullptr;
}

std::unique_ptr<FaceEngine> Onednn(const RawTensorMap& weights, const NetConfig& config,
                                   ConvAlgorithmPolicy algorithms = ConvAlgorithmPolicy::kMeasure,
                                   Precision precision = Precision::kFp32,
                                   ActivationLayout layout = ActivationLayout::kMeasure) {
  OnednnEngineOptions options;
  options.config = config;
  options.algorithms = algorithms;
  options.layout = layout;
  options.precision = precision;
  auto engine = CreateOnednnFaceEngine(weights, options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? std::move(*engine) : nullptr;
}

std::vector<ParseResult> RunRaw(const FaceEngine& engine,
                                const std::vector<std::vector<uint8_t>>& images, int64_t size) {
  std::vector<RgbImageView> batch;
  for (const auto& img : images) batch.push_back({img.data(), size, size});
  ParseOptions raw;
  raw.want_raw = true;
  auto results = engine.Parse(batch, raw);
  EXPECT_TRUE(results.ok()) << results.status().ToString();
  return results.ok() ? *results : std::vector<ParseResult>();
}

// Checks the exactness bounds for every image and prints the figures.
void ExpectExact(const std::vector<ParseResult>& got, const std::vector<ParseResult>& ref,
                 const std::string& what) {
  ASSERT_EQ(got.size(), ref.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    const double logits = MaxRelativeError(got[i].logits, ref[i].logits);
    const double image = MaxRelativeError(got[i].image, ref[i].image);
    const double agree = Agreement(got[i].labels, ref[i].labels);
    const int restored = MaxByteDifference(got[i].restored, ref[i].restored);
    std::cerr << what << " image " << i << ": logits max rel error " << logits
              << ", image " << image << ", argmax agreement " << agree
              << ", restored max diff " << restored << ", majority label share "
              << onednn_test::MajorityShare(ref[i].labels) << "\n";
    EXPECT_LE(logits, 1e-4) << what << " image " << i;
    EXPECT_LE(image, 1e-4) << what << " image " << i;
    EXPECT_GE(agree, 0.999) << what << " image " << i;
    EXPECT_LE(restored, 1) << what << " image " << i;
    EXPECT_LT(onednn_test::MajorityShare(ref[i].labels), 0.95)
        << what << ": labels too uniform for the agreement figure to mean anything";
  }
}

struct Policy {
  const char* name;
  ConvAlgorithmPolicy algorithms;
  ActivationLayout layout;
};

class AlgorithmTest : public ::testing::TestWithParam<Policy> {};

TEST_P(AlgorithmTest, MatchesTorchOnGoldenWeights) {
  const std::string golden = testing::FixturesDir() + "/golden/small.safetensors";
  if (!std::filesystem::exists(golden)) GTEST_SKIP() << "no fixtures at " << golden;
  auto weights = ReadSafetensorsFile(golden);
  ASSERT_TRUE(weights.ok()) << weights.status().ToString();
  const NetConfig config = testing::TinyNetConfig();
  auto torch = Torch(weights->tensors, config);
  auto onednn = Onednn(weights->tensors, config, GetParam().algorithms, Precision::kFp32,
                       GetParam().layout);
  ASSERT_TRUE(torch && onednn);
  std::cerr << onednn->Describe() << "\n";
  const std::vector<std::vector<uint8_t>> images = {SmoothImage(64, 1), SmoothImage(64, 2)};
  ExpectExact(RunRaw(*onednn, images, 64), RunRaw(*torch, images, 64), "golden weights");
}

TEST_P(AlgorithmTest, MatchesTorchAtPublishedWidths128) {
  const NetConfig config = Published128();
  const RawTensorMap weights = CalibratedWeights(config, 11);
  auto torch = Torch(weights, config);
  auto onednn = Onednn(weights, config, GetParam().algorithms, Precision::kFp32,
                       GetParam().layout);
  ASSERT_TRUE(torch && onednn);
  std::cerr << onednn->Describe() << "\n";
  const std::vector<std::vector<uint8_t>> one = {SmoothImage(128, 3)};
  ExpectExact(RunRaw(*onednn, one, 128), RunRaw(*torch, one, 128), "128 px batch 1");
  const std::vector<std::vector<uint8_t>> three = {SmoothImage(128, 4), SmoothImage(128, 5),
                                                   SmoothImage(128, 6)};
  ExpectExact(RunRaw(*onednn, three, 128), RunRaw(*torch, three, 128), "128 px batch 3");
}

INSTANTIATE_TEST_SUITE_P(
    Policies, AlgorithmTest,
    ::testing::Values(
        Policy{"Measure", ConvAlgorithmPolicy::kMeasure, ActivationLayout::kMeasure},
        Policy{"BlockedDirect", ConvAlgorithmPolicy::kDirect, ActivationLayout::kBlocked},
        Policy{"BlockedWinograd", ConvAlgorithmPolicy::kWinograd, ActivationLayout::kBlocked},
        Policy{"ChannelsLast", ConvAlgorithmPolicy::kDirect, ActivationLayout::kChannelsLast}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(OnednnEngineTest, MatchesTorchAtPublished512) {
  const NetConfig config = NetConfig::Published();
  const RawTensorMap weights = CalibratedWeights(config, 21);
  auto torch = Torch(weights, config);
  auto onednn = Onednn(weights, config);
  ASSERT_TRUE(torch && onednn);
  std::cerr << onednn->Describe() << "\n";
  const std::vector<std::vector<uint8_t>> one = {SmoothImage(512, 7)};
  ExpectExact(RunRaw(*onednn, one, 512), RunRaw(*torch, one, 512), "published 512 px");
}

TEST(OnednnEngineTest, BatchOfThreeEqualsSingles) {
  const NetConfig config = Published128();
  auto onednn = Onednn(RandomWeights(config, 12), config);
  ASSERT_TRUE(onednn);
  const std::vector<std::vector<uint8_t>> three = {SmoothImage(128, 4), SmoothImage(128, 5),
                                                   SmoothImage(128, 6)};
  std::vector<ParseResult> batched = RunRaw(*onednn, three, 128);
  ASSERT_EQ(batched.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    std::vector<ParseResult> single = RunRaw(*onednn, {three[i]}, 128);
    ASSERT_EQ(single.size(), 1u);
    EXPECT_LE(MaxRelativeError(batched[i].logits, single[0].logits), 1e-5);
    EXPECT_GE(Agreement(batched[i].labels, single[0].labels), 0.9999);
    EXPECT_LE(MaxByteDifference(batched[i].restored, single[0].restored), 1);
  }
}

TEST(OnednnEngineTest, ConcurrentParseGivesIdenticalResults) {
  const NetConfig config = Published128();
  auto onednn = Onednn(RandomWeights(config, 13), config);
  ASSERT_TRUE(onednn);
  const std::vector<std::vector<uint8_t>> images = {SmoothImage(128, 8), SmoothImage(128, 9)};
  std::vector<ParseResult> expected[2] = {RunRaw(*onednn, {images[0]}, 128),
                                          RunRaw(*onednn, {images[1]}, 128)};
  std::vector<ParseResult> got[2][3];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 3; ++r) got[t][r] = RunRaw(*onednn, {images[t]}, 128);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 2; ++t) {
    for (int r = 0; r < 3; ++r) {
      ASSERT_EQ(got[t][r].size(), 1u);
      EXPECT_EQ(got[t][r][0].labels, expected[t][0].labels) << "thread " << t << " run " << r;
      EXPECT_EQ(got[t][r][0].restored, expected[t][0].restored);
      EXPECT_LE(MaxRelativeError(got[t][r][0].logits, expected[t][0].logits), 1e-6);
    }
  }
}

TEST(OnednnEngineTest, RejectsBadBatches) {
  const NetConfig config = testing::TinyNetConfig();
  auto onednn = Onednn(RandomWeights(config, 14), config);
  ASSERT_TRUE(onednn);
  std::vector<uint8_t> img = SmoothImage(64, 1);
  EXPECT_EQ(onednn->Parse({}).status().code(), ModelErrorCode::kInvalidArgument);
  EXPECT_EQ(onednn->Parse({{nullptr, 64, 64}}).status().code(),
            ModelErrorCode::kInvalidArgument);
  EXPECT_EQ(onednn->Parse({{img.data(), 64, 64}, {img.data(), 32, 32}}).status().code(),
            ModelErrorCode::kInvalidArgument);
  EXPECT_EQ(onednn->Parse({{img.data(), 63, 64}}).status().code(),
            ModelErrorCode::kInvalidArgument);
  // 4x4: a multiple of 2^down_steps, but too small to reflection-pad.
  auto tiny = onednn->Parse({{img.data(), 4, 4}});
  EXPECT_EQ(tiny.status().code(), ModelErrorCode::kInvalidArgument);
  EXPECT_NE(tiny.status().message().find("too small"), std::string::npos);
  // Other sizes than the configured one work (the network is convolutional).
  auto other = onednn->Parse({{img.data(), 32, 32}});
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ((*other)[0].labels.size(), 32u * 32u);
}

TEST(OnednnEngineTest, RejectsBadWeightsNamingTheKey) {
  const NetConfig config = testing::TinyNetConfig();
  RawTensorMap weights = RandomWeights(config, 15);
  weights.erase("body.1.conv2.norm.norm.running_var");
  OnednnEngineOptions options;
  options.config = config;
  auto missing = CreateOnednnFaceEngine(weights, options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ModelErrorCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("body.1.conv2.norm.norm.running_var"),
            std::string::npos)
      << missing.status().message();
  EXPECT_EQ(missing.status().message(), CheckStateDictShapes(config, weights).message());
  weights = RandomWeights(config, 15);
  weights["encoder.0.conv2d.weight"].shape = {8, 3, 3, 2};
  auto misshapen = CreateOnednnFaceEngine(weights, options);
  ASSERT_FALSE(misshapen.ok());
  EXPECT_NE(misshapen.status().message().find("encoder.0.conv2d.weight"), std::string::npos);
}

TEST(OnednnEngineTest, RefusesWhatItDoesNotOffer) {
  const NetConfig config = testing::TinyNetConfig();
  const RawTensorMap weights = RandomWeights(config, 16);
  OnednnEngineOptions options;
  options.config = config;
  options.precision = Precision::kFp16;
  auto refused = CreateOnednnFaceEngine(weights, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ModelErrorCode::kUnimplemented);
  EXPECT_NE(refused.status().message().find("fp16"), std::string::npos);
  EXPECT_FALSE(OnednnSupports(Precision::kFp16));
  // int8 without activation ranges (int8_engine_test.cc covers the rest).
  options.precision = Precision::kInt8;
  auto unscaled = CreateOnednnFaceEngine(weights, options);
  ASSERT_FALSE(unscaled.ok());
  EXPECT_EQ(unscaled.status().code(), ModelErrorCode::kFailedPrecondition);
  EXPECT_NE(unscaled.status().message().find(OnednnSupports(Precision::kInt8)
                                                 ? "facet-trainer calibrate"
                                                 : "avx2"),
            std::string::npos)
      << unscaled.status().message();
  EXPECT_TRUE(OnednnSupports(Precision::kFp32));
  options.precision = Precision::kBf16;
  auto bf16 = CreateOnednnFaceEngine(weights, options);
  if (OnednnSupports(Precision::kBf16)) {
    ASSERT_TRUE(bf16.ok()) << bf16.status().ToString();
    EXPECT_EQ((*bf16)->precision(), "bf16");
  } else {
    ASSERT_FALSE(bf16.ok());
    EXPECT_EQ(bf16.status().code(), ModelErrorCode::kFailedPrecondition);
    EXPECT_NE(bf16.status().message().find("avx512_core_bf16"), std::string::npos);
  }
}

TEST(OnednnEngineTest, DescribesItself) {
  const NetConfig config = testing::TinyNetConfig();
  auto onednn = Onednn(RandomWeights(config, 17), config);
  ASSERT_TRUE(onednn);
  EXPECT_EQ(onednn->engine(), "onednn");
  EXPECT_EQ(onednn->device(), "cpu");
  EXPECT_EQ(onednn->precision(), "fp32");
  const std::string d = onednn->Describe();
  EXPECT_NE(d.find("isa=" + OnednnIsaName()), std::string::npos) << d;
  EXPECT_NE(d.find("direct="), std::string::npos) << d;
  EXPECT_NE(d.find("layouts="), std::string::npos) << d;
  std::vector<uint8_t> img = SmoothImage(64, 1);
  auto profile = ProfileOnednnForward(*onednn, {{img.data(), 64, 64}});
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  int convs = 0;
  for (const OnednnLayerTime& t : *profile) convs += t.kind == "conv";
  EXPECT_EQ(convs, 1 + 3 * 2 + 2 * 2 + 3 * 2 + 1);  // Heads fused into one.
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {

// bf16 against fp32 on random weights: close (logits within 6 % of their
// range, labels >= 95 % equal). Random weights leave small margins between
// classes, so the issue's >= 99.5 % agreement is checked on a trained
// network instead (tests/onednn_trained_agreement_test.cc). Weights whose
// labels are nearly constant would make this vacuous, so the reference
// labels must be varied.
void ExpectBf16Agrees(const RawTensorMap& weights, const NetConfig& config, int64_t size,
                      const std::string& what) {
  auto fp32 = Onednn(weights, config);
  auto bf16 = Onednn(weights, config, ConvAlgorithmPolicy::kMeasure, Precision::kBf16);
  ASSERT_TRUE(fp32 && bf16);
  std::cerr << bf16->Describe() << "\n";
  std::vector<std::vector<uint8_t>> images;
  for (uint32_t seed = 30; seed < 34; ++seed) images.push_back(SmoothImage(size, seed));
  std::vector<ParseResult> a = RunRaw(*bf16, images, size), b = RunRaw(*fp32, images, size);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const double agree = Agreement(a[i].labels, b[i].labels);
    const double majority = onednn_test::MajorityShare(b[i].labels);
    std::cerr << what << " bf16 vs fp32 image " << i << ": argmax agreement " << agree
              << ", logits max rel error " << MaxRelativeError(a[i].logits, b[i].logits)
              << ", restored max diff " << MaxByteDifference(a[i].restored, b[i].restored)
              << ", majority label share " << majority << "\n";
    EXPECT_LT(majority, 0.95) << what << ": labels too uniform for a meaningful test";
    EXPECT_GE(agree, 0.95) << what << " image " << i;
    EXPECT_LE(MaxRelativeError(a[i].logits, b[i].logits), 0.06) << what << " image " << i;
  }
}

TEST(OnednnEngineTest, Bf16CloseToFp32OnGoldenWeights) {
  if (!OnednnSupports(Precision::kBf16)) GTEST_SKIP() << "no avx512_core_bf16 on this CPU";
  const std::string golden = testing::FixturesDir() + "/golden/small.safetensors";
  if (!std::filesystem::exists(golden)) GTEST_SKIP() << "no fixtures at " << golden;
  auto weights = ReadSafetensorsFile(golden);
  ASSERT_TRUE(weights.ok()) << weights.status().ToString();
  ExpectBf16Agrees(weights->tensors, testing::TinyNetConfig(), 64, "golden");
}

TEST(OnednnEngineTest, Bf16CloseToFp32AtPublishedWidths) {
  if (!OnednnSupports(Precision::kBf16)) GTEST_SKIP() << "no avx512_core_bf16 on this CPU";
  const NetConfig config = Published128();
  ExpectBf16Agrees(CalibratedWeights(config, 11), config, 128, "128 px");
}

}  // namespace
}  // namespace facet
