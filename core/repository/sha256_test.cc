#include "core/repository/sha256.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace facet {
namespace {

std::string TempDir() {
  std::string pattern = ::testing::TempDir() + "sha256_test_XXXXXX";
  EXPECT_NE(::mkdtemp(&pattern[0]), nullptr);
  return pattern;
}

TEST(Sha256Test, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string dir = TempDir();
  std::string empty = dir + "/empty", big = dir + "/big";
  std::ofstream(empty).close();
  std::string bytes;
  for (int i = 0; i < 3 * (1 << 20) + 17; ++i)
    bytes.push_back(static_cast<char>(i * 7));
  std::ofstream(big, std::ios::binary) << bytes;
  absl::StatusOr<std::string> e = Sha256File(empty);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  absl::StatusOr<std::string> b = Sha256File(big);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, Sha256Hex(bytes));
  EXPECT_EQ(Sha256File(dir + "/missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Sha256File(dir).status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace facet
