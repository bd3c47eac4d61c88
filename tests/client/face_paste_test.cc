#include "client/photo/face_paste.h"

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "client/photo/face_alignment.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "tests/client/client_test_util.h"

namespace facet {
namespace {

// Photo -> crop: rotation by `degrees`, scale, and `at` (photo pixels)
// landing at the crop's centre.
cv::Mat MakeTransform(double degrees, double scale, cv::Point2f at, int size) {
  cv::Mat t = cv::getRotationMatrix2D(at, degrees, scale);
  t.at<double>(0, 2) += size / 2.0 - at.x;
  t.at<double>(1, 2) += size / 2.0 - at.y;
  return t;
}

// Mask of the crop footprint where the paste weight is strictly between
// 0 and 1: the feathered band, in photo pixels.
cv::Mat BandInPhoto(const cv::Mat& mask, const cv::Mat& transform,
                    cv::Size photo_size) {
  cv::Mat weight;
  cv::warpAffine(mask, weight, transform, photo_size,
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                 cv::Scalar(0));
  return (weight > 0.02) & (weight < 0.98);
}

// Largest step between neighbouring pixels of a signed image, in any
// channel: a seam shows as a step.
double MaxNeighbourStep(const cv::Mat& signed_image) {
  cv::Mat dx = cv::abs(signed_image.colRange(1, signed_image.cols) -
                       signed_image.colRange(0, signed_image.cols - 1));
  cv::Mat dy = cv::abs(signed_image.rowRange(1, signed_image.rows) -
                       signed_image.rowRange(0, signed_image.rows - 1));
  return std::max(cv::norm(dx, cv::NORM_INF), cv::norm(dy, cv::NORM_INF));
}

struct PasteCase {
  std::string name;
  double degrees, scale;
};

class PasteTest : public testing::TestWithParam<PasteCase> {};

TEST_P(PasteTest, UnchangedCropPastesBackInvisibly) {
  const PasteCase& c = GetParam();
  const cv::Mat photo = client_test::MakeSmoothImage(900, 700);
  const cv::Mat t = MakeTransform(c.degrees, c.scale, {430, 360}, 512);
  const cv::Mat crop = WarpToCrop(photo, t, 512);
  const cv::Mat mask = MakeEllipseMask(512, 0.03);
  cv::Mat pasted = photo.clone();
  ASSERT_TRUE(PasteCrop(crop, mask, t, &pasted).ok());
  cv::Mat diff;
  cv::absdiff(pasted, photo, diff);
  const cv::Mat band = BandInPhoto(mask, t, photo.size());
  ASSERT_GT(cv::countNonZero(band), 100);
  // Two bicubic resamplings of a smooth image: a few levels at most.
  std::cout << c.name << ": band error " << cv::norm(diff, cv::NORM_INF, band)
            << ", anywhere " << cv::norm(diff, cv::NORM_INF) << "\n";
  EXPECT_LE(cv::norm(diff, cv::NORM_INF, band), 4.0);
  EXPECT_LE(cv::norm(diff, cv::NORM_INF), 6.0);
  EXPECT_LT(cv::mean(diff)[0], 0.5);
}

TEST_P(PasteTest, ChangedCropLeavesNoSeam) {
  const PasteCase& c = GetParam();
  const cv::Mat photo = client_test::MakeSmoothImage(900, 700);
  const cv::Mat t = MakeTransform(c.degrees, c.scale, {430, 360}, 512);
  cv::Mat crop = WarpToCrop(photo, t, 512);
  // A restored face differs from the input: here by a uniform +60.
  crop += cv::Scalar(60, 60, 60);
  const cv::Mat mask = MakeEllipseMask(512, 0.03);

  auto delta_after_paste = [&](const cv::Mat& m) {
    cv::Mat pasted = photo.clone();
    EXPECT_TRUE(PasteCrop(crop, m, t, &pasted).ok());
    cv::Mat a, b;
    pasted.convertTo(a, CV_32FC3);
    photo.convertTo(b, CV_32FC3);
    return cv::Mat(a - b);
  };
  const cv::Mat soft = delta_after_paste(mask);
  cv::Mat hard_mask;
  cv::threshold(mask, hard_mask, 0.5, 1.0, cv::THRESH_BINARY);
  const cv::Mat hard = delta_after_paste(hard_mask);
  // The change arrives in full inside the face ...
  const cv::Point2f centre = TransformPoint(InvertTransform(t), {256, 280});
  EXPECT_NEAR(soft.at<cv::Vec3f>(centre)[0], 60, 3);
  // ... and ramps in: a hard mask makes a ~60 step, the feather a few.
  std::cout << c.name << ": neighbour step " << MaxNeighbourStep(soft)
            << " feathered, " << MaxNeighbourStep(hard) << " hard\n";
  EXPECT_GT(MaxNeighbourStep(hard), 35);
  EXPECT_LT(MaxNeighbourStep(soft), 60.0 / (0.03 * 512 / c.scale) * 1.5);
}

INSTANTIATE_TEST_SUITE_P(Transforms, PasteTest,
                         testing::Values(PasteCase{"Identity", 0, 1.0},
                                         PasteCase{"Rotated", 17, 1.0},
                                         PasteCase{"Enlarged", -8, 2.5},
                                         PasteCase{"Shrunk", 25, 0.6}),
                         [](const testing::TestParamInfo<PasteCase>& info) {
                           return info.param.name;
                         });

TEST(PasteCropTest, ParsingMaskFollowsTheLabels) {
  cv::Mat labels(512, 512, CV_8UC1, cv::Scalar(0));
  cv::circle(labels, {256, 280}, 150, cv::Scalar(1), cv::FILLED);  // skin
  labels.rowRange(470, 512).setTo(18);                             // cloth
  const cv::Mat mask = MakeParsingMask(labels, 512, 0.03);
  ASSERT_EQ(mask.type(), CV_32FC1);
  EXPECT_NEAR(mask.at<float>(280, 256), 1.0f, 1e-3);
  EXPECT_NEAR(mask.at<float>(500, 256), 0.0f, 1e-3);  // Cloth: kept.
  EXPECT_NEAR(mask.at<float>(20, 20), 0.0f, 1e-3);
  // Soft at the label edge: between 0 and 1 just inside the circle.
  const float edge = mask.at<float>(280, 256 + 150 - 30);
  EXPECT_GT(edge, 0.02f);
  EXPECT_LT(edge, 0.98f);
  EXPECT_TRUE(MakeParsingMask(cv::Mat(), 512, 0.03).empty());
}

TEST(PasteCropTest, EllipseMaskIsZeroAtTheCropBorder) {
  for (int size : {64, 512}) {
    const cv::Mat mask = MakeEllipseMask(size, 0.03);
    ASSERT_EQ(mask.size(), cv::Size(size, size));
    double lo, hi;
    cv::minMaxLoc(mask, &lo, &hi);
    EXPECT_GE(lo, 0.0);
    EXPECT_LE(hi, 1.0);
    EXPECT_NEAR(mask.at<float>(size * 280 / 512, size / 2), 1.0f, 1e-3);
    EXPECT_EQ(mask.at<float>(0, size / 2), 0.0f);
    EXPECT_EQ(mask.at<float>(size - 1, size - 1), 0.0f);
  }
}

TEST(PasteCropTest, RejectsMismatchedInputs) {
  const cv::Mat t = MakeTransform(0, 1, {100, 100}, 64);
  const cv::Mat crop(64, 64, CV_8UC3, cv::Scalar(0));
  const cv::Mat mask = MakeEllipseMask(64, 0.03);
  cv::Mat photo(200, 200, CV_8UC3, cv::Scalar(0));
  cv::Mat gray(200, 200, CV_8UC1, cv::Scalar(0));
  struct Case {
    std::string name;
    cv::Mat crop, mask, transform;
    cv::Mat* photo;
  };
  const std::vector<Case> cases = {
      {"gray photo", crop, mask, t, &gray},
      {"null photo", crop, mask, t, nullptr},
      {"empty crop", cv::Mat(), mask, t, &photo},
      {"mask size", crop, MakeEllipseMask(32, 0.03), t, &photo},
      {"mask type", crop, cv::Mat(64, 64, CV_8UC1), t, &photo},
      {"transform", crop, mask, cv::Mat::eye(3, 3, CV_64F), &photo},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PasteCrop(c.crop, c.mask, c.transform, c.photo).code(),
              absl::StatusCode::kInvalidArgument)
        << c.name;
  }
}

TEST(PasteCropTest, CropOutsideThePhotoChangesNothing) {
  const cv::Mat photo = client_test::MakeSmoothImage(200, 200);
  const cv::Mat t = MakeTransform(0, 1, {5000, 5000}, 64);
  cv::Mat pasted = photo.clone();
  ASSERT_TRUE(PasteCrop(cv::Mat(64, 64, CV_8UC3, cv::Scalar(255)),
                        MakeEllipseMask(64, 0.03), t, &pasted)
                  .ok());
  EXPECT_EQ(cv::norm(pasted, photo, cv::NORM_INF), 0.0);
}

TEST(MaskKindTest, ParsesNames) {
  EXPECT_EQ(*ParseMaskKind("ellipse"), MaskKind::kEllipse);
  EXPECT_EQ(*ParseMaskKind("Parsing"), MaskKind::kParsing);
  auto bad = ParseMaskKind("hard");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"hard\""), std::string::npos);
}

