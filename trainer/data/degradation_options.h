// DegradationOptions: the settings of the training degradation (paper Eq. 12,
// spec section 7). Defaults are the paper's values; every probability can be
// set to 0 to switch a step off (or `enable_*` set to false, which also skips
// the step when its probability is 1).
#ifndef FACET_TRAINER_DATA_DEGRADATION_OPTIONS_H_
#define FACET_TRAINER_DATA_DEGRADATION_OPTIONS_H_

#include "absl/status/status.h"

namespace facet {

struct DegradationOptions {
  // Side of the square the steps run at; the HQ face is resized to it
  // first. Default: 512.
  int work_size = 512;
  // Side of the returned images. When smaller than work_size, the LQ and HQ
  // images are area-resized to it after degradation (never the other way:
  // degrading at 512 keeps the paper's blur and downscale ranges meaningful).
  // Default: 512.
  int net_size = 512;

  // Grayscale: the LQ input and the HQ target both become gray (replicated
  // to three channels). Default: 0.3.
  bool enable_gray = true;
  double gray_probability = 0.3;

  // Blur: one of Gaussian, average, median, motion, chosen uniformly.
  // Default: 0.5.
  bool enable_blur = true;
  double blur_probability = 0.5;
  double gaussian_sigma_min = 3.0;   // Default: 3.
  double gaussian_sigma_max = 15.0;  // Default: 15.
  int box_kernel_min = 3;            // Average and median. Default: 3.
  int box_kernel_max = 15;           // Default: 15.
  int motion_kernel_min = 5;         // Default: 5.
  int motion_kernel_max = 25;        // Default: 25.

  // Downscale to r x r, r uniform in [min, max], interpolation uniform among
  // nearest, linear, area and cubic. Probability 1 in the paper.
  bool enable_downscale = true;
  int downscale_min = 32;   // Default: 32.
  int downscale_max = 255;  // Default: 255.

  // Additive white Gaussian noise, sigma uniform in [0, max] (uint8 units);
  // per channel with probability `noise_per_channel_probability`, otherwise
  // one map shared by the channels. Default: 0.2, 25.5, 0.5.
  bool enable_noise = true;
  double noise_probability = 0.2;
  double noise_sigma_max = 25.5;
  double noise_per_channel_probability = 0.5;

  // JPEG with compression c uniform in [min, max] and quality
  // round(1 + 99 * (1 - c / 101)), i.e. 90 ... 37, 4:2:0 chroma.
  // Default: 0.7, 10, 64.
  bool enable_jpeg = true;
  double jpeg_probability = 0.7;
  int jpeg_compression_min = 10;
  int jpeg_compression_max = 64;

  // Returns OK iff every probability is in [0, 1] and every range is
  // non-empty and usable; otherwise InvalidArgument naming the field.
  absl::Status Validate() const;
};

}  // namespace facet

#endif  // FACET_TRAINER_DATA_DEGRADATION_OPTIONS_H_
