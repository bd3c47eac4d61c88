// Helpers shared by the core/image tests (not part of facet_image). Paths,
// scratch folders and file reads/writes are in tests/util/.

#ifndef FACET_CORE_IMAGE_IMAGE_TEST_UTIL_H_
#define FACET_CORE_IMAGE_IMAGE_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/util/test_files.h"

namespace facet {
namespace image_test {

// An RGB image whose three channels differ everywhere they can, so a
// swapped channel order or a transposition shows up: R follows x, G
// follows y, B follows x + y.
inline cv::Mat MakePattern(int width, int height) {
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(
          static_cast<uint8_t>(x * 7 + 3), static_cast<uint8_t>(y * 11 + 5),
          static_cast<uint8_t>((x + y) * 3 + 200));
    }
  }
  return rgb;
}

// Left half red (200, 30, 30), right half blue (30, 30, 200), in RGB: large
// flat areas that survive lossy codecs.
inline cv::Mat MakeRedBlue(int width, int height) {
  cv::Mat rgb(height, width, CV_8UC3, cv::Scalar(200, 30, 30));
  rgb(cv::Rect(width / 2, 0, width - width / 2, height))
      .setTo(cv::Scalar(30, 30, 200));
  return rgb;
}

// Encodes `image` as given (OpenCV's channel order: BGR/BGRA) with
// cv::imencode; fails the test on error.
inline std::string OpenCvEncode(const cv::Mat& image, const std::string& ext,
                                const std::vector<int>& params = {}) {
  std::vector<uchar> buffer;
  EXPECT_TRUE(cv::imencode(ext, image, buffer, params)) << ext;
  return std::string(buffer.begin(), buffer.end());
}

inline cv::Mat RgbToBgr(const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

// Largest absolute per-element difference of two same-shaped images.
inline double MaxDiff(const cv::Mat& a, const cv::Mat& b) {
  return cv::norm(a, b, cv::NORM_INF);
}

}  // namespace image_test
}  // namespace facet

#endif  // FACET_CORE_IMAGE_IMAGE_TEST_UTIL_H_
