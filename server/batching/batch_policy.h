// BatchPolicy: decides, from the queue's state and the time, whether the
// batcher should close a batch now or how long it may still wait for more
// tasks. Pure: no clock, no threads, so it is tested with plain numbers.
//
// A batch closes at once when it cannot grow: `limit` tasks wait (the
// served version's effective max batch size, capped by max_batch_size), or
// no request other than the queued ones is in flight (nothing can join it,
// so waiting only adds latency). Otherwise it closes when the oldest task
// has waited `max_queue_delay` (0: run whatever is there at once).
#ifndef FACET_SERVER_BATCHING_BATCH_POLICY_H_
#define FACET_SERVER_BATCHING_BATCH_POLICY_H_

#include <cstddef>

#include "absl/time/time.h"

namespace facet {

struct BatchDecision {
  bool close_now = false;
  // When !close_now: how long to wait for more work (InfiniteDuration when
  // the queue is empty).
  absl::Duration wait = absl::InfiniteDuration();
};

// What the batcher knows when it decides.
struct BatchState {
  size_t queued = 0;                      // Tasks waiting.
  absl::Time oldest_enqueued;             // The front task's enqueue time.
  // Largest batch wanted now (effective max batch size); 0 or more than
  // max_batch_size means max_batch_size.
  size_t limit = 0;
  // False when no request besides the queued ones is in flight, so no task
  // can arrive to fill the batch soon.
  bool more_may_come = true;
};

class BatchPolicy {
 public:
  // REQUIRES: max_batch_size >= 1, max_queue_delay >= 0.
  BatchPolicy(size_t max_batch_size, absl::Duration max_queue_delay)
      : max_batch_size_(max_batch_size), max_queue_delay_(max_queue_delay) {}

  BatchDecision Decide(const BatchState& state, absl::Time now) const;

  // The largest batch to take: `limit` capped to [1, max_batch_size], with
  // 0 meaning max_batch_size.
  size_t BatchLimit(size_t limit) const;
  size_t max_batch_size() const { return max_batch_size_; }

 private:
  size_t max_batch_size_;
  absl::Duration max_queue_delay_;
};

}  // namespace facet

#endif  // FACET_SERVER_BATCHING_BATCH_POLICY_H_
