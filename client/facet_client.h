// FaceClient: the C++ client of facet-server's facet.v1.FaceService.
//
// One client holds one gRPC channel: plaintext or TLS (optionally mutual),
// to "host:port" or any gRPC target ("dns:///faces.svc:8500",
// "ipv4:10.0.0.1:8500,10.0.0.2:8500") with round-robin load balancing over
// the addresses the resolver returns. Each call has a deadline covering
// all its attempts; UNAVAILABLE (server starting, draining or gone) and
// RESOURCE_EXHAUSTED (queue full) are retried a bounded number of times
// with jittered exponential backoff, never past the deadline. Other
// errors return at once: they would fail again.
//
// Errors are absl::Status with the gRPC code carried over unchanged
// (absl and gRPC number their codes alike) and the server's message; a
// connection failure says which target could not be reached.
//
// Thread safety: all methods may be called concurrently (gRPC channels
// are thread-safe); the *Many helpers run calls on their own threads.

#ifndef FACET_CLIENT_FACET_CLIENT_H_
#define FACET_CLIENT_FACET_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "facet/v1/facet.grpc.pb.h"

namespace facet {

struct ClientOptions {
  // Server address: "host:port" or any gRPC target URI.
  // Default: "localhost:8500".
  std::string target = "localhost:8500";

  // Use TLS. With tls_ca empty the system's root certificates verify the
  // server. With tls_cert and tls_key the client presents its certificate
  // (mutual TLS).
  // Default: false.
  bool tls = false;
  std::string tls_ca;    // PEM file of the CA(s) that signed the server.
  std::string tls_cert;  // PEM file of the client's certificate chain.
  std::string tls_key;   // PEM file of the client's private key.
  // Name to check in the server's certificate instead of the target's
  // host (e.g. when connecting by IP address).
  // Default: "" (the target's host).
  std::string tls_server_name;

  // gRPC load-balancing policy over the resolved addresses.
  // Default: "round_robin".
  std::string load_balancing = "round_robin";

  // Time allowed for one call, retries included.
  // Default: 30 s.
  absl::Duration deadline = absl::Seconds(30);

  // Attempts per call (1 = no retry) on UNAVAILABLE or RESOURCE_EXHAUSTED.
  // Default: 4.
  int max_attempts = 4;

  // Backoff before the first retry; doubled for each next one up to
  // max_backoff, each wait jittered by +-20 %.
  // Default: 100 ms and 2 s.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);

  // Largest message sent or received.
  // Default: 64 MiB.
  int64_t max_message_bytes = int64_t{64} << 20;
};

// grpc.health.v1 serving states.
enum class HealthState { kUnknown, kServing, kNotServing, kServiceUnknown };
const char* HealthStateName(HealthState state);

class FaceClient {
 public:
  // Creates the channel (connecting lazily). InvalidArgument for bad
  // options; NotFound / PermissionDenied naming a TLS file that cannot be
  // read.
  static absl::StatusOr<std::unique_ptr<FaceClient>> Create(
      const ClientOptions& options);

  FaceClient(const FaceClient&) = delete;
  FaceClient& operator=(const FaceClient&) = delete;

  absl::StatusOr<v1::ParseResponse> Parse(
      const v1::ParseRequest& request) const;
  absl::StatusOr<v1::EnhanceResponse> Enhance(
      const v1::EnhanceRequest& request) const;
  absl::StatusOr<v1::GetModelInfoResponse> GetModelInfo() const;

  // grpc.health.v1 Check of `service` ("" = the whole server). Not
  // retried: a health probe reports the state now.
  absl::StatusOr<HealthState> CheckHealth(
      const std::string& service = "") const;

  // Parses/enhances every request with up to `concurrency` calls in flight
  // and returns the results in request order. `on_done`, if set, is
  // called once per request as it completes, from a worker thread (calls
  // are serialized, so it need not lock).
  template <typename Response>
  using DoneCallback =
      std::function<void(size_t index, const absl::StatusOr<Response>&)>;
  std::vector<absl::StatusOr<v1::ParseResponse>> ParseMany(
      const std::vector<v1::ParseRequest>& requests, int concurrency,
      const DoneCallback<v1::ParseResponse>& on_done = nullptr) const;
  std::vector<absl::StatusOr<v1::EnhanceResponse>> EnhanceMany(
      const std::vector<v1::EnhanceRequest>& requests, int concurrency,
      const DoneCallback<v1::EnhanceResponse>& on_done = nullptr) const;

  const ClientOptions& options() const { return options_; }

 private:
  FaceClient(const ClientOptions& options,
             std::shared_ptr<grpc::Channel> channel);

  // Runs `attempt` (one RPC with the given context) with the retry policy.
  absl::Status CallWithRetries(
      const std::function<grpc::Status(grpc::ClientContext*)>& attempt) const;

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FaceService::Stub> stub_;
};

// Runs fn(i) for every i in [0, n) on min(concurrency, n) threads.
void RunConcurrently(size_t n, int concurrency,
                     const std::function<void(size_t)>& fn);

// True for the codes FaceClient retries.
bool IsRetryable(absl::StatusCode code);

}  // namespace facet

#endif  // FACET_CLIENT_FACET_CLIENT_H_
