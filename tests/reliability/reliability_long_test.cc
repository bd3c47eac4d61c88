// Issue 14's reliability scenarios at full length, labelled `long` (run by
// `./facet test --long`): the 128 px network of the measurements,
// 50 reload cycles, longer overload, repeated kills. See scenarios.h.
#include "gtest/gtest.h"
#include "tests/reliability/scenarios.h"

namespace facet {
namespace reliability {
namespace {

NetConfig Small() { return NetConfigPreset("small").value(); }

TEST(ReliabilityLongTest, ReloadSoakFiftyCycles) {
  SoakScale scale;
  scale.name = "soak_full";
  scale.config = Small();
  scale.reloads = 50;
  scale.capacity_window = absl::Seconds(5);
  scale.hold = absl::Seconds(2);
  scale.strict = true;
  RunReloadSoak(scale);
}

TEST(ReliabilityLongTest, OverloadIsRefusedFastAndRecovers) {
  OverloadScale scale;
  scale.name = "overload_full";
  scale.config = Small();
  scale.capacity_window = absl::Seconds(5);
  scale.overload_window = absl::Seconds(30);
  scale.strict_timing = true;
  RunOverload(scale);
}

TEST(ReliabilityLongTest, SigtermUnderLoadDrains) {
  CrashScale scale;
  scale.name = "crash_full";
  scale.config = Small();
  scale.rounds = 3;
  scale.strict_timing = true;
  RunSigtermUnderLoad(scale);
}

TEST(ReliabilityLongTest, KillsWhilePublishingAndServingLoseNothing) {
  CrashScale scale;
  scale.name = "crash_full";
  scale.config = Small();
  scale.rounds = 3;
  scale.strict_timing = true;
  RunKillsWhilePublishingAndServing(scale);
}

}  // namespace
}  // namespace reliability
}  // namespace facet
