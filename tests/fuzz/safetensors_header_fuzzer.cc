// Fuzzes ParseSafetensorsHeader (core/model/safetensors_header.h), the JSON
// header of a .safetensors file: any text gives entries or a clean error;
// accepted entries have no negative dimension (offsets are checked against
// each other by ParseSafetensors, not here: see safetensors_header.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/model/safetensors_header.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  facet::ModelResult<facet::SafetensorsHeader> header =
      facet::ParseSafetensorsHeader(json);
  if (!header.ok()) return 0;
  for (const facet::SafetensorsHeaderEntry& entry : header->tensors) {
    for (int64_t d : entry.shape) FUZZ_CHECK(d >= 0, "negative dimension");
  }
  return 0;
}
