// Helpers shared by the client tests: test images. Paths, scratch folders
// and file reads/writes are in tests/util/.

#ifndef FACET_TESTS_CLIENT_CLIENT_TEST_UTIL_H_
#define FACET_TESTS_CLIENT_CLIENT_TEST_UTIL_H_

#include <cmath>

#include "opencv2/core.hpp"

namespace facet {
namespace client_test {

// A smooth RGB image (sums of low-frequency sinusoids), on which bicubic
// resampling round trips are nearly exact, unlike on noise or edges.
inline cv::Mat MakeSmoothImage(int width, int height) {
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double r = 128 + 90 * std::sin(x / 37.0) * std::cos(y / 53.0);
      const double g = 128 + 90 * std::cos((x + y) / 61.0);
      const double b = 128 + 90 * std::sin((x - 2 * y) / 71.0);
      rgb.at<cv::Vec3b>(y, x) =
          cv::Vec3b(cv::saturate_cast<uchar>(r), cv::saturate_cast<uchar>(g),
                    cv::saturate_cast<uchar>(b));
    }
  }
  return rgb;
}

}  // namespace client_test
}  // namespace facet

#endif  // FACET_TESTS_CLIENT_CLIENT_TEST_UTIL_H_
