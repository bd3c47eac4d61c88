// Fixed-width unsigned integers in little- and big-endian byte order, as
// the binary formats Facet reads and writes store them (zip, pickle,
// safetensors, the image headers). Byte-wise, so they hold on any host and
// at any alignment.
//
// Functions keep no state and may be called from any thread.
#ifndef FACET_CORE_IO_BYTE_ORDER_H_
#define FACET_CORE_IO_BYTE_ORDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace facet {

// The `width`-byte little-endian number at `bytes[pos]`.
// REQUIRES: 1 <= width <= 8 and pos + width <= bytes.size().
uint64_t LoadLittleEndian(std::string_view bytes, size_t pos, int width);

// The `width`-byte big-endian number at `bytes[pos]`.
// REQUIRES: 1 <= width <= 8 and pos + width <= bytes.size().
uint64_t LoadBigEndian(std::string_view bytes, size_t pos, int width);

// Appends the low `width` bytes of `value`, least significant first.
// REQUIRES: 1 <= width <= 8.
void AppendLittleEndian(uint64_t value, int width, std::string* out);

}  // namespace facet

#endif  // FACET_CORE_IO_BYTE_ORDER_H_
