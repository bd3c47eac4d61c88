// TrainingMetrics: the trainer's Prometheus endpoint (`--metrics_port`),
// so a training Job is watched like the servers. The only trainer code that
// includes prometheus-cpp. Setters are thread-safe (atomic gauges).
#ifndef FACET_TRAINER_TRAINING_TRAINING_METRICS_H_
#define FACET_TRAINER_TRAINING_TRAINING_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace facet {

class TrainingMetrics {
 public:
  // Serves /metrics on `port` on all interfaces (0 picks a free port; see
  // port()). Every series carries the label rank="<rank>" (the
  // data-parallel rank; 0 when training alone). Unavailable if the port
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<TrainingMetrics>> Create(int port,
                                                                 int rank = 0);
  ~TrainingMetrics();

  int port() const;

  void SetStep(int64_t step);
  void SetLosses(double total, double parsing, double pixel);
  void SetLearningRate(double lr);
  void SetImagesPerSecond(double v);
  void SetDataWaitFraction(double v);
  void SetValidationMiou(double v);
  void SetPublishedVersion(int64_t v);
  // `reason` is one of kFailureReasons (checkpoint_publisher.h's
  // WriteFailureReason); each starts at 0 so that rate() works from the
  // first scrape.
  void IncrementPublishFailures(const std::string& reason);
  void IncrementCheckpointFailures(const std::string& reason);
  void IncrementSkippedSteps();

 private:
  struct Impl;
  explicit TrainingMetrics(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_TRAINING_METRICS_H_
