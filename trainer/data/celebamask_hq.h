// CelebAMaskHQ: the CelebAMask-HQ training set on disk (spec section 8).
//
// Layout under the root folder:
//   CelebA-HQ-img/<k>.jpg                       k = 0 ... 29999, 1024 x 1024
//   CelebAMask-HQ-mask-anno/<k / 2000>/<k as 5 digits>_<part>.png
//                                               512 x 512 binary masks, one
//                                               per part present
//   CelebA-HQ-to-CelebA-mapping.txt             the official split
//
// Create() checks the layout, reads the split and lists the mask folders
// once. A sample whose image is missing or empty, or that has no mask, or
// (with verify) whose files do not decode, is left out, counted and named
// (skipped()); that is not an error, since a few bad files among 30,000
// should not stop training. Get() merges the part masks with
// MergePartMasks and area-resizes the image to image_size.
//
// Thread-safe after Create: Get() may be called concurrently.
#ifndef FACET_TRAINER_DATA_CELEBAMASK_HQ_H_
#define FACET_TRAINER_DATA_CELEBAMASK_HQ_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "trainer/data/celebamask_split.h"
#include "trainer/data/face_dataset.h"

namespace facet {

class CelebAMaskHQ : public FaceDataset {
 public:
  struct Options {
    std::string root;  // The folder holding the three entries above.
    // Which part of the official partition. kAll needs no mapping file (the
    // images present are used). Default: kTrain.
    CelebASplit split = CelebASplit::kTrain;
    // Side of returned images and label maps. Default: 512.
    int image_size = 512;
    // Decode every image and mask in Create() and skip those that fail.
    // Slow (minutes for the full set); otherwise a corrupt file shows up
    // as an error from Get(). Default: false.
    bool verify = false;
  };

  // A file that made its sample be left out.
  struct Skipped {
    std::string path;
    std::string reason;  // e.g. "missing image", "empty file".
  };

  // NotFound when `root` does not exist; InvalidArgument, listing what was
  // expected and what is missing, when it lacks the layout above (or the
  // mapping file, for a split other than kAll) or has no usable sample;
  // errors from ReadCelebAMapping for a malformed mapping file.
  static absl::StatusOr<std::unique_ptr<CelebAMaskHQ>> Create(
      const Options& options);

  CelebAMaskHQ(const CelebAMaskHQ&) = delete;
  CelebAMaskHQ& operator=(const CelebAMaskHQ&) = delete;

  size_t size() const override { return samples_.size(); }

  // DataLoss naming the file when the image or a mask does not decode.
  absl::StatusOr<FaceSample> Get(size_t index) const override;
  std::string Describe() const override;

  // CelebAMask-HQ image number of sample `index`. REQUIRES: index < size().
  int64_t ImageNumber(size_t index) const { return samples_[index].number; }

  const std::vector<Skipped>& skipped() const { return skipped_; }
  // Files in the mask folders whose names are not `<5 digits>_<part>.png`.
  int64_t ignored_files() const { return ignored_files_; }

 private:
  struct Sample {
    int64_t number = 0;
    uint32_t parts = 0;  // Bit `id` set when that part's mask exists.
  };

  explicit CelebAMaskHQ(const Options& options) : options_(options) {}

  std::string ImagePath(int64_t number) const;
  std::string MaskPath(int64_t number, int part) const;

  const Options options_;
  std::vector<Sample> samples_;
  std::vector<Skipped> skipped_;
  int64_t ignored_files_ = 0;
};

}  // namespace facet

#endif  // FACET_TRAINER_DATA_CELEBAMASK_HQ_H_
