#include "core/image/image_decoder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/image/image_header.h"
#include "core/status/errno_status.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

// True iff the JPEG's first scan is followed by an end-of-image marker
// (FF D9). Walks the marker segments by their lengths to the first
// start-of-scan (FF DA), which skips EXIF thumbnails and their own EOI, then
// searches the rest: inside entropy-coded data every 0xFF is followed by 0x00
// or a restart marker, so FF D9 there is the real end of the image.
bool JpegHasEndMarker(std::string_view bytes) {
  size_t pos = 2;  // After SOI.
  while (pos + 1 < bytes.size()) {
    if (static_cast<unsigned char>(bytes[pos]) != 0xFF) return false;
    const unsigned char marker = static_cast<unsigned char>(bytes[pos + 1]);
    if (marker == 0xFF) {  // Fill byte.
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
      pos += 2;  // Standalone marker, no length.
      continue;
    }
    if (marker == 0xD9) return true;
    if (pos + 3 >= bytes.size()) return false;
    const size_t length = static_cast<unsigned char>(bytes[pos + 2]) << 8 |
                          static_cast<unsigned char>(bytes[pos + 3]);
    if (marker == 0xDA) {
      return bytes.find("\xff\xd9", pos + 2 + length) != std::string_view::npos;
    }
    if (length < 2) return false;
    pos += 2 + length;
  }
  return false;
}

absl::Status WithPath(const absl::Status& status, const std::string& path) {
  return absl::Status(status.code(),
                      absl::StrCat(path, ": ", status.message()));
}

// Closes the descriptor on every return path.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

absl::Status CheckImageSize(int64_t width, int64_t height,
                            const DecodeLimits& limits) {
  if (width > limits.max_side || height > limits.max_side) {
    return absl::InvalidArgumentError(
        absl::StrCat("image is ", width, "x", height, ", a side of ",
                     width > height ? width : height,
                     " pixels is over the limit --max_side=", limits.max_side));
  }
  // Both sides are now at most max_side; guard the product anyway in case a
  // caller set max_side absurdly high.
  if (height != 0 && width > limits.max_pixels / height) {
    return absl::InvalidArgumentError(absl::StrCat(
        "image is ", width, "x", height, " = ",
        static_cast<double>(width) * static_cast<double>(height) < 9e18
            ? absl::StrCat(width * height)
            : std::string("too many"),
        " pixels, over the limit --max_pixels=", limits.max_pixels));
  }
  return absl::OkStatus();
}

absl::StatusOr<cv::Mat> DecodeImage(std::string_view bytes,
                                    const DecodeLimits& limits) {
  if (bytes.empty()) return absl::InvalidArgumentError("image data is empty");
  const int64_t size = static_cast<int64_t>(bytes.size());
  if (size > limits.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("image is ", size,
                     " bytes, over the limit --max_bytes=", limits.max_bytes));
  }
  if (size > INT32_MAX) {  // cv::Mat, which wraps the buffer, has int sides.
    return absl::InvalidArgumentError(absl::StrCat(
        "image is ", size, " bytes, over OpenCV's limit of ", INT32_MAX));
  }
  absl::StatusOr<ImageHeader> header = ReadImageHeader(bytes);
  if (!header.ok()) return header.status();
  absl::Status status = CheckImageSize(header->width, header->height, limits);
  if (!status.ok()) return status;
  const char* format = ImageFormatName(header->format);
  if (header->format == ImageFormat::kJpeg && !JpegHasEndMarker(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "JPEG data (", size, " bytes) is truncated: no end-of-image marker"));
  }

  cv::Mat bgr;
  try {
    // imdecode only reads the buffer; the const_cast is for the Mat type.
    const cv::Mat buffer(1, static_cast<int>(size), CV_8UC1,
                         const_cast<char*>(bytes.data()));
    bgr = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("could not decode the ",
                                                   format, " data (", size,
                                                   " bytes): ", e.what()));
  }
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return absl::InvalidArgumentError(
        absl::StrCat("could not decode the ", format, " data (", size,
                     " bytes): corrupt or truncated"));
  }
  // The codec's own idea of the size must obey the limits too (e.g. a WebP
  // whose frame disagrees with its VP8X canvas).
  status = CheckImageSize(bgr.cols, bgr.rows, limits);
  if (!status.ok()) return status;
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

absl::StatusOr<cv::Mat> ReadImageFile(const std::string& path,
                                      const DecodeLimits& limits) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open", path, PathOrigin::kCaller);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return ErrnoToStatus(errno, "stat", path, PathOrigin::kCaller);
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is a directory, not an image file"));
  }
  if (S_ISREG(st.st_mode) && st.st_size > limits.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": file is ", st.st_size,
                     " bytes, over the limit --max_bytes=", limits.max_bytes));
  }
  // Read at most max_bytes + 1 so that a non-regular file (a pipe) that is
  // too long is caught by DecodeImage's size check without unbounded reads.
  std::string bytes;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read", path, PathOrigin::kCaller);
    }
    if (n == 0) break;
    bytes.append(chunk, static_cast<size_t>(n));
    if (static_cast<int64_t>(bytes.size()) > limits.max_bytes) break;
  }
  absl::StatusOr<cv::Mat> image = DecodeImage(bytes, limits);
  if (!image.ok()) return WithPath(image.status(), path);
  return image;
}

absl::StatusOr<cv::Mat> ImageFromRawPixels(std::string_view data, int64_t width,
                                           int64_t height, PixelLayout layout,
                                           const DecodeLimits& limits) {
  if (width < 1 || height < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("raw image size ", width, "x", height,
                     " is invalid; both sides must be at least 1"));
  }
  absl::Status status = CheckImageSize(width, height, limits);
  if (!status.ok()) return status;
  const int channels = layout == PixelLayout::kGray ? 1 : 3;
  // The sides fit OpenCV's int and, with sane limits, the product fits
  // easily; the division keeps absurd limits from overflowing it.
  const uint64_t row = static_cast<uint64_t>(width) * channels;
  const bool fits = width <= INT32_MAX && height <= INT32_MAX &&
                    static_cast<uint64_t>(height) <= UINT64_MAX / row;
  if (!fits || data.size() != row * static_cast<uint64_t>(height)) {
    return absl::InvalidArgumentError(
        absl::StrCat("raw ", channels == 1 ? "gray" : "RGB", " image of ",
                     width, "x", height, " needs ",
                     fits ? absl::StrCat(row * static_cast<uint64_t>(height))
                          : absl::StrCat(width, "*", height, "*", channels),
                     " bytes, got ", data.size()));
  }
  const cv::Mat view(static_cast<int>(height), static_cast<int>(width),
                     channels == 1 ? CV_8UC1 : CV_8UC3,
                     const_cast<char*>(data.data()));
  cv::Mat rgb;
  switch (layout) {
    case PixelLayout::kRgb:
      rgb = view.clone();
      break;
    case PixelLayout::kBgr:
      cv::cvtColor(view, rgb, cv::COLOR_BGR2RGB);
      break;
    case PixelLayout::kGray:
      cv::cvtColor(view, rgb, cv::COLOR_GRAY2RGB);
      break;
  }
  return rgb;
}

}  // namespace facet
