#include "core/image/image_encoder.h"

#include <dirent.h>

#include <string>
#include <vector>

#include "core/image/image_decoder.h"
#include "core/image/image_header.h"
#include "core/image/image_test_util.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using image_test::MakePattern;
using image_test::MakeRedBlue;
using image_test::MaxDiff;

bool Contains(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

TEST(EncodePngTest, RoundTripsRgbAndGrayExactly) {
  const cv::Mat rgb = MakePattern(40, 30);
  absl::StatusOr<std::string> png = EncodePng(rgb);
  ASSERT_TRUE(png.ok()) << png.status();
  absl::StatusOr<cv::Mat> back = DecodeImage(*png, DecodeLimits());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(MaxDiff(*back, rgb), 0);
  // Stored in RGB order: OpenCV's own reader (BGR) sees red in channel 2.
  const cv::Mat raw = cv::imdecode(std::vector<uchar>(png->begin(), png->end()),
                                   cv::IMREAD_UNCHANGED);
  EXPECT_EQ(raw.at<cv::Vec3b>(3, 5)[2], rgb.at<cv::Vec3b>(3, 5)[0]);

  cv::Mat labels(30, 40, CV_8UC1);
  cv::randu(labels, 0, 19);
  png = EncodePng(labels);
  ASSERT_TRUE(png.ok()) << png.status();
  const cv::Mat ids = cv::imdecode(std::vector<uchar>(png->begin(), png->end()),
                                   cv::IMREAD_UNCHANGED);
  ASSERT_EQ(ids.type(), CV_8UC1);
  EXPECT_EQ(MaxDiff(ids, labels), 0);
}

TEST(EncodeJpegTest, RoundTripsApproximately) {
  const cv::Mat rgb = MakeRedBlue(64, 48);
  absl::StatusOr<std::string> jpeg = EncodeJpeg(rgb);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  absl::StatusOr<cv::Mat> back = DecodeImage(*jpeg, DecodeLimits());
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), rgb.size());
  // Away from the red/blue edge, q95 is within a few levels.
  EXPECT_LE(
      MaxDiff((*back)(cv::Rect(0, 0, 24, 48)), rgb(cv::Rect(0, 0, 24, 48))), 6);
  EXPECT_LE(
      MaxDiff((*back)(cv::Rect(40, 0, 24, 48)), rgb(cv::Rect(40, 0, 24, 48))),
      6);
  // Lower quality, smaller file.
  absl::StatusOr<std::string> small = EncodeJpeg(MakePattern(64, 48), 10);
  ASSERT_TRUE(small.ok());
  EXPECT_LT(small->size(), EncodeJpeg(MakePattern(64, 48), 100)->size());
}

TEST(EncodeTest, RejectsBadInput) {
  struct Case {
    absl::StatusOr<std::string> result;
    const char* message;
  };
  const cv::Mat rgb = MakePattern(4, 4);
  const std::vector<Case> cases = {
      {EncodePng(cv::Mat()), "image is empty"},
      {EncodeJpeg(cv::Mat()), "image is empty"},
      {EncodePng(cv::Mat(4, 4, CV_32FC3)), "expected CV_8UC3 (RGB) or CV_8UC1"},
      {EncodePng(cv::Mat(4, 4, CV_8UC4)), "with 4 channels"},
      {EncodeJpeg(cv::Mat(4, 4, CV_16UC1)),
       "expected CV_8UC3 (RGB) or CV_8UC1"},
      {EncodeJpeg(rgb, 0), "JPEG quality 0 is out of range; expected 1 to 100"},
      {EncodeJpeg(rgb, 101), "JPEG quality 101 is out of range"},
  };
  for (const Case& c : cases) {
    ASSERT_EQ(c.result.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_TRUE(Contains(c.result.status(), c.message)) << c.result.status();
  }
}

TEST(WriteImageFileTest, WritesEachExtensionAtomically) {
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_image_test");
  const cv::Mat rgb = MakeRedBlue(64, 48);
  for (const char* name : {"a.png", "b.jpg", "c.JPEG", "d.PNG"}) {
    const std::string path = dir + "/" + name;
    ASSERT_TRUE(WriteImageFile(path, rgb).ok()) << name;
    absl::StatusOr<cv::Mat> back = ReadImageFile(path, DecodeLimits());
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(back->size(), rgb.size()) << name;
    const bool png = std::string(name).find("PNG") != std::string::npos ||
                     std::string(name).find("png") != std::string::npos;
    EXPECT_EQ(ReadImageHeader(testing::ReadFile(path))->format,
              png ? ImageFormat::kPng : ImageFormat::kJpeg)
        << name;
    if (png) EXPECT_EQ(MaxDiff(*back, rgb), 0) << name;
  }
  // Overwriting replaces the file; no temporary files are left behind.
  const cv::Mat other = MakePattern(10, 10);
  ASSERT_TRUE(WriteImageFile(dir + "/a.png", other).ok());
  EXPECT_EQ(MaxDiff(*ReadImageFile(dir + "/a.png", DecodeLimits()), other), 0);
  EXPECT_EQ(ListDir(dir).size(), 4u);
}

TEST(WriteImageFileTest, ErrorsNameThePath) {
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_image_test");
  const cv::Mat rgb = MakePattern(4, 4);

  const std::string missing = dir + "/no_such_folder/out.png";
  absl::Status status = WriteImageFile(missing, rgb);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(status, missing)) << status;

  const std::string gif = dir + "/out.gif";
  status = WriteImageFile(gif, rgb);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status, gif)) << status;
  EXPECT_TRUE(Contains(status, "expected .png, .jpg or .jpeg")) << status;

  const std::string bad = dir + "/float.png";
  status = WriteImageFile(bad, cv::Mat(4, 4, CV_32FC1));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status, bad)) << status;

  // The target is a directory: rename fails and the temp file is removed.
  const std::string folder = dir + "/folder.png";
  ASSERT_EQ(mkdir(folder.c_str(), 0755), 0);
  status = WriteImageFile(folder, rgb);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Contains(status, folder)) << status;
  EXPECT_EQ(ListDir(dir).size(), 1u);  // Only folder.png itself.
}

}  // namespace
}  // namespace facet
