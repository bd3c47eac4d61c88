#include "trainer/evaluation/landmark_parts.h"

#include <cmath>

#include "core/image/label_palette.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A frontal synthetic face in a 200 x 200 image, laid out in the 68-point
// order: jaw on a half ellipse, arched brows, hexagonal eyes, a nose,
// elliptic lips; `mouth_open` is the inner contour's half height.
Landmarks68 SyntheticLandmarks(float mouth_open) {
  Landmarks68 l;
  for (int k = 0; k <= 16; ++k) {
    const double t = kPi * k / 16;
    l[k] = cv::Point2f(static_cast<float>(100 - 70 * std::cos(t)),
                       static_cast<float>(90 + 90 * std::sin(t)));
  }
  for (int k = 0; k < 5; ++k) {
    const float arch = static_cast<float>(6 * std::sin(kPi * k / 4));
    l[17 + k] = cv::Point2f(45 + 11.25f * k, 70 - arch);
    l[26 - k] = cv::Point2f(155 - 11.25f * k, 70 - arch);
  }
  const cv::Point2f eye[6] = {{-15, 0}, {-7, -5}, {7, -5},
                              {15, 0},  {7, 5},   {-7, 5}};
  for (int k = 0; k < 6; ++k) {
    l[36 + k] = cv::Point2f(67, 90) + eye[k];
    l[42 + k] = cv::Point2f(133, 90) + eye[k];
  }
  for (int k = 0; k < 4; ++k) l[27 + k] = cv::Point2f(100, 88 + 12.0f * k);
  const float base[5][2] = {
      {88, 128}, {94, 130}, {100, 132}, {106, 130}, {112, 128}};
  for (int k = 0; k < 5; ++k) l[31 + k] = cv::Point2f(base[k][0], base[k][1]);
  for (int k = 0; k < 12; ++k) {  // From the left corner over the top.
    const double t = kPi + 2 * kPi * k / 12;
    l[48 + k] = cv::Point2f(static_cast<float>(100 + 25 * std::cos(t)),
                            static_cast<float>(150 + 10 * std::sin(t)));
  }
  for (int k = 0; k < 8; ++k) {
    const double t = kPi + 2 * kPi * k / 8;
    l[60 + k] = cv::Point2f(static_cast<float>(100 + 18 * std::cos(t)),
                            static_cast<float>(150 + mouth_open * std::sin(t)));
  }
  return l;
}

// A label map in which every part is exactly its landmark polygon, with
// the left/right classes chosen by the image half.
cv::Mat PerfectParse(const PartMasks& truth) {
  cv::Mat labels = cv::Mat::zeros(truth[kPartSkin].size(), CV_8UC1);
  labels.setTo(FindLabel("skin"), truth[kPartSkin]);
  labels.setTo(FindLabel("nose"), truth[kPartNose]);
  labels.setTo(FindLabel("u_lip"), truth[kPartLips]);
  if (!truth[kPartMouth].empty())
    labels.setTo(FindLabel("mouth"), truth[kPartMouth]);
  cv::Mat left_half = cv::Mat::zeros(labels.size(), CV_8UC1);
  left_half(cv::Rect(0, 0, labels.cols / 2, labels.rows)).setTo(255);
  cv::Mat right_half = 255 - left_half;
  for (const auto& [part, left, right] :
       {std::tuple{kPartEyes, "l_eye", "r_eye"},
        std::tuple{kPartBrows, "l_brow", "r_brow"}}) {
    cv::Mat m;
    cv::bitwise_and(truth[part], left_half, m);
    labels.setTo(FindLabel(left), m);
    cv::bitwise_and(truth[part], right_half, m);
    labels.setTo(FindLabel(right), m);
  }
  return labels;
}

TEST(LandmarkPartsTest, PartsAreWhereTheLandmarksAre) {
  const PartMasks truth =
      LandmarkPartMasks(SyntheticLandmarks(6), cv::Size(200, 200));
  // The eye hexagon's area is 2 * 15 * 5 + 14 * 5 = 220 pixels per eye
  // (rasterisation adds its outline).
  EXPECT_NEAR(cv::countNonZero(truth[kPartEyes]), 2 * 220, 120);
  EXPECT_EQ(truth[kPartEyes].at<uint8_t>(90, 67), 255);
  EXPECT_EQ(truth[kPartEyes].at<uint8_t>(90, 100), 0);
  // Brows: a band below the brow points, not above.
  EXPECT_EQ(truth[kPartBrows].at<uint8_t>(74, 50), 255);
  EXPECT_EQ(truth[kPartBrows].at<uint8_t>(58, 50), 0);
  // The nose hull covers the bridge and the nostril base.
  EXPECT_EQ(truth[kPartNose].at<uint8_t>(120, 100), 255);
  EXPECT_EQ(truth[kPartNose].at<uint8_t>(120, 80), 0);
  // Lips exclude the opening, which is the mouth.
  EXPECT_EQ(truth[kPartLips].at<uint8_t>(150, 100), 0);
  EXPECT_EQ(truth[kPartMouth].at<uint8_t>(150, 100), 255);
  EXPECT_EQ(truth[kPartLips].at<uint8_t>(143, 100), 255);
  // The oval spans jaw to brows and contains the parts.
  EXPECT_EQ(truth[kPartSkin].at<uint8_t>(170, 100), 255);
  EXPECT_EQ(truth[kPartSkin].at<uint8_t>(40, 100), 0);
  EXPECT_EQ(truth[kPartSkin].at<uint8_t>(90, 67), 255);
}

