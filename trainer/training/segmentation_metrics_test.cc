#include "trainer/training/segmentation_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace facet {
namespace {

TEST(SegmentationMetricsTest, PerfectPredictionScoresOne) {
  SegmentationMetrics m(3);
  const uint8_t truth[] = {0, 0, 1, 2, 2, 2};
  m.AddLabels(truth, truth, 6);
  SegmentationReport r = m.Report();
  EXPECT_DOUBLE_EQ(r.mean_iou, 1.0);
  EXPECT_DOUBLE_EQ(r.pixel_accuracy, 1.0);
  EXPECT_EQ(r.pixels, 6);
}

TEST(SegmentationMetricsTest, HandComputedIou) {
  SegmentationMetrics m(3);
  const uint8_t truth[] = {0, 0, 1, 1, 2, 2};
  const uint8_t pred[] = {0, 1, 1, 1, 2, 0};
  m.AddLabels(pred, truth, 6);
  SegmentationReport r = m.Report();
  // class 0: tp 1, truth 2, pred 2 -> 1/3; class 1: tp 2, truth 2, pred 3 ->
  // 2/3; class 2: tp 1, truth 2, pred 1 -> 1/2.
  EXPECT_NEAR(r.iou[0], 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.iou[1], 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.iou[2], 0.5, 1e-12);
  EXPECT_NEAR(r.mean_iou, (1.0 / 3 + 2.0 / 3 + 0.5) / 3, 1e-12);
  EXPECT_NEAR(r.pixel_accuracy, 4.0 / 6, 1e-12);
}

TEST(SegmentationMetricsTest, AbsentClassesLeaveTheMean) {
  SegmentationMetrics m(4);
  const uint8_t truth[] = {0, 0, 1, 1};
  const uint8_t pred[] = {0, 0, 1, 3};
  m.AddLabels(pred, truth, 4);
  SegmentationReport r = m.Report();
  EXPECT_TRUE(std::isnan(r.iou[2]));
  EXPECT_TRUE(std::isnan(r.iou[3]));
  EXPECT_NEAR(r.mean_iou, (1.0 + 0.5) / 2, 1e-12);
  EXPECT_NEAR(r.majority_baseline_miou, 0.5 / 2, 1e-12);
  EXPECT_NE(r.ToTable({"bg", "skin"}).find("(absent)"), std::string::npos);
}

TEST(SegmentationMetricsTest, OutOfRangePredictionIsWrong) {
  SegmentationMetrics m(2);
  const uint8_t truth[] = {0, 1};
  const uint8_t pred[] = {200, 1};
  m.AddLabels(pred, truth, 2);
  EXPECT_NEAR(m.Report().pixel_accuracy, 0.5, 1e-12);
}

TEST(SegmentationMetricsTest, Psnr) {
  SegmentationMetrics m(2);
  const uint8_t a[] = {10, 20, 30, 40};
  const uint8_t b[] = {11, 19, 31, 39};  // MSE 1.
  m.AddImages(a, b, 4);
  EXPECT_NEAR(m.Report().psnr_db, 10 * std::log10(255.0 * 255.0), 1e-9);
}

}  // namespace
}  // namespace facet
