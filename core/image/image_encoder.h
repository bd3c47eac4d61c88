// Encoding images to PNG or JPEG bytes and writing them to files.
//
// Inputs follow Facet's convention: 3-channel images are RGB (converted to
// OpenCV's BGR inside), 1-channel images are gray or label maps (written as
// they are, so a label map PNG holds the raw ids). Only 8-bit images
// (CV_8UC1 or CV_8UC3) are accepted.
//
// Thread safety: all functions are thread-safe. Two concurrent
// WriteImageFile calls on the same path each write a whole file; the last
// rename wins.

#ifndef FACET_CORE_IMAGE_IMAGE_ENCODER_H_
#define FACET_CORE_IMAGE_IMAGE_ENCODER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"

namespace facet {

// Returns `image` (CV_8UC3 RGB or CV_8UC1) as lossless PNG bytes.
// InvalidArgument if it is empty or of another type.
absl::StatusOr<std::string> EncodePng(const cv::Mat& image);

// Returns `image` (CV_8UC3 RGB or CV_8UC1) as baseline JPEG bytes at
// `quality` (1 to 100). InvalidArgument for an empty image, another type, or
// a quality out of range.
absl::StatusOr<std::string> EncodeJpeg(const cv::Mat& image, int quality = 95);

// Encodes `image` by the extension of `path` (".png", ".jpg" or ".jpeg",
// any case; JPEG at quality 95) and writes it atomically: the bytes go to a
// temporary file in the same folder, which is flushed and renamed over
// `path`, so readers see the old file or the whole new one, never a part.
// On failure the temporary file is removed and `path` is untouched.
// (core/io's WriteFileDurably in kReplace mode.) Errors name the path:
// InvalidArgument (unknown extension, bad image, a folder), NotFound (the
// folder does not exist), PermissionDenied, ResourceExhausted (disk full),
// DataLoss (EIO), Internal (other I/O errors).
absl::Status WriteImageFile(const std::string& path, const cv::Mat& image);

}  // namespace facet

#endif  // FACET_CORE_IMAGE_IMAGE_ENCODER_H_
