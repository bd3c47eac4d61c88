#include "core/engine/mirror_averaging_engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "core/image/label_palette.h"

namespace facet {
namespace {

// A stand-in engine whose outputs depend on the pixels and on x, so that a
// mirror-blind combination shows: logit c = sin(0.013 c (r + 2g + 3b) +
// 0.37 c x + 0.1 y); image k = pixel k scaled to [-1, 1] plus 0.02 x.
class FakeEngine : public FaceEngine {
 public:
  FakeEngine(int64_t classes, std::vector<size_t>* batch_sizes)
      : batch_sizes_(batch_sizes) {
    config_.in_size = config_.out_size = 8;
    config_.min_feat_size = 8;
    config_.parsing_ch = classes;
  }

  ModelResult<std::vector<ParseResult>> Parse(
      const std::vector<RgbImageView>& batch,
      const ParseOptions& options) const override {
    if (batch_sizes_ != nullptr) batch_sizes_->push_back(batch.size());
    if (fail_) return ModelStatus::Internal("engine failed on purpose");
    std::vector<ParseResult> out;
    for (const RgbImageView& v : batch) {
      ParseResult& r = out.emplace_back();
      r.height = v.height;
      r.width = v.width;
      const int64_t plane = v.height * v.width;
      std::vector<float> logits(config_.parsing_ch * plane), image(3 * plane);
      for (int64_t y = 0; y < v.height; ++y) {
        for (int64_t x = 0; x < v.width; ++x) {
          const uint8_t* px = v.data + (y * v.width + x) * 3;
          const double s = px[0] + 2.0 * px[1] + 3.0 * px[2];
          for (int64_t c = 0; c < config_.parsing_ch; ++c) {
            logits[c * plane + y * v.width + x] = static_cast<float>(
                std::sin(0.013 * c * s + 0.37 * c * x + 0.1 * y));
          }
          for (int64_t k = 0; k < 3; ++k) {
            image[k * plane + y * v.width + x] =
                px[k] / 255.0f * 2.0f - 1.0f + 0.02f * x;
          }
        }
      }
      r.labels.assign(plane, 0);
      if (options.want_raw) {
        r.logits = logits;
        r.image = image;
      }
    }
    return out;
  }

  const NetConfig& config() const override { return config_; }
  std::string engine() const override { return "fake"; }
  std::string device() const override { return "cpu"; }
  std::string precision() const override { return "fp32"; }
  std::string Describe() const override { return "fake engine"; }

  bool fail_ = false;

