// The int8 scales file: round trip, and every way a file can be wrong
// (truncated, other weights, foreign or missing layers, bad values).
#include "core/model/int8_scales.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/model/safetensors.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

RawTensorMap SomeWeights() {
  RawTensorMap w;
  RawTensor t;
  t.shape = {2, 2};
  t.data.assign(16, 0);
  t.data[3] = 0x3f;
  w["conv.weight"] = t;
  return w;
}

Int8Scales SomeScales() {
  Int8Scales s;
  s.weights_checksum = WeightsChecksum(SomeWeights());
  s.method = "percentile:99.99";
  s.images = 64;
  s.data = "synthetic faces, degraded";
  s.input_ranges = {{"encoder.1.conv1", 3.25f}, {"heads", 0.5f}};
  return s;
}

const std::vector<std::string> kRequired = {"encoder.1.conv1", "heads"};
const std::vector<std::string> kKnown = {"encoder.0", "encoder.1.conv1",
                                         "heads"};

TEST(Int8ScalesTest, RoundTrips) {
  const Int8Scales in = SomeScales();
  auto out = ParseInt8Scales(SerializeInt8Scales(in), "s");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->weights_checksum, in.weights_checksum);
  EXPECT_EQ(out->method, in.method);
  EXPECT_EQ(out->images, 64);
  EXPECT_EQ(out->data, in.data);
  EXPECT_EQ(out->input_ranges, in.input_ranges);
  EXPECT_TRUE(
      CheckInt8Scales(*out, in.weights_checksum, kRequired, kKnown, "s").ok());
}

TEST(Int8ScalesTest, TruncatedFileIsDataLoss) {
  const std::string bytes = SerializeInt8Scales(SomeScales());
  for (size_t keep :
       {size_t{0}, size_t{5}, size_t{8}, bytes.size() / 2, bytes.size() - 1}) {
    auto parsed = ParseInt8Scales(bytes.substr(0, keep), "f.safetensors");
    ASSERT_FALSE(parsed.ok()) << keep;
    EXPECT_EQ(parsed.status().code(), ModelErrorCode::kDataLoss) << keep;
    EXPECT_NE(parsed.status().message().find("f.safetensors"),
              std::string::npos);
  }
}

