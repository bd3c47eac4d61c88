// A synthetic group photo for the whole-photo tests: scaled and rotated
// copies of the astronaut fixture placed at known spots on a smooth
// background, with the transform of each copy.

#ifndef FACET_TESTS_CLIENT_ASTRONAUT_GROUP_H_
#define FACET_TESTS_CLIENT_ASTRONAUT_GROUP_H_

#include <string>
#include <vector>

#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/client/client_test_util.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace client_test {

struct GroupCopy {
  double scale;
  double angle_degrees;  // Counter-clockwise, as cv::getRotationMatrix2D.
  cv::Point2d center;    // Where the astronaut's centre lands.
  cv::Mat transform;     // 2x3 CV_64F, astronaut -> group photo.
};

struct AstronautGroup {
  cv::Mat astronaut;  // RGB.
  cv::Mat photo;      // RGB.
  std::vector<GroupCopy> copies;
};

// Returns false (and leaves `group` unset) if the fixture is missing.
inline bool MakeAstronautGroup(AstronautGroup* group) {
  const std::string fixtures = testing::FixturesDirIfPresent();
  if (fixtures.empty()) return false;
  cv::Mat bgr = cv::imread(fixtures + "/astronaut.png", cv::IMREAD_COLOR);
  if (bgr.empty()) return false;
  cv::cvtColor(bgr, group->astronaut, cv::COLOR_BGR2RGB);
  group->photo = MakeSmoothImage(1800, 820);
  // Blend the background toward gray so it holds no face-like contrast.
  group->photo = group->photo * 0.4 + cv::Scalar(70, 70, 70);
  group->copies = {{0.8, -12.0, {260, 420}, {}},
                   {1.0, 0.0, {860, 400}, {}},
                   {1.3, 9.0, {1480, 420}, {}}};
  const cv::Point2f source_center(group->astronaut.cols / 2.0f,
                                  group->astronaut.rows / 2.0f);
  for (GroupCopy& copy : group->copies) {
    cv::Mat t =
        cv::getRotationMatrix2D(source_center, copy.angle_degrees, copy.scale);
    t.at<double>(0, 2) += copy.center.x - source_center.x;
    t.at<double>(1, 2) += copy.center.y - source_center.y;
    copy.transform = t;
    cv::warpAffine(group->astronaut, group->photo, t, group->photo.size(),
                   cv::INTER_CUBIC, cv::BORDER_TRANSPARENT);
  }
  return true;
}

}  // namespace client_test
}  // namespace facet

#endif  // FACET_TESTS_CLIENT_ASTRONAUT_GROUP_H_
