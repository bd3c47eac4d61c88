// Clock: where the server's timing decisions get the time and wait for it
// (batch delays, queue deadlines, health polls), so that unit tests drive
// time by hand (tests/util/fake_clock.h) and never sleep to synchronise.
//
// Thread safety: implementations must allow every method to be called
// concurrently from any thread.
#ifndef FACET_SERVER_COMMON_CLOCK_H_
#define FACET_SERVER_COMMON_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace facet {

class Clock {
 public:
  virtual ~Clock() = default;

  // The current time.
  virtual absl::Time Now() const = 0;

  // Waits until `condition` holds or Now() reaches `deadline`, releasing
  // `*mu` while waiting (as absl::Mutex::AwaitWithDeadline). Returns true
  // iff `condition` holds on return. REQUIRES: `*mu` is held; it is held
  // again on return.
  virtual bool AwaitWithDeadline(absl::Mutex* mu,
                                 const absl::Condition& condition,
                                 absl::Time deadline) const = 0;

  // The wall clock (absl::Now and absl::Mutex's own deadlines). Never null,
  // never destroyed.
  static const Clock* Real();
};

}  // namespace facet

#endif  // FACET_SERVER_COMMON_CLOCK_H_
