#include "server/manager/batch_size_search.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace facet {

BatchSizeSearch::BatchSizeSearch(int max_batch_size, double min_gain)
    : max_batch_size_(std::max(1, max_batch_size)),
      min_gain_(std::max(-1.0, min_gain)) {}

bool BatchSizeSearch::Pays(double images_per_second) const {
  return std::isfinite(images_per_second) && images_per_second > 0 &&
         (measured_.empty() ||
          images_per_second >= best_throughput_ * (1.0 + min_gain_));
}

void BatchSizeSearch::Accept(int size, double images_per_second) {
  best_size_ = size;
  best_throughput_ = images_per_second;
  if (size >= max_batch_size_) {
    next_ = 0;
    end_reason_ = "max";
  } else {
    next_ = std::min(size * 2, max_batch_size_);
  }
}

void BatchSizeSearch::Stop() {
  if (done()) return;
  next_ = 0;
  candidate_ = 0;
  end_reason_ = "stopped";
}

void BatchSizeSearch::Record(double images_per_second) {
  if (done()) return;
  const int size = next_;
  if (candidate_ != 0) {
    // The best size's second timing: the faster run counts; then the
    // candidate must still pay.
    measured_.emplace_back(size, images_per_second);
    if (std::isfinite(images_per_second)) {
      best_throughput_ = std::max(best_throughput_, images_per_second);
    }
    const int candidate = candidate_;
    candidate_ = 0;
    if (Pays(candidate_throughput_)) {
      Accept(candidate, candidate_throughput_);
    } else {
      next_ = 0;
      end_reason_ = "no_gain";
    }
    return;
  }
  const bool first = measured_.empty();
  const bool pays = Pays(images_per_second);
  measured_.emplace_back(size, images_per_second);
  if (!pays) {
    next_ = 0;
    end_reason_ = "no_gain";
  } else if (first) {
    Accept(size, images_per_second);
  } else {
    candidate_ = size;
    candidate_throughput_ = images_per_second;
    next_ = best_size_;
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
