#include "server/health/health_reporter.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/fake_clock.h"

namespace facet {
namespace {

// The inputs and the changes reported, on a fake clock that the test moves.
class HealthReporterTest : public ::testing::Test {
 protected:
  HealthReporterOptions Options() {
    HealthReporterOptions options;
    options.model_loaded = [this] { return model_.load(); };
    options.batcher_alive = [this] { return batcher_.load(); };
    options.on_change = [this](bool serving) {
      absl::MutexLock lock(&mu_);
      changes_.push_back(serving);
    };
    options.poll_interval = absl::Milliseconds(100);
    options.clock = &clock_;
    return options;
  }
  std::vector<bool> Changes() {
    absl::MutexLock lock(&mu_);
    return changes_;
  }
  // Waits until `n` changes were reported (a guard of 60 s turns a bug into
  // a failure instead of a hang; nothing is timed).
  bool AwaitChanges(size_t n) {
    absl::MutexLock lock(&mu_);
    auto done = [&] { return changes_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60));
  }

  testing::FakeClock clock_;
  std::atomic<bool> model_{false}, batcher_{true};
  absl::Mutex mu_;
  std::vector<bool> changes_;
};

TEST_F(HealthReporterTest, ServingOnlyWithModelAndBatcherAndNotDraining) {
  HealthReporter health(Options());
  EXPECT_FALSE(health.serving());  // Reported at start.
  model_ = true;
  health.CheckNow();
  EXPECT_TRUE(health.serving());
  batcher_ = false;
  health.CheckNow();
  EXPECT_FALSE(health.serving());
  batcher_ = true;
  health.CheckNow();
  EXPECT_TRUE(health.serving());
  health.SetDraining();
  EXPECT_FALSE(health.serving());  // At once, not at the next poll.
  EXPECT_TRUE(health.draining());
  health.CheckNow();
  EXPECT_FALSE(health.serving());  // Draining is for good.
  EXPECT_EQ(Changes(), (std::vector<bool>{false, true, false, true, false}));
}

TEST_F(HealthReporterTest, PollsEveryIntervalOnItsClock) {
  HealthReporter health(Options());
  ASSERT_EQ(Changes(), (std::vector<bool>{false}));
  model_ = true;
  clock_.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(AwaitChanges(2));
  EXPECT_TRUE(health.serving());
  batcher_ = false;
  clock_.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(AwaitChanges(3));
  EXPECT_EQ(Changes(), (std::vector<bool>{false, true, false}));
}

}  // namespace
}  // namespace facet
