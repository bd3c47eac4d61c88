#include "trainer/data/celebamask_split.h"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "absl/strings/str_cat.h"

namespace facet {
namespace {

constexpr int64_t kFirstVal = 162771;
constexpr int64_t kFirstTest = 182638;

}  // namespace

absl::StatusOr<CelebASplit> ParseCelebASplit(const std::string& name) {
  if (name == "all") return CelebASplit::kAll;
  if (name == "train") return CelebASplit::kTrain;
  if (name == "val") return CelebASplit::kVal;
  if (name == "test") return CelebASplit::kTest;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown CelebAMask-HQ split '", name,
                   "'; expected all, train, val or test"));
}

const char* CelebASplitName(CelebASplit split) {
  switch (split) {
    case CelebASplit::kAll:
      return "all";
    case CelebASplit::kTrain:
      return "train";
    case CelebASplit::kVal:
      return "val";
    case CelebASplit::kTest:
      return "test";
  }
  return "?";
}

CelebASplit SplitOfCelebAIndex(int64_t orig_idx) {
  if (orig_idx < kFirstVal) return CelebASplit::kTrain;
  if (orig_idx < kFirstTest) return CelebASplit::kVal;
  return CelebASplit::kTest;
}

absl::StatusOr<std::vector<CelebAMappingRow>> ReadCelebAMapping(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open CelebA mapping file '", path, "'"));
  }
  std::vector<CelebAMappingRow> rows;
  std::unordered_set<int64_t> seen;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line_number == 1) continue;  // Header: idx orig_idx orig_file.
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    CelebAMappingRow row;
    std::string file;
    if (!(fields >> row.idx >> row.orig_idx >> file) || row.idx < 0 ||
        row.orig_idx < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number,
                       ": expected `idx orig_idx "
                       "orig_file` with non-negative integers, got '",
                       line, "'"));
    }
    if (!seen.insert(row.idx).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number,
                                                     ": image number ", row.idx,
                                                     " appears twice"));
    }
    rows.push_back(row);
  }
  if (line_number == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("CelebA mapping file '", path, "' is empty"));
  }
  return rows;
}

std::vector<int64_t> SelectSplit(const std::vector<CelebAMappingRow>& rows,
                                 CelebASplit split) {
  std::vector<int64_t> ids;
  for (const CelebAMappingRow& row : rows) {
    if (split == CelebASplit::kAll ||
        SplitOfCelebAIndex(row.orig_idx) == split) {
      ids.push_back(row.idx);
    }
  }
  return ids;
}

}  // namespace facet
