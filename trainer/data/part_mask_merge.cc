#include "trainer/data/part_mask_merge.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace facet {

absl::StatusOr<cv::Mat> MergePartMasks(
    const std::array<cv::Mat, kNumLabels>& parts, cv::Size size) {
  cv::Mat labels = cv::Mat::zeros(size, CV_8UC1);
  for (int id = 1; id < kNumLabels; ++id) {
    const cv::Mat& mask = parts[id];
    if (mask.empty()) continue;
    if (mask.size() != size || mask.type() != CV_8UC1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mask of part '", std::string(Label(id).name), "' is ", mask.cols,
          "x", mask.rows, " of OpenCV type ", mask.type(), "; expected ",
          size.width, "x", size.height, " CV_8UC1"));
    }
    labels.setTo(id, mask);
  }
  return labels;
}

}  // namespace facet
