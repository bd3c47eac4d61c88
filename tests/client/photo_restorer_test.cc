#include "client/photo/photo_restorer.h"

#include <string>
#include <vector>

#include "client/photo/face_alignment.h"
#include "gtest/gtest.h"
#include "opencv2/imgproc.hpp"
#include "tests/client/astronaut_group.h"
#include "tests/client/client_test_util.h"

namespace facet {
namespace {

// Processors standing in for the server.
std::vector<absl::StatusOr<FaceOutputs>> Identity(
    const std::vector<cv::Mat>& crops) {
  std::vector<absl::StatusOr<FaceOutputs>> out;
  for (const cv::Mat& crop : crops) out.push_back(FaceOutputs{crop, {}});
  return out;
}

std::vector<absl::StatusOr<FaceOutputs>> Invert(
    const std::vector<cv::Mat>& crops) {
  std::vector<absl::StatusOr<FaceOutputs>> out;
  for (const cv::Mat& crop : crops) {
    cv::Mat inverted = cv::Scalar(255, 255, 255) - crop;
    // Labels at a different size, as a server answering at 256 would.
    cv::Mat labels(256, 256, CV_8UC1, cv::Scalar(0));
    cv::circle(labels, {128, 140}, 70, cv::Scalar(1), cv::FILLED);
    out.push_back(FaceOutputs{inverted, labels});
  }
  return out;
}

class PhotoRestorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!client_test::MakeAstronautGroup(&group_)) {
      GTEST_SKIP() << "fixtures/astronaut.png not found";
    }
    // Faces at the known places: the astronaut's own face box and points
    // (found once in the lone astronaut), carried by each copy's transform.
    FaceFinder::Options options;
    options.landmark_model = "box";
    auto finder = FaceFinder::Create(options);
    ASSERT_TRUE(finder.ok()) << finder.status();
    auto alone = (*finder)->Find(group_.astronaut);
    ASSERT_TRUE(alone.ok()) << alone.status();
    ASSERT_EQ(alone->size(), 1u);
    const cv::Rect2f source = (*alone)[0].box;
    const cv::Point2f source_centre(source.x + source.width / 2,
                                    source.y + source.height / 2);
    for (const client_test::GroupCopy& copy : group_.copies) {
      FoundFace face;
      for (int k = 0; k < 5; ++k) {
        face.points[k] = TransformPoint(copy.transform, (*alone)[0].points[k]);
      }
      const cv::Point2f c = TransformPoint(copy.transform, source_centre);
      const float side = source.width * copy.scale;
      face.box = cv::Rect2f(c.x - side / 2, c.y - side / 2, side, side);
      faces_.push_back(face);
    }
  }

  // The centre of copy i's face in the group photo.
  cv::Point FaceCentre(size_t i) const {
    const cv::Rect2f& b = faces_[i].box;
    return cv::Point(b.x + b.width / 2, b.y + b.height / 2);
  }

  client_test::AstronautGroup group_;
  std::vector<FoundFace> faces_;
};

TEST_F(PhotoRestorerTest, IdentityProcessingLeavesThePhoto) {
  auto result = RestorePhoto(group_.photo, faces_, Identity, PhotoOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->faces.size(), 3u);
  for (const PhotoFace& face : result->faces) {
    EXPECT_TRUE(face.status.ok()) << face.status;
    EXPECT_EQ(face.crop.size(), cv::Size(512, 512));
  }
  cv::Mat diff;
  cv::absdiff(result->restored, group_.photo, diff);
  // Pasted exactly in place: only resampling error (the astronaut has sharp
  // edges, so a few levels on average where faces were pasted).
  EXPECT_LT(cv::mean(diff)[0], 1.0);
  for (size_t i = 0; i < faces_.size(); ++i) {
    const cv::Rect around(FaceCentre(i) - cv::Point(20, 20), cv::Size(40, 40));
    EXPECT_LT(cv::mean(diff(around))[0], 4.0) << "face " << i;
  }
}

TEST_F(PhotoRestorerTest, ChangedFacesLandAtTheirPlaces) {
  auto result = RestorePhoto(group_.photo, faces_, Invert, PhotoOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  for (size_t i = 0; i < faces_.size(); ++i) {
    ASSERT_TRUE(result->faces[i].status.ok()) << result->faces[i].status;
    const cv::Rect around(FaceCentre(i) - cv::Point(10, 10), cv::Size(20, 20));
    const cv::Scalar before = cv::mean(group_.photo(around));
    const cv::Scalar after = cv::mean(result->restored(around));
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(after[c], 255 - before[c], 12) << "face " << i;
    }
    // The overlay is coloured at the face (skin, label 1) ...
    EXPECT_GT(
        cv::norm(result->overlay(around), group_.photo(around), cv::NORM_L1) /
            around.area(),
        10.0);
  }
  // ... and untouched far from every face (top-left background).
  const cv::Rect corner(0, 0, 60, 60);
  EXPECT_EQ(
      cv::norm(result->restored(corner), group_.photo(corner), cv::NORM_INF),
      0.0);
  EXPECT_EQ(
      cv::norm(result->overlay(corner), group_.photo(corner), cv::NORM_INF),
      0.0);
}

TEST_F(PhotoRestorerTest, ParsingMaskPastesOnlyTheLabelledFace) {
  PhotoOptions options;
  options.mask = MaskKind::kParsing;
  auto result = RestorePhoto(group_.photo, faces_, Invert, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const cv::Rect around(FaceCentre(1) - cv::Point(5, 5), cv::Size(10, 10));
  EXPECT_GT(
      cv::norm(result->restored(around), group_.photo(around), cv::NORM_L1) /
          around.area(),
      30.0);
}

TEST_F(PhotoRestorerTest, OneFailedFaceLeavesTheOthers) {
  auto fail_second = [](const std::vector<cv::Mat>& crops) {
    std::vector<absl::StatusOr<FaceOutputs>> out = Invert(crops);
    out[1] = absl::UnavailableError("server went away");
    return out;
  };
  auto result = RestorePhoto(group_.photo, faces_, fail_second, PhotoOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->faces[0].status.ok());
  EXPECT_EQ(result->faces[1].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(result->faces[2].status.ok());
  const cv::Rect around(FaceCentre(1) - cv::Point(10, 10), cv::Size(20, 20));
  EXPECT_EQ(
      cv::norm(result->restored(around), group_.photo(around), cv::NORM_INF),
      0.0);
}

TEST_F(PhotoRestorerTest, DegeneratePointsFailOnlyThatFace) {
  faces_[0].points.fill(cv::Point2f(3, 3));
  int crops_seen = 0;
  auto count = [&](const std::vector<cv::Mat>& crops) {
    crops_seen = static_cast<int>(crops.size());
    return Identity(crops);
  };
  auto result = RestorePhoto(group_.photo, faces_, count, PhotoOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(crops_seen, 2);
  EXPECT_EQ(result->faces[0].status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(RestorePhotoTest, RejectsBadInputs) {
  PhotoOptions small;
  small.crop_size = 8;
  PhotoOptions sharp;
  sharp.feather = 0;
  const cv::Mat photo(100, 100, CV_8UC3, cv::Scalar(0));
  EXPECT_EQ(
      RestorePhoto(cv::Mat(), {}, Identity, PhotoOptions()).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RestorePhoto(photo, {}, Identity, small).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RestorePhoto(photo, {}, Identity, sharp).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto none = RestorePhoto(photo, {}, Identity, PhotoOptions());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(cv::norm(none->restored, photo, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace facet
