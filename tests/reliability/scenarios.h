// Issue 14's reliability scenarios against real facet-server (and
// facet-trainer) processes on loopback. Each runs in a reduced form in the
// suite (reliability_test.cc) and a full one labelled `long`
// (reliability_long_test.cc); the scale is the only difference.
//
// Every figure is printed as one "reliability: <scenario> key=value ..."
// line on stdout (and recorded as a test property), so a run's log is the
// record quoted in docs/operations.md ("Reliability").
//
// Timing figures (latency quantiles, recovered throughput) are asserted
// only where `strict_timing` is set (the long forms): the suite runs on
// shared, loaded machines and asserts only loose bounds that a structural
// defect (say, rejections that wait for the queue) would still break.
#ifndef FACET_TESTS_RELIABILITY_SCENARIOS_H_
#define FACET_TESTS_RELIABILITY_SCENARIOS_H_

#include <string>

#include "absl/time/time.h"
#include "core/model/net_config.h"

namespace facet {
namespace reliability {

// 1. Reload soak: `reloads` good versions published one after another under
// a paced load of `load_fraction` of the capacity measured first; before
// every other one a broken version (bad checksum, truncated weights,
// non-finite weights, wrong configuration, non-finite outputs in turn).
// Zero failed calls, per-client versions never go back, every broken
// version refused and listed, resident memory after the last cycle within
// `max_rss_growth` of after the first (each the lowest reading of the first
// and last max(2, reloads/10) cycles), facet's threads and the descriptors
// unchanged.
struct SoakScale {
  std::string name;  // In the figures line.
  NetConfig config;
  int reloads = 10;
  double load_fraction = 0.7;
  int clients = 16;
  absl::Duration capacity_window = absl::Seconds(3);
  // Load on each new version before its figures are read.
  absl::Duration hold = absl::Seconds(1);
  double max_rss_growth = 0.05;
  // Require a load of at least half the capacity (else 0.3: the suite runs
  // on shared cores whose other load the server cannot control).
  bool strict = false;
};
void RunReloadSoak(const SoakScale& scale);

// 2. Overload: `overload_factor` x capacity offered open-loop for
// `overload_window`; only OK and RESOURCE_EXHAUSTED, rejections fast,
// accepted calls within their deadline, health SERVING throughout, resident
// memory under a bound, and the capacity back once the load drops.
struct OverloadScale {
  std::string name;
  NetConfig config;
  double overload_factor = 4;
  absl::Duration capacity_window = absl::Seconds(3);
  absl::Duration overload_window = absl::Seconds(8);
  absl::Duration deadline = absl::Seconds(2);
  bool strict_timing = false;
};
void RunOverload(const OverloadScale& scale);

// 6. Shutdown and crashes.
struct CrashScale {
  std::string name;
  NetConfig config;
  int rounds = 1;  // Repetitions of each kill.
  bool strict_timing = false;
};
// SIGTERM under load: calls sent before it all answered OK, later ones OK
// or UNAVAILABLE (some UNAVAILABLE), exit 0 within the drain grace.
void RunSigtermUnderLoad(const CrashScale& scale);
// SIGKILL of facet-trainer while a version is being staged, with a server
// watching the repository, then SIGKILL of that server under load: the
// running server and a restarted one serve the newest complete version,
// with no manual step.
void RunKillsWhilePublishingAndServing(const CrashScale& scale);

}  // namespace reliability
}  // namespace facet

#endif  // FACET_TESTS_RELIABILITY_SCENARIOS_H_
