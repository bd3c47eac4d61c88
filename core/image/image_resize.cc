#include "core/image/image_resize.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

int ToOpenCv(ResizeFilter filter) {
  switch (filter) {
    case ResizeFilter::kBilinear:
      return cv::INTER_LINEAR;
    case ResizeFilter::kBicubic:
      return cv::INTER_CUBIC;
    case ResizeFilter::kArea:
      return cv::INTER_AREA;
    case ResizeFilter::kNearest:
      return cv::INTER_NEAREST;
  }
  return cv::INTER_LINEAR;
}

constexpr ResizeFilter kAllFilters[] = {
    ResizeFilter::kBilinear, ResizeFilter::kBicubic, ResizeFilter::kArea,
    ResizeFilter::kNearest};

}  // namespace

const char* ResizeFilterName(ResizeFilter filter) {
  switch (filter) {
    case ResizeFilter::kBilinear:
      return "bilinear";
    case ResizeFilter::kBicubic:
      return "bicubic";
    case ResizeFilter::kArea:
      return "area";
    case ResizeFilter::kNearest:
      return "nearest";
  }
  return "unknown";
}

absl::StatusOr<ResizeFilter> ParseResizeFilter(std::string_view name) {
  // absl::string_view is not std::string_view in this Abseil build.
  const std::string lower =
      absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  for (ResizeFilter filter : kAllFilters) {
    if (lower == ResizeFilterName(filter)) return filter;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown resize filter '", std::string(name),
                   "'; expected bilinear, bicubic, area or nearest"));
}

cv::Mat ResizeForNet(const cv::Mat& image, int size, ResizeFilter filter) {
  if (image.cols == size && image.rows == size) return image.clone();
  cv::Mat out;
  cv::resize(image, out, cv::Size(size, size), 0, 0, ToOpenCv(filter));
  return out;
}

cv::Mat ResizeLabels(const cv::Mat& labels, int width, int height) {
  if (labels.cols == width && labels.rows == height) return labels.clone();
  cv::Mat out;
  cv::resize(labels, out, cv::Size(width, height), 0, 0,
             cv::INTER_NEAREST_EXACT);
  return out;
}

}  // namespace facet
