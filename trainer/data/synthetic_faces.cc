#include "trainer/data/synthetic_faces.h"

#include "absl/strings/str_cat.h"
#include "trainer/data/synthetic_face_painter.h"

namespace facet {

absl::StatusOr<std::unique_ptr<SyntheticFaceSet>> SyntheticFaceSet::Create(
    const Options& options) {
  if (options.size == 0) {
    return absl::InvalidArgumentError(
        "SyntheticFaceSet size is 0; expected at least one face");
  }
  if (options.image_size < 64 || options.image_size > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("SyntheticFaceSet image_size = ", options.image_size,
                     "; expected 64..4096"));
  }
  return std::unique_ptr<SyntheticFaceSet>(new SyntheticFaceSet(options));
}

absl::StatusOr<FaceSample> SyntheticFaceSet::Get(size_t index) const {
  if (index >= options_.size) {
    return absl::OutOfRangeError(absl::StrCat("synthetic face index ", index,
                                              " >= set size ", options_.size));
  }
  return PaintSyntheticFace(options_.seed, index, options_.image_size);
}

std::string SyntheticFaceSet::Describe() const {
  return absl::StrCat("synthetic faces (", options_.size, " faces, seed ",
                      options_.seed, ", ", options_.image_size, " px)");
}

}  // namespace facet
