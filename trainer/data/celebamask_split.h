// The official CelebAMask-HQ train/val/test partition (spec section 8).
//
// `CelebA-HQ-to-CelebA-mapping.txt` has one header line, then rows
// `idx orig_idx orig_file`: idx is the CelebAMask-HQ image number (0..29999),
// orig_idx the image's index in the original CelebA. The dataset's own
// partition script assigns orig_idx < 162771 to train, 162771..182637 to val
// and >= 182638 to test (24,183 / 2,993 / 2,824 images).
#ifndef FACET_TRAINER_DATA_CELEBAMASK_SPLIT_H_
#define FACET_TRAINER_DATA_CELEBAMASK_SPLIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace facet {

enum class CelebASplit { kAll, kTrain, kVal, kTest };

// "all", "train", "val" or "test". InvalidArgument listing those otherwise.
absl::StatusOr<CelebASplit> ParseCelebASplit(const std::string& name);
const char* CelebASplitName(CelebASplit split);

// The split an original CelebA index falls in (never kAll).
CelebASplit SplitOfCelebAIndex(int64_t orig_idx);

struct CelebAMappingRow {
  int64_t idx = 0;       // CelebAMask-HQ image number.
  int64_t orig_idx = 0;  // Index in the original CelebA.
};

// Reads the mapping file. NotFound when it is missing; InvalidArgument
// naming the file and line for a row that is not `int int name`, or for a
// repeated idx.
absl::StatusOr<std::vector<CelebAMappingRow>> ReadCelebAMapping(
    const std::string& path);

// The image numbers of `rows` that fall in `split`, in file order.
std::vector<int64_t> SelectSplit(const std::vector<CelebAMappingRow>& rows,
                                 CelebASplit split);

}  // namespace facet

#endif  // FACET_TRAINER_DATA_CELEBAMASK_SPLIT_H_
