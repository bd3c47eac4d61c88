#include "trainer/data/degradation_params.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace facet {

const char* BlurKindName(BlurKind kind) {
  switch (kind) {
    case BlurKind::kGaussian:
      return "gaussian";
    case BlurKind::kAverage:
      return "average";
    case BlurKind::kMedian:
      return "median";
    case BlurKind::kMotion:
      return "motion";
  }
  return "?";
}

const char* DownscaleInterpolationName(DownscaleInterpolation interpolation) {
  switch (interpolation) {
    case DownscaleInterpolation::kNearest:
      return "nearest";
    case DownscaleInterpolation::kLinear:
      return "linear";
    case DownscaleInterpolation::kArea:
      return "area";
    case DownscaleInterpolation::kCubic:
      return "cubic";
  }
  return "?";
}

int JpegQualityFromCompression(int compression) {
  return static_cast<int>(
      std::lround(1.0 + 99.0 * (1.0 - compression / 101.0)));
}

int GaussianKernelSize(double sigma) {
  const double factor = sigma < 5.0 ? 2.9 : 2.6;
  int k = static_cast<int>(std::lround(factor * sigma));
  k = std::max(k, 5);
  return k % 2 == 1 ? k : k + 1;
}

std::string DegradationParams::ToString() const {
  std::string out;
  if (gray) out += "gray ";
  if (blur) {
    absl::StrAppend(&out, "blur=", BlurKindName(blur_kind), "(k=", blur_kernel);
    if (blur_kind == BlurKind::kGaussian) {
      absl::StrAppend(&out, absl::StrFormat(",sigma=%.2f", gaussian_sigma));
    } else if (blur_kind == BlurKind::kMotion) {
      absl::StrAppend(&out,
                      absl::StrFormat(",angle=%.1f,dir=%.2f", motion_angle_deg,
                                      motion_direction));
    }
    out += ") ";
  }
  if (downscale) {
    absl::StrAppend(&out, "down=", downscale_size, "/",
                    DownscaleInterpolationName(downscale_interpolation), " ");
  }
  if (noise) {
    absl::StrAppend(&out, absl::StrFormat("noise=%.1f", noise_sigma),
                    noise_per_channel ? "/rgb " : "/gray ");
  }
  if (jpeg) absl::StrAppend(&out, "jpeg=q", jpeg_quality, " ");
  if (out.empty()) return "none";
  out.pop_back();
  return out;
}

}  // namespace facet
