#include "core/model/inflate.h"

#include <random>
#include <string>

#include "core/model/pth_test_fixtures.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using pth_testing::GeneratedFixturesDir;
using pth_testing::ReadFile;

constexpr size_t kBig = size_t{1} << 24;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(InflateTest, DecodesZlibStreams) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  for (const char* name : {"empty", "tiny", "text9", "text1", "stored", "noise",
                           "long_stored", "mixed"}) {
    const std::string base = dir + "/deflate_" + name;
    const std::string expected = ReadFile(base + ".bin");
    ModelResult<std::string> got = Inflate(ReadFile(base + ".raw"), kBig);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(*got, expected) << name;
  }
}

TEST(InflateTest, DecodesHandMadeBlocks) {
  // A final stored block holding "abc".
  ModelResult<std::string> stored =
      Inflate(Bytes({0x01, 3, 0, 0xfc, 0xff, 'a', 'b', 'c'}), 100);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(*stored, "abc");
  // A fixed-Huffman block: literal 'a', then end of block.
  ModelResult<std::string> fixed = Inflate(Bytes({0x4b, 0x04, 0x00}), 100);
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_EQ(*fixed, "a");
  // Trailing bytes after the final block are ignored.
  ModelResult<std::string> padded =
      Inflate(Bytes({0x4b, 0x04, 0x00, 0xde, 0xad}), 100);
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(*padded, "a");
}

TEST(InflateTest, RejectsMalformedStreams) {
  struct Case {
    const char* what;
    std::string stream;
    const char* message;
  };
  const Case cases[] = {
      {"empty input", "", "truncated"},
      {"reserved block type", Bytes({0x07}), "reserved"},
      {"stored length check", Bytes({0x01, 3, 0, 0, 0, 'a', 'b', 'c'}),
       "length check"},
      {"stored data cut", Bytes({0x01, 3, 0, 0xfc, 0xff, 'a'}), "truncated"},
      {"no final block", Bytes({0x00, 0, 0, 0xff, 0xff}), "truncated"},
      // Fixed block whose first code is a distance (length 3, distance 1)
      // with nothing written yet.
      {"distance too far", Bytes({0x03, 0x02, 0x00}), "too far"},
  };
  for (const Case& c : cases) {
    ModelResult<std::string> got = Inflate(c.stream, 100);
    ASSERT_FALSE(got.ok()) << c.what;
    EXPECT_EQ(got.status().code(), ModelErrorCode::kDataLoss) << c.what;
    EXPECT_NE(got.status().message().find(c.message), std::string::npos)
        << c.what << ": " << got.status().message();
  }
}

TEST(InflateTest, StopsAtOutputLimit) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  const std::string raw = ReadFile(dir + "/deflate_text9.raw");
  const size_t size = ReadFile(dir + "/deflate_text9.bin").size();
  EXPECT_TRUE(Inflate(raw, size).ok());
  ModelResult<std::string> got = Inflate(raw, size - 1);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ModelErrorCode::kResourceExhausted);
}

TEST(InflateTest, EveryTruncationFails) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  for (const char* name : {"text9", "stored", "mixed"}) {
    const std::string raw = ReadFile(dir + "/deflate_" + name + ".raw");
    for (size_t n = 0; n < raw.size(); n += 1 + raw.size() / 600) {
      EXPECT_FALSE(Inflate(raw.substr(0, n), kBig).ok()) << name << " " << n;
    }
  }
}

TEST(InflateTest, SurvivesRandomCorruption) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  const std::string raw = ReadFile(dir + "/deflate_mixed.raw");
  std::mt19937 rng(42);
  int failures = 0;
  for (int i = 0; i < 600; ++i) {
    std::string bad = raw;
    for (int k = 0; k < 3; ++k) {
      bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    ModelResult<std::string> got = Inflate(bad, 1 << 20);
    if (!got.ok()) {
      ++failures;
    } else {
      EXPECT_LE(got->size(), size_t{1} << 20);
    }
  }
  EXPECT_GT(failures, 0);  // Most flips break the Huffman structure.
}

TEST(InflateTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string junk(1 + rng() % 300, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    ModelResult<std::string> got = Inflate(junk, 1 << 16);
    if (got.ok()) {
      EXPECT_LE(got->size(), size_t{1} << 16);
    }
  }
}

}  // namespace
}  // namespace facet
