#include "core/model/face_parsing_net.h"

#include <gtest/gtest.h>

#include <map>

#include "core/model/net_config.h"
#include "core/model/state_dict.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace {

std::map<std::string, std::vector<int64_t>> ModuleShapes(FaceParsingNet& net) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : net->named_parameters()) {
    shapes[p.key()] = p.value().sizes().vec();
  }
  for (const auto& b : net->named_buffers()) shapes[b.key()] = b.value().sizes().vec();
  return shapes;
}

TEST(FaceParsingNetTest, PublishedConfigurationHasSpecEntriesAndParameters) {
  FaceParsingNet net(NetConfig::Published());
  auto shapes = ModuleShapes(net);
  EXPECT_EQ(shapes.size(), 238u);
  int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  EXPECT_EQ(params, 21303254);
  EXPECT_EQ(shapes["encoder.1.shortcut_func.conv2d.weight"],
            (std::vector<int64_t>{128, 64, 3, 3}));
  EXPECT_EQ(shapes["encoder.1.conv1.norm.norm.running_var"], (std::vector<int64_t>{128}));
  EXPECT_EQ(shapes["body.3.conv2.conv2d.weight"], (std::vector<int64_t>{256, 256, 3, 3}));
  EXPECT_EQ(shapes["out_mask_conv.conv2d.bias"], (std::vector<int64_t>{19}));
  EXPECT_EQ(shapes["decoder.3.conv2.norm.norm.num_batches_tracked"], (std::vector<int64_t>{}));
  EXPECT_EQ(shapes.count("body.0.shortcut_func.conv2d.weight"), 0u);
}

TEST(FaceParsingNetTest, ModuleMatchesExpectedStateDict) {
  for (const NetConfig& config :
       {NetConfig::Published(), testing::TinyNetConfig()}) {
    FaceParsingNet net(config);
    auto shapes = ModuleShapes(net);
    auto expected = ExpectedStateDict(config);
    ASSERT_EQ(shapes.size(), expected.size()) << config.ToString();
    for (const ParamSpec& spec : expected) {
      ASSERT_TRUE(shapes.count(spec.name)) << spec.name;
      EXPECT_EQ(shapes[spec.name], spec.shape) << spec.name;
    }
  }
}

TEST(FaceParsingNetTest, GoldenConfigurationHas86Entries) {
  FaceParsingNet net(testing::TinyNetConfig());
  EXPECT_EQ(ModuleShapes(net).size(), 86u);
  int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  EXPECT_EQ(params, 32766);
}

TEST(FaceParsingNetTest, OutputShapesFollowConfiguration) {
  NetConfig config = testing::TinyNetConfig();
  config.out_size = 128;  // One extra up-sampling step.
  ASSERT_TRUE(config.Validate().ok());
  FaceParsingNet net(config);
  net->eval();
  torch::NoGradGuard no_grad;
  auto [logits, image] = net->forward(torch::randn({2, 3, 64, 64}));
  EXPECT_EQ(logits.sizes().vec(), (std::vector<int64_t>{2, 19, 128, 128}));
  EXPECT_EQ(image.sizes().vec(), (std::vector<int64_t>{2, 3, 128, 128}));
}

// Randomises BatchNorm statistics so folding has something to fold.
void RandomizeBatchNorm(FaceParsingNet& net) {
  torch::NoGradGuard no_grad;
  for (const auto& b : net->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.5);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
  }
  for (const auto& p : net->named_parameters()) {
    if (p.key().find(".norm.norm.") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
}

TEST(FaceParsingNetTest, FoldedBatchNormMatchesPlainPath) {
  torch::manual_seed(3);
  FaceParsingNet net(testing::TinyNetConfig());
  RandomizeBatchNorm(net);
  net->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::rand({2, 3, 64, 64}) * 2 - 1;
  auto [plain_logits, plain_image] = net->forward(x);
  net->FoldBatchNorm();
  auto [fold_logits, fold_image] = net->forward(x);
  const double scale = std::max(1.0, plain_logits.abs().max().item<double>());
  EXPECT_LT((plain_logits - fold_logits).abs().max().item<double>(), 1e-4 * scale);
  EXPECT_LT((plain_image - fold_image).abs().max().item<double>(),
            1e-4 * std::max(1.0, plain_image.abs().max().item<double>()));
  net->UnfoldBatchNorm();
  auto [again, unused] = net->forward(x);
  EXPECT_TRUE(torch::equal(again, plain_logits));
}

TEST(StateDictTest, ExtractThenLoadRoundTrips) {
  torch::manual_seed(5);
  FaceParsingNet a(testing::TinyNetConfig());
  RandomizeBatchNorm(a);
  FaceParsingNet b(testing::TinyNetConfig());
  RawTensorMap raw = ExtractStateDict(a);
  ASSERT_EQ(raw.size(), 86u);
  ASSERT_TRUE(LoadStateDict(raw, b).ok());
  a->eval();
  b->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({1, 3, 64, 64});
  EXPECT_TRUE(torch::equal(a->forward(x).first, b->forward(x).first));
}

TEST(StateDictTest, RejectsWrongShapeAndLeavesNetUnchanged) {
  FaceParsingNet net(testing::TinyNetConfig());
  RawTensorMap raw = ExtractStateDict(net);
  torch::Tensor before = net->named_parameters()["encoder.0.conv2d.weight"].clone();
  raw["encoder.0.conv2d.bias"].shape = {9};
  raw["encoder.0.conv2d.bias"].data.resize(36);
  raw["encoder.0.conv2d.weight"].data.assign(raw["encoder.0.conv2d.weight"].data.size(), 0);
  ModelStatus s = LoadStateDict(raw, net);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("encoder.0.conv2d.bias"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[9]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[8]"), std::string::npos) << s.message();
  EXPECT_TRUE(torch::equal(before, net->named_parameters()["encoder.0.conv2d.weight"]));
}

TEST(StateDictTest, RejectsMissingAndUnexpectedKeys) {
  FaceParsingNet net(testing::TinyNetConfig());
  RawTensorMap raw = ExtractStateDict(net);
  RawTensorMap missing = raw;
  missing.erase("body.1.conv2.norm.norm.running_mean");
  ModelStatus s = LoadStateDict(missing, net);
  EXPECT_NE(s.message().find("missing tensor \"body.1.conv2.norm.norm.running_mean\""),
            std::string::npos)
      << s.message();
  RawTensorMap extra = raw;
  extra["body.7.conv1.conv2d.weight"] = raw["body.1.conv1.conv2d.weight"];
  s = LoadStateDict(extra, net);
  EXPECT_NE(s.message().find("unexpected tensor \"body.7.conv1.conv2d.weight\""),
            std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace facet
