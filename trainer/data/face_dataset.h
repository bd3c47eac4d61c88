// FaceDataset: an indexed set of high-quality faces with their label maps.
//
// The trainer sees every source of faces (CelebAMask-HQ on disk, the
// procedural synthetic set) through this interface. Implementations are
// immutable after construction: Get() is const and may be called from many
// threads at once.
#ifndef FACET_TRAINER_DATA_FACE_DATASET_H_
#define FACET_TRAINER_DATA_FACE_DATASET_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"

namespace facet {

// One high-quality face and its parsing ground truth.
struct FaceSample {
  cv::Mat image;     // CV_8UC3, RGB channel order, 512 x 512.
  cv::Mat labels;    // CV_8UC1, same size, ids 0..18 (label_palette.h).
  std::string name;  // Where the sample came from, for logs and errors.
};

class FaceDataset {
 public:
  virtual ~FaceDataset() = default;

  // Number of samples; indices run from 0 to size() - 1.
  virtual size_t size() const = 0;

  // Returns sample `index` (a fresh image the caller owns). On failure
  // (e.g. an unreadable file) returns an error naming the file; the caller
  // may skip the sample. OutOfRange when index >= size().
  virtual absl::StatusOr<FaceSample> Get(size_t index) const = 0;

  // A short description for logs, e.g. "CelebAMask-HQ train (24183 faces)".
  virtual std::string Describe() const = 0;
};

}  // namespace facet

#endif  // FACET_TRAINER_DATA_FACE_DATASET_H_
