// Int8Calibrator: measures the activation ranges of an int8 forward by
// running faces through the fp32 oneDNN forward of the same weights and
// keeping, per convolution, a histogram of |x| over its padded input (the
// tensor the int8 engine quantizes).
//
// Histogram: 64 bins per power of two (1.1 % wide) over the whole float
// range, so images add up exactly in one pass and any percentile can be
// read at the end; the exact maximum is kept too.
//
// Ranges (Scales): "max" (the largest |x| seen) or "percentile:P" (the
// upper edge of the bin holding the P-th percentile of |x|, 0 < P <= 100),
// which clips rare outliers to spend the 127 steps on the bulk.
//
// Thread safety: Add() and Scales() need outside locking; Add() runs the
// forward with the engine's threads.
#ifndef FACET_CORE_ONEDNN_INT8_CALIBRATOR_H_
#define FACET_CORE_ONEDNN_INT8_CALIBRATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/model/face_engine.h"
#include "core/model/int8_scales.h"
#include "core/model/model_status.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"

namespace facet {

// The calibration method the project recommends (best agreement with fp32
// on held-out degraded faces; see docs/engines.md).
constexpr char kDefaultInt8Method[] = "percentile:99.999";

class Int8Calibrator {
 public:
  // Builds an fp32 oneDNN engine of `weights` (direct convolutions, one
  // layout: the fastest load). Errors as CreateOnednnFaceEngine.
  static ModelResult<std::unique_ptr<Int8Calibrator>> Create(
      const RawTensorMap& weights, const NetConfig& config, int threads);

  // Runs the faces (validated as FaceEngine::Parse) and adds every
  // convolution's input to its histogram.
  ModelStatus Add(const std::vector<RgbImageView>& batch);

  int64_t images() const { return images_; }

  // The ranges by `method` ("max" or "percentile:P"), with the weights'
  // checksum and images() filled in; `data` describes the faces.
  // InvalidArgument for an unknown method; FailedPrecondition before Add.
  ModelResult<Int8Scales> Scales(const std::string& method,
                                 const std::string& data) const;

 private:
  struct Histogram {
    std::vector<uint64_t> counts;
    float max = 0;
  };
  Int8Calibrator(std::unique_ptr<FaceEngine> engine, std::string checksum)
      : engine_(std::move(engine)), checksum_(std::move(checksum)) {}

  std::unique_ptr<FaceEngine> engine_;
  std::string checksum_;
  std::map<std::string, Histogram> histograms_;  // By convolution name.
  int64_t images_ = 0;
};

}  // namespace facet

#endif  // FACET_CORE_ONEDNN_INT8_CALIBRATOR_H_