TEST(AlignmentTest, TemplatePointsGiveTheIdentity) {
  auto t = EstimateAlignment(TemplatePoints512(), 512);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_LT(cv::norm(*t, cv::Mat(cv::Matx23d(1, 0, 0, 0, 1, 0)), cv::NORM_INF),
            1e-3);
}

TEST(AlignmentTest, RecoversASimilarityTransform) {
  // Points = template moved by a known similarity; the fit must undo it.
  const cv::Mat known = MakeTransform(23, 0.4, {256, 256}, 512);
  std::array<cv::Point2f, 5> points;
  for (int k = 0; k < 5; ++k) {
    points[k] = TransformPoint(known, TemplatePoints512()[k]);
  }
  for (int size : {512, 256}) {
    auto t = EstimateAlignment(points, size);
    ASSERT_TRUE(t.ok()) << t.status();
    for (int k = 0; k < 5; ++k) {
      const cv::Point2f p = TransformPoint(*t, points[k]);
      EXPECT_LT(cv::norm(p - TemplatePoints512()[k] * (size / 512.0f)), 0.05);
    }
  }
}

TEST(AlignmentTest, RejectsDegeneratePoints) {
  std::array<cv::Point2f, 5> same;
  same.fill(cv::Point2f(10, 10));
  EXPECT_EQ(EstimateAlignment(same, 512).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::array<cv::Point2f, 5> nan = TemplatePoints512();
  nan[4].x = std::nanf("");
  EXPECT_EQ(EstimateAlignment(nan, 512).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EstimateAlignment(TemplatePoints512(), 8).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace facet
