// Fuzzes DecodeImage (core/image/image_decoder.h): the header check, then
// OpenCV's decoders (uninstrumented Debian libraries: a fault inside them is
// still caught, coverage inside them is not). Small limits keep every input
// fast. Properties: the result is continuous 8-bit RGB within the limits,
// and the codec decodes the size the header check saw (sides swapped at
// most, for EXIF orientation): otherwise the limits, which are checked on
// the header before OpenCV allocates, would not bound what it allocates.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/strings/match.h"
#include "core/image/image_decoder.h"
#include "core/image/image_header.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  facet::DecodeLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_side = 1024;
  limits.max_pixels = 256 * 256;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<cv::Mat> image = facet::DecodeImage(bytes, limits);
  absl::StatusOr<facet::ImageHeader> header = facet::ReadImageHeader(bytes);
  if (image.ok()) {
    FUZZ_CHECK(image->type() == CV_8UC3 && image->isContinuous(),
               "decoded image is not continuous CV_8UC3");
    FUZZ_CHECK(image->cols >= 1 && image->rows >= 1 &&
                   image->cols <= limits.max_side &&
                   image->rows <= limits.max_side &&
                   int64_t{image->cols} * image->rows <= limits.max_pixels,
               "decoded image is outside the limits");
    FUZZ_CHECK(header.ok(), "decoded an image whose header is refused");
    const int64_t w = image->cols, h = image->rows;
    FUZZ_CHECK((w == header->width && h == header->height) ||
                   (w == header->height && h == header->width),
               "the codec decoded another size than the header check saw");
  } else if (header.ok() &&
             facet::CheckImageSize(header->width, header->height, limits)
                 .ok()) {
    FUZZ_CHECK(!absl::StrContains(image.status().message(), "over the limit"),
               "the header passed the limits but the decoded image did not");
  }
  return 0;
}
