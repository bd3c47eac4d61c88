#include "trainer/data/degradation_pipeline.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "core/image/image_decoder.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/util/test_paths.h"
#include "trainer/data/synthetic_face_painter.h"

namespace facet {
namespace {

constexpr int kDraws = 4000;

DegradationPipeline Pipeline(const DegradationOptions& options = {}) {
  absl::StatusOr<DegradationPipeline> p = DegradationPipeline::Create(options);
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

bool SameBytes(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() &&
         cv::norm(a, b, cv::NORM_INF) == 0;
}

// Expects `hits` out of `n` Bernoulli(p) draws within 3 standard errors.
void ExpectFrequency(const char* what, int hits, int n, double p) {
  const double se = std::sqrt(p * (1 - p) / n);
  EXPECT_NEAR(static_cast<double>(hits) / n, p, 3 * se + 1e-12)
      << what << ": " << hits << " of " << n;
}

TEST(DegradationPipelineTest, StepFrequenciesMatchTheirProbabilities) {
  const DegradationPipeline pipeline = Pipeline();
  int gray = 0, blur = 0, noise = 0, per_channel = 0, jpeg = 0, down = 0;
  int kinds[kNumBlurKinds] = {},
      interpolations[kNumDownscaleInterpolations] = {};
  for (int i = 0; i < kDraws; ++i) {
    const DegradationParams p = pipeline.SampleParams(11, i);
    gray += p.gray;
    down += p.downscale;
    jpeg += p.jpeg;
    if (p.blur) {
      ++blur;
      ++kinds[static_cast<int>(p.blur_kind)];
    }
    if (p.noise) {
      ++noise;
      per_channel += p.noise_per_channel;
    }
    ++interpolations[static_cast<int>(p.downscale_interpolation)];
  }
  ExpectFrequency("gray", gray, kDraws, 0.3);
  ExpectFrequency("blur", blur, kDraws, 0.5);
  ExpectFrequency("noise", noise, kDraws, 0.2);
  ExpectFrequency("noise per channel", per_channel, noise, 0.5);
  ExpectFrequency("jpeg", jpeg, kDraws, 0.7);
  EXPECT_EQ(down, kDraws);
  for (int k = 0; k < kNumBlurKinds; ++k) {
    ExpectFrequency(BlurKindName(static_cast<BlurKind>(k)), kinds[k], blur,
                    0.25);
  }
  for (int k = 0; k < kNumDownscaleInterpolations; ++k) {
    ExpectFrequency(
        DownscaleInterpolationName(static_cast<DownscaleInterpolation>(k)),
        interpolations[k], kDraws, 0.25);
  }
}

TEST(DegradationPipelineTest, DrawnValuesStayInTheirRanges) {
  const DegradationPipeline pipeline = Pipeline();
  int min_size = 1000, max_size = 0, min_quality = 1000, max_quality = 0;
  double max_noise = 0;
  for (int i = 0; i < kDraws; ++i) {
    const DegradationParams p = pipeline.SampleParams(12, i);
    min_size = std::min(min_size, p.downscale_size);
    max_size = std::max(max_size, p.downscale_size);
    min_quality = std::min(min_quality, p.jpeg_quality);
    max_quality = std::max(max_quality, p.jpeg_quality);
    ASSERT_GE(p.noise_sigma, 0.0);
    ASSERT_LT(p.noise_sigma, 25.5);
    max_noise = std::max(max_noise, p.noise_sigma);
    ASSERT_GE(p.gaussian_sigma, 3.0);
    ASSERT_LT(p.gaussian_sigma, 15.0);
    ASSERT_GE(p.motion_angle_deg, 0.0);
    ASSERT_LT(p.motion_angle_deg, 360.0);
    ASSERT_GE(p.motion_direction, -1.0);
    ASSERT_LE(p.motion_direction, 1.0);
    const int k = p.blur_kernel;
    switch (p.blur_kind) {
      case BlurKind::kGaussian:
        ASSERT_EQ(k, GaussianKernelSize(p.gaussian_sigma));
        ASSERT_TRUE(k >= 9 && k <= 39 && k % 2 == 1) << k;
        break;
      case BlurKind::kAverage:
        ASSERT_TRUE(k >= 3 && k <= 15) << k;
        break;
      case BlurKind::kMedian:
        ASSERT_TRUE(k >= 3 && k <= 15 && k % 2 == 1) << k;
        break;
      case BlurKind::kMotion:
        ASSERT_TRUE(k >= 5 && k <= 25 && k % 2 == 1) << k;
        break;
    }
  }
  EXPECT_EQ(min_size, 32);
  EXPECT_EQ(max_size, 255);
  EXPECT_EQ(min_quality, 37);
  EXPECT_EQ(max_quality, 90);
  EXPECT_GT(max_noise, 24.0);
}

TEST(DegradationPipelineTest, SwitchedOffStepsAreNeverDrawn) {
  DegradationOptions options;
  options.enable_gray = false;
  options.blur_probability = 0;
  options.enable_noise = false;
  options.jpeg_probability = 0;
  options.enable_downscale = false;
  const DegradationPipeline pipeline = Pipeline(options);
  for (int i = 0; i < 500; ++i) {
    const DegradationParams p = pipeline.SampleParams(3, i);
    ASSERT_FALSE(p.gray || p.blur || p.noise || p.jpeg || p.downscale)
        << p.ToString();
  }
}

TEST(DegradationPipelineTest, SwitchingOneStepOffKeepsTheOtherDraws) {
  DegradationOptions no_blur;
  no_blur.enable_blur = false;
  const DegradationPipeline a = Pipeline(), b = Pipeline(no_blur);
  for (int i = 0; i < 200; ++i) {
    const DegradationParams pa = a.SampleParams(4, i),
                            pb = b.SampleParams(4, i);
    ASSERT_FALSE(pb.blur);
    ASSERT_EQ(pa.gray, pb.gray);
    ASSERT_EQ(pa.downscale_size, pb.downscale_size);
    ASSERT_EQ(pa.jpeg_quality, pb.jpeg_quality);
  }
}

class DegradationApplyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    face_ = new cv::Mat(PaintSyntheticFace(1, 0).image);
  }
  static void TearDownTestSuite() { delete face_; }
  static cv::Mat* face_;
};
cv::Mat* DegradationApplyTest::face_ = nullptr;

TEST_F(DegradationApplyTest, OutputIsAlways512RgbUint8) {
  const DegradationPipeline pipeline = Pipeline();
  for (int i = 0; i < 48; ++i) {
    absl::StatusOr<DegradedFace> out = pipeline.Degrade(*face_, 21, i);
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_EQ(out->lq.type(), CV_8UC3);
    ASSERT_EQ(out->lq.size(), cv::Size(512, 512));
    ASSERT_EQ(out->hq.type(), CV_8UC3);
    ASSERT_EQ(out->hq.size(), cv::Size(512, 512));
    if (out->params.gray) {
      cv::Mat planes[3];
      cv::split(out->lq, planes);
      ASSERT_EQ(cv::norm(planes[0], planes[1], cv::NORM_INF), 0);
      ASSERT_EQ(cv::norm(planes[0], planes[2], cv::NORM_INF), 0);
      cv::split(out->hq, planes);
      ASSERT_EQ(cv::norm(planes[0], planes[2], cv::NORM_INF), 0)
          << "the HQ target turns gray with the input";
    } else {
      ASSERT_TRUE(SameBytes(out->hq, *face_));
    }
  }
}

TEST_F(DegradationApplyTest, SmallerNetSizeAreaResizesBothImages) {
  DegradationOptions options;
  options.net_size = 128;
  absl::StatusOr<DegradedFace> out = Pipeline(options).Degrade(*face_, 1, 5);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->lq.size(), cv::Size(128, 128));
  EXPECT_EQ(out->hq.size(), cv::Size(128, 128));
}

