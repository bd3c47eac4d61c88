#include "trainer/training/segmentation_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace facet {

SegmentationMetrics::SegmentationMetrics(int num_classes)
    : num_classes_(num_classes), confusion_(num_classes * num_classes, 0) {}

void SegmentationMetrics::AddLabels(const uint8_t* predicted, const uint8_t* truth,
                                    int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const int t = truth[i];
    if (t >= num_classes_) continue;
    int p = predicted[i];
    // An out-of-range prediction is wrong whatever the truth: count it as
    // the "next" class modulo, which is never t.
    if (p >= num_classes_) p = (t + 1) % num_classes_;
    ++confusion_[t * num_classes_ + p];
  }
}

void SegmentationMetrics::AddImages(const uint8_t* restored, const uint8_t* target,
                                    int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double d = double(restored[i]) - double(target[i]);
    squared_error_ += d * d;
  }
  image_bytes_ += n;
}

SegmentationReport SegmentationMetrics::Report() const {
  SegmentationReport r;
  const int c = num_classes_;
  r.iou.assign(c, std::numeric_limits<double>::quiet_NaN());
  r.truth_pixels.assign(c, 0);
  std::vector<int64_t> predicted(c, 0);
  int64_t correct = 0;
  for (int t = 0; t < c; ++t) {
    for (int p = 0; p < c; ++p) {
      const int64_t v = confusion_[t * c + p];
      r.truth_pixels[t] += v;
      predicted[p] += v;
      r.pixels += v;
      if (t == p) correct += v;
    }
  }
  double sum = 0;
  int present = 0;
  int majority = 0;
  for (int k = 0; k < c; ++k) {
    if (r.truth_pixels[k] > r.truth_pixels[majority]) majority = k;
    if (r.truth_pixels[k] == 0) continue;
    const int64_t tp = confusion_[k * c + k];
    const int64_t uni = r.truth_pixels[k] + predicted[k] - tp;
    r.iou[k] = uni ? double(tp) / uni : 0.0;
    sum += r.iou[k];
    ++present;
  }
  r.mean_iou = present ? sum / present : 0.0;
  r.pixel_accuracy = r.pixels ? double(correct) / r.pixels : 0.0;
  // Predicting `majority` everywhere: IoU = share of the majority class for
  // that class, 0 for every other present class.
  if (present && r.pixels) {
    r.majority_baseline_miou = double(r.truth_pixels[majority]) / r.pixels / present;
  }
  if (image_bytes_) {
    const double mse = squared_error_ / image_bytes_;
    r.psnr_db = mse > 0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : 99.0;
  }
  return r;
}

std::string SegmentationReport::ToTable(const std::vector<std::string>& names) const {
  std::string out = "class          IoU     truth share\n";
  char line[128];
  for (size_t k = 0; k < iou.size(); ++k) {
    const std::string name = k < names.size() ? names[k] : std::to_string(k);
    if (truth_pixels[k] == 0) {
      std::snprintf(line, sizeof(line), "%-12s      -     (absent)\n", name.c_str());
    } else {
      std::snprintf(line, sizeof(line), "%-12s  %6.3f   %6.2f%%\n", name.c_str(), iou[k],
                    pixels ? 100.0 * truth_pixels[k] / pixels : 0.0);
    }
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "mIoU %.4f (majority baseline %.4f)  pixel accuracy %.4f  PSNR %.2f dB\n",
                mean_iou, majority_baseline_miou, pixel_accuracy, psnr_db);
  return out + line;
}

}  // namespace facet
