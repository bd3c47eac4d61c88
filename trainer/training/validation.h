// Validation of a trainer's network on held-out faces: the same degraded
// faces every time (fixed seed, no shuffling), so successive numbers
// compare. Used by `train` (rank 0 only) and `evaluate`.
#ifndef FACET_TRAINER_TRAINING_VALIDATION_H_
#define FACET_TRAINER_TRAINING_VALIDATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "trainer/data/face_dataset.h"
#include "trainer/training/fpn_trainer.h"
#include "trainer/training/segmentation_metrics.h"

namespace facet {

// Evaluates `batches` batches of `batch_size` faces of `dataset` degraded
// with `seed`. Errors from the data or the network.
absl::StatusOr<SegmentationReport> Validate(FpnTrainer& trainer,
                                            const FaceDataset& dataset,
                                            int batch_size, int batches,
                                            uint64_t seed);

// The face labels' names in id order, for SegmentationReport::ToTable.
std::vector<std::string> LabelNames();

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_VALIDATION_H_
