#include "core/io/byte_order.h"

namespace facet {

uint64_t LoadLittleEndian(std::string_view bytes, size_t pos, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) {
    value = (value << 8) |
            static_cast<unsigned char>(bytes[pos + static_cast<size_t>(i)]);
  }
  return value;
}

uint64_t LoadBigEndian(std::string_view bytes, size_t pos, int width) {
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) {
    value = (value << 8) |
            static_cast<unsigned char>(bytes[pos + static_cast<size_t>(i)]);
  }
  return value;
}

void AppendLittleEndian(uint64_t value, int width, std::string* out) {
  for (int i = 0; i < width; ++i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

}  // namespace facet
