#include "client/photo/face_alignment.h"

#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "opencv2/calib3d.hpp"
#include "opencv2/imgproc.hpp"

namespace facet {

const std::array<cv::Point2f, 5>& TemplatePoints512() {
  static const std::array<cv::Point2f, 5> kPoints = {
      cv::Point2f(343.39f, 244.31f), cv::Point2f(293.39f, 246.80f),
      cv::Point2f(168.96f, 244.19f), cv::Point2f(218.98f, 246.76f),
      cv::Point2f(256.79f, 339.25f)};
  return kPoints;
}

absl::StatusOr<cv::Mat> EstimateAlignment(
    const std::array<cv::Point2f, 5>& points, int size) {
  if (size < 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("crop size is ", size, "; expected at least 16"));
  }
  std::vector<cv::Point2f> from(points.begin(), points.end());
  std::vector<cv::Point2f> to;
  const float k = size / 512.0f;
  for (const cv::Point2f& p : TemplatePoints512()) to.push_back(p * k);
  for (const cv::Point2f& p : from) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      return absl::InvalidArgumentError("face points are not finite");
    }
  }
  // The eyes' outer corners must be apart, or the scale is undefined.
  if (cv::norm(from[0] - from[2]) < 1.0) {
    return absl::InvalidArgumentError(
        "face points are degenerate (eye corners coincide)");
  }
  // A huge reprojection threshold keeps every point an inlier, so the
  // result is the Levenberg-Marquardt least-squares fit over all five
  // points rather than RANSAC's two-point guess.
  std::vector<uchar> inliers;
  cv::Mat transform = cv::estimateAffinePartial2D(
      from, to, inliers, cv::RANSAC, /*ransacReprojThreshold=*/1e6,
      /*maxIters=*/10, /*confidence=*/0.99, /*refineIters=*/50);
  if (transform.empty()) {
    return absl::InvalidArgumentError(
        "cannot fit a similarity transform to the face points");
  }
  transform.convertTo(transform, CV_64F);
  return transform;
}

cv::Mat WarpToCrop(const cv::Mat& photo, const cv::Mat& transform, int size) {
  cv::Mat crop;
  cv::warpAffine(photo, crop, transform, cv::Size(size, size), cv::INTER_CUBIC,
                 cv::BORDER_REFLECT101);
  return crop;
}

cv::Mat InvertTransform(const cv::Mat& transform) {
  cv::Mat inverse;
  cv::invertAffineTransform(transform, inverse);
  return inverse;
}

cv::Point2f TransformPoint(const cv::Mat& t, cv::Point2f p) {
  return cv::Point2f(
      static_cast<float>(t.at<double>(0, 0) * p.x + t.at<double>(0, 1) * p.y +
                         t.at<double>(0, 2)),
      static_cast<float>(t.at<double>(1, 0) * p.x + t.at<double>(1, 1) * p.y +
                         t.at<double>(1, 2)));
}

}  // namespace facet
