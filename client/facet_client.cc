#include "client/facet_client.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace facet {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& what,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", what, " file ", path));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::Status ToAbsl(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

// Says which server the error came from, and how hard we tried.
absl::Status Explain(const absl::Status& status, const ClientOptions& options,
                     int attempts) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return absl::UnavailableError(absl::StrCat(
          "facet-server at ", options.target, " unavailable (", attempts,
          attempts == 1 ? " attempt" : " attempts", "): ", status.message()));
    case absl::StatusCode::kDeadlineExceeded:
      return absl::DeadlineExceededError(absl::StrCat(
          "no answer from facet-server at ", options.target, " within ",
          absl::FormatDuration(options.deadline), " (", attempts,
          attempts == 1 ? " attempt" : " attempts", "): ", status.message()));
    default:
      return status;
  }
}

}  // namespace

const char* HealthStateName(HealthState state) {
  switch (state) {
    case HealthState::kServing:
      return "SERVING";
    case HealthState::kNotServing:
      return "NOT_SERVING";
    case HealthState::kServiceUnknown:
      return "SERVICE_UNKNOWN";
    case HealthState::kUnknown:
      break;
  }
  return "UNKNOWN";
}

bool IsRetryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kResourceExhausted;
}

absl::StatusOr<std::unique_ptr<FaceClient>> FaceClient::Create(
    const ClientOptions& options) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("the server target is empty");
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_attempts is ", options.max_attempts, "; expected at least 1"));
  }
  if (options.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline is ", absl::FormatDuration(options.deadline),
                     "; expected a positive duration"));
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "mutual TLS needs both a client certificate and its key "
        "(--tls_cert and --tls_key)");
  }
  if (!options.tls && (!options.tls_ca.empty() || !options.tls_cert.empty())) {
    return absl::InvalidArgumentError(
        "TLS files were given without --tls; add --tls to use them");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca.empty()) {
      absl::StatusOr<std::string> ca = ReadPem("CA", options.tls_ca);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!options.tls_cert.empty()) {
      absl::StatusOr<std::string> cert =
          ReadPem("client certificate", options.tls_cert);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadPem("client key", options.tls_key);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  if (!options.load_balancing.empty()) {
    args.SetLoadBalancingPolicyName(options.load_balancing);
  }
  if (!options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.target, credentials, args);
  if (channel == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create a channel to ", options.target));
  }
  return std::unique_ptr<FaceClient>(new FaceClient(options, channel));
}

FaceClient::FaceClient(const ClientOptions& options,
                       std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::FaceService::NewStub(channel_)) {}

absl::Status FaceClient::CallWithRetries(
    const std::function<grpc::Status(grpc::ClientContext*)>& attempt) const {
  const absl::Time deadline = absl::Now() + options_.deadline;
  absl::Duration backoff = options_.initial_backoff;
  thread_local std::mt19937 random(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  absl::Status status;
  int attempts = 0;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    ++attempts;
    status = ToAbsl(attempt(&context));
    if (status.ok()) return status;
    if (!IsRetryable(status.code()) || attempts >= options_.max_attempts) {
      break;
    }
    const absl::Duration wait = backoff * jitter(random);
    if (absl::Now() + wait >= deadline) break;
    absl::SleepFor(wait);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return Explain(status, options_, attempts);
}

absl::StatusOr<v1::ParseResponse> FaceClient::Parse(
    const v1::ParseRequest& request) const {
  v1::ParseResponse response;
  absl::Status status = CallWithRetries([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->Parse(context, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::EnhanceResponse> FaceClient::Enhance(
    const v1::EnhanceRequest& request) const {
  v1::EnhanceResponse response;
  absl::Status status = CallWithRetries([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->Enhance(context, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::GetModelInfoResponse> FaceClient::GetModelInfo() const {
  v1::GetModelInfoResponse response;
  absl::Status status = CallWithRetries([&](grpc::ClientContext* context) {
    response.Clear();
    return stub_->GetModelInfo(context, v1::GetModelInfoRequest(), &response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<HealthState> FaceClient::CheckHealth(
    const std::string& service) const {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  absl::Status status = ToAbsl(stub->Check(&context, request, &response));
  if (status.code() == absl::StatusCode::kNotFound) {
    return HealthState::kServiceUnknown;
  }
  if (!status.ok()) return Explain(status, options_, 1);
  switch (response.status()) {
    case grpc::health::v1::HealthCheckResponse::SERVING:
      return HealthState::kServing;
    case grpc::health::v1::HealthCheckResponse::NOT_SERVING:
      return HealthState::kNotServing;
    case grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN:
      return HealthState::kServiceUnknown;
    default:
      return HealthState::kUnknown;
  }
}

std::vector<absl::StatusOr<v1::ParseResponse>> FaceClient::ParseMany(
    const std::vector<v1::ParseRequest>& requests, int concurrency,
    const DoneCallback<v1::ParseResponse>& on_done) const {
  std::vector<absl::StatusOr<v1::ParseResponse>> results(
      requests.size(), absl::UnknownError("not run"));
  std::mutex done_mutex;
  RunConcurrently(requests.size(), concurrency, [&](size_t i) {
    results[i] = Parse(requests[i]);
    if (on_done) {
      std::lock_guard<std::mutex> lock(done_mutex);
      on_done(i, results[i]);
    }
  });
  return results;
}

std::vector<absl::StatusOr<v1::EnhanceResponse>> FaceClient::EnhanceMany(
    const std::vector<v1::EnhanceRequest>& requests, int concurrency,
    const DoneCallback<v1::EnhanceResponse>& on_done) const {
  std::vector<absl::StatusOr<v1::EnhanceResponse>> results(
      requests.size(), absl::UnknownError("not run"));
  std::mutex done_mutex;
  RunConcurrently(requests.size(), concurrency, [&](size_t i) {
    results[i] = Enhance(requests[i]);
    if (on_done) {
      std::lock_guard<std::mutex> lock(done_mutex);
      on_done(i, results[i]);
    }
  });
  return results;
}

void RunConcurrently(size_t n, int concurrency,
                     const std::function<void(size_t)>& fn) {
  const size_t threads =
      std::min(n, static_cast<size_t>(std::max(concurrency, 1)));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  if (threads > 0) work();
  for (std::thread& t : pool) t.join();
}

}  // namespace facet
