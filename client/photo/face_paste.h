// Pasting processed face crops back into the photo they came from, through
// a soft mask so that no seam shows.
//
// Upstream PSFR-GAN pastes the whole warped crop with a hard mask, and the
// crop's edge shows wherever the restored face differs from the photo.
// Here the crop is blended with a mask that falls smoothly from 1 to 0:
// either an ellipse around the template's face region (always available)
// or the face labels of the parsing map (follows the face outline).
// Masks are CV_32FC1 in crop coordinates with values in [0, 1].
//
// Thread safety: all functions are thread-safe; PasteCrop writes only to
// the photo it is given.

#ifndef FACET_CLIENT_PHOTO_FACE_PASTE_H_
#define FACET_CLIENT_PHOTO_FACE_PASTE_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"

namespace facet {

enum class MaskKind {
  kEllipse,  // Feathered ellipse covering brows to chin, ears included.
  kParsing,  // Feathered union of the face labels (skin to hair).
};

// Parses "ellipse" or "parsing"; InvalidArgument listing both otherwise.
absl::StatusOr<MaskKind> ParseMaskKind(std::string_view name);

// Returns the size x size ellipse mask. `feather` is the Gaussian sigma of
// the edge as a fraction of `size`; the mask is ~0 at the ellipse (its
// core is shrunk by two sigmas) and exactly 0 at the crop border.
// REQUIRES: size >= 16, 0 < feather < 0.2.
cv::Mat MakeEllipseMask(int size, double feather);

// Returns the size x size mask of the face labels (ids 1 to 13: skin,
// features, ears, mouth, lips, hair) of `labels` (CV_8UC1, any size,
// resized by nearest neighbour), eroded by two sigmas and blurred, zero at
// the crop border. Empty Mat if `labels` is empty or not CV_8UC1.
cv::Mat MakeParsingMask(const cv::Mat& labels, int size, double feather);

// Blends `crop` (CV_8UC3, size x size, in the crop coordinates of
// `transform`, photo -> crop) into `*photo` (CV_8UC3) weighted by `mask`
// (CV_32FC1, the crop's size): photo = mask * crop + (1 - mask) * photo,
// resampled bicubically through the inverse transform. Only the crop's
// footprint is touched. InvalidArgument on mismatched types or sizes.
absl::Status PasteCrop(const cv::Mat& crop, const cv::Mat& mask,
                       const cv::Mat& transform, cv::Mat* photo);

}  // namespace facet

#endif  // FACET_CLIENT_PHOTO_FACE_PASTE_H_
