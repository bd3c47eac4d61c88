#include "trainer/data/synthetic_faces.h"

#include <thread>
#include <vector>

#include "core/image/label_palette.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"

namespace facet {
namespace {

std::unique_ptr<SyntheticFaceSet> MakeSet(uint64_t seed, size_t size = 1000,
                                          int image_size = 512) {
  SyntheticFaceSet::Options options;
  options.seed = seed;
  options.size = size;
  options.image_size = image_size;
  auto set = SyntheticFaceSet::Create(options);
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

bool SameBytes(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() &&
         cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(SyntheticFaceSetTest, SamplesAre512RgbWithLabelIdsBelow19) {
  auto set = MakeSet(1);
  for (size_t i = 0; i < 30; ++i) {
    absl::StatusOr<FaceSample> s = set->Get(i);
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ(s->image.type(), CV_8UC3);
    ASSERT_EQ(s->image.size(), cv::Size(512, 512));
    ASSERT_EQ(s->labels.type(), CV_8UC1);
    ASSERT_EQ(s->labels.size(), cv::Size(512, 512));
    double hi;
    cv::minMaxLoc(s->labels, nullptr, &hi);
    ASSERT_LT(hi, kNumLabels) << "face " << i;
  }
}

TEST(SyntheticFaceSetTest, DeterministicPerSeedAndIndex) {
  auto a = MakeSet(7), b = MakeSet(7), c = MakeSet(8);
  for (size_t i : {0u, 5u, 999u}) {
    const FaceSample x = *a->Get(i), y = *b->Get(i), z = *c->Get(i);
    EXPECT_TRUE(SameBytes(x.image, y.image)) << i;
    EXPECT_TRUE(SameBytes(x.labels, y.labels)) << i;
    EXPECT_FALSE(SameBytes(x.image, z.image)) << "seeds 7 and 8, face " << i;
  }
  EXPECT_FALSE(SameBytes(a->Get(0)->labels, a->Get(1)->labels));
}

TEST(SyntheticFaceSetTest, ConcurrentGetsMatchSerialOnes) {
  auto set = MakeSet(3);
  std::vector<cv::Mat> serial, parallel(6);
  for (size_t i = 0; i < 6; ++i) serial.push_back(set->Get(i)->image);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < 6; i += 2) parallel[i] = set->Get(i)->image;
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < 6; ++i) EXPECT_TRUE(SameBytes(serial[i], parallel[i]));
}

// Over a few hundred faces: the parts every face has appear in >= 95% of
// them, the optional ones in >= 10% (and not in all).
TEST(SyntheticFaceSetTest, ClassFrequencies) {
  constexpr int kFaces = 240;
  auto set = MakeSet(11);
  int present[kNumLabels] = {};
  for (int i = 0; i < kFaces; ++i) {
    const cv::Mat labels = set->Get(i)->labels;
    int hist[kNumLabels] = {};
    for (int y = 0; y < labels.rows; ++y) {
      const uint8_t* row = labels.ptr<uint8_t>(y);
      for (int x = 0; x < labels.cols; ++x) ++hist[row[x]];
    }
    for (int id = 0; id < kNumLabels; ++id) present[id] += hist[id] > 0;
  }
  const int always[] = {kBackground, kSkin,     kNose,      kLeftEye,
                        kRightEye,   kLeftBrow, kRightBrow, kUpperLip,
                        kLowerLip,   kNeck,     kCloth};
  for (int id : always) {
    EXPECT_GE(present[id], 0.95 * kFaces) << Label(id).name;
  }
  const int optional[] = {kEyeGlasses, kHat,  kEarring, kNecklace,
                          kMouth,      kHair, kLeftEar, kRightEar};
  for (int id : optional) {
    EXPECT_GE(present[id], 0.10 * kFaces) << Label(id).name;
  }
  for (int id : {kEyeGlasses, kHat, kEarring, kNecklace, kMouth}) {
    EXPECT_LT(present[id], 0.6 * kFaces) << Label(id).name;
  }
}

TEST(SyntheticFaceSetTest, SmallerImagesKeepTheLayout) {
  auto set = MakeSet(5, 10, 128);
  const FaceSample s = *set->Get(2);
  EXPECT_EQ(s.image.size(), cv::Size(128, 128));
  EXPECT_GT(cv::countNonZero(s.labels == kSkin), 128 * 128 / 20);
}

TEST(SyntheticFaceSetTest, RejectsBadOptionsAndIndices) {
  SyntheticFaceSet::Options empty;
  empty.size = 0;
  EXPECT_EQ(SyntheticFaceSet::Create(empty).status().code(),
            absl::StatusCode::kInvalidArgument);
  SyntheticFaceSet::Options tiny;
  tiny.image_size = 0;
  EXPECT_EQ(SyntheticFaceSet::Create(tiny).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto set = MakeSet(1, 4);
  EXPECT_EQ(set->Get(4).status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace facet
