// Fuzzes Inflate (core/model/inflate.h), the raw-deflate decoder of .pth
// zip entries: any bytes inflate within the output limit or fail cleanly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/model/inflate.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMaxOutput = 1 << 20;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  facet::ModelResult<std::string> out = facet::Inflate(bytes, kMaxOutput);
  if (out.ok()) {
    FUZZ_CHECK(out.value().size() <= kMaxOutput, "output above the limit");
  }
  return 0;
}
