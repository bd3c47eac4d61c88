// Batcher: groups queued ParseTasks into batches and runs them through the
// current model version on one or more execution threads.
//
// Each execution thread loops: wait for work; take a ModelHandle; ask
// BatchPolicy whether to close a batch now; take up to the version's
// effective max batch size (ServableModel::effective_max_batch_size, capped
// by max_batch_size) of live tasks (expired ones are failed with
// DeadlineExceeded, cancelled ones with Cancelled, neither is computed);
// run one forward on that handle; complete every task through its `done`
// callback. Decoding happens before Enqueue and encoding after `done`, on
// other threads, so these threads only run the network.
//
// Thread safety: Reserve, Enqueue, AddRequestsInFlight, queue_depth and
// alive may be called concurrently.
#ifndef FACET_SERVER_BATCHING_BATCHER_H_
#define FACET_SERVER_BATCHING_BATCHER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/batching/batch_policy.h"
#include "server/batching/parse_task.h"
#include "server/batching/queue_reservation.h"
#include "server/batching/task_queue.h"
#include "server/common/clock.h"
#include "server/manager/model_handle.h"
#include "server/metrics/metrics.h"

namespace facet {

struct BatcherOptions {
  // Largest batch per forward pass. Default: 8.
  int max_batch_size = 8;
  // Longest a task waits for a batch to fill; 0 runs at once. Default: 2 ms.
  absl::Duration max_queue_delay = absl::Milliseconds(2);
  // Tasks that may wait; more are refused. Default: 64.
  int max_queue_size = 64;
  // Threads running batches (each can hold one batch on the device).
  // Default: 1.
  int execution_threads = 1;
  // Run queued tasks at once, without waiting max_queue_delay, when no
  // other request is in flight (as counted by AddRequestsInFlight): no
  // task can come to fill the batch, so the wait would be pure latency.
  // Default: false (always wait up to max_queue_delay).
  bool run_alone_at_once = false;
  // Returns the model version to use (null: none loaded). Required.
  std::function<ModelHandle()> model_provider;
  Metrics* metrics = nullptr;  // Optional; must outlive the batcher.
  // Time of enqueueing, batch delays, deadlines and compute timestamps;
  // must outlive the batcher. Default: the real clock.
  const Clock* clock = Clock::Real();
};

class Batcher {
 public:
  // Starts the execution threads. InvalidArgument for a bad option.
  static absl::StatusOr<std::unique_ptr<Batcher>> Create(
      const BatcherOptions& options);
  // Stop()s, finishing queued work first.
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Admission control: reserves a place in the queue for a request before
  // any work is spent on it (decoding), so that overload is refused at once
  // rather than after waiting for the CPU: ResourceExhausted (naming
  // --max_queue_size) when the queued tasks plus the places reserved reach
  // max_queue_size. The place is held until the reservation is handed to
  // Enqueue or dropped (queue_reservation.h); it must not outlive the
  // batcher.
  absl::StatusOr<QueueReservation> Reserve();

  // Hands `task` to the batcher; its `done` will be called exactly once.
  // ResourceExhausted if the queue is full, Unavailable after Stop(); the
  // task is destroyed without calling `done` then.
  absl::Status Enqueue(std::unique_ptr<ParseTask> task);
  // The same for a task whose place `reservation` holds: once queued, the
  // task holds that place until a batch takes it; refused, the place is
  // given back. A reservation that holds nothing is a plain Enqueue.
  absl::Status Enqueue(QueueReservation reservation,
                       std::unique_ptr<ParseTask> task);

  // Counts requests the caller is handling (decoding, queued, computing,
  // encoding): +1 when one arrives, -1 when it is answered. Only read with
  // run_alone_at_once.
  void AddRequestsInFlight(int delta) { requests_in_flight_ += delta; }

  // Refuses new tasks, runs the queued ones, joins the threads. Idempotent.
  void Stop();

  // True iff every execution thread is running (health).
  bool alive() const;
  size_t queue_depth() const { return queue_.size(); }

 private:
  explicit Batcher(const BatcherOptions& options);
  void Run();
  void RunBatch(std::vector<std::unique_ptr<ParseTask>> batch,
                ModelHandle model);

  const BatcherOptions options_;
  const BatchPolicy policy_;
  TaskQueue queue_;
  std::atomic<int> running_{0};
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> requests_in_flight_{0};
  // Places taken, at most max_queue_size: reserved for requests being
  // prepared plus tasks queued. One count for both, so that a task moving
  // from its reservation into the queue is never counted twice (a request
  // was refused with one place free) nor not at all.
  std::atomic<int> occupied_{0};
};

}  // namespace facet

#endif  // FACET_SERVER_BATCHING_BATCHER_H_
