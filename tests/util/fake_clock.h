// FakeClock: a Clock (server/common/clock.h) whose time moves only when a
// test calls Advance, so batching delays, deadlines and polls are tested
// without sleeping. Starts at the Unix epoch plus one day.
//
// Waiters in AwaitWithDeadline wake when their condition holds (as with
// absl::Mutex) or when Advance moves the time to their deadline.
//
// Thread safety: all methods may be called concurrently. REQUIRES: no
// waiter's mutex is destroyed while Advance runs (tests destroy the object
// under test on the thread that advances).
#ifndef FACET_TESTS_UTIL_FAKE_CLOCK_H_
#define FACET_TESTS_UTIL_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"

namespace facet {
namespace testing {

class FakeClock final : public Clock {
 public:
  FakeClock() = default;
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  absl::Time Now() const override {
    return absl::FromUnixNanos(now_ns_.load());
  }

  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                         absl::Time deadline) const override {
    {
      absl::MutexLock lock(&waiters_mu_);
      ++waiters_[mu];
    }
    // Reads only the atomic time: a condition must not take other locks.
    auto ready = [&] { return condition.Eval() || Now() >= deadline; };
    mu->Await(absl::Condition(&ready));
    {
      absl::MutexLock lock(&waiters_mu_);
      if (--waiters_[mu] == 0) waiters_.erase(mu);
    }
    return condition.Eval();
  }

  // Moves the time forward by `d` (>= 0) and wakes the waiters whose
  // deadline it reaches.
  void Advance(absl::Duration d) {
    now_ns_ += absl::ToInt64Nanoseconds(d);
    std::map<absl::Mutex*, int> waiters;
    {
      absl::MutexLock lock(&waiters_mu_);
      waiters = waiters_;
    }
    // Releasing a mutex makes absl re-evaluate its waiters' conditions.
    for (const auto& [mu, count] : waiters) {
      mu->Lock();
      mu->Unlock();
    }
  }

 private:
  std::atomic<int64_t> now_ns_{int64_t{86400} * 1000 * 1000 * 1000};
  mutable absl::Mutex waiters_mu_;
  mutable std::map<absl::Mutex*, int> waiters_ ABSL_GUARDED_BY(waiters_mu_);
};

}  // namespace testing
}  // namespace facet

#endif  // FACET_TESTS_UTIL_FAKE_CLOCK_H_
