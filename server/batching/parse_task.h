// ParseTask: one face on its way through the batcher: its preprocessed
// input, deadline, cancellation check, phase timestamps, and, once run, its
// result and the name and number of the model version that computed it.
//
// Ownership: created by the service, handed to Batcher::Enqueue as a
// unique_ptr, and given back exactly once through `done` (with a status),
// unless Enqueue refuses it.
#ifndef FACET_SERVER_BATCHING_PARSE_TASK_H_
#define FACET_SERVER_BATCHING_PARSE_TASK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/model/face_parser.h"
#include "opencv2/core/mat.hpp"

namespace facet {

struct ParseTask {
  // Input: continuous CV_8UC3 RGB at the network input size of the model
  // current at preprocessing time (resized again if a reload changed it).
  cv::Mat input;
  bool want_restored = false;
  absl::Time deadline = absl::InfiniteFuture();
  // Returns true once the client gave up; may be null. Called from the
  // batcher thread.
  std::function<bool()> is_cancelled;

  // Timestamps, filled by the service (arrival, enqueued) and the batcher.
  absl::Time arrival;
  absl::Time enqueued;
  absl::Time compute_start;
  absl::Time compute_end;
  int batch_size = 0;

  // Result, valid when `status` is OK.
  absl::Status status;
  ParseResult result;
  // The version that computed `result`, by name: the task does not keep
  // that version loaded once its batch has computed (model_handle.h).
  std::string model_name;
  int64_t model_version = 0;

  // Called once with the task when it is finished, failed or dropped; on a
  // batcher thread, so it must be quick (hand the task to another thread).
  std::function<void(std::unique_ptr<ParseTask>)> done;
};

}  // namespace facet

#endif  // FACET_SERVER_BATCHING_PARSE_TASK_H_
