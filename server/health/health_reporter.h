// HealthReporter: decides whether the server is SERVING and reports each
// change through a callback (ServerCore forwards it to grpc.health.v1).
//
// SERVING iff a warmed model version is loaded, every batch execution
// thread is alive, and the server is not draining. The inputs are polled
// every `poll_interval` (on `clock`) on the reporter's own thread, and
// re-checked at once by SetDraining and CheckNow.
//
// Thread safety: all methods may be called concurrently; the callback runs
// on the reporter's thread (or in SetDraining's caller), never concurrently
// with itself.
#ifndef FACET_SERVER_HEALTH_HEALTH_REPORTER_H_
#define FACET_SERVER_HEALTH_HEALTH_REPORTER_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"

namespace facet {

struct HealthReporterOptions {
  std::function<bool()> model_loaded;   // Required.
  std::function<bool()> batcher_alive;  // Required.
  // Called with the new state on every change, and once at start.
  std::function<void(bool serving)> on_change;
  absl::Duration poll_interval = absl::Milliseconds(100);  // Default 100 ms.
  // Times the polls; must outlive the reporter. Default: the real clock.
  const Clock* clock = Clock::Real();
};

class HealthReporter {
 public:
  explicit HealthReporter(HealthReporterOptions options);
  ~HealthReporter();  // Stops the thread.
  HealthReporter(const HealthReporter&) = delete;
  HealthReporter& operator=(const HealthReporter&) = delete;

  // Re-checks the inputs now, on the caller's thread, reporting a change.
  void CheckNow() { Update(); }

  // Marks the server as draining: NOT_SERVING from now on, for good.
  void SetDraining();
  bool draining() const;
  // The state last reported.
  bool serving() const;

 private:
  void Update() ABSL_LOCKS_EXCLUDED(mu_);

  const HealthReporterOptions options_;
  mutable absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int reported_ ABSL_GUARDED_BY(mu_) = -1;  // -1: nothing reported yet.
  absl::Mutex update_mu_;  // Serializes Update() (and the callback).
  std::thread thread_;
};

}  // namespace facet

#endif  // FACET_SERVER_HEALTH_HEALTH_REPORTER_H_
