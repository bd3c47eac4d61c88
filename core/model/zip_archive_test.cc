#include "core/model/zip_archive.h"

#include <random>
#include <string>

#include "core/model/pth_test_fixtures.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using pth_testing::GeneratedFixturesDir;
using testing::ReadFile;

std::string SmallArchive() {
  ZipWriter writer;
  EXPECT_TRUE(writer.AddStored("root/a.txt", "hello").ok());
  EXPECT_TRUE(writer.AddStored("root/data/0", std::string(1000, 'x')).ok());
  EXPECT_TRUE(writer.AddStored("root/empty", "").ok());
  return writer.Finish();
}

// Replaces every occurrence of `from` in `bytes` by `to` (same length).
std::string ReplaceAll(std::string bytes, const std::string& from,
                       const std::string& to) {
  for (size_t p = bytes.find(from); p != std::string::npos;
       p = bytes.find(from, p + 1)) {
    bytes.replace(p, from.size(), to);
  }
  return bytes;
}

TEST(Crc32Test, MatchesCheckValue) {
  // The check value of CRC-32/ISO-HDLC.
  EXPECT_EQ(Crc32("123456789"), 0xcbf43926u);
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("6789", Crc32("12345")), Crc32("123456789"));
}

TEST(ZipArchiveTest, WriterOutputReadsBackAligned) {
  const std::string bytes = SmallArchive();
  ModelResult<ZipReader> zip = ZipReader::Open(bytes);
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  ASSERT_EQ(zip->entries().size(), 3u);
  EXPECT_EQ(zip->entries()[0].name, "root/a.txt");
  for (const ZipEntry& e : zip->entries()) {
    EXPECT_EQ(e.data_offset % ZipWriter::kAlignment, 0u) << e.name;
    EXPECT_EQ(e.method, 0);
  }
  EXPECT_EQ(*zip->Read(*zip->Find("root/a.txt")), "hello");
  EXPECT_EQ(*zip->Read(*zip->Find("root/data/0")), std::string(1000, 'x'));
  EXPECT_EQ(*zip->Read(*zip->Find("root/empty")), "");
  EXPECT_EQ(zip->Find("root/missing"), nullptr);
}

TEST(ZipArchiveTest, WriterRejectsDuplicateAndEmptyNames) {
  ZipWriter writer;
  ASSERT_TRUE(writer.AddStored("a", "1").ok());
  EXPECT_EQ(writer.AddStored("a", "2").code(),
            ModelErrorCode::kInvalidArgument);
  EXPECT_EQ(writer.AddStored("", "2").code(), ModelErrorCode::kInvalidArgument);
}

TEST(ZipArchiveTest, ReadsTorchWrittenArchive) {
  const std::string shared = testing::FixturesDirIfPresent();
  if (shared.empty()) GTEST_SKIP() << "no shared fixtures";
  const std::string bytes = ReadFile(shared + "/golden/small.zip.pth");
  ModelResult<ZipReader> zip = ZipReader::Open(bytes);
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  // data.pkl, 86 storages, version: torch's ZIP64 end records, data
  // descriptors and zeroed local sizes.
  EXPECT_EQ(zip->entries().size(), 88u);
  const ZipEntry* version = zip->Find("small.zip/version");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(*zip->Read(*version), "3\n");
  for (const ZipEntry& e : zip->entries()) {
    ModelResult<std::string> data = zip->Read(e);
    ASSERT_TRUE(data.ok()) << e.name << ": " << data.status().ToString();
    EXPECT_EQ(data->size(), e.uncompressed_size);
  }
}

TEST(ZipArchiveTest, ReadsDeflatedEntries) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  const std::string stored_bytes = ReadFile(dir + "/basic.zip.pth");
  const std::string deflated_bytes = ReadFile(dir + "/basic.deflated.pth");
  ModelResult<ZipReader> stored = ZipReader::Open(stored_bytes);
  ModelResult<ZipReader> deflated = ZipReader::Open(deflated_bytes);
  ASSERT_TRUE(stored.ok() && deflated.ok());
  ASSERT_EQ(stored->entries().size(), deflated->entries().size());
  int compressed = 0;
  for (const ZipEntry& e : deflated->entries()) {
    compressed += e.method == 8;
    ModelResult<std::string> got = deflated->Read(e);
    ASSERT_TRUE(got.ok()) << e.name << ": " << got.status().ToString();
    EXPECT_EQ(*got, *stored->Read(*stored->Find(e.name))) << e.name;
  }
  EXPECT_GT(compressed, 0);
}

