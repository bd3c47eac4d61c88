// Validation on a held-out face set: the same degraded faces every time
// (fixed seed, no shuffling, no loader threads), so successive numbers
// compare. Used by `facet-trainer evaluate` (and fit for the train loop).
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

// Runs `batches` batches of `batch_size` faces of `dataset`, degraded with
// `seed` for the trainer's input size, through trainer.Evaluate. Errors of
// the loader or the network are returned as they are.
absl::StatusOr<SegmentationReport> ValidateOnDataset(FpnTrainer &trainer,
                                                     const FaceDataset &dataset, int batch_size,
                                                     int batches, uint64_t seed);

// The 19 class names of spec section 5, in id order (for report tables).
std::vector<std::string> ParsingLabelNames();

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_VALIDATION_H_
