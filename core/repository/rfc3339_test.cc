#include "core/repository/rfc3339.h"

#include <chrono>

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(Rfc3339Test, ParsesAndFormatsUtc) {
  struct Case {
    const char* s;
    bool ok;
  };
  const Case cases[] = {
      {"2026-11-29T16:00:00Z", true},       {"2024-02-29T23:59:60.123Z", true},
      {"2023-02-29T00:00:00Z", false},      {"2026-13-01T00:00:00Z", false},
      {"2026-11-29T24:00:00Z", false},      {"2026-11-29 16:00:00Z", false},
      {"2026-11-29T16:00:00", false},       {"2026-11-29T16:00:00.Z", false},
      {"2026-11-29T16:00:00+00:00", false}, {"", false},
  };
  for (const Case& c : cases) EXPECT_EQ(IsRfc3339Utc(c.s), c.ok) << c.s;
  EXPECT_EQ(FormatRfc3339Utc(std::chrono::system_clock::time_point()),
            "1970-01-01T00:00:00Z");
  EXPECT_TRUE(IsRfc3339Utc(FormatRfc3339Utc(std::chrono::system_clock::now())));
}

}  // namespace
}  // namespace facet
