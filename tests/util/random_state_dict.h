// RandomStateDict: a complete state dict for a configuration, with small
// random floats (running variances 1, counters 0), for tests that need
// weights a repository or network accepts without training.
#ifndef FACET_TESTS_UTIL_RANDOM_STATE_DICT_H_
#define FACET_TESTS_UTIL_RANDOM_STATE_DICT_H_

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"

namespace facet::testing {

inline RawTensorMap RandomStateDict(const NetConfig& config, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-0.1f, 0.1f);
  RawTensorMap tensors;
  for (const ParamSpec& spec : ExpectedStateDict(config)) {
    RawTensor t;
    t.dtype = spec.dtype;
    t.shape = spec.shape;
    t.data.assign(static_cast<size_t>(t.numel()) * DTypeSize(t.dtype), 0);
    if (t.dtype == DType::kFloat32) {
      const bool variance = spec.name.find("running_var") != std::string::npos;
      for (size_t i = 0; i < t.data.size(); i += 4) {
        const float v = variance ? 1.f : dist(rng);
        std::memcpy(&t.data[i], &v, 4);  // Test hosts are little-endian.
      }
    }
    tensors[spec.name] = std::move(t);
  }
  return tensors;
}

}  // namespace facet::testing

#endif  // FACET_TESTS_UTIL_RANDOM_STATE_DICT_H_