TEST(ZipArchiveTest, RejectsDamagedArchives) {
  const std::string good = SmallArchive();
  const size_t cd = good.find("PK\x01\x02");
  const size_t end = good.find("PK\x05\x06");
  ASSERT_NE(cd, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  struct Case {
    const char* what;
    std::string bytes;
    ModelErrorCode code;
    const char* message;
  };
  std::string crc = good;
  crc[good.find("hello")] = 'j';
  std::string method = good;
  method[cd + 10] = 12;  // bzip2 in the central directory.
  std::string cd_offset = good;
  cd_offset[end + 16] = static_cast<char>(cd_offset[end + 16] + 1);
  std::string local = good;
  local[1] = 'X';  // First local header's signature.
  std::string encrypted = good;
  encrypted[cd + 8] = 1;
  const Case cases[] = {
      {"empty", "", ModelErrorCode::kDataLoss, "too short"},
      {"text", std::string(100, 'a'), ModelErrorCode::kDataLoss,
       "end-of-central-directory"},
      {"crc", crc, ModelErrorCode::kDataLoss, "CRC-32"},
      {"method", method, ModelErrorCode::kUnimplemented, "method 12"},
      {"cd offset", cd_offset, ModelErrorCode::kDataLoss, "central directory"},
      {"local header", local, ModelErrorCode::kDataLoss, "local header"},
      {"encrypted", encrypted, ModelErrorCode::kUnimplemented, "encrypted"},
      {"duplicate", ReplaceAll(good, "root/empty", "root/a.txt"),
       ModelErrorCode::kInvalidArgument, "two entries"},
  };
  for (const Case& c : cases) {
    ModelStatus status;
    ModelResult<ZipReader> zip = ZipReader::Open(c.bytes);
    if (!zip.ok()) {
      status = zip.status();
    } else {
      // Some damage only shows when the data is read.
      for (const ZipEntry& e : zip->entries()) {
        ModelResult<std::string> data = zip->Read(e);
        if (!data.ok()) status = data.status();
      }
    }
    ASSERT_FALSE(status.ok()) << c.what;
    EXPECT_EQ(status.code(), c.code) << c.what << ": " << status.ToString();
    EXPECT_NE(status.message().find(c.message), std::string::npos)
        << c.what << ": " << status.message();
  }
}

TEST(ZipArchiveTest, EveryTruncationFails) {
  const std::string good = SmallArchive();
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ZipReader::Open(good.substr(0, n)).ok()) << n;
  }
}

TEST(ZipArchiveTest, RespectsLimits) {
  const std::string good = SmallArchive();
  ZipLimits few_entries;
  few_entries.max_entries = 2;
  EXPECT_EQ(ZipReader::Open(good, few_entries).status().code(),
            ModelErrorCode::kResourceExhausted);
  ZipLimits small_entries;
  small_entries.max_entry_size = 999;
  EXPECT_EQ(ZipReader::Open(good, small_entries).status().code(),
            ModelErrorCode::kResourceExhausted);
}

TEST(ZipArchiveTest, SurvivesRandomByteFlips) {
  const std::string good = SmallArchive();
  std::mt19937 rng(1);
  for (int i = 0; i < 3000; ++i) {
    std::string bad = good;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      bad[rng() % bad.size()] = static_cast<char>(rng());
    }
    ModelResult<ZipReader> zip = ZipReader::Open(bad);
    if (!zip.ok()) continue;
    for (const ZipEntry& e : zip->entries()) {
      ModelResult<std::string> data = zip->Read(e);
      if (data.ok()) {
        EXPECT_EQ(data->size(), e.uncompressed_size);
      }
    }
  }
}

}  // namespace
}  // namespace facet
