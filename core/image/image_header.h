// Image header sniffing: which format a byte string holds and how large the
// picture claims to be, read from the first bytes without decoding.
//
// DecodeImage uses this to refuse oversized images before any pixel memory is
// allocated, so the parser trusts nothing: every offset is bounds-checked
// against the input, and truncated or garbage input yields InvalidArgument,
// never an out-of-bounds read. The dimensions are those the file declares;
// the pixel data after the header is not looked at, so a file whose header
// parses may still fail to decode.
//
// Thread safety: the functions here are pure and may be called concurrently.

#ifndef FACET_CORE_IMAGE_IMAGE_HEADER_H_
#define FACET_CORE_IMAGE_IMAGE_HEADER_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace facet {

// The container formats Facet accepts. Everything else (GIF, EXR, PNM, ...)
// is refused even where OpenCV could decode it, to keep the attack surface to
// the five common photo codecs.
enum class ImageFormat { kJpeg, kPng, kWebp, kBmp, kTiff };

// Returns "JPEG", "PNG", "WebP", "BMP" or "TIFF".
const char* ImageFormatName(ImageFormat format);

struct ImageHeader {
  ImageFormat format;
  int64_t width;   // Stored width in pixels, >= 1.
  int64_t height;  // Stored height in pixels, >= 1 (bottom-up or top-down).
};

// Detects the format from the leading magic bytes and reads the declared
// width and height:
//   PNG:  the IHDR chunk, which must come first.
//   JPEG: walks the marker segments to the first SOFn frame header (SOF0 to
//         SOF15 except DHT, JPG and DAC); a scan or end-of-image marker before
//         it is an error. A frame declaring height 0 (height given later by
//         a DNL marker) is refused.
//   BMP:  BITMAPCOREHEADER (12 bytes, 16-bit sizes) or any later
//         BITMAPINFOHEADER variant (32-bit sizes); a negative height (a
//         top-down bitmap) reports its absolute value.
//   WebP: the first chunk, "VP8 " (lossy key frame), "VP8L" (lossless) or
//         "VP8X" (extended; the canvas size).
//   TIFF: little- ("II") or big-endian ("MM"); the first IFD's ImageWidth
//         (256) and ImageLength (257), each a SHORT or LONG. BigTIFF is
//         refused.
// Returns InvalidArgument when the input is empty, the format is not one of
// the above (the message shows the first bytes), the header is truncated or
// inconsistent, or a dimension is zero or negative; the message says which.
absl::StatusOr<ImageHeader> ReadImageHeader(std::string_view bytes);

}  // namespace facet

#endif  // FACET_CORE_IMAGE_IMAGE_HEADER_H_