 private:
  NetConfig config_;
  std::vector<size_t>* batch_sizes_;
};

std::vector<uint8_t> TestImage(int64_t h, int64_t w, int seed) {
  std::vector<uint8_t> img(h * w * 3);
  for (size_t i = 0; i < img.size(); ++i) {
    img[i] = static_cast<uint8_t>((i * 37 + seed * 101 + (i * i) % 23) % 256);
  }
  return img;
}

std::vector<uint8_t> Mirrored(const std::vector<uint8_t>& img, int64_t h,
                              int64_t w) {
  std::vector<uint8_t> out(img.size());
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int k = 0; k < 3; ++k)
        out[(y * w + x) * 3 + k] = img[(y * w + (w - 1 - x)) * 3 + k];
  return out;
}

std::unique_ptr<FaceEngine> Wrapped(std::vector<size_t>* sizes = nullptr,
                                    FakeEngine** fake = nullptr) {
  auto inner = std::make_unique<FakeEngine>(kNumLabels, sizes);
  if (fake != nullptr) *fake = inner.get();
  auto wrapped = WrapWithMirrorAveraging(std::move(inner));
  EXPECT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  return std::move(*wrapped);
}

constexpr int64_t kH = 8, kW = 8, kPlane = kH * kW;

TEST(MirrorAveragingTest, AveragesTheDirectAndTheMirroredBackParse) {
  const std::vector<uint8_t> img = TestImage(kH, kW, 1);
  const std::vector<uint8_t> mir = Mirrored(img, kH, kW);
  FakeEngine plain(kNumLabels, nullptr);
  ParseOptions raw;
  raw.want_raw = true;
  auto direct = plain.Parse({{img.data(), kH, kW}}, raw);
  auto mirror = plain.Parse({{mir.data(), kH, kW}}, raw);
  ASSERT_TRUE(direct.ok() && mirror.ok());

  auto engine = Wrapped();
  ParseOptions options;
  options.want_raw = true;
  options.want_restored = true;
  auto got = engine->Parse({{img.data(), kH, kW}}, options);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const ParseResult& r = (*got)[0];
  ASSERT_EQ(r.logits.size(), size_t(kNumLabels * kPlane));
  ASSERT_EQ(r.restored.size(), size_t(3 * kPlane));
  int changed = 0;
  for (int64_t y = 0; y < kH; ++y) {
    for (int64_t x = 0; x < kW; ++x) {
      const int64_t p = y * kW + x, q = y * kW + (kW - 1 - x);
      int best = 0;
      float best_v = -1e30f;
      for (int c = 0; c < kNumLabels; ++c) {
        const float want =
            0.5f * ((*direct)[0].logits[c * kPlane + p] +
                    (*mirror)[0].logits[MirroredLabel(c) * kPlane + q]);
        EXPECT_FLOAT_EQ(r.logits[c * kPlane + p], want)
            << c << " " << y << " " << x;
        if (want > best_v) best_v = want, best = c;
      }
      EXPECT_EQ(r.labels[p], best);
      int plain_best = 0;
      for (int c = 1; c < kNumLabels; ++c) {
        if ((*direct)[0].logits[c * kPlane + p] >
            (*direct)[0].logits[plain_best * kPlane + p])
          plain_best = c;
      }
      changed += plain_best != best;
      for (int k = 0; k < 3; ++k) {
        const float want = 0.5f * ((*direct)[0].image[k * kPlane + p] +
                                   (*mirror)[0].image[k * kPlane + q]);
        EXPECT_FLOAT_EQ(r.image[k * kPlane + p], want);
        float b = (want + 1.0f) * 127.5f;
        b = std::min(std::max(b, 0.0f), 255.0f);
        EXPECT_EQ(r.restored[p * 3 + k], static_cast<uint8_t>(b));
      }
    }
  }
  // The stand-in is far from mirror-symmetric: averaging must change labels.
  EXPECT_GT(changed, 0);
}

TEST(MirrorAveragingTest, ParsingTheMirrorImageGivesTheMirroredParse) {
  const std::vector<uint8_t> img = TestImage(kH, kW, 2);
  const std::vector<uint8_t> mir = Mirrored(img, kH, kW);
  auto engine = Wrapped();
  ParseOptions options;
  options.want_raw = true;
  auto a = engine->Parse({{img.data(), kH, kW}, {mir.data(), kH, kW}}, options);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const ParseResult &r = (*a)[0], &m = (*a)[1];
  for (int64_t y = 0; y < kH; ++y) {
    for (int64_t x = 0; x < kW; ++x) {
      const int64_t p = y * kW + x, q = y * kW + (kW - 1 - x);
      EXPECT_EQ(m.labels[q], MirroredLabel(r.labels[p])) << y << " " << x;
      for (int64_t c = 0; c < kNumLabels; ++c) {
        EXPECT_EQ(m.logits[MirroredLabel(c) * kPlane + q],
                  r.logits[c * kPlane + p]);
      }
      for (int64_t k = 0; k < 3; ++k) {
        EXPECT_EQ(m.restored[q * 3 + k], r.restored[p * 3 + k]);
      }
    }
  }
}

TEST(MirrorAveragingTest, RunsOneInnerBatchOfTwiceTheFaces) {
  std::vector<size_t> sizes;
  auto engine = Wrapped(&sizes);
  const std::vector<uint8_t> a = TestImage(kH, kW, 3), b = TestImage(kH, kW, 4);
  ParseOptions options;
  options.want_restored = false;
  auto got = engine->Parse({{a.data(), kH, kW}, {b.data(), kH, kW}}, options);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(sizes, std::vector<size_t>{4});
  ASSERT_EQ(got->size(), 2u);
  // Only what was asked for comes back.
  EXPECT_TRUE((*got)[0].restored.empty());
  EXPECT_TRUE((*got)[0].logits.empty());
  EXPECT_TRUE((*got)[0].image.empty());
  EXPECT_EQ((*got)[1].labels.size(), size_t(kPlane));
  EXPECT_EQ(engine->engine(), "fake");
  EXPECT_NE(engine->Describe().find("mirror averaging"), std::string::npos);
}

TEST(MirrorAveragingTest, RefusesBadBatchesAndPassesEngineErrorsOn) {
  FakeEngine* fake = nullptr;
  std::vector<size_t> sizes;
  auto engine = Wrapped(&sizes, &fake);
  auto empty = engine->Parse({}, ParseOptions());
  EXPECT_EQ(empty.status().code(), ModelErrorCode::kInvalidArgument);
  const std::vector<uint8_t> a = TestImage(kH, kW, 5);
  auto mixed = engine->Parse({{a.data(), kH, kW}, {a.data(), kH, kW / 2}},
                             ParseOptions());
  EXPECT_EQ(mixed.status().code(), ModelErrorCode::kInvalidArgument);
  EXPECT_TRUE(sizes.empty()) << "a bad batch must not reach the engine";
  fake->fail_ = true;
  auto failed = engine->Parse({{a.data(), kH, kW}}, ParseOptions());
  EXPECT_EQ(failed.status().code(), ModelErrorCode::kInternal);
  EXPECT_NE(failed.status().message().find("on purpose"), std::string::npos);
}

TEST(MirrorAveragingTest, RefusesNetworksWithoutTheCelebAMaskLabels) {
  auto wrapped =
      WrapWithMirrorAveraging(std::make_unique<FakeEngine>(11, nullptr));
  ASSERT_FALSE(wrapped.ok());
  EXPECT_EQ(wrapped.status().code(), ModelErrorCode::kInvalidArgument);
  EXPECT_NE(wrapped.status().message().find("11 parsing classes"),
            std::string::npos);
  EXPECT_FALSE(WrapWithMirrorAveraging(nullptr).ok());
}

TEST(MirrorAveragingTest, MirroredLabelSwapsTheLeftRightPairsOnly) {
  for (int id = 0; id < kNumLabels; ++id) {
    EXPECT_EQ(MirroredLabel(MirroredLabel(id)), id);
    const std::string name = Label(id).name;
    const std::string other = Label(MirroredLabel(id)).name;
    if (name[0] == 'l' && name[1] == '_' && name != "l_lip") {
      EXPECT_EQ(other, "r_" + name.substr(2)) << name;
    } else if (name[0] == 'r' && name[1] == '_') {
      EXPECT_EQ(other, "l_" + name.substr(2)) << name;
    } else {
      EXPECT_EQ(other, name);
    }
  }
}

}  // namespace
}  // namespace facet
