// Aligning a face to the network's 512 px template and back (spec
// section 10): a similarity transform (rotation, uniform scale,
// translation) from the face's five points to the template's, a bicubic
// warp to the crop, and the inverse to return to the photo.
//
// A transform here is a 2x3 CV_64F matrix mapping photo pixel coordinates
// to crop pixel coordinates (cv::warpAffine's convention).
//
// Thread safety: all functions are thread-safe.

#ifndef FACET_CLIENT_PHOTO_FACE_ALIGNMENT_H_
#define FACET_CLIENT_PHOTO_FACE_ALIGNMENT_H_

#include <array>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace facet {

// The spec's five-point template for a 512 x 512 crop, in the dlib
// five-point order (see face_finder.h).
const std::array<cv::Point2f, 5>& TemplatePoints512();

// Returns the least-squares similarity transform taking `points` (photo
// pixels) to the template scaled to a size x size crop. InvalidArgument if
// the points are degenerate (coincident, non-finite) or size < 16.
absl::StatusOr<cv::Mat> EstimateAlignment(
    const std::array<cv::Point2f, 5>& points, int size);

// Returns the size x size crop of `photo` under `transform`, resampled
// bicubically; parts outside the photo repeat its border by reflection so
// the network sees no black wedges.
// REQUIRES: !photo.empty(), transform is 2x3 CV_64F.
cv::Mat WarpToCrop(const cv::Mat& photo, const cv::Mat& transform, int size);

// Returns the inverse of a 2x3 transform (crop -> photo).
cv::Mat InvertTransform(const cv::Mat& transform);

// Applies a 2x3 transform to a point.
cv::Point2f TransformPoint(const cv::Mat& transform, cv::Point2f p);

}  // namespace facet

#endif  // FACET_CLIENT_PHOTO_FACE_ALIGNMENT_H_
