#include "client/photo/face_finder.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "client/photo/face_alignment.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/client/astronaut_group.h"
#include "tests/client/client_test_util.h"
#include "tests/util/test_files.h"

namespace facet {
namespace {

// The landmark model when Debian's libdlib-data is installed, else boxes.
FaceFinder::Options DefaultOptions() {
  FaceFinder::Options options;
  if (!testing::IsFile(kDefaultLandmarkModel)) {
    options.landmark_model = "box";
  }
  if (!testing::IsFile(kDefaultEyeCascade)) options.eye_cascade = "none";
  return options;
}

cv::Mat ReadRgb(const std::string& path) {
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  cv::Mat rgb;
  if (!bgr.empty()) cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

std::string Describe(const std::vector<FoundFace>& faces) {
  std::ostringstream out;
  for (const FoundFace& f : faces) {
    out << f.box << " score " << f.score << " eyes " << f.eyes << "\n";
  }
  return out.str();
}

// Reads "x y w h" lines, skipping comments and the header.
std::vector<cv::Rect2f> ReadBoxes(const std::string& path) {
  std::ifstream in(path);
  std::vector<cv::Rect2f> boxes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == 'x') continue;
    std::istringstream fields(line);
    float x, y, w, h;
    if (fields >> x >> y >> w >> h) boxes.emplace_back(x, y, w, h);
  }
  return boxes;
}

TEST(FaceFinderTest, FindsSolvayFacesAgainstHandLabels) {
  const std::string fixtures = testing::FixturesDirIfPresent();
  if (fixtures.empty() || !testing::IsFile(fixtures + "/solvay_1927.jpg")) {
    GTEST_SKIP() << "fixtures/solvay_1927.jpg not found";
  }
  const cv::Mat photo = ReadRgb(fixtures + "/solvay_1927.jpg");
  const std::vector<cv::Rect2f> truth =
      ReadBoxes(fixtures + "/solvay_1927.faces.tsv");
  ASSERT_EQ(truth.size(), 29u);
  auto finder = FaceFinder::Create(DefaultOptions());
  ASSERT_TRUE(finder.ok()) << finder.status();
  auto faces = (*finder)->Find(photo);
  ASSERT_TRUE(faces.ok()) << faces.status();

  // Greedy matching: each labelled face takes its best unused detection.
  std::vector<bool> used(faces->size(), false);
  int matched = 0;
  for (const cv::Rect2f& t : truth) {
    int best = -1;
    double best_iou = 0.3;
    for (size_t i = 0; i < faces->size(); ++i) {
      const double iou = BoxIou(t, (*faces)[i].box);
      if (!used[i] && iou >= best_iou) {
        best = static_cast<int>(i);
        best_iou = iou;
      }
    }
    if (best >= 0) {
      used[best] = true;
      ++matched;
    }
  }
  const int false_positives = static_cast<int>(faces->size()) - matched;
  std::cout << "Solvay 1927: " << matched << " of " << truth.size()
            << " faces matched at IoU >= 0.3, " << false_positives
            << " false positives\n";
  RecordProperty("matched", matched);
  RecordProperty("false_positives", false_positives);
  EXPECT_GE(matched, 25) << "of " << truth.size();
  EXPECT_LE(false_positives, 3);
  // The five points of every face lie in (or just around) its box.
  for (const FoundFace& face : *faces) {
    cv::Rect2f grown(face.box.x - face.box.width * 0.25f,
                     face.box.y - face.box.height * 0.25f,
                     face.box.width * 1.5f, face.box.height * 1.5f);
    for (const cv::Point2f& p : face.points) EXPECT_TRUE(grown.contains(p));
  }
}

TEST(FaceFinderTest, FindsEachCopyInAComposedPhoto) {
  client_test::AstronautGroup group;
  if (!client_test::MakeAstronautGroup(&group)) {
    GTEST_SKIP() << "fixtures/astronaut.png not found";
  }
  auto finder = FaceFinder::Create(DefaultOptions());
  ASSERT_TRUE(finder.ok()) << finder.status();
  auto alone = (*finder)->Find(group.astronaut);
  ASSERT_TRUE(alone.ok()) << alone.status();
  ASSERT_EQ(alone->size(), 1u);
  const cv::Rect2f source = (*alone)[0].box;
  const cv::Point2f source_center(source.x + source.width / 2,
                                  source.y + source.height / 2);

  auto faces = (*finder)->Find(group.photo);
  ASSERT_TRUE(faces.ok()) << faces.status();
  EXPECT_EQ(faces->size(), group.copies.size()) << Describe(*faces);
  for (const client_test::GroupCopy& copy : group.copies) {
    const cv::Point2f expected = TransformPoint(copy.transform, source_center);
    const double expected_side = source.width * copy.scale;
    bool found = false;
    for (const FoundFace& face : *faces) {
      const cv::Point2f c(face.box.x + face.box.width / 2,
                          face.box.y + face.box.height / 2);
      if (cv::norm(c - expected) < 0.25 * expected_side &&
          face.box.width > 0.7 * expected_side &&
          face.box.width < 1.4 * expected_side) {
        found = true;
        // Landmarks follow the rotation: the outer eye corners' slope
        // matches the copy's angle (box points cannot).
        if (face.from_landmarks) {
          const cv::Point2f d = face.points[0] - face.points[2];
          const double angle = -std::atan2(d.y, d.x) * 180 / CV_PI;
          EXPECT_NEAR(angle, copy.angle_degrees, 6.0);
        }
      }
    }
    EXPECT_TRUE(found) << "no face near (" << expected.x << ", " << expected.y
                       << ") for the copy at scale " << copy.scale << ", angle "
                       << copy.angle_degrees;
  }
}

TEST(FaceFinderTest, FindsNothingInAFacelessImage) {
  auto finder = FaceFinder::Create(DefaultOptions());
  ASSERT_TRUE(finder.ok()) << finder.status();
  auto faces = (*finder)->Find(client_test::MakeSmoothImage(640, 480));
  ASSERT_TRUE(faces.ok()) << faces.status();
  EXPECT_TRUE(faces->empty());
}

TEST(FaceFinderTest, RejectsBadImages) {
  auto finder = FaceFinder::Create(DefaultOptions());
  ASSERT_TRUE(finder.ok()) << finder.status();
  for (const cv::Mat& bad : {cv::Mat(), cv::Mat(64, 64, CV_8UC1, cv::Scalar(0)),
                             cv::Mat(64, 64, CV_32FC3, cv::Scalar(0))}) {
    auto faces = (*finder)->Find(bad);
    EXPECT_EQ(faces.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(FaceFinderTest, RejectsBadOptions) {
  struct Case {
    FaceFinder::Options options;
    absl::StatusCode code;
    std::string in_message;
  };
  FaceFinder::Options tiny, few, missing, not_model, no_eyes, bad_eyes;
  tiny.min_face_px = 4;
  few.max_detect_pixels = 100;
  missing.landmark_model = "/nonexistent/landmarks.dat";
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_client");
  not_model.landmark_model = dir + "/garbage.dat";
  testing::WriteFile(not_model.landmark_model, "not a dlib model");
  no_eyes.landmark_model = bad_eyes.landmark_model = "box";
  no_eyes.eye_cascade = "/nonexistent/eyes.xml";
  bad_eyes.eye_cascade = dir + "/eyes.xml";
  testing::WriteFile(bad_eyes.eye_cascade, "<opencv_storage/>");
  const std::vector<Case> cases = {
      {tiny, absl::StatusCode::kInvalidArgument, "min_face_px is 4"},
      {few, absl::StatusCode::kInvalidArgument, "max_detect_pixels is 100"},
      {missing, absl::StatusCode::kNotFound, "/nonexistent/landmarks.dat"},
      {not_model, absl::StatusCode::kDataLoss, "garbage.dat"},
      {no_eyes, absl::StatusCode::kNotFound, "/nonexistent/eyes.xml"},
      {bad_eyes, absl::StatusCode::kDataLoss, "eyes.xml"},
  };
  for (const Case& c : cases) {
    auto finder = FaceFinder::Create(c.options);
    EXPECT_EQ(finder.status().code(), c.code) << finder.status();
    EXPECT_NE(finder.status().message().find(c.in_message), std::string::npos)
        << finder.status();
  }
}

TEST(FaceFinderTest, BoxPointsSitWhereTheTemplateExpects) {
  // Box points aligned to the template land near it: the fractions are
  // consistent with the template's own proportions.
  const std::array<cv::Point2f, 5> points =
      PointsFromBox(cv::Rect2f(100, 50, 200, 200));
  auto transform = EstimateAlignment(points, 512);
  ASSERT_TRUE(transform.ok()) << transform.status();
  for (int k = 0; k < 5; ++k) {
    const cv::Point2f p = TransformPoint(*transform, points[k]);
    EXPECT_LT(cv::norm(p - TemplatePoints512()[k]), 12.0) << "point " << k;
  }
}

TEST(BoxIouTest, Table) {
  struct Case {
    cv::Rect2f a, b;
    double iou;
  };
  for (const Case& c : std::vector<Case>{
           {{0, 0, 10, 10}, {0, 0, 10, 10}, 1.0},
           {{0, 0, 10, 10}, {5, 0, 10, 10}, 50.0 / 150.0},
           {{0, 0, 10, 10}, {20, 20, 5, 5}, 0.0},
           {{0, 0, 0, 0}, {0, 0, 0, 0}, 0.0},
       }) {
    EXPECT_NEAR(BoxIou(c.a, c.b), c.iou, 1e-6);
  }
}

}  // namespace
}  // namespace facet
