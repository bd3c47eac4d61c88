// RunStats: median and range of repeated timings, as every Facet benchmark
// reports them.
#ifndef FACET_BENCH_RUN_STATS_H_
#define FACET_BENCH_RUN_STATS_H_

#include <algorithm>
#include <vector>

namespace facet {

struct RunStats {
  double median = 0, min = 0, max = 0;
};

// REQUIRES: !values.empty().
inline RunStats Summarize(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return {values[values.size() / 2], values.front(), values.back()};
}

}  // namespace facet

#endif  // FACET_BENCH_RUN_STATS_H_
