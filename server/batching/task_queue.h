// TaskQueue: the bounded FIFO of ParseTasks waiting for a batch.
//
// Push refuses at once when `capacity` tasks wait (ResourceExhausted), so
// overload turns into fast errors the client can retry, not into latency.
// TakeBatch sets aside tasks whose deadline passed or whose client
// cancelled, so that no compute is spent on them.
//
// Thread safety: all methods may be called concurrently. The queue never
// calls a task's `done`; callers complete what they take, outside any lock.
#ifndef FACET_SERVER_BATCHING_TASK_QUEUE_H_
#define FACET_SERVER_BATCHING_TASK_QUEUE_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/batching/parse_task.h"
#include "server/common/clock.h"

namespace facet {

class TaskQueue {
 public:
  // REQUIRES: capacity >= 1. `clock` times WaitForWork's deadline; it
  // must outlive the queue. Default: the real clock.
  explicit TaskQueue(size_t capacity, const Clock* clock = Clock::Real())
      : capacity_(capacity), clock_(clock) {}
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Appends `task` (its `enqueued` time must be set). On success the queue
  // owns it and `task` is null. ResourceExhausted (naming the capacity) when
  // full, Unavailable after Close(); `task` is left to the caller then.
  absl::Status Push(std::unique_ptr<ParseTask>& task);

  // Removes up to `max` tasks from the front into `batch`. Tasks expired at
  // `now` or cancelled go to `expired` and `cancelled` instead and do not
  // count toward `max`.
  void TakeBatch(size_t max, absl::Time now,
                 std::vector<std::unique_ptr<ParseTask>>* batch,
                 std::vector<std::unique_ptr<ParseTask>>* expired,
                 std::vector<std::unique_ptr<ParseTask>>* cancelled);

  // Waits until more than `seen` tasks are queued, Close() is called or
  // `deadline` passes (on the queue's clock). Returns the queue size and, if
  // not empty, sets *oldest_enqueued to the front task's enqueue time.
  size_t WaitForWork(size_t seen, absl::Time deadline,
                     absl::Time* oldest_enqueued);

  // Refuses further pushes and wakes waiters; queued tasks stay.
  void Close();
  bool closed() const;
  size_t size() const;

 private:
  const size_t capacity_;
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<ParseTask>> tasks_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace facet

#endif  // FACET_SERVER_BATCHING_TASK_QUEUE_H_