TEST_F(DegradationApplyTest, AnySizeInputIsBroughtTo512) {
  cv::Mat wide;
  cv::resize(*face_, wide, cv::Size(700, 300));
  absl::StatusOr<DegradedFace> out = Pipeline().Degrade(wide, 1, 1);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->lq.size(), cv::Size(512, 512));
}

TEST_F(DegradationApplyTest, EqualKeysGiveEqualPixelsOnAnyThread) {
  const DegradationPipeline pipeline = Pipeline();
  constexpr int kSamples = 6;
  std::vector<cv::Mat> serial(kSamples), threaded(kSamples);
  for (int i = 0; i < kSamples; ++i)
    serial[i] = pipeline.Degrade(*face_, 9, i)->lq;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = kSamples - 1 - t; i >= 0; i -= 3) {
        threaded[i] = pipeline.Degrade(*face_, 9, i)->lq;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kSamples; ++i) {
    EXPECT_TRUE(SameBytes(serial[i], threaded[i])) << "sample " << i;
  }
}

TEST_F(DegradationApplyTest, DifferentSeedsDiffer) {
  const DegradationPipeline pipeline = Pipeline();
  int differing = 0;
  for (int i = 0; i < 4; ++i) {
    const cv::Mat a = pipeline.Degrade(*face_, 1, i)->lq;
    const cv::Mat b = pipeline.Degrade(*face_, 2, i)->lq;
    differing += !SameBytes(a, b);
  }
  EXPECT_EQ(differing, 4);
}

