// Helpers of the oneDNN engine's tests: random weights with non-trivial
// BatchNorm statistics, smooth face-like test images, and output
// comparisons. Standard library only.
#ifndef FACET_CORE_ONEDNN_ONEDNN_TEST_UTIL_H_
#define FACET_CORE_ONEDNN_ONEDNN_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/model/face_engine.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"
#include "tests/util/random_state_dict.h"

namespace facet {
namespace onednn_test {

// Weights for `config` drawn like PyTorch's default initialisation, with
// BatchNorm statistics far from the identity (tests/util's kTorchDefault).
inline RawTensorMap RandomWeights(const NetConfig& config, uint32_t seed) {
  testing::RandomStateDictOptions options;
  options.init = testing::RandomStateDictOptions::Init::kTorchDefault;
  return testing::RandomStateDict(config, seed, options);
}

// A smooth RGB image with a few soft blobs and a mild texture, roughly like
// a degraded (blurred, noisy) face crop: size x size x 3.
inline std::vector<uint8_t> SmoothImage(int64_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  struct Blob { float x, y, r, c[3]; };
  std::vector<Blob> blobs(6);
  for (Blob& b : blobs) {
    b = {u(rng) * size, u(rng) * size, (0.1f + 0.3f * u(rng)) * size,
         {u(rng) * 255, u(rng) * 255, u(rng) * 255}};
  }
  std::vector<uint8_t> img(size * size * 3);
  for (int64_t y = 0; y < size; ++y) {
    for (int64_t x = 0; x < size; ++x) {
      for (int c = 0; c < 3; ++c) {
        float v = 60.0f + 40.0f * c * y / size;
        for (const Blob& b : blobs) {
          const float d2 = ((x - b.x) * (x - b.x) + (y - b.y) * (y - b.y)) / (b.r * b.r);
          v += (b.c[c] - v) * std::exp(-d2);
        }
        v += 12.0f * (u(rng) - 0.5f);
        img[(y * size + x) * 3 + c] = static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
      }
    }
  }
  return img;
}

// max |a - b| / max |b|.
inline double MaxRelativeError(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    err = std::max(err, std::fabs(double(a[i]) - b[i]));
    ref = std::max(ref, std::fabs(double(b[i])));
  }
  return a.size() == b.size() ? err / std::max(ref, 1e-30) : 1e30;
}

// Fraction of equal entries.
inline double Agreement(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return double(same) / a.size();
}

// Share of the most frequent label: a test whose reference labels are
// nearly constant cannot catch a wrong argmax.
inline double MajorityShare(const std::vector<uint8_t>& labels) {
  std::vector<size_t> count(256, 0);
  for (uint8_t l : labels) ++count[l];
  return labels.empty() ? 1.0
                        : double(*std::max_element(count.begin(), count.end())) / labels.size();
}

// Largest |a - b| over bytes.
inline int MaxByteDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return 256;
  int worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(int(a[i]) - int(b[i])));
  return worst;
}

}  // namespace onednn_test
}  // namespace facet

#endif  // FACET_CORE_ONEDNN_ONEDNN_TEST_UTIL_H_
