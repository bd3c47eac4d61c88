#include "server/health/health_reporter.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(HealthReporterTest, ServingOnlyWithModelAndBatcherAndNotDraining) {
  std::atomic<bool> model{false}, batcher{true};
  absl::Mutex mu;
  std::vector<bool> changes;
  HealthReporterOptions options;
  options.model_loaded = [&] { return model.load(); };
  options.batcher_alive = [&] { return batcher.load(); };
  options.on_change = [&](bool serving) {
    absl::MutexLock lock(&mu);
    changes.push_back(serving);
  };
  options.poll_interval = absl::Milliseconds(5);
  HealthReporter health(options);
  auto wait_for = [&](bool want) {
    const absl::Time end = absl::Now() + absl::Seconds(5);
    while (health.serving() != want && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    return health.serving() == want;
  };
  EXPECT_TRUE(wait_for(false));
  model = true;
  EXPECT_TRUE(wait_for(true));
  batcher = false;
  EXPECT_TRUE(wait_for(false));
  batcher = true;
  EXPECT_TRUE(wait_for(true));
  health.SetDraining();
  EXPECT_FALSE(health.serving());  // At once, not at the next poll.
  EXPECT_TRUE(health.draining());
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(health.serving());
  absl::MutexLock lock(&mu);
  EXPECT_EQ(changes, (std::vector<bool>{false, true, false, true, false}));
}

}  // namespace
}  // namespace facet
