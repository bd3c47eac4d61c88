#include "server/batching/batch_policy.h"

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(BatchPolicyTest, DecidesFromQueueAndTime) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  struct Case {
    size_t max_batch;
    absl::Duration delay;
    size_t queued;
    absl::Duration waited;
    bool close_now;
    absl::Duration wait;  // When not closing.
  };
  const Case cases[] = {
      {4, absl::Milliseconds(5), 0, absl::ZeroDuration(), false,
       absl::InfiniteDuration()},
      {4, absl::Milliseconds(5), 1, absl::ZeroDuration(), false,
       absl::Milliseconds(5)},
      {4, absl::Milliseconds(5), 3, absl::Milliseconds(2), false,
       absl::Milliseconds(3)},
      {4, absl::Milliseconds(5), 4, absl::ZeroDuration(), true,
       absl::ZeroDuration()},
      {4, absl::Milliseconds(5), 9, absl::ZeroDuration(), true,
       absl::ZeroDuration()},
      {4, absl::Milliseconds(5), 1, absl::Milliseconds(5), true,
       absl::ZeroDuration()},
      {4, absl::Milliseconds(5), 2, absl::Milliseconds(7), true,
       absl::ZeroDuration()},
      {4, absl::ZeroDuration(), 1, absl::ZeroDuration(), true,
       absl::ZeroDuration()},
      {1, absl::Seconds(1), 1, absl::ZeroDuration(), true,
       absl::ZeroDuration()},
  };
  for (const Case& c : cases) {
    BatchPolicy policy(c.max_batch, c.delay);
    BatchState state;
    state.queued = c.queued;
    state.oldest_enqueued = t0;
    BatchDecision d = policy.Decide(state, t0 + c.waited);
    EXPECT_EQ(d.close_now, c.close_now) << "max " << c.max_batch << " queued "
                                        << c.queued << " waited " << c.waited;
    EXPECT_EQ(d.wait, c.wait) << "max " << c.max_batch << " queued " << c.queued
                              << " waited " << c.waited;
  }
}

// A batch that cannot grow is never waited for: the effective max batch
// size is reached, or nothing else is in flight.
TEST(BatchPolicyTest, NeverWaitsForABatchThatCannotGrow) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  const BatchPolicy policy(8, absl::Seconds(1));
  struct Case {
    const char* name;
    size_t queued, limit;
    bool more_may_come, close_now;
  };
  const Case cases[] = {
      {"effective 1", 1, 1, true, true},
      {"effective 2 reached", 2, 2, true, true},
      {"effective 4 not reached", 2, 4, true, false},
      {"limit above max is max", 7, 100, true, false},
      {"limit above max, max reached", 8, 100, true, true},
      {"0 = max", 7, 0, true, false},
      {"alone", 1, 8, false, true},
      {"alone with a few queued", 3, 8, false, true},
      {"empty queue never closes", 0, 1, false, false},
  };
  for (const Case& c : cases) {
    BatchState state;
    state.queued = c.queued;
    state.oldest_enqueued = t0;
    state.limit = c.limit;
    state.more_may_come = c.more_may_come;
    const BatchDecision d = policy.Decide(state, t0);
    EXPECT_EQ(d.close_now, c.close_now) << c.name;
    if (c.close_now) EXPECT_EQ(d.wait, absl::ZeroDuration()) << c.name;
  }
}

TEST(BatchPolicyTest, BatchLimitStaysWithinOneAndMax) {
  const BatchPolicy policy(8, absl::Seconds(1));
  EXPECT_EQ(policy.BatchLimit(0), 8u);
  EXPECT_EQ(policy.BatchLimit(1), 1u);
  EXPECT_EQ(policy.BatchLimit(5), 5u);
  EXPECT_EQ(policy.BatchLimit(64), 8u);
}

}  // namespace
}  // namespace facet
