#include "client/cli/bench_stats.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace facet {

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(q / 100.0 * values.size());
  const size_t index =
      static_cast<size_t>(std::clamp(rank, 1.0, double(values.size()))) - 1;
  return values[index];
}

bool WindowsStable(const std::vector<WindowStats>& windows, int count,
                   double tolerance) {
  if (count < 1 || windows.size() < static_cast<size_t>(count)) return false;
  const auto first = windows.end() - count;
  double throughput = 0, p95 = 0;
  for (auto w = first; w != windows.end(); ++w) {
    if (w->ok == 0) return false;
    throughput += w->throughput / count;
    p95 += w->p95_ms / count;
  }
  for (auto w = first; w != windows.end(); ++w) {
    if (std::abs(w->throughput - throughput) > tolerance * throughput ||
        std::abs(w->p95_ms - p95) > tolerance * p95) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::vector<int>> ParseSweep(const std::string& spec,
                                            int fallback) {
  auto check = [](int v, const std::string& part) -> absl::Status {
    if (v < 1 || v > 1024) {
      return absl::InvalidArgumentError(absl::StrCat(
          "concurrency \"", part, "\" is out of range; expected 1 to 1024"));
    }
    return absl::OkStatus();
  };
  std::vector<int> levels;
  if (spec.empty()) {
    if (absl::Status s = check(fallback, std::to_string(fallback)); !s.ok()) {
      return s;
    }
    return std::vector<int>{fallback};
  }
  if (spec.find(':') != std::string::npos) {
    std::vector<std::string> parts = absl::StrSplit(spec, ':');
    int start = 0, end = 0, step = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &start) ||
        !absl::SimpleAtoi(parts[1], &end) ||
        !absl::SimpleAtoi(parts[2], &step) || step < 1 || end < start) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sweep \"", spec,
          "\" is not start:end:step with step >= 1 and end >= start"));
    }
    for (int v = start; v <= end; v += step) {
      if (absl::Status s = check(v, std::to_string(v)); !s.ok()) return s;
      levels.push_back(v);
    }
    return levels;
  }
  for (const std::string& part :
       std::vector<std::string>(absl::StrSplit(spec, ','))) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sweep \"", spec, "\": \"", part, "\" is not a number"));
    }
    if (absl::Status s = check(v, part); !s.ok()) return s;
    levels.push_back(v);
  }
  return levels;
}

}  // namespace facet
