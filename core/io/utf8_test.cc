#include "core/io/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(Utf8Test, AcceptsWellFormedAndRejectsTheRest) {
  struct Case {
    std::string s;
    bool valid;
  };
  const Case cases[] = {
      {"", true},
      {"plain ascii", true},
      {"\xC3\xA9", true},                 // U+00E9
      {"\xE2\x82\xAC", true},             // U+20AC
      {"\xF0\x9F\x98\x80", true},         // U+1F600
      {"\xF4\x8F\xBF\xBF", true},         // U+10FFFF, the last code point
      {"\x80", false},                    // Lone continuation byte.
      {"\xC0\xAF", false},                // Overlong '/'.
      {"\xE0\x80\xAF", false},            // Overlong, three bytes.
      {"\xF0\x80\x80\xAF", false},        // Overlong, four bytes.
      {"\xED\xA0\x80", false},            // U+D800, a surrogate.
      {"\xF4\x90\x80\x80", false},        // Above U+10FFFF.
      {"\xF5\x80\x80\x80", false},        // Lead byte above F4.
      {"\xC3", false},                    // Truncated.
      {"\xE2\x82", false},                // Truncated.
      {"a\xC3(", false},                  // Bad continuation.
      {std::string("nul\0ok", 6), true},  // NUL is a code point.
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsValidUtf8(c.s), c.valid) << ::testing::PrintToString(c.s);
  }
}

}  // namespace
}  // namespace facet
