// BatchPolicy: decides, from the queue's state and the time, whether the
// batcher should close a batch now or how long it may still wait for more
// tasks. Pure: no clock, no threads, so it is tested with plain numbers.
//
// A batch closes when `max_batch_size` tasks wait, or when the oldest one
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

class BatchPolicy {
 public:
  // REQUIRES: max_batch_size >= 1, max_queue_delay >= 0.
  BatchPolicy(size_t max_batch_size, absl::Duration max_queue_delay)
      : max_batch_size_(max_batch_size), max_queue_delay_(max_queue_delay) {}

  // `queued` tasks wait, the oldest enqueued at `oldest_enqueued`.
  BatchDecision Decide(size_t queued, absl::Time oldest_enqueued,
                       absl::Time now) const;

  size_t max_batch_size() const { return max_batch_size_; }

 private:
  size_t max_batch_size_;
  absl::Duration max_queue_delay_;
};

}  // namespace facet

#endif  // FACET_SERVER_BATCHING_BATCH_POLICY_H_
