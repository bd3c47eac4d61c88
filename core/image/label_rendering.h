// Drawing label maps: colour images of the parse, overlays on the photo,
// and per-label pixel counts.
//
// A label map is a CV_8UC1 image of ids in [0, kNumLabels) (see
// label_palette.h). Ids of kNumLabels or more cannot come from the network
// but may come from a corrupt file: they are drawn white and not counted.
// Functions here return a new image and never modify their inputs.
//
// Thread safety: all functions are thread-safe.

#ifndef FACET_CORE_IMAGE_LABEL_RENDERING_H_
#define FACET_CORE_IMAGE_LABEL_RENDERING_H_

#include <array>
#include <cstdint>

#include "core/image/label_palette.h"
#include "opencv2/core/mat.hpp"

namespace facet {

// Returns a CV_8UC3 RGB image of the labels' size, each pixel the palette
// colour of its id (ids >= kNumLabels white). Returns an empty Mat if
// `labels` is empty or not CV_8UC1.
cv::Mat ColorizeLabels(const cv::Mat& labels);

// Returns a copy of `rgb` (CV_8UC3) with every non-background pixel blended
// toward its label's colour: out = (1 - alpha) * rgb + alpha * colour,
// rounded. Background (id 0) pixels are left exactly as the image. If the
// label map's size differs from the image's it is first resized to it with
// ResizeLabels (nearest). `alpha` is clamped to [0, 1]. Returns an empty Mat
// if `rgb` is not a non-empty CV_8UC3 or `labels` not a non-empty CV_8UC1.
cv::Mat OverlayLabels(const cv::Mat& rgb, const cv::Mat& labels,
                      double alpha = 0.5);

// Returns how many pixels carry each id; ids >= kNumLabels are skipped, so
// the counts may sum to less than the pixel count. All zero if `labels` is
// empty or not CV_8UC1.
std::array<int64_t, kNumLabels> CountLabels(const cv::Mat& labels);

}  // namespace facet

#endif  // FACET_CORE_IMAGE_LABEL_RENDERING_H_
