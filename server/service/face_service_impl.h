// FaceServiceImpl: the facet.v1.FaceService handlers. Stateless apart from
// borrowed collaborators, like TF Serving's handlers: each call decodes its
// image (on a bounded pool of I/O slots), hands a ParseTask to the Batcher,
// waits for it, and encodes the response on the handler thread, so the
// batcher's threads only run the network.
//
// Errors leave through ToGrpcStatus (grpc_status.h): INVALID_ARGUMENT for
// bad input, UNAVAILABLE with no model or while draining,
// RESOURCE_EXHAUSTED when the queue is full (checked before decoding, see
// Batcher::Reserve), DEADLINE_EXCEEDED when the
// deadline passed before compute, CANCELLED when the client gave up.
//
// Thread safety: gRPC calls the handlers concurrently; that is supported.
#ifndef FACET_SERVER_SERVICE_FACE_SERVICE_IMPL_H_
#define FACET_SERVER_SERVICE_FACE_SERVICE_IMPL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/image/image_decoder.h"
#include "facet/v1/facet.grpc.pb.h"
#include "server/batching/batcher.h"
#include "server/health/health_reporter.h"
#include "server/manager/model_manager.h"
#include "server/metrics/metrics.h"

namespace facet {

struct FaceServiceOptions {
  DecodeLimits limits;  // Applied to every input image.
  // Concurrent decode/encode jobs (CPU work outside the batch path).
  // Default: 2.
  int io_threads = 2;
  // Items of one ParseStream in flight at once. Default: 8.
  int stream_max_inflight = 8;
  // Collaborators; all required and must outlive the service.
  Batcher* batcher = nullptr;
  ModelManager* manager = nullptr;
  HealthReporter* health = nullptr;
  Metrics* metrics = nullptr;
  int max_batch_size = 0;  // Reported by GetModelInfo.
};

class FaceServiceImpl final : public v1::FaceService::Service {
 public:
  explicit FaceServiceImpl(const FaceServiceOptions& options);

  grpc::Status Parse(grpc::ServerContext* context,
                     const v1::ParseRequest* request,
                     v1::ParseResponse* response) override;
  grpc::Status Enhance(grpc::ServerContext* context,
                       const v1::EnhanceRequest* request,
                       v1::EnhanceResponse* response) override;
  grpc::Status GetModelInfo(grpc::ServerContext* context,
                            const v1::GetModelInfoRequest* request,
                            v1::GetModelInfoResponse* response) override;
  grpc::Status ParseStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ParseStreamResponse, v1::ParseStreamRequest>*
          stream) override;

 private:
  class Slots;
  struct Job;

  // Checks availability, decodes `image` and enqueues a task; `done` gets
  // the finished job (on a batcher thread). On error nothing is enqueued.
  absl::Status Submit(grpc::ServerContext* context, const v1::Image& image,
                      bool want_restored, absl::Time arrival,
                      std::function<void(std::unique_ptr<Job>)> done);
  // Submits and waits.
  absl::StatusOr<std::unique_ptr<Job>> Run(grpc::ServerContext* context,
                                           const v1::Image& image,
                                           bool want_restored,
                                           absl::Time arrival);
  // Fills info (version, timings) and observes metrics for a finished job.
  void Finish(const Job& job, absl::Time post_start, v1::ResponseInfo* info);
  absl::Status ParseOne(grpc::ServerContext* context,
                        const v1::ParseRequest& request,
                        v1::ParseResponse* response);
  // Builds and writes one ParseStream reply (on the stream's writer
  // thread): the response for `job`, or `status` when the item failed
  // before reaching the batcher (then `job` is null).
  void WriteStreamReply(
      grpc::ServerReaderWriter<v1::ParseStreamResponse, v1::ParseStreamRequest>*
          stream,
      const std::string& tag, const v1::ParseRequest& request,
      absl::Status status, const Job* job);

  const FaceServiceOptions options_;
  std::shared_ptr<Slots> io_slots_;
};

}  // namespace facet

#endif  // FACET_SERVER_SERVICE_FACE_SERVICE_IMPL_H_
