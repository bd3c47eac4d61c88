// DegradationParams: everything drawn for one sample's degradation.
//
// DegradationPipeline::SampleParams fills it from (seed, sample index); Apply
// replays it. Fields of a step that is not applied still hold their drawn
// values (every value is always drawn, so switching one step off does not
// shift the draws of the others), but mean nothing.
#ifndef FACET_TRAINER_DATA_DEGRADATION_PARAMS_H_
#define FACET_TRAINER_DATA_DEGRADATION_PARAMS_H_

#include <cstdint>
#include <string>

namespace facet {

enum class BlurKind { kGaussian = 0, kAverage = 1, kMedian = 2, kMotion = 3 };
inline constexpr int kNumBlurKinds = 4;

// Interpolations of the downscale step, in the order they are drawn.
enum class DownscaleInterpolation {
  kNearest = 0,
  kLinear = 1,
  kArea = 2,
  kCubic = 3
};
inline constexpr int kNumDownscaleInterpolations = 4;

struct DegradationParams {
  bool gray = false;

  bool blur = false;
  BlurKind blur_kind = BlurKind::kGaussian;
  double gaussian_sigma = 0;    // For kGaussian.
  int blur_kernel = 0;          // Kernel side (odd except for kAverage).
  double motion_angle_deg = 0;  // For kMotion, in [0, 360).
  double motion_direction = 0;  // For kMotion, weighting in [-1, 1].

  bool downscale = false;
  int downscale_size = 0;  // r: the side of the downscaled square.
  DownscaleInterpolation downscale_interpolation =
      DownscaleInterpolation::kNearest;

  bool noise = false;
  double noise_sigma = 0;  // uint8 units.
  bool noise_per_channel = false;
  uint64_t noise_seed = 0;  // Seeds the noise map.

  bool jpeg = false;
  int jpeg_compression = 0;  // c
  int jpeg_quality = 0;      // round(1 + 99 * (1 - c / 101))

  // One line listing the applied steps, e.g.
  // "gray blur=motion(k=15,angle=212.3,dir=-0.41) down=87/area jpeg=q61".
  std::string ToString() const;
};

const char* BlurKindName(BlurKind kind);
const char* DownscaleInterpolationName(DownscaleInterpolation interpolation);

// The spec's mapping from JPEG compression level to quality.
int JpegQualityFromCompression(int compression);

// The Gaussian kernel side for `sigma`: about 2.9 sigma below sigma 5, else
// 2.6 sigma; at least 5 and odd.
int GaussianKernelSize(double sigma);

}  // namespace facet

#endif  // FACET_TRAINER_DATA_DEGRADATION_PARAMS_H_
