#include "trainer/data/degradation_params.h"

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(DegradationParamsTest, JpegQualityFollowsTheSpecMapping) {
  struct Case {
    int compression, quality;
  } cases[] = {{10, 90}, {64, 37}, {37, 64}, {0, 100}, {101, 1}, {50, 51}};
  for (const Case& c : cases) {
    EXPECT_EQ(JpegQualityFromCompression(c.compression), c.quality)
        << "compression " << c.compression;
  }
}

TEST(DegradationParamsTest, GaussianKernelSizeIsOddAndAtLeastFive) {
  struct Case {
    double sigma;
    int kernel;
  } cases[] = {{1.0, 5},  {3.0, 9},   {4.9, 15},
               {5.0, 13}, {10.0, 27}, {15.0, 39}};
  for (const Case& c : cases) {
    EXPECT_EQ(GaussianKernelSize(c.sigma), c.kernel) << "sigma " << c.sigma;
  }
}

TEST(DegradationParamsTest, ToStringListsOnlyAppliedSteps) {
  DegradationParams p;
  EXPECT_EQ(p.ToString(), "none");
  p.gray = true;
  p.jpeg = true;
  p.jpeg_quality = 61;
  p.jpeg_compression = 40;
  EXPECT_EQ(p.ToString(), "gray jpeg=q61");
  p.blur = true;
  p.blur_kind = BlurKind::kMotion;
  p.blur_kernel = 15;
  p.motion_angle_deg = 212.34;
  p.motion_direction = -0.41;
  p.downscale = true;
  p.downscale_size = 87;
  p.downscale_interpolation = DownscaleInterpolation::kArea;
  EXPECT_EQ(
      p.ToString(),
      "gray blur=motion(k=15,angle=212.3,dir=-0.41) down=87/area jpeg=q61");
}

}  // namespace
}  // namespace facet
