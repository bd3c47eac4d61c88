// Decoding untrusted image bytes into 8-bit RGB pixels, with size limits.
//
// Every image Facet receives (a request, a training file, a client's photo)
// goes through here. The limits are checked from the bytes and the header
// (see image_header.h) before OpenCV allocates anything, so a small file
// claiming a huge canvas costs nothing. Errors are InvalidArgument with a
// message naming the limit and the offending value, e.g.
//   "image is 9000x9000 = 81000000 pixels, over the limit
//   --max_pixels=36000000"
//
// Output: a continuous CV_8UC3 cv::Mat in RGB order (not OpenCV's usual BGR).
// 16-bit images are scaled to 8 bits, gray is replicated to three channels,
// palette images are expanded, CMYK JPEGs are converted to RGB, and an
// alpha channel is dropped (not composited: transparent pixels keep whatever
// colour they store). A JPEG's EXIF orientation is applied, so a rotated
// photo comes out upright and may have width and height swapped relative to
// its header; the limits hold either way.
//
// Thread safety: all functions are thread-safe. OpenCV's global thread count
// is not changed here.

#ifndef FACET_CORE_IMAGE_IMAGE_DECODER_H_
#define FACET_CORE_IMAGE_IMAGE_DECODER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"

namespace facet {

struct DecodeLimits {
  // Largest encoded input accepted, in bytes. Bounds the memory held by a
  // request before anything is decoded.
  // Default: 16 MiB.
  int64_t max_bytes = int64_t{16} << 20;

  // Largest width or height accepted, in pixels. Refuses degenerate strips
  // (e.g. 100000x1) that pass the pixel limit but are not photos.
  // Default: 8192.
  int64_t max_side = 8192;

  // Largest width * height accepted. The decoded RGB image takes 3 bytes
  // per pixel (108 MB at the default), plus OpenCV's working copy.
  // Default: 36,000,000 (e.g. 6000x6000).
  int64_t max_pixels = 36'000'000;
};

// Returns InvalidArgument naming the limit if a width x height image is over
// `limits.max_side` or `limits.max_pixels`; OK otherwise. Exposed so that
// callers holding only dimensions (e.g. raw pixels) apply the same rule.
absl::Status CheckImageSize(int64_t width, int64_t height,
                            const DecodeLimits& limits);

// Decodes a JPEG, PNG, WebP, BMP or TIFF held in `bytes` into RGB (see the
// file comment). Checks, in order, before decoding: the input is not empty,
// its length is within `max_bytes`, the format is known and its header
// parses, and the declared size is within `max_side` and `max_pixels`.
// A JPEG must also contain its end-of-image marker: a truncated JPEG would
// otherwise decode "successfully" with its missing rows painted gray.
// Returns InvalidArgument for any of these and for data the codec rejects
// ("could not decode the PNG data ...: corrupt or truncated").
absl::StatusOr<cv::Mat> DecodeImage(std::string_view bytes,
                                    const DecodeLimits& limits);

// Reads the file at `path` and decodes it with DecodeImage. A file larger
// than `max_bytes` is refused from its size, without reading it.
// Errors name the path: NotFound (missing file or folder), PermissionDenied,
// InvalidArgument (a directory, or any DecodeImage error, prefixed with the
// path), Internal for other I/O failures.
absl::StatusOr<cv::Mat> ReadImageFile(const std::string& path,
                                      const DecodeLimits& limits);

// Byte order of uncompressed pixels handed to ImageFromRawPixels.
enum class PixelLayout {
  kRgb,   // 3 bytes per pixel: R, G, B.
  kBgr,   // 3 bytes per pixel: B, G, R (OpenCV's order).
  kGray,  // 1 byte per pixel.
};

// Wraps `data`, height rows of width pixels packed without padding, as a new
// CV_8UC3 RGB image (the data is copied; `data` need not outlive the
// result). Returns InvalidArgument if width or height is below 1, the size
// is over `max_side` or `max_pixels`, or data.size() is not exactly
// width * height * bytes-per-pixel (the message gives expected and actual
// byte counts). `max_bytes` is not applied: the pixel limits already bound
// the length, and raw pixels are much larger than an encoded file.
absl::StatusOr<cv::Mat> ImageFromRawPixels(std::string_view data, int64_t width,
                                           int64_t height, PixelLayout layout,
                                           const DecodeLimits& limits);

}  // namespace facet

#endif  // FACET_CORE_IMAGE_IMAGE_DECODER_H_
