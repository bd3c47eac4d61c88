// ProgressReporter: the training loop's progress — a bar redrawn in place
// when stderr is a terminal (rank 0 only), a plain log line every
// log_every steps otherwise. With data parallelism every line starts with
// "rank=R " so that interleaved logs of several ranks stay readable.
// Not thread-safe: the training thread reports.
#ifndef FACET_TRAINER_TRAINING_PROGRESS_REPORTER_H_
#define FACET_TRAINER_TRAINING_PROGRESS_REPORTER_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "trainer/training/fpn_trainer.h"

namespace facet {

class ProgressReporter {
 public:
  struct Options {
    int64_t first_step = 0;  // The step the run starts at (resume).
    int64_t total_steps = 1;
    int64_t log_every = 20;  // Steps between plain lines. Default: 20.
    int rank = -1;           // -1: alone (no prefix); else the rank.
  };
  explicit ProgressReporter(const Options& options);

  // One completed step.
  void Step(const StepResult& r, double images_per_s, double data_wait);
  // A line of its own (clears the bar first).
  void Line(const std::string& text);

 private:
  Options options_;
  bool bar_;
  std::string prefix_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_PROGRESS_REPORTER_H_
