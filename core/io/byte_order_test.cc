#include "core/io/byte_order.h"

#include <string>

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(ByteOrderTest, LoadsEachWidthBothWays) {
  const std::string bytes("\x01\x02\x03\x04\x05\x06\x07\x08\xff", 9);
  struct Case {
    int width;
    uint64_t little, big;
  };
  const Case cases[] = {
      {1, 0x01, 0x01},
      {2, 0x0201, 0x0102},
      {3, 0x030201, 0x010203},
      {4, 0x04030201, 0x01020304},
      {8, 0x0807060504030201, 0x0102030405060708},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(LoadLittleEndian(bytes, 0, c.width), c.little) << c.width;
    EXPECT_EQ(LoadBigEndian(bytes, 0, c.width), c.big) << c.width;
  }
  // High bytes are unsigned, at any offset.
  EXPECT_EQ(LoadLittleEndian(bytes, 7, 2), 0xff08u);
  EXPECT_EQ(LoadBigEndian(bytes, 7, 2), 0x08ffu);
}

TEST(ByteOrderTest, AppendRoundTrips) {
  for (uint64_t v :
       {uint64_t{0}, uint64_t{1}, uint64_t{0xdeadbeef},
        uint64_t{0xffffffffffffffff}, uint64_t{0x0123456789abcdef}}) {
    std::string out = "x";
    AppendLittleEndian(v, 8, &out);
    ASSERT_EQ(out.size(), 9u);
    EXPECT_EQ(LoadLittleEndian(out, 1, 8), v);
  }
  std::string two;
  AppendLittleEndian(0x12345678, 2, &two);  // Only the low bytes.
  EXPECT_EQ(two, std::string("\x78\x56", 2));
}

}  // namespace
}  // namespace facet
