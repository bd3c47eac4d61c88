#include "trainer/data/part_mask_merge.h"

#include "gtest/gtest.h"
#include "opencv2/core.hpp"

namespace facet {
namespace {

// Hand-made overlapping masks on a 6x1 strip; the later id wins.
TEST(MergePartMasksTest, LaterIdsWinOverlaps) {
  const cv::Size size(6, 1);
  std::array<cv::Mat, kNumLabels> parts;
  auto strip = [&](std::initializer_list<int> on) {
    cv::Mat m = cv::Mat::zeros(size, CV_8UC1);
    for (int x : on) m.at<uint8_t>(0, x) = 255;
    return m;
  };
  parts[kSkin] = strip({0, 1, 2, 3});
  parts[kHair] = strip({1, 2});      // Hair covers skin.
  parts[kNeck] = strip({3, 4});      // Neck covers skin.
  parts[kCloth] = strip({4});        // Cloth covers neck.
  parts[kNecklace] = strip({2, 3});  // Necklace (16) loses to neck (17)
                                     // but beats hair (13).
  absl::StatusOr<cv::Mat> labels = MergePartMasks(parts, size);
  ASSERT_TRUE(labels.ok()) << labels.status();
  const int expected[] = {kSkin, kHair, kNecklace, kNeck, kCloth, kBackground};
  for (int x = 0; x < 6; ++x) {
    EXPECT_EQ(labels->at<uint8_t>(0, x), expected[x]) << "pixel " << x;
  }
}

TEST(MergePartMasksTest, AnyNonZeroValueCounts) {
  std::array<cv::Mat, kNumLabels> parts;
  parts[kNose] = cv::Mat(2, 2, CV_8UC1, cv::Scalar(1));
  auto labels = MergePartMasks(parts, cv::Size(2, 2));
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(cv::countNonZero(*labels == kNose), 4);
}

TEST(MergePartMasksTest, RejectsMasksOfTheWrongSizeOrType) {
  std::array<cv::Mat, kNumLabels> parts;
  parts[kHat] = cv::Mat::zeros(4, 4, CV_8UC1);
  auto labels = MergePartMasks(parts, cv::Size(8, 8));
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(labels.status().message().find("hat"), std::string::npos);
  parts[kHat] = cv::Mat::zeros(8, 8, CV_8UC3);
  EXPECT_FALSE(MergePartMasks(parts, cv::Size(8, 8)).ok());
}

}  // namespace
}  // namespace facet
