#include "core/image/image_encoder.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <exception>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

// Writes `bytes` to a new temporary file beside `path` and renames it over
// `path`.
absl::Status WriteAtomically(const std::string& path, std::string_view bytes) {
  static std::atomic<uint64_t> counter{0};
  const std::string temp =
      absl::StrCat(path, ".tmp.", ::getpid(), ".", counter.fetch_add(1));
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus(errno, "create", path, PathOrigin::kCaller);
  absl::Status status;
  size_t done = 0;
  while (status.ok() && done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      status = ErrnoToStatus(errno, "write", path, PathOrigin::kCaller);
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (status.ok() && ::fsync(fd) != 0)
    status = ErrnoToStatus(errno, "write", path, PathOrigin::kCaller);
  if (::close(fd) != 0 && status.ok())
    status = ErrnoToStatus(errno, "write", path, PathOrigin::kCaller);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoToStatus(errno, "rename the new file onto", path,
                           PathOrigin::kCaller);
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
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
  return WriteAtomically(path, *bytes);
}

}  // namespace facet
