// RandomStateDict: a complete state dict for a configuration, drawn from a
// seed, for tests that need weights a repository or network accepts without
// training. The one helper for random weights in the tests; the draw order
// of each Init is fixed, so a seed always gives the same tensors.
#ifndef FACET_TESTS_UTIL_RANDOM_STATE_DICT_H_
#define FACET_TESTS_UTIL_RANDOM_STATE_DICT_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"

namespace facet::testing {

struct RandomStateDictOptions {
  enum class Init {
    // Every float uniform in [-0.1, 0.1], running variances 1.
    kSmallUniform,
    // Each non-BatchNorm tensor uniform in +-scale/sqrt(fan_in), fan_in
    // being the product of its dimensions after the first; BatchNorm at
    // identity (weight and variance 1, bias and mean 0). A huge `scale`
    // (1e30) makes outputs overflow.
    kFanIn,
    // PyTorch's default initialisation (uniform +-1/sqrt(fan_in) for
    // convolutions and their biases) with BatchNorm far from identity:
    // gamma in [0.5, 1.5], beta in [-0.3, 0.3], mean in [-0.5, 0.5],
    // variance in [0.3, 2].
    kTorchDefault,
  };
  // Default: kSmallUniform.
  Init init = Init::kSmallUniform;
  // kFanIn's bound multiplier. Default: 1.
  float scale = 1.0f;
};

namespace random_state_dict_internal {

inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

inline void StoreFloats(const std::vector<float>& values, RawTensor* t) {
  t->data.resize(values.size() * sizeof(float));
  std::memcpy(t->data.data(), values.data(), t->data.size());
}

inline std::vector<float> Uniform(int64_t n, float lo, float hi,
                                  std::mt19937* rng) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(*rng);
  return v;
}

}  // namespace random_state_dict_internal

inline RawTensorMap RandomStateDict(
    const NetConfig& config, uint32_t seed,
    const RandomStateDictOptions& options = {}) {
  namespace in = random_state_dict_internal;
  using Init = RandomStateDictOptions::Init;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> small(-0.1f, 0.1f);
  int64_t conv_fan_in = 1;  // kTorchDefault: a bias follows its weight.
  RawTensorMap tensors;
  for (const ParamSpec& spec : ExpectedStateDict(config)) {
    const std::string& name = spec.name;
    RawTensor t;
    t.dtype = spec.dtype;
    t.shape = spec.shape;
    const int64_t n = t.numel();
    if (spec.dtype != DType::kFloat32) {
      t.data.assign(static_cast<size_t>(n) * DTypeSize(t.dtype), 0);
      tensors[name] = std::move(t);
      continue;
    }
    std::vector<float> values(static_cast<size_t>(n));
    switch (options.init) {
      case Init::kSmallUniform: {
        const bool variance = name.find("running_var") != std::string::npos;
        for (float& v : values) v = variance ? 1.f : small(rng);
        break;
      }
      case Init::kFanIn: {
        if (in::EndsWith(name, "running_var") ||
            in::EndsWith(name, "norm.weight")) {
          values.assign(values.size(), 1.0f);
        } else if (in::EndsWith(name, "running_mean") ||
                   in::EndsWith(name, "norm.bias")) {
          values.assign(values.size(), 0.0f);
        } else {
          int64_t fan_in = 1;
          for (size_t i = 1; i < spec.shape.size(); ++i) {
            fan_in *= spec.shape[i];
          }
          const float bound =
              options.scale / std::sqrt(static_cast<float>(fan_in));
          values = in::Uniform(n, -bound, bound, &rng);
        }
        break;
      }
      case Init::kTorchDefault: {
        if (in::EndsWith(name, "conv2d.weight")) {
          conv_fan_in = spec.shape[1] * 9;
          const float b = 1.0f / std::sqrt(static_cast<float>(conv_fan_in));
          values = in::Uniform(n, -b, b, &rng);
        } else if (in::EndsWith(name, "conv2d.bias")) {
          const float b = 1.0f / std::sqrt(static_cast<float>(conv_fan_in));
          values = in::Uniform(n, -b, b, &rng);
        } else if (in::EndsWith(name, "norm.weight")) {
          values = in::Uniform(n, 0.5f, 1.5f, &rng);
        } else if (in::EndsWith(name, "norm.bias")) {
          values = in::Uniform(n, -0.3f, 0.3f, &rng);
        } else if (in::EndsWith(name, "running_mean")) {
          values = in::Uniform(n, -0.5f, 0.5f, &rng);
        } else {
          values = in::Uniform(n, 0.3f, 2.0f, &rng);
        }
        break;
      }
    }
    in::StoreFloats(values, &t);  // Test hosts are little-endian.
    tensors[name] = std::move(t);
  }
  return tensors;
}

}  // namespace facet::testing

#endif  // FACET_TESTS_UTIL_RANDOM_STATE_DICT_H_
