// Fuzzes ReadImageHeader (core/image/image_header.h), the check every
// request image passes before OpenCV sees it: any bytes give a header with
// positive sides or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/image/image_header.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<facet::ImageHeader> header = facet::ReadImageHeader(bytes);
  if (header.ok()) {
    FUZZ_CHECK(header->width >= 1 && header->height >= 1,
               "a header was accepted with a side below 1");
    FUZZ_CHECK(facet::ImageFormatName(header->format) != nullptr,
               "no name for the format");
  } else {
    FUZZ_CHECK(!header.status().message().empty(),
               "an error without a message");
  }
  return 0;
}
