// SegmentationMetrics: accumulates a confusion matrix of predicted against
// ground-truth label maps, and the squared error of restored faces, and
// reports per-class IoU, mean IoU, pixel accuracy and PSNR.
//
// Mean IoU is taken over the classes present in the ground truth seen so
// far (a class absent from the validation set has no defined IoU), as the
// trainer's validation reports it. Not thread-safe: one per evaluation.
#ifndef FACET_TRAINER_TRAINING_SEGMENTATION_METRICS_H_
#define FACET_TRAINER_TRAINING_SEGMENTATION_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace facet {

struct SegmentationReport {
  std::vector<double> iou;      // Per class; NaN for classes absent in truth.
  std::vector<int64_t> truth_pixels;  // Per class, ground-truth pixel count.
  double mean_iou = 0;          // Over classes with truth_pixels > 0.
  double pixel_accuracy = 0;    // Correct pixels / all pixels.
  double psnr_db = 0;           // Of the image head vs the HQ face (uint8).
  // mIoU of always predicting the most frequent ground-truth class: the
  // floor a trained network must clear.
  double majority_baseline_miou = 0;
  int64_t pixels = 0;

  // A table: one row per class (name, IoU, share of truth pixels), then
  // mIoU, pixel accuracy and PSNR. `names` may be shorter than the classes.
  std::string ToTable(const std::vector<std::string>& names) const;
};

class SegmentationMetrics {
 public:
  explicit SegmentationMetrics(int num_classes);

  // Adds one label map pair of `n` pixels. Ids >= num_classes count as
  // wrong predictions (predicted) or are ignored (truth).
  void AddLabels(const uint8_t* predicted, const uint8_t* truth, int64_t n);

  // Adds squared errors of restored against target pixels (any layout, `n`
  // bytes each), for PSNR.
  void AddImages(const uint8_t* restored, const uint8_t* target, int64_t n);

  SegmentationReport Report() const;

 private:
  int num_classes_;
  std::vector<int64_t> confusion_;  // [truth * num_classes + predicted].
  double squared_error_ = 0;
  int64_t image_bytes_ = 0;
};

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_SEGMENTATION_METRICS_H_
