#include "server/manager/batch_size_search.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace facet {

BatchSizeSearch::BatchSizeSearch(int max_batch_size, double min_gain)
    : max_batch_size_(std::max(1, max_batch_size)),
      min_gain_(std::max(-1.0, min_gain)) {}

void BatchSizeSearch::Record(double images_per_second) {
  if (done()) return;
  const int size = next_;
  measured_.emplace_back(size, images_per_second);
  const bool valid = std::isfinite(images_per_second) && images_per_second > 0;
  // The first size is the baseline; a later one must beat the best by
  // min_gain to be kept.
  const bool first = measured_.size() == 1;
  const bool pays =
      valid &&
      (first || images_per_second >= best_throughput_ * (1.0 + min_gain_));
  if (!pays) {
    next_ = 0;
    return;
  }
  best_size_ = size;
  best_throughput_ = images_per_second;
  if (size >= max_batch_size_) {
    next_ = 0;
  } else {
    next_ = std::min(size * 2, max_batch_size_);
  }
}

std::string FormatThroughput(
    const std::vector<std::pair<int, double>>& measured) {
  std::string out;
  for (const auto& [size, rate] : measured) {
    absl::StrAppend(&out, out.empty() ? "" : " ", size, ":",
                    absl::StrFormat("%.4g", rate));
  }
  return out;
}

}  // namespace facet
