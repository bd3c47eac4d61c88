#include "core/image/label_rendering.h"

#include <cmath>
#include <cstdint>

#include "core/image/image_test_util.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using image_test::MaxDiff;

// Ids laid out as:  0  1 13
//                  18 200 4
cv::Mat HandMadeLabels() {
  cv::Mat labels(2, 3, CV_8UC1);
  const uint8_t ids[] = {0, 1, 13, 18, 200, 4};
  std::copy(ids, ids + 6, labels.ptr<uint8_t>());
  return labels;
}

cv::Vec3b Colour(int id) {
  const LabelInfo& label = Label(id);
  return cv::Vec3b(label.r, label.g, label.b);
}

TEST(ColorizeLabelsTest, UsesPaletteAndWhiteForUnknownIds) {
  const cv::Mat labels = HandMadeLabels();
  const cv::Mat rgb = ColorizeLabels(labels);
  ASSERT_EQ(rgb.type(), CV_8UC3);
  ASSERT_EQ(rgb.size(), labels.size());
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 3; ++x) {
      const int id = labels.at<uint8_t>(y, x);
      const cv::Vec3b expected =
          id < kNumLabels ? Colour(id) : cv::Vec3b(255, 255, 255);
      EXPECT_EQ(rgb.at<cv::Vec3b>(y, x), expected) << "id " << id;
    }
  }
  EXPECT_EQ(rgb.at<cv::Vec3b>(0, 2), cv::Vec3b(0, 0, 204));  // Hair, RGB.
}

TEST(ColorizeLabelsTest, RejectsWrongTypes) {
  EXPECT_TRUE(ColorizeLabels(cv::Mat()).empty());
  EXPECT_TRUE(ColorizeLabels(cv::Mat(2, 2, CV_32SC1, cv::Scalar(1))).empty());
  EXPECT_TRUE(ColorizeLabels(cv::Mat(2, 2, CV_8UC3)).empty());
}

TEST(OverlayLabelsTest, BlendsForegroundAndKeepsBackground) {
  const cv::Mat labels = HandMadeLabels();
  const cv::Mat image(2, 3, CV_8UC3, cv::Scalar(100, 50, 10));
  for (double alpha : {0.0, 0.25, 0.5, 1.0}) {
    const cv::Mat out = OverlayLabels(image, labels, alpha);
    ASSERT_EQ(out.type(), CV_8UC3);
    ASSERT_EQ(out.size(), image.size());
    for (int y = 0; y < 2; ++y) {
      for (int x = 0; x < 3; ++x) {
        const int id = labels.at<uint8_t>(y, x);
        const cv::Vec3b colour =
            id < kNumLabels ? Colour(id) : cv::Vec3b(255, 255, 255);
        const cv::Vec3b px = image.at<cv::Vec3b>(y, x);
        for (int c = 0; c < 3; ++c) {
          const int expected =
              id == 0 ? px[c]
                      : static_cast<int>(std::lround((1 - alpha) * px[c] +
                                                     alpha * colour[c]));
          EXPECT_EQ(out.at<cv::Vec3b>(y, x)[c], expected)
              << "alpha " << alpha << " id " << id << " channel " << c;
        }
      }
    }
  }
  // Alpha is clamped.
  EXPECT_EQ(MaxDiff(OverlayLabels(image, labels, 7.0),
                    OverlayLabels(image, labels, 1.0)),
            0);
  EXPECT_EQ(MaxDiff(OverlayLabels(image, labels, -1.0), image), 0);
}

TEST(OverlayLabelsTest, ResizesLabelsToTheImage) {
  const cv::Mat labels = HandMadeLabels();  // 3x2.
  const cv::Mat image(4, 6, CV_8UC3, cv::Scalar(0, 0, 0));
  const cv::Mat out = OverlayLabels(image, labels, 1.0);
  ASSERT_EQ(out.size(), image.size());
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 6; ++x) {
      const int id = labels.at<uint8_t>(y / 2, x / 2);
      const cv::Vec3b expected =
          id < kNumLabels ? Colour(id) : cv::Vec3b(255, 255, 255);
      EXPECT_EQ(out.at<cv::Vec3b>(y, x), expected) << x << "," << y;
    }
  }
}

TEST(OverlayLabelsTest, RejectsWrongTypesAndLeavesInputAlone) {
  const cv::Mat labels = HandMadeLabels();
  const cv::Mat image(2, 3, CV_8UC3, cv::Scalar(9, 9, 9));
  EXPECT_TRUE(OverlayLabels(cv::Mat(2, 3, CV_8UC1), labels).empty());
  EXPECT_TRUE(OverlayLabels(image, cv::Mat(2, 3, CV_16UC1)).empty());
  EXPECT_TRUE(OverlayLabels(image, cv::Mat()).empty());
  OverlayLabels(image, labels, 1.0);
  EXPECT_EQ(MaxDiff(image, cv::Mat(2, 3, CV_8UC3, cv::Scalar(9, 9, 9))), 0);
}

TEST(CountLabelsTest, CountsKnownIdsOnly) {
  cv::Mat labels(3, 4, CV_8UC1, cv::Scalar(0));
  labels.at<uint8_t>(0, 0) = 13;
  labels.at<uint8_t>(0, 1) = 13;
  labels.at<uint8_t>(1, 1) = 18;
  labels.at<uint8_t>(2, 3) = 19;   // Unknown: skipped.
  labels.at<uint8_t>(2, 2) = 255;  // Unknown: skipped.
  const std::array<int64_t, kNumLabels> counts = CountLabels(labels);
  EXPECT_EQ(counts[0], 7);
  EXPECT_EQ(counts[13], 2);
  EXPECT_EQ(counts[18], 1);
  int64_t total = 0;
  for (int64_t n : counts) total += n;
  EXPECT_EQ(total, 10);
  // A view into a larger map counts only its own pixels.
  EXPECT_EQ(CountLabels(labels(cv::Rect(0, 0, 2, 1)))[13], 2);
  EXPECT_EQ(CountLabels(labels(cv::Rect(1, 0, 3, 2)))[0], 4);
  for (int64_t n : CountLabels(cv::Mat(2, 2, CV_32SC1, cv::Scalar(1)))) {
    EXPECT_EQ(n, 0);
  }
}

}  // namespace
}  // namespace facet
