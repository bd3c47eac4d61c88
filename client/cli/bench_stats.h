// The arithmetic of `facet-client bench`, kept apart from threads and RPCs
// so it can be tested exactly: latency percentiles, the stability rule for
// measurement windows (as Triton's perf_analyzer: the last N windows agree
// within a tolerance), and the --sweep syntax.

#ifndef FACET_CLIENT_CLI_BENCH_STATS_H_
#define FACET_CLIENT_CLI_BENCH_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace facet {

// Nearest-rank percentile (q in [0, 100]) of `values`, which need not be
// sorted; 0 if empty.
double Percentile(std::vector<double> values, double q);

struct WindowStats {
  double seconds = 0;     // Length of the window.
  int64_t ok = 0;         // Requests that completed OK in it.
  int64_t errors = 0;     // Requests that failed in it.
  double throughput = 0;  // ok / seconds.
  double p95_ms = 0;      // Of the OK requests.
};

// True if the last `count` windows each have OK requests and their
// throughput and p95 latency are all within `tolerance` (a fraction) of
// the mean over those windows. False if there are fewer windows.
bool WindowsStable(const std::vector<WindowStats>& windows, int count,
                   double tolerance);

// Parses a concurrency sweep: "" -> {fallback}; "1,2,8" -> those;
// "start:end:step" -> start, start+step, ... up to end. Values must be 1
// to 1024. InvalidArgument naming the bad part otherwise.
absl::StatusOr<std::vector<int>> ParseSweep(const std::string& spec,
                                            int fallback);

}  // namespace facet

#endif  // FACET_CLIENT_CLI_BENCH_STATS_H_
