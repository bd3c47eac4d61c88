// Helpers shared by the client tests: fixtures, temp folders, images.

#ifndef FACET_TESTS_CLIENT_CLIENT_TEST_UTIL_H_
#define FACET_TESTS_CLIENT_CLIENT_TEST_UTIL_H_

#include <stdlib.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"

namespace facet {
namespace client_test {

inline bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline bool IsFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

inline std::string SourceDir() {
  const char* dir = std::getenv("FACET_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

// The build folder (set by CTest), or "" when run by hand without it.
inline std::string BinaryDir() {
  const char* dir = std::getenv("FACET_BINARY_DIR");
  return dir != nullptr ? dir : "";
}

// The shared folder's fixtures/, or "" if it cannot be found.
inline std::string FixturesDir() {
  const char* dir = std::getenv("FACET_SHARED_DIR");
  std::string shared = dir != nullptr ? dir : SourceDir() + "/../shared";
  return IsDir(shared + "/fixtures") ? shared + "/fixtures" : "";
}

// Removes the folders MakeTempDir made when the test program exits.
class TempDirRegistry {
 public:
  static TempDirRegistry& Get() {
    static TempDirRegistry registry;
    return registry;
  }
  void Add(const std::string& dir) { dirs_.push_back(dir); }
  ~TempDirRegistry() {
    std::error_code ignored;
    for (const std::string& dir : dirs_) {
      std::filesystem::remove_all(dir, ignored);
    }
  }

 private:
  std::vector<std::string> dirs_;
};

// A fresh, empty folder under the test temp dir, removed at exit.
inline std::string MakeTempDir(const std::string& prefix = "facet_client") {
  std::string base = ::testing::TempDir();
  if (base.empty() || base.back() != '/') base += '/';
  std::string templ = base + prefix + "_XXXXXX";
  std::vector<char> buffer(templ.begin(), templ.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed under " << base;
    return base;
  }
  TempDirRegistry::Get().Add(buffer.data());
  return buffer.data();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

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