TEST(Int8ScalesTest, OtherWeightsAreRefusedByChecksum) {
  RawTensorMap other = SomeWeights();
  other["conv.weight"].data[0] = 1;
  const std::string theirs = WeightsChecksum(other);
  ASSERT_NE(theirs, SomeScales().weights_checksum);
  ModelStatus s =
      CheckInt8Scales(SomeScales(), theirs, kRequired, kKnown, "v/int8.st");
  EXPECT_EQ(s.code(), ModelErrorCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("v/int8.st"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("facet-trainer calibrate"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(theirs), std::string::npos) << s.message();
}

TEST(Int8ScalesTest, ForeignAndMissingLayersAreRefused) {
  Int8Scales foreign = SomeScales();
  foreign.input_ranges["decoder.9.conv1"] = 1.0f;
  ModelStatus s = CheckInt8Scales(foreign, foreign.weights_checksum, kRequired,
                                  kKnown, "f");
  EXPECT_EQ(s.code(), ModelErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("decoder.9.conv1"), std::string::npos)
      << s.message();

  Int8Scales missing = SomeScales();
  missing.input_ranges.erase("heads");
  s = CheckInt8Scales(missing, missing.weights_checksum, kRequired, kKnown,
                      "f");
  EXPECT_EQ(s.code(), ModelErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"heads\""), std::string::npos) << s.message();
}

TEST(Int8ScalesTest, BadContentsAreInvalidArgument) {
  auto with = [](const RawTensorMap& tensors,
                 std::map<std::string, std::string> meta) {
    return ParseInt8Scales(SerializeSafetensors(tensors, meta), "f");
  };
  RawTensor range;
  range.shape = {1};
  range.data.resize(4);
  const float one = 1.0f;
  std::memcpy(range.data.data(), &one, 4);
  const std::map<std::string, std::string> meta = {
      {"format", "facet-int8-scales"},
      {"format_version", "1"},
      {"weights_checksum", "ab"},
      {"method", "max"},
      {"images", "3"},
      {"data", "d"}};
  ASSERT_TRUE(with({{"heads.input_range", range}}, meta).ok());

  struct Case {
    const char* what;
    RawTensorMap tensors;
    std::map<std::string, std::string> meta;
    const char* message;
  };
  auto meta_with = [&](const std::string& k, const std::string& v) {
    auto m = meta;
    if (v.empty())
      m.erase(k);
    else
      m[k] = v;
    return m;
  };
  RawTensor wide = range;
  wide.shape = {2};
  wide.data.resize(8);
  RawTensor nan = range;
  const float n = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(nan.data.data(), &n, 4);
  RawTensor negative = range;
  const float m1 = -1.0f;
  std::memcpy(negative.data.data(), &m1, 4);
  const std::vector<Case> cases = {
      {"weights file", {{"heads.weight", range}}, meta, "heads.weight"},
      {"shape", {{"heads.input_range", wide}}, meta, "F32 [1]"},
      {"nan", {{"heads.input_range", nan}}, meta, "finite"},
      {"negative", {{"heads.input_range", negative}}, meta, "finite"},
      {"format", {}, meta_with("format", "other"), "format"},
      {"version", {}, meta_with("format_version", "2"), "format_version"},
      {"missing", {}, meta_with("weights_checksum", ""), "weights_checksum"},
      {"unknown", {}, meta_with("extra", "x"), "extra"},
      {"images", {}, meta_with("images", "-3"), "images"},
  };
  for (const Case& c : cases) {
    auto parsed = with(c.tensors, c.meta);
    ASSERT_FALSE(parsed.ok()) << c.what;
    EXPECT_EQ(parsed.status().code(), ModelErrorCode::kInvalidArgument)
        << c.what;
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos)
        << c.what << ": " << parsed.status().message();
  }
}

TEST(Int8ScalesTest, FileLivesBesideTheWeights) {
  const fs::path dir = fs::temp_directory_path() /
                       ("int8_scales_test_" + std::to_string(getpid()));
  fs::create_directories(dir / "7");
  EXPECT_EQ(Int8ScalesPathFor((dir / "7").string()),
            (dir / "7" / kInt8ScalesFileName).string());
  EXPECT_EQ(Int8ScalesPathFor((dir / "net.pth").string()),
            (dir / "net.int8_scales.safetensors").string());

  const std::string path = Int8ScalesPathFor((dir / "7").string());
  auto missing = ReadInt8ScalesFile(path);
  EXPECT_EQ(missing.status().code(), ModelErrorCode::kNotFound);
  ASSERT_TRUE(WriteInt8ScalesFile(path, SomeScales()).ok());
  auto read = ReadInt8ScalesFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->input_ranges, SomeScales().input_ranges);
  // Nothing but the file is left (the temporary was renamed).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "7"),
                          fs::directory_iterator()),
            1);

  Int8Scales bad = SomeScales();
  bad.input_ranges["heads"] = 0.0f;
  EXPECT_EQ(WriteInt8ScalesFile(path, bad).code(),
            ModelErrorCode::kInvalidArgument);
  fs::remove_all(dir);
}

TEST(Int8ScalesTest, ChecksumSeesNamesShapesAndBytes) {
  const std::string base = WeightsChecksum(SomeWeights());
  EXPECT_EQ(base.size(), 16u);
  EXPECT_EQ(base, WeightsChecksum(SomeWeights()));
  RawTensorMap renamed;
  renamed["conv.weights"] = SomeWeights()["conv.weight"];
  EXPECT_NE(WeightsChecksum(renamed), base);
  RawTensorMap reshaped = SomeWeights();
  reshaped["conv.weight"].shape = {4};
  EXPECT_NE(WeightsChecksum(reshaped), base);
}

}  // namespace
}  // namespace facet
