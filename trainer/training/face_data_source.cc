#include "trainer/training/face_data_source.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "trainer/data/celebamask_hq.h"
#include "trainer/data/synthetic_faces.h"

namespace facet {

absl::StatusOr<FaceDataSource> OpenFaceDataSource(const std::string& spec, uint64_t seed) {
  FaceDataSource source;
  if (spec == "synthetic") {
    SyntheticFaceSet::Options train;
    train.seed = seed;
    train.size = 100000;
    SyntheticFaceSet::Options val = train;
    // A different seed draws different faces: the validation set is
    // held out by construction.
    val.seed = seed ^ 0x5eed5eed5eedULL;
    val.size = 256;
    auto t = SyntheticFaceSet::Create(train);
    if (!t.ok()) return t.status();
    auto v = SyntheticFaceSet::Create(val);
    if (!v.ok()) return v.status();
    source.train = *std::move(t);
    source.validation = *std::move(v);
    return source;
  }
  constexpr absl::string_view kCelebA = "celebamask-hq:";
  if (absl::StartsWith(spec, kCelebA)) {
    CelebAMaskHQ::Options options;
    options.root = spec.substr(kCelebA.size());
    options.split = CelebASplit::kTrain;
    auto t = CelebAMaskHQ::Create(options);
    if (!t.ok()) return t.status();
    options.split = CelebASplit::kVal;
    auto v = CelebAMaskHQ::Create(options);
    if (!v.ok()) return v.status();
    source.train = *std::move(t);
    source.validation = *std::move(v);
    return source;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--data=", spec, ": expected synthetic or celebamask-hq:ROOT"));
}

}  // namespace facet