TEST(LandmarkPartsTest, PerfectParseScoresOneWithLeftAndRightMerged) {
  const PartMasks truth =
      LandmarkPartMasks(SyntheticLandmarks(6), cv::Size(200, 200));
  const auto iou = PartIou(PredictedPartMasks(PerfectParse(truth)), truth);
  for (int p = 0; p < kNumFaceParts; ++p) {
    // Skin: the brow bands reach a little over the oval's brow edge.
    EXPECT_GT(iou[p], p == kPartSkin ? 0.97 : 0.999) << FacePartName(p);
  }
}

TEST(LandmarkPartsTest, SwappingLeftAndRightChangesNothing) {
  const PartMasks truth =
      LandmarkPartMasks(SyntheticLandmarks(6), cv::Size(200, 200));
  cv::Mat parse = PerfectParse(truth);
  cv::Mat flipped = parse.clone();
  const std::pair<const char*, const char*> swaps[] = {{"l_eye", "r_eye"},
                                                       {"l_brow", "r_brow"}};
  for (const auto& [a, b] : swaps) {
    flipped.setTo(FindLabel(b), parse == FindLabel(a));
    flipped.setTo(FindLabel(a), parse == FindLabel(b));
  }
  EXPECT_EQ(PartIou(PredictedPartMasks(parse), truth),
            PartIou(PredictedPartMasks(flipped), truth));
}

TEST(LandmarkPartsTest, ClosedMouthIsNotScoredOpenMouthIs) {
  const PartMasks closed =
      LandmarkPartMasks(SyntheticLandmarks(0.3f), cv::Size(200, 200));
  EXPECT_TRUE(closed[kPartMouth].empty());
  const auto iou = PartIou(PredictedPartMasks(PerfectParse(closed)), closed);
  EXPECT_TRUE(std::isnan(iou[kPartMouth]));
  EXPECT_GT(iou[kPartLips], 0.999);
  const PartMasks open =
      LandmarkPartMasks(SyntheticLandmarks(6), cv::Size(200, 200));
  EXPECT_FALSE(open[kPartMouth].empty());
}

TEST(LandmarkPartsTest, EmptyParseScoresZero) {
  const PartMasks truth =
      LandmarkPartMasks(SyntheticLandmarks(6), cv::Size(200, 200));
  const auto iou =
      PartIou(PredictedPartMasks(cv::Mat::zeros(200, 200, CV_8UC1)), truth);
  for (int p = 0; p < kNumFaceParts; ++p)
    EXPECT_EQ(iou[p], 0.0) << FacePartName(p);
}

TEST(LandmarkPartsTest, IouOfOverlappingSquares) {
  PartMasks truth, predicted;
  for (int p = 0; p < kNumFaceParts; ++p) {
    truth[p] = cv::Mat::zeros(40, 40, CV_8UC1);
    predicted[p] = cv::Mat::zeros(40, 40, CV_8UC1);
    truth[p](cv::Rect(0, 0, 20, 20)).setTo(255);
    predicted[p](cv::Rect(10, 0, 20, 20)).setTo(255);  // Half of it overlaps.
  }
  truth[kPartMouth] = cv::Mat();
  const auto iou = PartIou(predicted, truth);
  EXPECT_DOUBLE_EQ(iou[kPartEyes], 200.0 / 600.0);
  EXPECT_TRUE(std::isnan(iou[kPartMouth]));
}

TEST(LandmarkPartsTest, ScoreAveragesEachPartOverTheFacesScoringIt) {
  const double nan = std::nan("");
  LandmarkPartScore score;
  score.Add({0.2, 0.4, 0.6, 0.8, nan, 1.0});
  score.Add({0.4, 0.6, 0.8, 1.0, 0.5, 0.0});
  const LandmarkPartReport r = score.Report();
  EXPECT_EQ(r.total_faces, 2);
  EXPECT_EQ(r.faces[kPartMouth], 1);
  EXPECT_EQ(r.faces[kPartBrows], 2);
  EXPECT_NEAR(r.mean_iou[kPartBrows], 0.3, 1e-12);
  EXPECT_NEAR(r.mean_iou[kPartMouth], 0.5, 1e-12);
  EXPECT_NEAR(r.mean_part_iou, (0.3 + 0.5 + 0.7 + 0.9 + 0.5 + 0.5) / 6, 1e-12);
  EXPECT_NE(r.ToTable().find("mean part IoU"), std::string::npos);
  EXPECT_TRUE(std::isnan(LandmarkPartScore().Report().mean_part_iou));
}

TEST(LandmarkPartsTest, TruthLabelsDrawEveryPart) {
  const PartMasks truth =
      LandmarkPartMasks(SyntheticLandmarks(6), cv::Size(200, 200));
  const cv::Mat labels = PartMasksToLabels(truth);
  EXPECT_EQ(labels.at<uint8_t>(90, 67), FindLabel("l_eye"));
  EXPECT_EQ(labels.at<uint8_t>(150, 100), FindLabel("mouth"));
  EXPECT_EQ(labels.at<uint8_t>(170, 100), FindLabel("skin"));
  EXPECT_EQ(labels.at<uint8_t>(5, 5), 0);
}

}  // namespace
}  // namespace facet
