#include "core/model/net_config.h"

#include <gtest/gtest.h>

namespace facet {
namespace {

RawTensorMap ShapesOnly(const NetConfig& config) {
  RawTensorMap map;
  for (const ParamSpec& spec : ExpectedStateDict(config)) {
    RawTensor t;
    t.dtype = spec.dtype;
    t.shape = spec.shape;
    map[spec.name] = t;
  }
  return map;
}

NetConfig Golden() {
  NetConfig c;
  c.in_size = 64;
  c.out_size = 64;
  c.min_feat_size = 16;
  c.base_ch = 8;
  c.res_depth = 2;
  c.ch_lo = 8;
  c.ch_hi = 16;
  return c;
}

TEST(NetConfigTest, PublishedHasSpecCounts) {
  auto specs = ExpectedStateDict(NetConfig::Published());
  EXPECT_EQ(specs.size(), 238u);
  int weights = 0, biases = 0, bn = 0;
  int64_t params = 0;
  for (const ParamSpec& s : specs) {
    if (s.name.find("conv2d.weight") != std::string::npos) ++weights;
    if (s.name.find("conv2d.bias") != std::string::npos) ++biases;
    if (s.name.find("num_batches_tracked") != std::string::npos) ++bn;
    if (s.name.find("running_") == std::string::npos && s.dtype == DType::kFloat32) {
      int64_t n = 1;
      for (int64_t d : s.shape) n *= d;
      params += n;
    }
  }
  EXPECT_EQ(weights, 47);
  EXPECT_EQ(biases, 11);
  EXPECT_EQ(bn, 36);
  EXPECT_EQ(params, 21303254);
  EXPECT_EQ(specs.front().name, "encoder.0.conv2d.weight");
  EXPECT_EQ(specs.back().name, "out_mask_conv.conv2d.bias");
}

TEST(NetConfigTest, GoldenClipsChannels) {
  auto specs = ExpectedStateDict(Golden());
  EXPECT_EQ(specs.size(), 86u);
  RawTensorMap map = ShapesOnly(Golden());
  EXPECT_EQ(map["decoder.1.shortcut_func.conv2d.weight"].shape,
            (std::vector<int64_t>{8, 16, 3, 3}));
  EXPECT_EQ(map["encoder.2.conv1.conv2d.weight"].shape, (std::vector<int64_t>{16, 16, 3, 3}));
}

TEST(NetConfigTest, InfersConfigurationFromShapes) {
  for (const NetConfig& config : {NetConfig::Published(), Golden()}) {
    ModelResult<NetConfig> inferred = InferNetConfig(ShapesOnly(config), config.in_size);
    ASSERT_TRUE(inferred.ok()) << inferred.status().ToString();
    // ch_lo cannot be read from weights; everything else must round trip.
    NetConfig expected = config;
    expected.ch_lo = config.base_ch;
    EXPECT_EQ(*inferred, expected) << inferred->ToString();
  }
}

TEST(NetConfigTest, InferRejectsForeignTensors) {
  RawTensorMap map;
  map["fc.weight"].shape = {10, 10};
  EXPECT_FALSE(InferNetConfig(map).ok());
  RawTensorMap golden = ShapesOnly(Golden());
  EXPECT_FALSE(InferNetConfig(golden, 100).ok());  // Not divisible by 4.
  golden.erase("body.0.conv1.norm.norm.bias");
  ModelResult<NetConfig> r = InferNetConfig(golden, 64);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("body.0.conv1.norm.norm.bias"), std::string::npos);
}

TEST(NetConfigTest, ValidateNamesTheField) {
  struct Case {
    void (*mutate)(NetConfig&);
    const char* field;
  } cases[] = {
      {[](NetConfig& c) { c.in_size = 500; }, "in_size=500"},
      {[](NetConfig& c) { c.base_ch = 512; }, "base_ch=512"},
      {[](NetConfig& c) { c.parsing_ch = 0; }, "parsing_ch=0"},
      {[](NetConfig& c) { c.res_depth = -1; }, "res_depth=-1"},
      {[](NetConfig& c) { c.ch_hi = 1; }, "channel range"},
  };
  for (const Case& c : cases) {
    NetConfig config;
    c.mutate(config);
    ModelStatus s = config.Validate();
    ASSERT_FALSE(s.ok()) << c.field;
    EXPECT_NE(s.message().find(c.field), std::string::npos) << s.message();
  }
  EXPECT_TRUE(NetConfig().Validate().ok());
}

TEST(NetConfigTest, CheckStateDictShapesReportsDtype) {
  RawTensorMap map = ShapesOnly(Golden());
  map["encoder.0.conv2d.weight"].dtype = DType::kInt32;
  ModelStatus s = CheckStateDictShapes(Golden(), map);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("I32"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {

TEST(NetConfigTest, PresetsAreValid) {
  for (const char* name : {"published", "small", "tiny"}) {
    ModelResult<NetConfig> c = NetConfigPreset(name);
    ASSERT_TRUE(c.ok()) << name;
    EXPECT_TRUE(c->Validate().ok()) << name;
  }
  EXPECT_EQ(*NetConfigPreset("tiny"), Golden());
  ModelResult<NetConfig> explicit_config = NetConfigPreset("64,64,16,8,19,2,8,16");
  ASSERT_TRUE(explicit_config.ok()) << explicit_config.status().ToString();
  EXPECT_EQ(*explicit_config, Golden());
  EXPECT_FALSE(NetConfigPreset("64,64,16,8,19,2,8").ok());
  EXPECT_FALSE(NetConfigPreset("64,64,16,8,19,2,8,x").ok());
  EXPECT_FALSE(NetConfigPreset("60,64,16,8,19,2,8,16").ok());  // Not a power of two.
  ModelResult<NetConfig> bad = NetConfigPreset("huge");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("huge"), std::string::npos);
}

}  // namespace
}  // namespace facet