TEST_F(DegradationApplyTest, EveryStepOffLeavesTheImageAlone) {
  DegradationOptions options;
  options.enable_gray = options.enable_blur = options.enable_downscale =
      options.enable_noise = options.enable_jpeg = false;
  absl::StatusOr<DegradedFace> out = Pipeline(options).Degrade(*face_, 1, 0);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(SameBytes(out->lq, *face_));
}

// Each step alone, forced on, changes the image.
TEST_F(DegradationApplyTest, EachStepAloneChangesTheImage) {
  const std::vector<
      std::pair<const char*, std::function<void(DegradationOptions*)>>>
      steps = {
          {"gray",
           [](DegradationOptions* o) {
             o->enable_gray = true;
             o->gray_probability = 1;
           }},
          {"blur",
           [](DegradationOptions* o) {
             o->enable_blur = true;
             o->blur_probability = 1;
           }},
          {"downscale",
           [](DegradationOptions* o) { o->enable_downscale = true; }},
          {"noise",
           [](DegradationOptions* o) {
             o->enable_noise = true;
             o->noise_probability = 1;
           }},
          {"jpeg",
           [](DegradationOptions* o) {
             o->enable_jpeg = true;
             o->jpeg_probability = 1;
           }},
      };
  for (const auto& [name, enable] : steps) {
    DegradationOptions options;
    options.enable_gray = options.enable_blur = options.enable_downscale =
        options.enable_noise = options.enable_jpeg = false;
    enable(&options);
    const DegradationPipeline pipeline = Pipeline(options);
    // Sample 0..9: at least one draw with a visible effect (noise sigma may
    // be near 0 for one draw).
    double most = 0;
    for (int i = 0; i < 10; ++i) {
      absl::StatusOr<DegradedFace> out = pipeline.Degrade(*face_, 2, i);
      ASSERT_TRUE(out.ok()) << name;
      most = std::max(
          most, cv::norm(out->lq, *face_, cv::NORM_L1) / (512.0 * 512 * 3));
    }
    EXPECT_GT(most, 0.5) << name << " changed nothing";
  }
}

