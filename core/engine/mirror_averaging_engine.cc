#include "core/engine/mirror_averaging_engine.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/image/label_palette.h"

namespace facet {
namespace {

// `view` mirrored left to right into `out` (RGB, height x width x 3).
void MirrorRgb(const RgbImageView& view, std::vector<uint8_t>* out) {
  const int64_t h = view.height, w = view.width;
  out->resize(static_cast<size_t>(h * w * 3));
  for (int64_t y = 0; y < h; ++y) {
    const uint8_t* src = view.data + y * w * 3;
    uint8_t* dst = out->data() + y * w * 3;
    for (int64_t x = 0; x < w; ++x) {
      std::copy_n(src + (w - 1 - x) * 3, 3, dst + x * 3);
    }
  }
}

// Averages, in place, each h x w plane of `direct` with the plane of
// `mirror` that `mirror_plane_of` names, read mirrored left to right.
template <typename PlaneOf>
void AverageWithMirror(float* direct, const float* mirror, int64_t planes,
                       int64_t h, int64_t w, PlaneOf mirror_plane_of) {
  const int64_t plane = h * w;
  for (int64_t c = 0; c < planes; ++c) {
    float* d = direct + c * plane;
    const float* m = mirror + mirror_plane_of(c) * plane;
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        d[y * w + x] = 0.5f * (d[y * w + x] + m[y * w + (w - 1 - x)]);
      }
    }
  }
}

class MirrorAveragingEngine : public FaceEngine {
 public:
  explicit MirrorAveragingEngine(std::unique_ptr<FaceEngine> inner)
      : inner_(std::move(inner)) {}

  ModelResult<std::vector<ParseResult>> Parse(
      const std::vector<RgbImageView>& batch,
      const ParseOptions& options) const override {
    ModelStatus valid = ValidateBatch(batch, config());
    if (!valid.ok()) return valid;
    const size_t n = batch.size();
    std::vector<std::vector<uint8_t>> mirrored(n);
    std::vector<RgbImageView> both(batch);
    for (size_t i = 0; i < n; ++i) {
      MirrorRgb(batch[i], &mirrored[i]);
      both.push_back({mirrored[i].data(), batch[i].height, batch[i].width});
    }
    ParseOptions raw;
    raw.want_raw = true;
    raw.want_restored = false;
    ModelResult<std::vector<ParseResult>> parsed = inner_->Parse(both, raw);
    if (!parsed.ok()) return parsed.status();
    std::vector<ParseResult>& outputs = *parsed;
    if (outputs.size() != 2 * n) {
      return ModelStatus::Internal("mirror averaging: the engine answered " +
                                   std::to_string(outputs.size()) +
                                   " results for " + std::to_string(2 * n) +
                                   " images");
    }
    const int64_t classes = config().parsing_ch;
    std::vector<ParseResult> results(n);
    for (size_t i = 0; i < n; ++i) {
      ParseResult& direct = outputs[i];
      const ParseResult& mirror = outputs[n + i];
      const int64_t h = direct.height, w = direct.width, plane = h * w;
      for (const ParseResult* out : {&std::as_const(direct), &mirror}) {
        if (out->height != h || out->width != w ||
            static_cast<int64_t>(out->logits.size()) != classes * plane ||
            static_cast<int64_t>(out->image.size()) != 3 * plane) {
          return ModelStatus::Internal(
              "mirror averaging: the engine's raw outputs do not have the "
              "sizes of a " +
              std::to_string(w) + "x" + std::to_string(h) + " parse");
        }
      }
      ParseResult& r = results[i];
      r.height = h;
      r.width = w;
      // Class c at (y, x) meets the mirror's class MirroredLabel(c) at
      // (y, w - 1 - x); colour channels meet themselves.
      AverageWithMirror(direct.logits.data(), mirror.logits.data(), classes, h,
                        w, [](int64_t c) { return MirroredLabel(c); });
      AverageWithMirror(direct.image.data(), mirror.image.data(), 3, h, w,
                        [](int64_t k) { return k; });
      r.labels.resize(static_cast<size_t>(plane));
      for (int64_t p = 0; p < plane; ++p) {
        int64_t best = 0;
        float best_v = direct.logits[p];
        for (int64_t c = 1; c < classes; ++c) {
          const float v = direct.logits[c * plane + p];
          if (v > best_v) {
            best_v = v;
            best = c;
          }
        }
        r.labels[p] = static_cast<uint8_t>(best);
      }
      if (options.want_restored) {
        r.restored.resize(static_cast<size_t>(plane * 3));
        for (int64_t p = 0; p < plane; ++p) {
          for (int64_t k = 0; k < 3; ++k) {
            r.restored[p * 3 + k] =
                ImageValueToByte(direct.image[k * plane + p]);
          }
        }
      }
      if (options.want_raw) {
        r.logits = std::move(direct.logits);
        r.image = std::move(direct.image);
      }
    }
    return results;
  }

  const NetConfig& config() const override { return inner_->config(); }
  std::string engine() const override { return inner_->engine(); }
  std::string device() const override { return inner_->device(); }
  std::string precision() const override { return inner_->precision(); }
  std::string Describe() const override {
    return inner_->Describe() + ", mirror averaging (two forwards per face)";
  }

 private:
  std::unique_ptr<FaceEngine> inner_;
};

}  // namespace

ModelResult<std::unique_ptr<FaceEngine>> WrapWithMirrorAveraging(
    std::unique_ptr<FaceEngine> inner) {
  if (inner == nullptr) {
    return ModelStatus::InvalidArgument("mirror averaging: no engine to wrap");
  }
  if (inner->config().parsing_ch != kNumLabels) {
    return ModelStatus::InvalidArgument(
        "mirror averaging needs the " + std::to_string(kNumLabels) +
        " CelebAMask-HQ labels (their left/right pairs), but the network has " +
        std::to_string(inner->config().parsing_ch) + " parsing classes");
  }
  return std::unique_ptr<FaceEngine>(
      new MirrorAveragingEngine(std::move(inner)));
}

}  // namespace facet
