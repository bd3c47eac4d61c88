// The C++ network against outputs made by a reference that matches upstream:
// the golden fixtures (tiny configuration) and, at the published 512
// configuration, a fixture written by our own Python reference
// (tests/python/fpn_reference.py), which itself matches the golden outputs.
// Every check runs on each forward engine: LibTorch (plain and BatchNorm
// folded) and, when built in, oneDNN (max relative logit error <= 1e-4,
// argmax agreement >= 99.9 %, restored pixels within 1 level).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "core/engine/face_engine_factory.h"
#include "core/image/image_decoder.h"
#include "core/image/label_palette.h"
#include "core/model/face_parser.h"
#include "core/model/pth_reader.h"
#include "core/model/safetensors.h"
#include "tests/util/test_paths.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

std::vector<float> ReadFloats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

struct Comparison {
  double max_abs_error = 0;
  double ref_abs_max = 0;
};

Comparison Compare(const std::vector<float>& got, const std::vector<float>& ref) {
  Comparison c;
  EXPECT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < std::min(got.size(), ref.size()); ++i) {
    c.max_abs_error = std::max(c.max_abs_error, std::fabs(double(got[i]) - ref[i]));
    c.ref_abs_max = std::max(c.ref_abs_max, std::fabs(double(ref[i])));
  }
  return c;
}

// Fraction of pixels whose argmax over `channels` agrees.
double ArgmaxAgreement(const std::vector<float>& a, const std::vector<float>& b, int channels) {
  const size_t pixels = a.size() / channels;
  size_t agree = 0;
  for (size_t p = 0; p < pixels; ++p) {
    int ia = 0, ib = 0;
    for (int c = 1; c < channels; ++c) {
      if (a[c * pixels + p] > a[ia * pixels + p]) ia = c;
      if (b[c * pixels + p] > b[ib * pixels + p]) ib = c;
    }
    agree += ia == ib;
  }
  return double(agree) / pixels;
}

// One forward engine as the golden checks run it.
struct EngineCase {
  const char* name;    // Test name suffix.
  const char* engine;  // "torch" or "onednn".
  bool fold;           // Torch only: BatchNorm folded.
};

bool HasEngine(const std::string& engine) {
  for (const std::string& e : AvailableEngines()) {
    if (e == engine) return true;
  }
  return false;
}

