#include "server/batching/task_queue.h"

#include "absl/strings/str_cat.h"

namespace facet {

absl::Status TaskQueue::Push(std::unique_ptr<ParseTask>& task) {
  absl::MutexLock lock(&mu_);
  if (closed_) {
    return absl::UnavailableError(
        "the server is shutting down and accepts no new work");
  }
  if (tasks_.size() >= capacity_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the batch queue is full (", capacity_,
        " tasks waiting, --max_queue_size=", capacity_, "); retry later"));
  }
  tasks_.push_back(std::move(task));
  return absl::OkStatus();
}

void TaskQueue::TakeBatch(size_t max, absl::Time now,
                          std::vector<std::unique_ptr<ParseTask>>* batch,
                          std::vector<std::unique_ptr<ParseTask>>* expired,
                          std::vector<std::unique_ptr<ParseTask>>* cancelled) {
  absl::MutexLock lock(&mu_);
  while (!tasks_.empty() && batch->size() < max) {
    std::unique_ptr<ParseTask> task = std::move(tasks_.front());
    tasks_.pop_front();
    if (task->deadline <= now) {
      expired->push_back(std::move(task));
    } else if (task->is_cancelled && task->is_cancelled()) {
      cancelled->push_back(std::move(task));
    } else {
      batch->push_back(std::move(task));
    }
  }
}

size_t TaskQueue::WaitForWork(size_t seen, absl::Time deadline,
                              absl::Time* oldest_enqueued) {
  absl::MutexLock lock(&mu_);
  auto ready = [this, seen]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return tasks_.size() > seen || closed_;
  };
  clock_->AwaitWithDeadline(&mu_, absl::Condition(&ready), deadline);
  if (!tasks_.empty()) *oldest_enqueued = tasks_.front()->enqueued;
  return tasks_.size();
}

void TaskQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool TaskQueue::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

size_t TaskQueue::size() const {
  absl::MutexLock lock(&mu_);
  return tasks_.size();
}

}  // namespace facet
