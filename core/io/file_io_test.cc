#include "core/io/file_io.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "file_io_test_XXXXXX";
    ASSERT_NE(::mkdtemp(&pattern[0]), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
};

TEST_F(FileIoTest, WritesInPlaceAndReplaces) {
  for (auto mode : {DurableWriteOptions::Mode::kInPlace,
                    DurableWriteOptions::Mode::kReplace}) {
    const std::string path = dir_ + "/f";
    DurableWriteOptions options;
    options.mode = mode;
    ASSERT_TRUE(WriteFileDurably(path, "first version", options).ok());
    ASSERT_TRUE(WriteFileDurably(path, "second", options).ok());
    EXPECT_EQ(Slurp(path), "second");
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::owner_write,
              fs::perms::owner_write);
  }
  // kReplace leaves no temporary files behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_))
    entries += !e.path().empty();
  EXPECT_EQ(entries, 1);
}

TEST_F(FileIoTest, MissingFolderIsNotFoundForBothModes) {
  for (auto mode : {DurableWriteOptions::Mode::kInPlace,
                    DurableWriteOptions::Mode::kReplace}) {
    DurableWriteOptions options;
    options.mode = mode;
    const std::string path = dir_ + "/missing/f";
    const IoStatus s = WriteFileDurably(path, "x", options);
    EXPECT_EQ(s.code(), IoCode::kNotFound) << s.message();
    EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  }
}

// /dev/full fails every write with ENOSPC: ResourceExhausted, and the
// device (not a regular file) is left in place.
TEST_F(FileIoTest, FullDeviceIsResourceExhausted) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const IoStatus s = WriteFileDurably("/dev/full", std::string(4096, 'x'));
  EXPECT_EQ(s.code(), IoCode::kResourceExhausted) << s.message();
  EXPECT_NE(s.message().find("cannot write /dev/full"), std::string::npos)
      << s.message();
  EXPECT_TRUE(fs::exists("/dev/full"));
}

TEST_F(FileIoTest, WritingOntoAFolderReadsAsTheOriginSays) {
  DurableWriteOptions options;
  options.origin = PathOrigin::kCaller;
  EXPECT_EQ(WriteFileDurably(dir_, "x", options).code(),
            IoCode::kInvalidArgument);
  options.origin = PathOrigin::kProgram;
  EXPECT_EQ(WriteFileDurably(dir_, "x", options).code(),
            IoCode::kFailedPrecondition);
  EXPECT_TRUE(fs::is_directory(dir_));
}

TEST_F(FileIoTest, ReadsInChunksInOrder) {
  std::string bytes;
  for (int i = 0; i < 10000; ++i) bytes.push_back(static_cast<char>(i * 13));
  const std::string path = dir_ + "/data";
  ASSERT_TRUE(WriteFileDurably(path, bytes).ok());
  ChunkedReadOptions options;
  options.chunk_bytes = 4096;
  std::vector<size_t> sizes;
  std::string back;
  ASSERT_TRUE(ReadFileChunked(path, options, [&](std::string_view chunk) {
                sizes.push_back(chunk.size());
                back.append(chunk);
              }).ok());
  EXPECT_EQ(back, bytes);
  EXPECT_EQ(sizes, (std::vector<size_t>{4096, 4096, 1808}));
  std::string whole;
  ASSERT_TRUE(ReadWholeFile(path, {}, &whole).ok());
  EXPECT_EQ(whole, bytes);
}

TEST_F(FileIoTest, ReadErrorsNameThePathAndTheLimit) {
  const std::string path = dir_ + "/data";
  ASSERT_TRUE(WriteFileDurably(path, "0123456789").ok());
  std::string out;
  ChunkedReadOptions options;
  options.max_bytes = 9;
  IoStatus s = ReadWholeFile(path, options, &out);
  EXPECT_EQ(s.code(), IoCode::kResourceExhausted);
  EXPECT_EQ(s.message(), path + ": file is 10 bytes, over the limit of 9");
  options.max_bytes = 10;
  EXPECT_TRUE(ReadWholeFile(path, options, &out).ok());

  s = ReadWholeFile(dir_ + "/missing", {}, &out);
  EXPECT_EQ(s.code(), IoCode::kNotFound);
  EXPECT_NE(s.message().find("cannot open " + dir_ + "/missing"),
            std::string::npos)
      << s.message();

  options = {};
  EXPECT_EQ(ReadWholeFile(dir_, options, &out).code(),
            IoCode::kFailedPrecondition);
  options.origin = PathOrigin::kCaller;
  s = ReadWholeFile(dir_, options, &out);
  EXPECT_EQ(s.code(), IoCode::kInvalidArgument);
  EXPECT_EQ(s.message(), dir_ + ": not a regular file");
}

}  // namespace
}  // namespace facet
