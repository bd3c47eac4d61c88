#include "trainer/data/celebamask_split.h"

#include <algorithm>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "trainer/data/data_test_util.h"

namespace facet {
namespace {

using testing_util::TempFolder;
using testing_util::WriteBytes;

TEST(CelebASplitTest, BoundariesFollowThePartitionScript) {
  struct Case {
    int64_t orig_idx;
    CelebASplit split;
  } cases[] = {{0, CelebASplit::kTrain},     {162770, CelebASplit::kTrain},
               {162771, CelebASplit::kVal},  {182637, CelebASplit::kVal},
               {182638, CelebASplit::kTest}, {202598, CelebASplit::kTest}};
  for (const Case& c : cases) {
    EXPECT_EQ(SplitOfCelebAIndex(c.orig_idx), c.split) << c.orig_idx;
  }
}

// A generated mapping file with the official counts in shuffled order.
TEST(CelebASplitTest, SplitSizesOnAGeneratedMappingFile) {
  TempFolder dir;
  std::vector<int64_t> orig;
  for (int i = 0; i < 24183; ++i) orig.push_back(i * 6);
  for (int i = 0; i < 2993; ++i) orig.push_back(162771 + i * 6);
  for (int i = 0; i < 2824; ++i) orig.push_back(182638 + i * 6);
  std::mt19937 shuffle(3);
  std::shuffle(orig.begin(), orig.end(), shuffle);
  std::string text = "idx orig_idx orig_file\n";
  for (size_t k = 0; k < orig.size(); ++k) {
    text += std::to_string(k) + " " + std::to_string(orig[k]) + " " +
            std::to_string(orig[k] + 1) + ".jpg\n";
  }
  const auto path = dir.path() / "CelebA-HQ-to-CelebA-mapping.txt";
  WriteBytes(path, text);
  auto rows = ReadCelebAMapping(path.string());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->size(), 30000u);
  EXPECT_EQ(SelectSplit(*rows, CelebASplit::kTrain).size(), 24183u);
  EXPECT_EQ(SelectSplit(*rows, CelebASplit::kVal).size(), 2993u);
  EXPECT_EQ(SelectSplit(*rows, CelebASplit::kTest).size(), 2824u);
  EXPECT_EQ(SelectSplit(*rows, CelebASplit::kAll).size(), 30000u);
}

TEST(CelebASplitTest, MalformedMappingFilesNameFileAndLine) {
  struct Case {
    const char* what;
    std::string text;
    std::string expected;
  } cases[] = {
      {"empty", "", "is empty"},
      {"text", "idx orig_idx orig_file\n0 12 12.jpg\n1 abc x.jpg\n", ":3:"},
      {"short row", "idx orig_idx orig_file\n0 12\n", ":2:"},
      {"negative", "idx orig_idx orig_file\n-1 12 13.jpg\n", ":2:"},
      {"repeated", "idx orig_idx orig_file\n0 12 13.jpg\n0 14 15.jpg\n",
       "appears twice"},
  };
  TempFolder dir;
  for (const Case& c : cases) {
    const auto path = dir.path() / (std::string(c.what) + ".txt");
    WriteBytes(path, c.text);
    auto rows = ReadCelebAMapping(path.string());
    ASSERT_FALSE(rows.ok()) << c.what;
    EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(rows.status().message().find(c.expected), std::string::npos)
        << c.what << ": " << rows.status();
  }
  EXPECT_EQ(
      ReadCelebAMapping((dir.path() / "none.txt").string()).status().code(),
      absl::StatusCode::kNotFound);
}

TEST(CelebASplitTest, ParsesSplitNames) {
  EXPECT_EQ(*ParseCelebASplit("val"), CelebASplit::kVal);
  EXPECT_EQ(*ParseCelebASplit("all"), CelebASplit::kAll);
  EXPECT_EQ(ParseCelebASplit("training").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace facet
