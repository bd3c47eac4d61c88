#include "server/batching/batcher.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/image/image_resize.h"
#include "core/status/model_status_conversion.h"

namespace facet {
namespace {

void Finish(std::vector<std::unique_ptr<ParseTask>>* tasks,
            const absl::Status& status) {
  for (auto& task : *tasks) {
    task->status = status;
    auto done = std::move(task->done);
    done(std::move(task));
  }
  tasks->clear();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Batcher>> Batcher::Create(
    const BatcherOptions& options) {
  if (options.max_batch_size < 1 || options.max_queue_size < 1 ||
      options.execution_threads < 1 ||
      options.max_queue_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batcher: need --max_batch_size >= 1 (got ", options.max_batch_size,
        "), --max_queue_size >= 1 (got ", options.max_queue_size,
        "), --execution_threads >= 1 (got ", options.execution_threads,
        ") and --max_queue_delay_us >= 0"));
  }
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("batcher: clock is required");
  }
  if (!options.model_provider) {
    return absl::InvalidArgumentError("batcher: model_provider is required");
  }
  std::unique_ptr<Batcher> batcher(new Batcher(options));
  for (int i = 0; i < options.execution_threads; ++i) {
    batcher->threads_.emplace_back([b = batcher.get()] { b->Run(); });
  }
  return batcher;
}

Batcher::Batcher(const BatcherOptions& options)
    : options_(options),
      policy_(static_cast<size_t>(options.max_batch_size),
              options.max_queue_delay),
      queue_(static_cast<size_t>(options.max_queue_size), options.clock) {}

Batcher::~Batcher() { Stop(); }

void Batcher::Stop() {
  queue_.Close();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

bool Batcher::alive() const {
  return running_.load() == options_.execution_threads;
}

absl::StatusOr<QueueReservation> Batcher::Reserve() {
  const int capacity = options_.max_queue_size;
  int held = occupied_.load();
  do {
    if (held >= capacity) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the batch queue is full (", capacity,
          " requests waiting or being prepared, --max_queue_size=", capacity,
          "); retry later"));
    }
  } while (!occupied_.compare_exchange_weak(held, held + 1));
  return QueueReservation(&occupied_);
}

absl::Status Batcher::Enqueue(std::unique_ptr<ParseTask> task) {
  return Enqueue(QueueReservation(), std::move(task));
}

absl::Status Batcher::Enqueue(QueueReservation reservation,
                              std::unique_ptr<ParseTask> task) {
  if (!reservation.held()) {
    absl::StatusOr<QueueReservation> place = Reserve();
    if (!place.ok()) return place.status();
    reservation = *std::move(place);
  }
  task->enqueued = options_.clock->Now();
  absl::Status status = queue_.Push(task);
  // Queued, the task keeps the place until a batch takes it; refused, the
  // reservation gives it back when it goes out of scope.
  if (status.ok()) reservation.TransferToQueue();
  if (options_.metrics) {
    options_.metrics->SetQueueDepth(static_cast<int64_t>(queue_.size()));
  }
  return status;
}

void Batcher::Run() {
  ++running_;
  size_t seen = 0;
  absl::Time wait_until = absl::InfiniteFuture();
  while (true) {
    absl::Time oldest;
    const size_t queued = queue_.WaitForWork(seen, wait_until, &oldest);
    const absl::Time now = options_.clock->Now();
    if (queued == 0 && queue_.closed()) break;
    // The version decides how large a batch may be; the same handle runs
    // the batch, so a reload in between cannot mix the two.
    ModelHandle model = queued > 0 ? options_.model_provider() : nullptr;
    BatchState state;
    state.queued = queued;
    state.oldest_enqueued = oldest;
    state.limit =
        model ? static_cast<size_t>(model->effective_max_batch_size) : 0;
    state.more_may_come =
        !options_.run_alone_at_once ||
        requests_in_flight_.load() > static_cast<int>(queued);
    BatchDecision decision = policy_.Decide(state, now);
    // While closing, run what is left without waiting for fuller batches.
    if (!decision.close_now && !queue_.closed()) {
      seen = queued;
      wait_until = decision.wait == absl::InfiniteDuration()
                       ? absl::InfiniteFuture()
                       : now + decision.wait;
      continue;
    }
    seen = 0;
    wait_until = absl::InfiniteFuture();
    std::vector<std::unique_ptr<ParseTask>> batch, expired, cancelled;
    queue_.TakeBatch(policy_.BatchLimit(state.limit), now, &batch, &expired,
                     &cancelled);
    occupied_ -=
        static_cast<int>(batch.size() + expired.size() + cancelled.size());
    if (options_.metrics) {
      options_.metrics->SetQueueDepth(static_cast<int64_t>(queue_.size()));
      for (size_t i = 0; i < expired.size(); ++i) {
        options_.metrics->CountRejection("deadline");
      }
      for (size_t i = 0; i < cancelled.size(); ++i) {
        options_.metrics->CountRejection("cancelled");
      }
    }
    Finish(&expired, absl::DeadlineExceededError(
                         "the deadline passed while the request waited in "
                         "the batch queue; it was not computed"));
    Finish(&cancelled,
           absl::CancelledError("the client cancelled; not computed"));
    if (!batch.empty()) RunBatch(std::move(batch), std::move(model));
  }
  --running_;
}

void Batcher::RunBatch(std::vector<std::unique_ptr<ParseTask>> batch,
                       ModelHandle model) {
  if (model == nullptr) {
    if (options_.metrics) options_.metrics->CountRejection("unavailable");
    Finish(&batch, absl::UnavailableError(
                       "no model version is loaded yet; retry later"));
    return;
  }
  const int size = static_cast<int>(model->config.in_size);
  bool want_restored = false;
  std::vector<RgbImageView> views;
  views.reserve(batch.size());
  for (auto& task : batch) {
    // A reload may have changed the input size since preprocessing.
    if (task->input.rows != size || task->input.cols != size) {
      task->input = ResizeForNet(task->input, size);
    }
    want_restored = want_restored || task->want_restored;
    views.push_back(RgbImageView{task->input.data, size, size});
  }
  ParseOptions parse_options;
  parse_options.want_restored = want_restored;
  const absl::Time start = options_.clock->Now();
  auto results = ToAbslStatusOr(model->engine->Parse(views, parse_options));
  const absl::Time end = options_.clock->Now();
  if (options_.metrics) {
    options_.metrics->ObserveBatchSize(static_cast<int>(batch.size()));
  }
  if (!results.ok()) {
    Finish(&batch, absl::InternalError(absl::StrCat(
                       "inference failed on model version ", model->version,
                       ": ", results.status().message())));
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& task = batch[i];
    task->compute_start = start;
    task->compute_end = end;
    task->batch_size = static_cast<int>(batch.size());
    task->result = std::move((*results)[i]);
    task->model_name = model->name;
    task->model_version = model->version;
    task->status = absl::OkStatus();
    auto done = std::move(task->done);
    done(std::move(task));
  }
}

}  // namespace facet
