// MergePartMasks: CelebAMask-HQ's rule for turning per-part binary masks
// into one label map (spec section 8): go through the labels in id order
// and write the id wherever that part's mask is non-zero, so a later id wins
// where masks overlap (hair covers skin, cloth covers neck).
#ifndef FACET_TRAINER_DATA_PART_MASK_MERGE_H_
#define FACET_TRAINER_DATA_PART_MASK_MERGE_H_

#include <array>

#include "absl/status/statusor.h"
#include "core/image/label_palette.h"
#include "opencv2/core/mat.hpp"

namespace facet {

// parts[id] is the mask of label `id` (CV_8UC1 of `size`), or empty when the
// part is absent; parts[0] (background) is ignored. Returns a CV_8UC1 map of
// `size`, 0 where no part is set. InvalidArgument naming the part when a
// mask has another size or type.
absl::StatusOr<cv::Mat> MergePartMasks(
    const std::array<cv::Mat, kNumLabels>& parts, cv::Size size);

}  // namespace facet

#endif  // FACET_TRAINER_DATA_PART_MASK_MERGE_H_
