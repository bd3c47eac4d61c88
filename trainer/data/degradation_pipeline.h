// DegradationPipeline: turns a high-quality face into the low-quality input
// the face parser trains on (paper Eq. 12, spec section 7):
//
//   HQ (resized to work_size) -> [gray] -> [blur] -> downscale to r x r
//      -> [noise] -> [JPEG] -> bicubic upscale to work_size
//      -> area resize of LQ and HQ to net_size when net_size < work_size
//
// Each sample's draws come from SampleRng(seed, kDegradation, index), so the
// result depends on (options, seed, index, image) only: not on the thread
// or on how many threads run. SampleParams() draws without touching pixels
// (cheap; the statistics tests use it), Apply() replays drawn parameters.
//
// Thread safety: all methods are const and may run concurrently. OpenCV's
// own thread pool should be off in data workers (cv::setNumThreads(0), done
// by DataLoader): the loader already runs one sample per core, and nested
// parallelism only adds contention.
#ifndef FACET_TRAINER_DATA_DEGRADATION_PIPELINE_H_
#define FACET_TRAINER_DATA_DEGRADATION_PIPELINE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"
#include "trainer/data/degradation_options.h"
#include "trainer/data/degradation_params.h"

namespace facet {

struct DegradedFace {
  cv::Mat lq;  // CV_8UC3 RGB, net_size x net_size: the network input.
  cv::Mat hq;  // CV_8UC3 RGB, net_size x net_size: the target (gray when
               // params.gray).
  DegradationParams params;
};

class DegradationPipeline {
 public:
  // InvalidArgument (from DegradationOptions::Validate) for bad options.
  static absl::StatusOr<DegradationPipeline> Create(
      const DegradationOptions& options);

  const DegradationOptions& options() const { return options_; }

  // Draws sample `index`'s parameters. Steps that are disabled come back
  // with their flag false.
  DegradationParams SampleParams(uint64_t seed, uint64_t index) const;

  // Degrades `hq_rgb` (CV_8UC3, any size; resized to work_size first, area
  // when shrinking, cubic when growing) with `params`. Returns
  // InvalidArgument naming the problem for an empty or non-CV_8UC3 image;
  // Internal if OpenCV fails.
  absl::StatusOr<DegradedFace> Apply(const cv::Mat& hq_rgb,
                                     const DegradationParams& params) const;

  // Apply(hq_rgb, SampleParams(seed, index)).
  absl::StatusOr<DegradedFace> Degrade(const cv::Mat& hq_rgb, uint64_t seed,
                                       uint64_t index) const {
    return Apply(hq_rgb, SampleParams(seed, index));
  }

 private:
  absl::StatusOr<DegradedFace> ApplySteps(
      const cv::Mat& hq_rgb, const DegradationParams& params) const;

  explicit DegradationPipeline(const DegradationOptions& options)
      : options_(options) {}

  DegradationOptions options_;
};

// The motion-blur kernel: a line of length `size` through the centre,
// weighted linearly from (1 + direction) / 2 at one end to
// (1 - direction) / 2 at the other, rotated by `angle_deg` and normalised to
// sum 1. CV_32FC1, size x size. REQUIRES: size >= 1.
cv::Mat MotionBlurKernel(int size, double angle_deg, double direction);

}  // namespace facet

#endif  // FACET_TRAINER_DATA_DEGRADATION_PIPELINE_H_
