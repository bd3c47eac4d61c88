#include "trainer/data/degradation_options.h"

#include "absl/strings/str_cat.h"

namespace facet {
namespace {

absl::Status CheckProbability(const char* name, double p) {
  if (p >= 0.0 && p <= 1.0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("DegradationOptions.", name, " = ", p,
                   "; expected a probability in [0, 1]"));
}

absl::Status CheckRange(const char* name, double lo, double hi, double floor,
                        double ceiling) {
  if (lo <= hi && lo >= floor && hi <= ceiling) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "DegradationOptions.", name, " = [", lo, ", ", hi,
      "]; expected min <= max within [", floor, ", ", ceiling, "]"));
}

}  // namespace

absl::Status DegradationOptions::Validate() const {
  if (work_size < 16 || work_size > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DegradationOptions.work_size = ", work_size, "; expected 16..4096"));
  }
  if (net_size < 16 || net_size > work_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("DegradationOptions.net_size = ", net_size,
                     "; expected 16..work_size (", work_size, ")"));
  }
  for (auto [name, p] :
       {std::pair<const char*, double>{"gray_probability", gray_probability},
        {"blur_probability", blur_probability},
        {"noise_probability", noise_probability},
        {"noise_per_channel_probability", noise_per_channel_probability},
        {"jpeg_probability", jpeg_probability}}) {
    absl::Status s = CheckProbability(name, p);
    if (!s.ok()) return s;
  }
  absl::Status s;
  if (!(s = CheckRange("gaussian_sigma", gaussian_sigma_min, gaussian_sigma_max,
                       0.1, 100))
           .ok() ||
      !(s = CheckRange("box_kernel", box_kernel_min, box_kernel_max, 1, 101))
           .ok() ||
      !(s = CheckRange("motion_kernel", motion_kernel_min, motion_kernel_max, 1,
                       101))
           .ok() ||
      !(s = CheckRange("downscale", downscale_min, downscale_max, 1, work_size))
           .ok() ||
      !(s = CheckRange("noise_sigma", 0, noise_sigma_max, 0, 255)).ok() ||
      !(s = CheckRange("jpeg_compression", jpeg_compression_min,
                       jpeg_compression_max, 0, 100))
           .ok()) {
    return s;
  }
  return absl::OkStatus();
}

}  // namespace facet
