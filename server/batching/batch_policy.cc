#include "server/batching/batch_policy.h"

#include <algorithm>

namespace facet {

size_t BatchPolicy::BatchLimit(size_t limit) const {
  if (limit == 0) return max_batch_size_;
  return std::max<size_t>(1, std::min(limit, max_batch_size_));
}

BatchDecision BatchPolicy::Decide(const BatchState& state,
                                  absl::Time now) const {
  BatchDecision decision;
  if (state.queued == 0) return decision;
  const absl::Duration waited = now - state.oldest_enqueued;
  if (state.queued >= BatchLimit(state.limit) || !state.more_may_come ||
      waited >= max_queue_delay_) {
    decision.close_now = true;
    decision.wait = absl::ZeroDuration();
    return decision;
  }
  decision.wait = max_queue_delay_ - waited;
  return decision;
}

}  // namespace facet
