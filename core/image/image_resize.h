// Resizing decoded images to the network's square input, and label maps
// back to an image's size.
//
// The network always sees size x size (512) RGB; a face crop of any aspect
// ratio is stretched, not padded, as upstream does. Label maps are resized
// with nearest-neighbour sampling at pixel centres so that ids stay ids and
// the map lines up with an image resized by the (centre-aligned) bilinear
// filter.
//
// Thread safety: all functions are thread-safe.

#ifndef FACET_CORE_IMAGE_IMAGE_RESIZE_H_
#define FACET_CORE_IMAGE_IMAGE_RESIZE_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"

namespace facet {

// Interpolation for ResizeForNet. The spec makes bilinear the default;
// upstream scripts also use bicubic.
enum class ResizeFilter {
  kBilinear,  // cv::INTER_LINEAR.
  kBicubic,   // cv::INTER_CUBIC (results saturate to [0, 255]).
  kArea,      // cv::INTER_AREA: pixel-area averaging, best for shrinking.
  kNearest,   // cv::INTER_NEAREST, as the training degradation uses.
};

// Parses "bilinear", "bicubic", "area" or "nearest" (ASCII case ignored).
// Returns InvalidArgument listing the accepted names otherwise.
absl::StatusOr<ResizeFilter> ParseResizeFilter(std::string_view name);

// Returns the lower-case name ParseResizeFilter accepts for `filter`.
const char* ResizeFilterName(ResizeFilter filter);

// Returns `image` resized to size x size with `filter`; same type and
// channel count as the input. If it already is size x size the result is a
// deep copy, so callers may always modify the result.
// REQUIRES: !image.empty(), size >= 1.
cv::Mat ResizeForNet(const cv::Mat& image, int size,
                     ResizeFilter filter = ResizeFilter::kBilinear);

// Returns `labels` (any single-channel type, usually CV_8UC1 ids) resized
// to width x height by nearest-neighbour sampling at pixel centres
// (cv::INTER_NEAREST_EXACT), so no new ids appear. A deep copy if the size
// already matches.
// REQUIRES: !labels.empty(), width >= 1, height >= 1.
cv::Mat ResizeLabels(const cv::Mat& labels, int width, int height);

}  // namespace facet

#endif  // FACET_CORE_IMAGE_IMAGE_RESIZE_H_
