#include "core/model/inflate.h"

#include <random>
#include <string>

#include "core/model/pth_test_fixtures.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using pth_testing::GeneratedFixturesDir;
using testing::ReadFile;

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

// Packs values least-significant bit first, as DEFLATE does.
class BitWriter {
 public:
  void Put(uint32_t value, int bits) {
    for (int i = 0; i < bits; ++i) {
      if (count_ % 8 == 0) out_.push_back('\0');
      out_.back() =
          static_cast<char>(out_.back() | (((value >> i) & 1) << (count_ % 8)));
      ++count_;
    }
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
  int count_ = 0;
};

// A dynamic block writing "aa": literal/length code {'a': 0, end: 1} and
// one distance code of length `dist_length` (0: none at all).
std::string DynamicBlock(int dist_length) {
  BitWriter w;
  w.Put(1, 1);   // Final block.
  w.Put(2, 2);   // Dynamic Huffman.
  w.Put(0, 5);   // 257 literal/length codes.
  w.Put(0, 5);   // 1 distance code.
  w.Put(14, 4);  // 18 code-length code lengths, in the RFC's order:
  // 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1. Symbols
  // 0, 1 and 2 get one-bit, two-bit and two-bit codes (0, 10, 11).
  const int lengths[18] = {0, 0, 0, 1, 0, 0, 0, 0, 0,
                           0, 0, 0, 0, 0, 0, 2, 0, 2};
  for (int len : lengths) w.Put(len, 3);
  // Code-length symbol `len` (0, 1 or 2), sent most significant bit first.
  auto put_length = [&w](int len) {
    if (len == 0) {
      w.Put(0, 1);
    } else {
      w.Put(1, 1);
      w.Put(len - 1, 1);
    }
  };

  for (int symbol = 0; symbol < 257; ++symbol) {
    put_length(symbol == 'a' || symbol == 256 ? 1 : 0);
  }
  put_length(dist_length);
  w.Put(0, 1);  // 'a'
  w.Put(0, 1);  // 'a'
  w.Put(1, 1);  // End of block.
  return w.bytes();
}

TEST(InflateTest, AcceptsOnlyDegenerateIncompleteCodesThatZlibAllows) {
  // No distance code at all, or a single one-bit code: both valid.
  for (int dist_length : {0, 1}) {
    ModelResult<std::string> got = Inflate(DynamicBlock(dist_length), 100);
    ASSERT_TRUE(got.ok()) << dist_length << ": " << got.status().ToString();
    EXPECT_EQ(*got, "aa");
  }
  // A single two-bit code is an incomplete code zlib rejects.
  ModelResult<std::string> got = Inflate(DynamicBlock(2), 100);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("bad distance code"), std::string::npos)
      << got.status().message();
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
