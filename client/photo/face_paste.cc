#include "client/photo/face_paste.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

// Blurs a hard 0/1 mask by `sigma` px and zeroes the crop border, so the
// warped footprint's own edge never shows.
cv::Mat Soften(cv::Mat hard, double sigma) {
  cv::Mat soft;
  cv::GaussianBlur(hard, soft, cv::Size(), sigma, sigma, cv::BORDER_CONSTANT);
  const int size = soft.cols;
  const int edge = std::max(2, size / 128);
  soft.rowRange(0, edge).setTo(0);
  soft.rowRange(size - edge, size).setTo(0);
  soft.colRange(0, edge).setTo(0);
  soft.colRange(size - edge, size).setTo(0);
  return soft;
}

}  // namespace

absl::StatusOr<MaskKind> ParseMaskKind(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(std::string(name));
  if (lower == "ellipse") return MaskKind::kEllipse;
  if (lower == "parsing") return MaskKind::kParsing;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown mask \"", std::string(name),
                   "\"; expected \"ellipse\" or \"parsing\""));
}

cv::Mat MakeEllipseMask(int size, double feather) {
  const double sigma = feather * size;
  const double k = size / 512.0;
  // In the 512 template the eyes sit at y ~245 and the nose base at
  // y ~339; this ellipse spans the forehead (y ~100) to below the chin
  // (y ~460) and the ears (x ~110 to ~400).
  const cv::Point2d center(256.0 * k, 280.0 * k);
  const cv::Size2d axes(std::max(1.0, 145.0 * k - 2 * sigma),
                        std::max(1.0, 180.0 * k - 2 * sigma));
  cv::Mat hard = cv::Mat::zeros(size, size, CV_32FC1);
  cv::ellipse(
      hard,
      cv::RotatedRect(cv::Point2f(center),
                      cv::Size2f(axes.width * 2, axes.height * 2), 0.0f),
      cv::Scalar(1.0), cv::FILLED, cv::LINE_AA);
  return Soften(hard, sigma);
}

cv::Mat MakeParsingMask(const cv::Mat& labels, int size, double feather) {
  if (labels.empty() || labels.type() != CV_8UC1) return cv::Mat();
  cv::Mat resized;
  cv::resize(labels, resized, cv::Size(size, size), 0, 0,
             cv::INTER_NEAREST_EXACT);
  cv::Mat face = (resized >= 1) & (resized <= 13);
  const double sigma = feather * size;
  const int shrink = static_cast<int>(std::lround(2 * sigma));
  if (shrink > 0) {
    cv::erode(face, face,
              cv::getStructuringElement(
                  cv::MORPH_ELLIPSE, cv::Size(2 * shrink + 1, 2 * shrink + 1)));
  }
  cv::Mat hard;
  face.convertTo(hard, CV_32FC1, 1.0 / 255.0);
  return Soften(hard, std::max(sigma, 0.5));
}

absl::Status PasteCrop(const cv::Mat& crop, const cv::Mat& mask,
                       const cv::Mat& transform, cv::Mat* photo) {
  if (photo == nullptr || photo->empty() || photo->type() != CV_8UC3) {
    return absl::InvalidArgumentError("PasteCrop: photo must be 8-bit RGB");
  }
  if (crop.empty() || crop.type() != CV_8UC3) {
    return absl::InvalidArgumentError("PasteCrop: crop must be 8-bit RGB");
  }
  if (mask.type() != CV_32FC1 || mask.size() != crop.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("PasteCrop: mask must be float and of the crop's size ",
                     crop.cols, "x", crop.rows));
  }
  if (transform.rows != 2 || transform.cols != 3 ||
      transform.type() != CV_64F) {
    return absl::InvalidArgumentError(
        "PasteCrop: transform must be a 2x3 double matrix");
  }
  // The crop's footprint in the photo: its corners through the inverse.
  cv::Mat inverse;
  cv::invertAffineTransform(transform, inverse);
  std::vector<cv::Point2f> corners = {
      {0, 0},
      {static_cast<float>(crop.cols), 0},
      {0, static_cast<float>(crop.rows)},
      {static_cast<float>(crop.cols), static_cast<float>(crop.rows)}};
  cv::transform(corners, corners, inverse);
  cv::Rect roi = cv::boundingRect(corners);
  roi.x -= 2;
  roi.y -= 2;
  roi.width += 4;
  roi.height += 4;
  roi &= cv::Rect(0, 0, photo->cols, photo->rows);
  if (roi.empty()) return absl::OkStatus();

  // Photo->crop map for the ROI's own coordinates: shift by its origin.
  cv::Mat shifted = transform.clone();
  shifted.at<double>(0, 2) +=
      transform.at<double>(0, 0) * roi.x + transform.at<double>(0, 1) * roi.y;
  shifted.at<double>(1, 2) +=
      transform.at<double>(1, 0) * roi.x + transform.at<double>(1, 1) * roi.y;
  cv::Mat face, weight;
  cv::warpAffine(crop, face, shifted, roi.size(),
                 cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  cv::warpAffine(mask, weight, shifted, roi.size(),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                 cv::Scalar(0));

  cv::Mat target = (*photo)(roi);
  for (int y = 0; y < roi.height; ++y) {
    const float* w = weight.ptr<float>(y);
    const cv::Vec3b* f = face.ptr<cv::Vec3b>(y);
    cv::Vec3b* t = target.ptr<cv::Vec3b>(y);
    for (int x = 0; x < roi.width; ++x) {
      const float a = std::clamp(w[x], 0.0f, 1.0f);
      if (a <= 0.0f) continue;
      for (int c = 0; c < 3; ++c) {
        t[x][c] = cv::saturate_cast<uchar>(a * f[x][c] + (1 - a) * t[x][c]);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace facet
