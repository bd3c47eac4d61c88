#include "core/image/image_encoder.h"

#include <exception>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/io/file_io.h"
#include "core/status/errno_status.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

absl::Status CheckEncodable(const cv::Mat& image) {
  if (image.empty()) return absl::InvalidArgumentError("image is empty");
  if (image.type() != CV_8UC3 && image.type() != CV_8UC1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot encode an image of OpenCV type ", image.type(), " with ",
        image.channels(), " channels; expected CV_8UC3 (RGB) or CV_8UC1"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Encode(const cv::Mat& image, const char* ext,
                                   const std::vector<int>& params) {
  absl::Status status = CheckEncodable(image);
  if (!status.ok()) return status;
  // A separate Mat: converting into a header that shares `image`'s pixels
  // would swap the caller's channels in place.
  cv::Mat bgr;
  if (image.channels() == 3) {
    cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
  } else {
    bgr = image;
  }
  std::vector<uchar> buffer;
  try {
    if (!cv::imencode(ext, bgr, buffer, params)) {
      return absl::InternalError(absl::StrCat("OpenCV could not encode ", ext));
    }
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("OpenCV could not encode ", ext, ": ", e.what()));
  }
  return std::string(buffer.begin(), buffer.end());
}

}  // namespace

absl::StatusOr<std::string> EncodePng(const cv::Mat& image) {
  return Encode(image, ".png", {});
}

absl::StatusOr<std::string> EncodeJpeg(const cv::Mat& image, int quality) {
  if (quality < 1 || quality > 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "JPEG quality ", quality, " is out of range; expected 1 to 100"));
  }
  return Encode(image, ".jpg", {cv::IMWRITE_JPEG_QUALITY, quality});
}

absl::Status WriteImageFile(const std::string& path, const cv::Mat& image) {
  const std::string lower = absl::AsciiStrToLower(path);
  absl::StatusOr<std::string> bytes;
  if (absl::EndsWith(lower, ".png")) {
    bytes = EncodePng(image);
  } else if (absl::EndsWith(lower, ".jpg") || absl::EndsWith(lower, ".jpeg")) {
    bytes = EncodeJpeg(image);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot write ", path,
        ": unknown image extension; expected .png, .jpg or .jpeg"));
  }
  if (!bytes.ok()) {
    return absl::Status(
        bytes.status().code(),
        absl::StrCat("cannot write ", path, ": ", bytes.status().message()));
  }
  DurableWriteOptions options;
  options.mode = DurableWriteOptions::Mode::kReplace;
  options.origin = PathOrigin::kCaller;
  return ToAbslStatus(WriteFileDurably(path, *bytes, options));
}

}  // namespace facet
