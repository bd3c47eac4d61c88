#include "server/health/health_reporter.h"

#include <algorithm>
#include <utility>

namespace facet {

HealthReporter::HealthReporter(HealthReporterOptions options)
    : options_(std::move(options)) {
  Update();
  // Each poll is due one interval after the previous one was due, so a
  // fake clock advanced before the thread waits still triggers it.
  absl::Time next_poll = options_.clock->Now() + options_.poll_interval;
  thread_ = std::thread([this, next_poll]() mutable {
    absl::MutexLock lock(&mu_);
    while (!stop_) {
      options_.clock->AwaitWithDeadline(&mu_, absl::Condition(&stop_),
                                        next_poll);
      if (stop_) break;
      // After a stall (a suspended process) poll once, not once per
      // interval missed.
      next_poll =
          std::max(next_poll + options_.poll_interval, options_.clock->Now());
      mu_.Unlock();
      Update();
      mu_.Lock();
    }
  });
}

HealthReporter::~HealthReporter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void HealthReporter::SetDraining() {
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  Update();
}

bool HealthReporter::draining() const {
  absl::MutexLock lock(&mu_);
  return draining_;
}

bool HealthReporter::serving() const {
  absl::MutexLock lock(&mu_);
  return reported_ == 1;
}

void HealthReporter::Update() {
  absl::MutexLock serialize(&update_mu_);
  bool draining;
  {
    absl::MutexLock lock(&mu_);
    draining = draining_;
  }
  const bool serving =
      !draining && options_.model_loaded() && options_.batcher_alive();
  {
    absl::MutexLock lock(&mu_);
    if (reported_ == static_cast<int>(serving)) return;
    reported_ = static_cast<int>(serving);
  }
  if (options_.on_change) options_.on_change(serving);
}

}  // namespace facet
