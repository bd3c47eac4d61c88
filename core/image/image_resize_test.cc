#include "core/image/image_resize.h"

#include <set>
#include <string>
#include <vector>

#include "core/image/image_test_util.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using image_test::MakePattern;
using image_test::MaxDiff;

constexpr ResizeFilter kFilters[] = {
    ResizeFilter::kBilinear, ResizeFilter::kBicubic, ResizeFilter::kArea,
    ResizeFilter::kNearest};

TEST(ResizeFilterTest, ParsesNamesAndRejectsOthers) {
  struct Case {
    const char* name;
    ResizeFilter filter;
  };
  const std::vector<Case> cases = {
      {"bilinear", ResizeFilter::kBilinear},
      {"bicubic", ResizeFilter::kBicubic},
      {"area", ResizeFilter::kArea},
      {"nearest", ResizeFilter::kNearest},
      {"BiCubic", ResizeFilter::kBicubic},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ResizeFilter> filter = ParseResizeFilter(c.name);
    ASSERT_TRUE(filter.ok()) << c.name << ": " << filter.status();
    EXPECT_EQ(*filter, c.filter) << c.name;
  }
  for (ResizeFilter filter : kFilters) {
    EXPECT_EQ(*ParseResizeFilter(ResizeFilterName(filter)), filter);
  }
  for (const char* bad : {"", "lanczos", "linear ", "bilinear2"}) {
    absl::StatusOr<ResizeFilter> filter = ParseResizeFilter(bad);
    ASSERT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_EQ(filter.status().message(),
              "unknown resize filter '" + std::string(bad) +
                  "'; expected bilinear, bicubic, area or nearest");
  }
}

TEST(ResizeForNetTest, EverySizeAndFilterGivesSquare) {
  const std::vector<cv::Size> inputs = {{640, 480}, {100, 300},   {1, 1},
                                        {512, 512}, {1024, 1024}, {4000, 1}};
  for (const cv::Size& in : inputs) {
    const cv::Mat rgb = MakePattern(in.width, in.height);
    for (ResizeFilter filter : kFilters) {
      for (int size : {512, 64}) {
        const cv::Mat out = ResizeForNet(rgb, size, filter);
        EXPECT_EQ(out.size(), cv::Size(size, size))
            << in << " " << ResizeFilterName(filter);
        EXPECT_EQ(out.type(), CV_8UC3);
      }
    }
  }
}

TEST(ResizeForNetTest, SameSizeIsAnIndependentCopy) {
  const cv::Mat rgb = MakePattern(64, 64);
  const cv::Mat before = rgb.clone();
  cv::Mat out = ResizeForNet(rgb, 64, ResizeFilter::kBicubic);
  EXPECT_EQ(MaxDiff(out, rgb), 0);
  EXPECT_NE(out.data, rgb.data);
  out.setTo(cv::Scalar::all(0));
  EXPECT_EQ(MaxDiff(rgb, before), 0);
}

TEST(ResizeForNetTest, FlatImageStaysFlatAndFiltersDiffer) {
  const cv::Mat flat(37, 91, CV_8UC3, cv::Scalar(10, 120, 250));
  for (ResizeFilter filter : kFilters) {
    const cv::Mat out = ResizeForNet(flat, 512, filter);
    EXPECT_EQ(
        MaxDiff(out, cv::Mat(512, 512, CV_8UC3, cv::Scalar(10, 120, 250))), 0)
        << ResizeFilterName(filter);
  }
  // Shrinking detail: the filters must not all be the same one.
  cv::Mat noise(200, 200, CV_8UC3);
  cv::randu(noise, 0, 256);
  const cv::Mat nearest = ResizeForNet(noise, 64, ResizeFilter::kNearest);
  EXPECT_GT(MaxDiff(ResizeForNet(noise, 64, ResizeFilter::kArea), nearest), 0);
  EXPECT_GT(MaxDiff(ResizeForNet(noise, 64, ResizeFilter::kBilinear), nearest),
            0);
  EXPECT_GT(MaxDiff(ResizeForNet(noise, 64, ResizeFilter::kBicubic),
                    ResizeForNet(noise, 64, ResizeFilter::kBilinear)),
            0);
}

TEST(ResizeLabelsTest, KeepsIdsAndSamplesPixelCentres) {
  // value = x + 6 * y. Shrinking 3x samples the centre pixel of each 3x3
  // block (1 and 4 on each axis), where plain INTER_NEAREST takes 0 and 3.
  cv::Mat labels(6, 6, CV_8UC1);
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 6; ++x) labels.at<uint8_t>(y, x) = x + 6 * y;
  }
  const cv::Mat third = ResizeLabels(labels, 2, 2);
  ASSERT_EQ(third.size(), cv::Size(2, 2));
  EXPECT_EQ(third.at<uint8_t>(0, 0), 7);
  EXPECT_EQ(third.at<uint8_t>(0, 1), 10);
  EXPECT_EQ(third.at<uint8_t>(1, 0), 25);
  EXPECT_EQ(third.at<uint8_t>(1, 1), 28);

  // Doubling gives 2x2 blocks.
  const cv::Mat twice = ResizeLabels(labels, 12, 12);
  for (int y = 0; y < 12; ++y) {
    for (int x = 0; x < 12; ++x) {
      EXPECT_EQ(twice.at<uint8_t>(y, x), labels.at<uint8_t>(y / 2, x / 2))
          << x << "," << y;
    }
  }

  // Odd factors never invent ids.
  cv::Mat random(50, 70, CV_8UC1);
  cv::randu(random, 0, 19);
  const cv::Mat odd = ResizeLabels(random, 33, 101);
  ASSERT_EQ(odd.size(), cv::Size(33, 101));
  std::set<int> ids(random.begin<uint8_t>(), random.end<uint8_t>());
  for (auto it = odd.begin<uint8_t>(); it != odd.end<uint8_t>(); ++it) {
    EXPECT_TRUE(ids.count(*it)) << int(*it);
  }

  const cv::Mat same = ResizeLabels(labels, 6, 6);
  EXPECT_EQ(MaxDiff(same, labels), 0);
  EXPECT_NE(same.data, labels.data);
}

}  // namespace
}  // namespace facet