// The engine of `c` for the tiny network, or null after a test failure.
std::unique_ptr<FaceEngine> MakeEngine(const EngineCase& c, const RawTensorMap& weights,
                                       const NetConfig& config) {
  EngineOptions options;
  options.config = config;
  options.engine = c.engine;
  options.device = "cpu";
  options.fold_batch_norm = c.fold;
  auto engine = CreateFaceEngine(weights, options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? std::move(*engine) : nullptr;
}

int MaxByteDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return 256;
  int worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

class GoldenParityTest : public ::testing::TestWithParam<EngineCase> {};

TEST_P(GoldenParityTest, MatchesGoldenOutputs) {
  const EngineCase c = GetParam();
  const bool onednn = std::string(c.engine) == "onednn";
  if (!HasEngine(c.engine)) GTEST_SKIP() << "engine " << c.engine << " not built in";
  const bool fold = c.fold || onednn;
  const std::string golden = testing::FixturesDir() + "/golden";
  if (!fs::exists(golden + "/small.safetensors")) GTEST_SKIP() << "no fixtures at " << golden;
  ModelResult<SafetensorsContents> weights = ReadSafetensorsFile(golden + "/small.safetensors");
  ASSERT_TRUE(weights.ok()) << weights.status().ToString();
  auto parser = MakeEngine(c, weights->tensors, testing::TinyNetConfig());
  ASSERT_TRUE(parser);
  absl::StatusOr<cv::Mat> input = ReadImageFile(golden + "/input.png", DecodeLimits());
  ASSERT_TRUE(input.ok()) << input.status();
  ParseOptions parse;
  parse.want_raw = true;
  auto results = parser->Parse({{input->data, input->rows, input->cols}}, parse);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  const ParseResult& r = results->front();
  std::vector<float> ref_logits = ReadFloats(golden + "/logits.f32");
  std::vector<float> ref_image = ReadFloats(golden + "/image.f32");
  Comparison logits = Compare(r.logits, ref_logits);
  Comparison image = Compare(r.image, ref_image);
  // The plain path must match to 1e-5 x max(1, max|ref|); the folded one to
  // 1e-4 relative with >= 99.99 % argmax agreement; oneDNN (folded, its own
  // summation order) to 1e-4 relative with >= 99.9 %.
  const double tol = fold ? 1e-4 : 1e-5;
  const double min_agreement = onednn ? 0.999 : 0.9999;
  EXPECT_LE(logits.max_abs_error, tol * std::max(1.0, logits.ref_abs_max));
  EXPECT_LE(image.max_abs_error, tol * std::max(1.0, image.ref_abs_max));
  if (onednn) {
    EXPECT_LE(logits.max_abs_error, 1e-4 * logits.ref_abs_max);
    EXPECT_LE(image.max_abs_error, 1e-4 * image.ref_abs_max);
  }
  EXPECT_GE(ArgmaxAgreement(r.logits, ref_logits, 19), min_agreement);
  absl::StatusOr<cv::Mat> labels = ReadImageFile(golden + "/labels.png", DecodeLimits());
  ASSERT_TRUE(labels.ok()) << labels.status();
  size_t equal = 0;
  for (size_t i = 0; i < r.labels.size(); ++i) equal += r.labels[i] == labels->data[i * 3];
  if (!fold) {
    EXPECT_EQ(equal, r.labels.size());
  } else {
    EXPECT_GE(double(equal) / r.labels.size(), min_agreement);
  }
  // Restored pixels: the reference image through the same conversion.
  std::vector<uint8_t> restored(ref_image.size());
  const size_t plane = ref_image.size() / 3;
  for (size_t p = 0; p < plane; ++p) {
    for (size_t k = 0; k < 3; ++k) {
      const float v = (ref_image[k * plane + p] + 1.0f) * 127.5f;
      restored[p * 3 + k] = static_cast<uint8_t>(std::min(std::max(v, 0.0f), 255.0f));
    }
  }
  EXPECT_LE(MaxByteDifference(r.restored, restored), 1);
  std::cerr << c.name << " path: logits max abs error " << logits.max_abs_error
            << " (max |ref| " << logits.ref_abs_max << "), image max abs error "
            << image.max_abs_error << ", argmax agreement "
            << ArgmaxAgreement(r.logits, ref_logits, 19) << ", labels equal "
            << double(equal) / r.labels.size() << "\n";
}

const EngineCase kEngines[] = {
    {"Plain", "torch", false}, {"Folded", "torch", true}, {"Onednn", "onednn", true}};

INSTANTIATE_TEST_SUITE_P(Engines, GoldenParityTest, ::testing::ValuesIn(kEngines),
                         [](const auto& info) { return std::string(info.param.name); });

// Batching must not change results: the same face alone and in a batch of 3.
class BatchParityTest : public ::testing::TestWithParam<EngineCase> {};

TEST_P(BatchParityTest, BatchedEqualsSingle) {
  if (!HasEngine(GetParam().engine)) GTEST_SKIP() << "engine not built in";
  const std::string golden = testing::FixturesDir() + "/golden";
  if (!fs::exists(golden + "/small.safetensors")) GTEST_SKIP() << "no fixtures";
  auto weights = ReadSafetensorsFile(golden + "/small.safetensors");
  ASSERT_TRUE(weights.ok());
  auto parser =
      MakeEngine(GetParam(), weights->tensors, testing::TinyNetConfig());
  ASSERT_TRUE(parser);
  std::vector<uint8_t> a(64 * 64 * 3), b(64 * 64 * 3);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<uint8_t>(i * 7);
    b[i] = static_cast<uint8_t>(i * 13 + 5);
  }
  ParseOptions raw;
  raw.want_raw = true;
  auto single = parser->Parse({{a.data(), 64, 64}}, raw);
  auto batch = parser->Parse({{b.data(), 64, 64}, {a.data(), 64, 64}, {b.data(), 64, 64}}, raw);
  ASSERT_TRUE(single.ok() && batch.ok());
  Comparison c = Compare((*batch)[1].logits, (*single)[0].logits);
  EXPECT_LE(c.max_abs_error, 1e-4 * std::max(1.0, c.ref_abs_max));
  EXPECT_EQ((*batch)[1].labels, (*single)[0].labels);
  if (std::string(GetParam().name) == "Folded") {
    EXPECT_EQ((*batch)[1].restored, (*single)[0].restored);
  } else {
    // Another batch size may block the convolutions differently (oneDNN,
    // and LibTorch's plain path): a pixel may round the other way.
    EXPECT_LE(MaxByteDifference((*batch)[1].restored, (*single)[0].restored), 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, BatchParityTest, ::testing::ValuesIn(kEngines),
                         [](const auto& info) { return std::string(info.param.name); });

// Mirror averaging on a real network: parsing the mirror image gives the
// mirror of the parse (left/right labels swapped), up to the engines'
// batch-position rounding, and the average differs from the plain parse.
class MirrorAverageTest : public ::testing::TestWithParam<EngineCase> {};

TEST_P(MirrorAverageTest, ParseOfTheMirrorIsTheMirroredParse) {
  if (!HasEngine(GetParam().engine)) GTEST_SKIP() << "engine not built in";
  const std::string golden = testing::FixturesDir() + "/golden";
  if (!fs::exists(golden + "/small.safetensors")) GTEST_SKIP() << "no fixtures";
  auto weights = ReadSafetensorsFile(golden + "/small.safetensors");
  ASSERT_TRUE(weights.ok());
  EngineOptions options;
  options.config = testing::TinyNetConfig();
  options.engine = GetParam().engine;
  options.device = "cpu";
  options.fold_batch_norm = GetParam().fold;
  auto plain = CreateFaceEngine(weights->tensors, options);
  options.mirror_average = true;
  auto averaged = CreateFaceEngine(weights->tensors, options);
  ASSERT_TRUE(plain.ok() && averaged.ok()) << averaged.status().ToString();
  constexpr int kSide = 64;
  std::vector<uint8_t> a(kSide * kSide * 3), m(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<uint8_t>((i * 7 + i / 97) % 256);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x)
      for (int k = 0; k < 3; ++k)
        m[(y * kSide + x) * 3 + k] = a[(y * kSide + (kSide - 1 - x)) * 3 + k];
  ParseOptions raw;
  raw.want_raw = true;
  auto both = (*averaged)->Parse(
      {{a.data(), kSide, kSide}, {m.data(), kSide, kSide}}, raw);
  auto direct = (*plain)->Parse({{a.data(), kSide, kSide}}, raw);
  ASSERT_TRUE(both.ok() && direct.ok()) << both.status().ToString();
  const ParseResult &r = (*both)[0], &rm = (*both)[1];
  const int64_t plane = r.height * r.width;
  int mirrored_agree = 0, differs_from_plain = 0;
  double worst = 0, scale = 1;
  for (int64_t y = 0; y < r.height; ++y) {
    for (int64_t x = 0; x < r.width; ++x) {
      const int64_t p = y * r.width + x, q = y * r.width + (r.width - 1 - x);
      mirrored_agree += rm.labels[q] == MirroredLabel(r.labels[p]);
      differs_from_plain += r.labels[p] != (*direct)[0].labels[p];
      for (int c = 0; c < kNumLabels; ++c) {
        const double v = r.logits[c * plane + p];
        worst = std::max(
            worst, std::fabs(rm.logits[MirroredLabel(c) * plane + q] - v));
        scale = std::max(scale, std::fabs(v));
      }
    }
  }
  EXPECT_LE(worst, 1e-4 * scale);
  EXPECT_GE(mirrored_agree, plane - 2) << "of " << plane << " pixels";
  EXPECT_GT(differs_from_plain, 0) << "the average should change some labels";
  EXPECT_NE((*averaged)->Describe().find("mirror averaging"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, MirrorAverageTest,
                         ::testing::ValuesIn(kEngines), [](const auto& info) {
                           return std::string(info.param.name);
                         });

TEST(FaceParserTest, RejectsBadInputsWithClearErrors) {
  FaceParserOptions options;
  options.config = testing::TinyNetConfig();
  options.device = "cpu";
  RawTensorMap none;
  auto missing = FaceParser::Create(none, options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing tensor"), std::string::npos);
  options.device = "tpu";
  auto bad_device = FaceParser::Create(none, options);
  ASSERT_FALSE(bad_device.ok());
  EXPECT_NE(bad_device.status().message().find("tpu"), std::string::npos);
  if (!CudaAvailable()) {
    options.device = "cuda";
    auto no_cuda = FaceParser::Create(none, options);
    EXPECT_EQ(no_cuda.status().code(), ModelErrorCode::kFailedPrecondition);
  }
}

// Published configuration, 512 px: a fixture from tests/python/fpn_reference.py.
TEST(PublishedParityTest, MatchesPythonReferenceAt512) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with torch is not available";
  }
  const std::string dir = testing::MakeTempDir("facet-parity512");
  const std::string cmd = "/usr/bin/python3 " + testing::SourceDir() +
                          "/tests/python/fpn_reference.py make-fixture --config "
                          "512,512,32,64,19,10,32,256 --seed 7 " + dir;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto weights = ReadSafetensorsFile(dir + "/weights.safetensors");
  ASSERT_TRUE(weights.ok()) << weights.status().ToString();
  ASSERT_EQ(weights->tensors.size(), 238u);
  FaceParserOptions options;  // Published configuration by default.
  options.device = "cpu";
  options.fold_batch_norm = false;
  auto parser = FaceParser::Create(weights->tensors, options);
  ASSERT_TRUE(parser.ok()) << parser.status().ToString();
  std::ifstream in(dir + "/input.rgb", std::ios::binary);
  std::vector<uint8_t> rgb((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(rgb.size(), 512u * 512 * 3);
  ParseOptions raw;
  raw.want_raw = true;
  auto results = (*parser)->Parse({{rgb.data(), 512, 512}}, raw);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  Comparison logits = Compare(results->front().logits, ReadFloats(dir + "/logits.f32"));
  Comparison image = Compare(results->front().image, ReadFloats(dir + "/image.f32"));
  std::cerr << "512 px published configuration: logits max abs error " << logits.max_abs_error
            << " (max |ref| " << logits.ref_abs_max << "), image " << image.max_abs_error << "\n";
  EXPECT_LE(logits.max_abs_error, 1e-5 * std::max(1.0, logits.ref_abs_max));
  EXPECT_LE(image.max_abs_error, 1e-5 * std::max(1.0, image.ref_abs_max));
  if (HasEngine("onednn")) {
    auto onednn = MakeEngine({"Onednn", "onednn", true}, weights->tensors, NetConfig::Published());
    ASSERT_TRUE(onednn);
    auto got = onednn->Parse({{rgb.data(), 512, 512}}, raw);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<float> ref_logits = ReadFloats(dir + "/logits.f32");
    Comparison l = Compare(got->front().logits, ref_logits);
    Comparison i = Compare(got->front().image, ReadFloats(dir + "/image.f32"));
    const double agreement = ArgmaxAgreement(got->front().logits, ref_logits, 19);
    std::cerr << "512 px, onednn: logits max rel error " << l.max_abs_error / l.ref_abs_max
              << ", image " << i.max_abs_error / i.ref_abs_max << ", argmax agreement "
              << agreement << "\n";
    EXPECT_LE(l.max_abs_error, 1e-4 * l.ref_abs_max);
    EXPECT_LE(i.max_abs_error, 1e-4 * i.ref_abs_max);
    EXPECT_GE(agreement, 0.999);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {

// Upstream .pth files (zip and legacy) reach the golden outputs directly.
TEST(GoldenParityTest, UpstreamPthFilesMatchGoldenOutputs) {
  const std::string golden = testing::FixturesDir() + "/golden";
  if (!fs::exists(golden + "/small.zip.pth")) GTEST_SKIP() << "no fixtures";
  absl::StatusOr<cv::Mat> input = ReadImageFile(golden + "/input.png", DecodeLimits());
  ASSERT_TRUE(input.ok());
  std::vector<float> ref = ReadFloats(golden + "/logits.f32");
  for (const char* file : {"small.zip.pth", "small.legacy.pth"}) {
    ModelResult<RawTensorMap> raw = ReadPthFile(golden + "/" + file);
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    ModelResult<RawTensorMap> tensors = NormalizeUpstreamStateDict(*std::move(raw));
    ASSERT_TRUE(tensors.ok());
    FaceParserOptions options;
    options.config = testing::TinyNetConfig();
    options.device = "cpu";
    options.fold_batch_norm = false;
    auto parser = FaceParser::Create(*tensors, options);
    ASSERT_TRUE(parser.ok()) << parser.status().ToString();
    ParseOptions parse;
    parse.want_raw = true;
    auto results = (*parser)->Parse({{input->data, input->rows, input->cols}}, parse);
    ASSERT_TRUE(results.ok());
    Comparison c = Compare(results->front().logits, ref);
    EXPECT_LE(c.max_abs_error, 1e-5 * std::max(1.0, c.ref_abs_max)) << file;
  }
}

}  // namespace
}  // namespace facet
