// Reduced precision against fp32 on a trained network and held-out degraded
// faces (the fixture of tests/make_agreement_fixture.sh): every precision an
// engine offers on this machine must agree with the same engine's fp32
// labels on >= 99.5 % of pixels (bf16, fp16) or >= 99 % (int8), as the
// issue that introduced them requires. Combinations this build or CPU
// cannot run must be refused with FailedPrecondition, never run wrongly.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "core/engine/face_engine_factory.h"
#include "core/image/image_decoder.h"
#include "core/image/image_resize.h"
#include "core/repository/weights_loader.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

std::string FixtureDir() { return testing::BinaryDir() + "/test-fixtures/agreement"; }

struct Fixture {
  LoadedWeights weights;
  std::vector<cv::Mat> faces;  // RGB at the network size.
};

const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    auto weights = LoadWeights(FixtureDir() + "/repo/facet/1", 0);
    if (!weights.ok()) {
      ADD_FAILURE() << "fixture weights: " << weights.status() << " (made by the "
                    << "agreement_fixture CTest setup test)";
      return f;
    }
    f->weights = *std::move(weights);
    const int size = static_cast<int>(f->weights.config.in_size);
    for (const auto& entry : fs::directory_iterator(FixtureDir() + "/degraded")) {
      if (entry.path().extension() != ".png") continue;
      auto image = ReadImageFile(entry.path().string(), DecodeLimits());
      if (!image.ok()) {
        ADD_FAILURE() << image.status();
        continue;
      }
      f->faces.push_back(ResizeForNet(*image, size));
    }
    return f;
  }();
  return *fixture;
}

std::vector<std::vector<uint8_t>> LabelsOf(const FaceEngine& engine,
                                           const std::vector<cv::Mat>& faces) {
  std::vector<std::vector<uint8_t>> out;
  for (const cv::Mat& face : faces) {
    auto result = engine.Parse({{face.data, face.rows, face.cols}});
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    out.push_back(result.ok() ? result->front().labels : std::vector<uint8_t>());
  }
  return out;
}

struct Case {
  std::string engine;
  std::string precision;
  double min_agreement;
};

class PrecisionAgreementTest : public ::testing::TestWithParam<Case> {};

TEST_P(PrecisionAgreementTest, AgreesWithFp32OnHeldOutDegradedFaces) {
  const Case& c = GetParam();
  const auto engines = AvailableEngines();
  if (std::find(engines.begin(), engines.end(), c.engine) == engines.end()) {
    GTEST_SKIP() << "engine " << c.engine << " is not built in";
  }
  const Fixture& fixture = GetFixture();
  ASSERT_GE(fixture.faces.size(), 8u);
  EngineOptions options;
  options.config = fixture.weights.config;
  options.engine = c.engine;
  options.device = "cpu";
  auto reference = CreateFaceEngine(fixture.weights.tensors, options);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  options.precision = c.precision;
  auto reduced = CreateFaceEngine(fixture.weights.tensors, options);
  if (!reduced.ok()) {
    // Only a clear refusal is acceptable: the CPU or build lacks it.
    EXPECT_EQ(reduced.status().code(), ModelErrorCode::kFailedPrecondition)
        << reduced.status().ToString();
    EXPECT_NE(reduced.status().message().find(c.precision), std::string::npos)
        << reduced.status().message();
    GTEST_SKIP() << "refused here: " << reduced.status().message();
  }
  EXPECT_EQ((*reduced)->precision(), c.precision);
  const auto want = LabelsOf(**reference, fixture.faces);
  const auto got = LabelsOf(**reduced, fixture.faces);
  size_t same = 0, total = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(want[i].size(), got[i].size());
    for (size_t p = 0; p < want[i].size(); ++p) same += want[i][p] == got[i][p];
    total += want[i].size();
  }
  const double agreement = double(same) / total;
  std::cerr << c.engine << " " << c.precision << " vs fp32 on " << want.size()
            << " held-out degraded faces: argmax agreement " << agreement << "\n";
  EXPECT_GE(agreement, c.min_agreement);
}

INSTANTIATE_TEST_SUITE_P(
    Engines, PrecisionAgreementTest,
    ::testing::Values(Case{"torch", "bf16", 0.995}, Case{"onednn", "bf16", 0.995},
                      Case{"onednn", "int8", 0.99}),
    [](const auto& info) { return info.param.engine + "_" + info.param.precision; });

}  // namespace
}  // namespace facet
