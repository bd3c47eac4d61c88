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
    BatchDecision d = policy.Decide(c.queued, t0, t0 + c.waited);
    EXPECT_EQ(d.close_now, c.close_now) << "max " << c.max_batch << " queued "
                                        << c.queued << " waited " << c.waited;
    EXPECT_EQ(d.wait, c.wait) << "max " << c.max_batch << " queued " << c.queued
                              << " waited " << c.waited;
  }
}

}  // namespace
}  // namespace facet