// A real photo: every degradation keeps the picture's mean colour (blur,
// resampling and JPEG preserve it, noise is zero-mean) within a few levels.
TEST(DegradationRealPhotoTest, KeepsTheMeanColourOfTheAstronaut) {
  const std::string path = testing::FixturesDir() + "/astronaut.png";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "fixture not found: " << path;
  }
  absl::StatusOr<cv::Mat> photo = ReadImageFile(path, DecodeLimits());
  ASSERT_TRUE(photo.ok()) << photo.status();
  const DegradationPipeline pipeline = Pipeline();
  for (int i = 0; i < 12; ++i) {
    absl::StatusOr<DegradedFace> out = pipeline.Degrade(*photo, 5, i);
    ASSERT_TRUE(out.ok()) << out.status();
    const cv::Scalar lq = cv::mean(out->lq), hq = cv::mean(out->hq);
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(lq[c], hq[c], 6.0) << out->params.ToString();
    }
  }
}

TEST(DegradationPipelineBadInputTest, RejectsEmptyAndNonRgbImages) {
  const DegradationPipeline pipeline = Pipeline();
  const DegradationParams params = pipeline.SampleParams(1, 0);
  struct Case {
    const char* what;
    cv::Mat image;
  } cases[] = {{"empty", cv::Mat()},
               {"zero-size", cv::Mat(0, 0, CV_8UC3)},
               {"gray", cv::Mat(64, 64, CV_8UC1, cv::Scalar(3))},
               {"float", cv::Mat(64, 64, CV_32FC3, cv::Scalar(3, 3, 3))}};
  for (const Case& c : cases) {
    absl::StatusOr<DegradedFace> out = pipeline.Apply(c.image, params);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument)
        << c.what;
  }
}

TEST(DegradationPipelineBadInputTest, RejectsBadOptionsNamingTheField) {
  struct Case {
    const char* field;
    std::function<void(DegradationOptions*)> spoil;
  } cases[] = {
      {"gray_probability",
       [](DegradationOptions* o) { o->gray_probability = 1.5; }},
      {"jpeg_probability",
       [](DegradationOptions* o) { o->jpeg_probability = -0.1; }},
      {"downscale", [](DegradationOptions* o) { o->downscale_min = 300; }},
      {"net_size", [](DegradationOptions* o) { o->net_size = 1024; }},
      {"box_kernel", [](DegradationOptions* o) { o->box_kernel_min = 0; }},
      {"jpeg_compression",
       [](DegradationOptions* o) { o->jpeg_compression_max = 5; }},
  };
  for (const Case& c : cases) {
    DegradationOptions options;
    c.spoil(&options);
    absl::StatusOr<DegradationPipeline> p =
        DegradationPipeline::Create(options);
    ASSERT_FALSE(p.ok()) << c.field;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.field), std::string::npos)
        << p.status();
  }
}

TEST(MotionBlurKernelTest, SumsToOneAndFollowsTheAngle) {
  const cv::Mat k0 = MotionBlurKernel(15, 0, 0);
  const cv::Mat k90 = MotionBlurKernel(15, 90, 0);
  EXPECT_EQ(k0.size(), cv::Size(15, 15));
  EXPECT_NEAR(cv::sum(k0)[0], 1.0, 1e-5);
  EXPECT_NEAR(cv::sum(k90)[0], 1.0, 1e-5);
  double lo;
  cv::minMaxLoc(k0, &lo);
  EXPECT_GE(lo, 0.0);
  // A line at angle 0 is vertical in the kernel; at 90 it lies horizontal.
  EXPECT_GT(k0.at<float>(0, 7), 0.0f);
  EXPECT_EQ(k0.at<float>(7, 0), 0.0f);
  EXPECT_GT(k90.at<float>(7, 0) + k90.at<float>(7, 14), 0.0f);
}

TEST(MotionBlurKernelTest, DirectionWeightsOneEnd) {
  const cv::Mat k = MotionBlurKernel(9, 0, 1.0);
  EXPECT_GT(k.at<float>(0, 4), k.at<float>(8, 4));
  const cv::Mat flipped = MotionBlurKernel(9, 0, -1.0);
  EXPECT_LT(flipped.at<float>(0, 4), flipped.at<float>(8, 4));
}

}  // namespace
}  // namespace facet
