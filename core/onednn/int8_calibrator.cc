#include "core/onednn/int8_calibrator.h"

#include <omp.h>

#include <cmath>
#include <cstring>

#include "core/onednn/blocked_kernels.h"
#include "core/onednn/onednn_face_engine.h"

namespace facet {
namespace {

// Bin of |x|: the float's exponent and top 6 mantissa bits (64 bins per
// power of two); bin b covers [FloatOfBits(b << 17), FloatOfBits((b+1) << 17)).
constexpr int kMantissaShift = 17;
constexpr size_t kBins = size_t{1} << (31 - kMantissaShift);

inline uint32_t BinOf(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return (bits & 0x7fffffffu) >> kMantissaShift;
}

float BinUpperEdge(size_t bin) {
  const uint32_t bits = static_cast<uint32_t>((bin + 1) << kMantissaShift);
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

}  // namespace

ModelResult<std::unique_ptr<Int8Calibrator>> Int8Calibrator::Create(
    const RawTensorMap& weights, const NetConfig& config, int threads) {
  OnednnEngineOptions options;
  options.config = config;
  options.threads = threads;
  options.algorithms = ConvAlgorithmPolicy::kDirect;
  options.layout = ActivationLayout::kBlocked;
  ModelResult<std::unique_ptr<FaceEngine>> engine =
      CreateOnednnFaceEngine(weights, options);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<Int8Calibrator>(
      new Int8Calibrator(std::move(*engine), WeightsChecksum(weights)));
}

ModelStatus Int8Calibrator::Add(const std::vector<RgbImageView>& batch) {
  ModelStatus status = VisitOnednnConvInputs(
      *engine_, batch,
      [this](const std::string& conv, const onednn::ActLayout& l,
             const float* data) {
        Histogram& h = histograms_[conv];
        h.counts.resize(kBins, 0);
        std::vector<int64_t> channel(l.c);
        for (int64_t c = 0; c < l.c; ++c) channel[c] = l.ChannelOffset(c);
        float max = h.max;
#pragma omp parallel
        {
          std::vector<uint64_t> local(kBins, 0);
          float local_max = 0;
#pragma omp for collapse(2) schedule(static)
          for (int64_t n = 0; n < l.n; ++n) {
            for (int64_t y = 0; y < l.h; ++y) {
              for (int64_t x = 0; x < l.w; ++x) {
                const float* px = data + n * l.sn + y * l.sh + x * l.sw;
                for (int64_t c = 0; c < l.c; ++c) {
                  const float v = std::fabs(px[channel[c]]);
                  ++local[BinOf(v)];
                  local_max = std::max(local_max, v);
                }
              }
            }
          }
#pragma omp critical
          {
            for (size_t b = 0; b < kBins; ++b) h.counts[b] += local[b];
            max = std::max(max, local_max);
          }
        }
        h.max = max;
      });
  if (status.ok()) images_ += static_cast<int64_t>(batch.size());
  return status;
}

ModelResult<Int8Scales> Int8Calibrator::Scales(const std::string& method,
                                               const std::string& data) const {
  double percentile = 100;
  if (method.rfind("percentile:", 0) == 0) {
    char* end = nullptr;
    const std::string number = method.substr(11);
    percentile = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' ||
        !(percentile > 0 && percentile <= 100)) {
      return ModelStatus::InvalidArgument(
          "int8 calibration method \"" + method +
          "\": expected percentile:P with 0 < P <= 100");
    }
  } else if (method != "max") {
    return ModelStatus::InvalidArgument(
        "int8 calibration method \"" + method +
        "\": expected max or percentile:P (e.g. " + kDefaultInt8Method + ")");
  }
  if (images_ == 0) {
    return ModelStatus::FailedPrecondition(
        "int8 calibration: no faces were added");
  }
  Int8Scales scales;
  scales.weights_checksum = checksum_;
  scales.method = method;
  scales.images = images_;
  scales.data = data;
  for (const auto& [name, h] : histograms_) {
    float range = h.max;
    if (method != "max") {
      uint64_t total = 0;
      for (uint64_t c : h.counts) total += c;
      const double want = total * percentile / 100.0;
      uint64_t seen = 0;
      for (size_t b = 0; b < kBins; ++b) {
        seen += h.counts[b];
        if (seen >= want) {
          range = std::min(h.max, BinUpperEdge(b));
          break;
        }
      }
    }
    // A tensor that is all zeros still needs a positive range.
    scales.input_ranges[name] =
        range > 0 && std::isfinite(range) ? range : 1.0f;
  }
  return scales;
}

}  // namespace facet
