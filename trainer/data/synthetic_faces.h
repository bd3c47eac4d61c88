// SyntheticFaceSet: a FaceDataset of procedural faces (see
// synthetic_face_painter.h), so that training, the demo and CI need no
// download. Sample i is painted on demand from (seed, i); nothing is stored.
//
// Thread-safe: Get() may be called concurrently.
#ifndef FACET_TRAINER_DATA_SYNTHETIC_FACES_H_
#define FACET_TRAINER_DATA_SYNTHETIC_FACES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "trainer/data/face_dataset.h"

namespace facet {

class SyntheticFaceSet : public FaceDataset {
 public:
  struct Options {
    // Number of distinct faces. Default: 10000.
    size_t size = 10000;
    // Selects the set; equal seeds give identical faces. Default: 1.
    uint64_t seed = 1;
    // Side of the images, in pixels. Default: 512 (the size the trainer
    // degrades at; smaller only for quick tests).
    int image_size = 512;
  };

  // InvalidArgument for size 0 or image_size < 64.
  static absl::StatusOr<std::unique_ptr<SyntheticFaceSet>> Create(
      const Options& options);

  SyntheticFaceSet(const SyntheticFaceSet&) = delete;
  SyntheticFaceSet& operator=(const SyntheticFaceSet&) = delete;

  size_t size() const override { return options_.size; }
  absl::StatusOr<FaceSample> Get(size_t index) const override;
  std::string Describe() const override;

 private:
  explicit SyntheticFaceSet(const Options& options) : options_(options) {}

  const Options options_;
};

}  // namespace facet

#endif  // FACET_TRAINER_DATA_SYNTHETIC_FACES_H_
