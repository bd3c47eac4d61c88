#include "server/service/face_service_impl.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/image/image_resize.h"
#include "glog/logging.h"
#include "server/service/grpc_status.h"
#include "server/service/parse_stream.h"
#include "server/service/request_conversion.h"

namespace facet {

// A counting semaphore bounding concurrent decode/encode work, so a burst of
// requests cannot run more CPU-heavy image jobs than --io_threads.
class FaceServiceImpl::Slots {
 public:
  explicit Slots(int n) : free_(n) {}
  void Acquire() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* free) { return *free > 0; }, &free_));
    --free_;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    ++free_;
  }

 private:
  absl::Mutex mu_;
  int free_ ABSL_GUARDED_BY(mu_);
};

namespace {

class SlotLock {
 public:
  template <typename S>
  explicit SlotLock(S* s)
      : acquire_([s] { s->Acquire(); }), release_([s] { s->Release(); }) {
    acquire_();
  }
  ~SlotLock() { release_(); }

 private:
  std::function<void()> acquire_, release_;
};

absl::Time Deadline(const grpc::ServerContext* context) {
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace

struct FaceServiceImpl::Job {
  cv::Mat original;  // The decoded request image (RGB).
  std::unique_ptr<ParseTask> task;
};

FaceServiceImpl::FaceServiceImpl(const FaceServiceOptions& options)
    : options_(options),
      io_slots_(std::make_shared<Slots>(std::max(1, options.io_threads))) {}

absl::Status FaceServiceImpl::Submit(
    grpc::ServerContext* context, const v1::Image& image, bool want_restored,
    absl::Time arrival, std::function<void(std::unique_ptr<Job>)> done) {
  if (options_.health->draining()) {
    options_.metrics->CountRejection("unavailable");
    return absl::UnavailableError(
        "the server is draining (shutting down); send to another replica");
  }
  int size = 0;  // The network input size of the version served now.
  {
    // Only a look: the batcher takes its own handle for the batch, so the
    // request keeps no version loaded while it is decoded or waits.
    ModelHandle model = options_.manager->Current();
    if (model == nullptr) {
      options_.metrics->CountRejection("unavailable");
      return absl::UnavailableError(
          "no model version is loaded yet; retry later (check the server log "
          "for load errors)");
    }
    size = static_cast<int>(model->config.in_size);
  }
  // Admission before any work: under overload the excess is refused in
  // microseconds instead of queueing for the decoder and the CPU.
  // The place is given back by `reservation`'s destructor on every return
  // before the task is queued.
  absl::StatusOr<QueueReservation> reservation = options_.batcher->Reserve();
  if (!reservation.ok()) {
    options_.metrics->CountRejection("queue_full");
    return reservation.status();
  }
  auto original = std::make_shared<cv::Mat>();
  auto task = std::make_unique<ParseTask>();
  {
    SlotLock slot(io_slots_.get());
    absl::StatusOr<cv::Mat> decoded =
        DecodeRequestImage(image, options_.limits);
    if (!decoded.ok()) {
      options_.metrics->CountRejection("invalid_input");
      return decoded.status();
    }
    *original = std::move(decoded).value();
    // An image already at the network size is shared, not copied: neither
    // the batcher nor the response building writes to it.
    task->input = original->cols == size && original->rows == size &&
                          original->isContinuous()
                      ? *original
                      : ResizeForNet(*original, size);
  }
  task->want_restored = want_restored;
  task->deadline = Deadline(context);
  task->is_cancelled = [context] { return context->IsCancelled(); };
  task->arrival = arrival;
  task->done = [original,
                done = std::move(done)](std::unique_ptr<ParseTask> finished) {
    auto job = std::make_unique<Job>();
    job->original = std::move(*original);
    job->task = std::move(finished);
    done(std::move(job));
  };
  absl::Status status =
      options_.batcher->Enqueue(*std::move(reservation), std::move(task));
  if (absl::IsResourceExhausted(status)) {
    options_.metrics->CountRejection("queue_full");
  } else if (!status.ok()) {
    options_.metrics->CountRejection("unavailable");
  }
  return status;
}

absl::StatusOr<std::unique_ptr<FaceServiceImpl::Job>> FaceServiceImpl::Run(
    grpc::ServerContext* context, const v1::Image& image, bool want_restored,
    absl::Time arrival) {
  absl::Notification finished;
  std::unique_ptr<Job> result;
  absl::Status status = Submit(context, image, want_restored, arrival,
                               [&](std::unique_ptr<Job> job) {
                                 result = std::move(job);
                                 finished.Notify();
                               });
  if (!status.ok()) return status;
  finished.WaitForNotification();
  if (!result->task->status.ok()) return result->task->status;
  return result;
}

void FaceServiceImpl::Finish(const Job& job, absl::Time post_start,
                             v1::ResponseInfo* info) {
  const ParseTask& t = *job.task;
  const absl::Time now = absl::Now();
  PhaseSeconds phases;
  phases.preprocess = Seconds(t.enqueued - t.arrival);
  phases.queue = Seconds(t.compute_start - t.enqueued);
  phases.compute = Seconds(t.compute_end - t.compute_start);
  phases.postprocess = Seconds(now - post_start);
  phases.total = Seconds(now - t.arrival);
  info->set_model_name(t.model_name);
  info->set_model_version(t.model_version);
  v1::PhaseTimings* timings = info->mutable_timings();
  timings->set_queue_us(
      absl::ToInt64Microseconds(t.compute_start - t.enqueued));
  timings->set_preprocess_us(absl::ToInt64Microseconds(t.enqueued - t.arrival));
  timings->set_compute_us(
      absl::ToInt64Microseconds(t.compute_end - t.compute_start));
  timings->set_postprocess_us(absl::ToInt64Microseconds(now - post_start));
  timings->set_total_us(absl::ToInt64Microseconds(now - t.arrival));
  timings->set_batch_size(t.batch_size);
}

absl::Status FaceServiceImpl::ParseOne(grpc::ServerContext* context,
                                       const v1::ParseRequest& request,
                                       v1::ParseResponse* response) {
  const absl::Time arrival = absl::Now();
  absl::Status status = CheckParseOptions(request);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<Job>> job =
      Run(context, request.image(), request.want_restored(), arrival);
  if (!job.ok()) return job.status();
  const absl::Time post_start = absl::Now();
  {
    SlotLock slot(io_slots_.get());
    status = BuildParseResponse(request, (*job)->original, (*job)->task->result,
                                response);
  }
  if (!status.ok()) return status;
  Finish(**job, post_start, response->mutable_info());
  PhaseSeconds phases;
  const v1::PhaseTimings& t = response->info().timings();
  phases = {t.queue_us() * 1e-6, t.preprocess_us() * 1e-6,
            t.compute_us() * 1e-6, t.postprocess_us() * 1e-6,
            t.total_us() * 1e-6};
  options_.metrics->ObserveRequest("Parse", "OK", &phases);
  return absl::OkStatus();
}

grpc::Status FaceServiceImpl::Parse(grpc::ServerContext* context,
                                    const v1::ParseRequest* request,
                                    v1::ParseResponse* response) {
  options_.metrics->AddInflight(1);
  options_.batcher->AddRequestsInFlight(1);
  absl::Status status = ParseOne(context, *request, response);
  options_.batcher->AddRequestsInFlight(-1);
  options_.metrics->AddInflight(-1);
  if (!status.ok()) {
    options_.metrics->ObserveRequest("Parse", CodeName(status), nullptr);
    VLOG(1) << "event=request_failed method=Parse code=" << CodeName(status)
            << " error=\"" << status.message() << "\"";
  }
  return ToGrpcStatus(status);
}

grpc::Status FaceServiceImpl::Enhance(grpc::ServerContext* context,
                                      const v1::EnhanceRequest* request,
                                      v1::EnhanceResponse* response) {
  options_.metrics->AddInflight(1);
  options_.batcher->AddRequestsInFlight(1);
  const absl::Time arrival = absl::Now();
  absl::Status status = CheckEnhanceOptions(*request);
  if (status.ok()) {
    absl::StatusOr<std::unique_ptr<Job>> job =
        Run(context, request->image(), /*want_restored=*/true, arrival);
    status = job.status();
    if (job.ok()) {
      const absl::Time post_start = absl::Now();
      {
        SlotLock slot(io_slots_.get());
        status = BuildEnhanceResponse(*request, (*job)->original,
                                      (*job)->task->result, response);
      }
      if (status.ok()) Finish(**job, post_start, response->mutable_info());
    }
  }
  options_.batcher->AddRequestsInFlight(-1);
  options_.metrics->AddInflight(-1);
  if (status.ok()) {
    const v1::PhaseTimings& t = response->info().timings();
    PhaseSeconds phases = {t.queue_us() * 1e-6, t.preprocess_us() * 1e-6,
                           t.compute_us() * 1e-6, t.postprocess_us() * 1e-6,
                           t.total_us() * 1e-6};
    options_.metrics->ObserveRequest("Enhance", "OK", &phases);
  } else {
    options_.metrics->ObserveRequest("Enhance", CodeName(status), nullptr);
  }
  return ToGrpcStatus(status);
}

grpc::Status FaceServiceImpl::GetModelInfo(
    grpc::ServerContext* /*context*/, const v1::GetModelInfoRequest* /*req*/,
    v1::GetModelInfoResponse* response) {
  ModelHandle model = options_.manager->Current();
  if (model == nullptr) {
    const absl::Status status =
        absl::UnavailableError("no model version is loaded yet; retry later");
    options_.metrics->ObserveRequest("GetModelInfo", CodeName(status), nullptr);
    return ToGrpcStatus(status);
  }
  BuildModelInfoResponse(*model, response);
  response->set_version_policy(options_.manager->PolicyString());
  for (int64_t v : options_.manager->FailedVersions()) {
    response->add_failed_versions(v);
  }
  response->set_max_batch_size(options_.max_batch_size);
  response->set_effective_max_batch_size(
      std::min(options_.max_batch_size, model->effective_max_batch_size));
  options_.metrics->ObserveRequest("GetModelInfo", "OK", nullptr);
  return grpc::Status::OK;
}

void FaceServiceImpl::WriteStreamReply(
    grpc::ServerReaderWriter<v1::ParseStreamResponse, v1::ParseStreamRequest>*
        stream,
    const std::string& tag, const v1::ParseRequest& request,
    absl::Status status, const Job* job) {
  v1::ParseStreamResponse response;
  response.set_tag(tag);
  if (status.ok()) status = job->task->status;
  const absl::Time post_start = absl::Now();
  if (status.ok()) {
    SlotLock slot(io_slots_.get());
    status = BuildParseResponse(request, job->original, job->task->result,
                                response.mutable_response());
  }
  if (status.ok()) {
    Finish(*job, post_start, response.mutable_response()->mutable_info());
    const v1::PhaseTimings& t = response.response().info().timings();
    PhaseSeconds phases = {t.queue_us() * 1e-6, t.preprocess_us() * 1e-6,
                           t.compute_us() * 1e-6, t.postprocess_us() * 1e-6,
                           t.total_us() * 1e-6};
    options_.metrics->ObserveRequest("ParseStream", "OK", &phases);
  } else {
    response.clear_response();
    options_.metrics->ObserveRequest("ParseStream", CodeName(status), nullptr);
  }
  response.mutable_status()->set_code(static_cast<int>(status.code()));
  response.mutable_status()->set_message(std::string(status.message()));
  stream->Write(response);  // Fails only if the client went away.
  options_.batcher->AddRequestsInFlight(-1);
}

grpc::Status FaceServiceImpl::ParseStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::ParseStreamResponse, v1::ParseStreamRequest>*
        stream) {
  // Postprocessing and writing happen on the writer's thread, off the
  // batcher's threads and concurrently with reading.
  ParseStreamWriter writer(options_.stream_max_inflight);
  v1::ParseStreamRequest in;
  while (stream->Read(&in)) {
    writer.WaitForRoom();
    options_.batcher->AddRequestsInFlight(1);  // Until its reply is written.
    const absl::Time arrival = absl::Now();
    auto request =
        std::make_shared<v1::ParseRequest>(std::move(*in.mutable_request()));
    std::string tag = in.tag();
    // Moved out so the request the writer reads is never modified later.
    const v1::Image image = std::move(*request->mutable_image());
    request->clear_image();
    absl::Status status = CheckParseOptions(*request);
    if (status.ok()) {
      status = Submit(
          context, image, request->want_restored(), arrival,
          [this, &writer, stream, tag, request](std::unique_ptr<Job> job) {
            std::shared_ptr<const Job> finished(std::move(job));
            writer.Post([this, stream, tag, request, finished] {
              WriteStreamReply(stream, tag, *request, absl::OkStatus(),
                               finished.get());
            });
          });
    }
    if (!status.ok()) {
      writer.Post([this, stream, tag, request, status] {
        WriteStreamReply(stream, tag, *request, status, nullptr);
      });
    }
  }
  writer.Close();
  return grpc::Status::OK;
}

}  // namespace facet
