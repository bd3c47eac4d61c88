// Opens the training and validation sets named by `--data`:
//   synthetic           the built-in procedural faces (train and validation
//                       are disjoint seeds);
//   celebamask-hq:ROOT  CelebAMask-HQ's official train and val splits.
#ifndef FACET_TRAINER_TRAINING_FACE_DATA_SOURCE_H_
#define FACET_TRAINER_TRAINING_FACE_DATA_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "trainer/data/face_dataset.h"

namespace facet {

struct FaceDataSource {
  std::unique_ptr<FaceDataset> train;
  std::unique_ptr<FaceDataset> validation;
};

// InvalidArgument for an unknown spec; dataset errors otherwise.
absl::StatusOr<FaceDataSource> OpenFaceDataSource(const std::string& spec, uint64_t seed);

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_FACE_DATA_SOURCE_H_
