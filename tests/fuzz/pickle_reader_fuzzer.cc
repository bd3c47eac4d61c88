// Fuzzes ReadPickle (core/model/pickle_reader.h) with the plain-data
// resolver, as the legacy .pth reader runs its header pickles: any bytes
// give a value or a clean error; a value leaves `pos` inside the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/model/pickle_reader.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  facet::PickleArena arena;
  facet::PlainDataResolver resolver;
  facet::PickleLimits limits;
  limits.max_memo = 1 << 16;
  limits.max_stack = 1 << 16;
  size_t pos = 0;
  // A stream may hold several pickles back to back (the legacy format does).
  while (pos < bytes.size()) {
    const size_t before = pos;
    facet::ModelResult<facet::PickleValue*> value =
        facet::ReadPickle(bytes, &pos, &arena, &resolver, "fuzz", limits);
    if (!value.ok()) break;
    FUZZ_CHECK(value.value() != nullptr, "OK with a null value");
    FUZZ_CHECK(pos > before && pos <= bytes.size(),
               "pos did not advance within the input");
  }
  return 0;
}
