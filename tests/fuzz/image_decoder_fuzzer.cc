// Fuzzes DecodeImage (core/image/image_decoder.h): the header check, then
// OpenCV's decoders (uninstrumented Debian libraries: a fault inside them is
// still caught, coverage inside them is not). Small limits keep every input
// fast; the result must be continuous 8-bit RGB within them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/image/image_decoder.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  facet::DecodeLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_side = 1024;
  limits.max_pixels = 256 * 256;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<cv::Mat> image = facet::DecodeImage(bytes, limits);
  if (image.ok()) {
    FUZZ_CHECK(image->type() == CV_8UC3 && image->isContinuous(),
               "decoded image is not continuous CV_8UC3");
    FUZZ_CHECK(image->cols >= 1 && image->rows >= 1 &&
                   image->cols <= limits.max_side &&
                   image->rows <= limits.max_side &&
                   int64_t{image->cols} * image->rows <= limits.max_pixels,
               "decoded image is outside the limits");
  }
  return 0;
}
