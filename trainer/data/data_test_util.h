// Helpers shared by the trainer/data tests: a fresh temporary folder per
// test and small image writers.
#ifndef FACET_TRAINER_DATA_DATA_TEST_UTIL_H_
#define FACET_TRAINER_DATA_DATA_TEST_UTIL_H_

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

namespace facet {
namespace testing_util {

// A new empty folder under the test temp dir, removed by the destructor.
class TempFolder {
 public:
  TempFolder() {
    static std::atomic<int> counter{0};
    const ::testing::TestInfo* info =
        ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("facet_data_" + std::string(info->test_suite_name()) + "_" +
             info->name() + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void WriteBytes(const std::filesystem::path& path,
                       const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Writes `image` (BGR or gray, as OpenCV expects) by extension.
inline void WriteImage(const std::filesystem::path& path,
                       const cv::Mat& image) {
  std::filesystem::create_directories(path.parent_path());
  ASSERT_TRUE(cv::imwrite(path.string(), image)) << path;
}

}  // namespace testing_util
}  // namespace facet

#endif  // FACET_TRAINER_DATA_DATA_TEST_UTIL_H_
