#include "server/batching/batch_policy.h"

namespace facet {

BatchDecision BatchPolicy::Decide(size_t queued, absl::Time oldest_enqueued,
                                  absl::Time now) const {
  BatchDecision decision;
  if (queued == 0) return decision;
  const absl::Duration waited = now - oldest_enqueued;
  if (queued >= max_batch_size_ || waited >= max_queue_delay_) {
    decision.close_now = true;
    decision.wait = absl::ZeroDuration();
    return decision;
  }
  decision.wait = max_queue_delay_ - waited;
  return decision;
}

}  // namespace facet
