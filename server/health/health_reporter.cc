#include "server/health/health_reporter.h"

#include <utility>

namespace facet {

HealthReporter::HealthReporter(HealthReporterOptions options)
    : options_(std::move(options)) {
  Update();
  thread_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!stop_) {
      mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.poll_interval);
      if (stop_) break;
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
