#include "tests/reliability/load_generator.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/server/server_process.h"

namespace facet {
namespace reliability {
namespace {

std::unique_ptr<v1::FaceService::Stub> NewStub(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // Each generator's channels are its own connections, as separate clients
  // would have, not one shared subchannel.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::FaceService::NewStub(grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args));
}

}  // namespace

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : absl::StrCat("CODE_", i);
}

std::string LoadSummary::CodesString() const {
  std::string out;
  for (const auto& [code, n] : by_code) {
    absl::StrAppend(&out, out.empty() ? "" : " ", CodeName(code), "=", n);
  }
  return out.empty() ? "none" : out;
}

LoadSummary Summarize(const std::vector<CallRecord>& records) {
  LoadSummary summary;
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  for (const CallRecord& r : records) {
    ++summary.total;
    ++summary.by_code[r.code];
    first = std::min(first, r.sent);
    last = std::max(last, r.done);
  }
  if (summary.total > 0 && last > first) {
    summary.ok_per_second =
        summary.count(grpc::OK) / absl::ToDoubleSeconds(last - first);
  }
  return summary;
}

absl::Duration LatencyQuantile(const std::vector<CallRecord>& records,
                               grpc::StatusCode code, double q) {
  std::vector<absl::Duration> latencies;
  for (const CallRecord& r : records) {
    if (r.code == code) latencies.push_back(r.latency());
  }
  if (latencies.empty()) return absl::ZeroDuration();
  std::sort(latencies.begin(), latencies.end());
  const size_t index =
      std::min(latencies.size() - 1, static_cast<size_t>(q * latencies.size()));
  return latencies[index];
}

v1::ParseRequest FaceRequest(int side, uint32_t seed) {
  v1::ParseRequest request;
  request.mutable_image()->set_encoded(
      server_test::PngBytes(server_test::MakeFace(side, side, seed)));
  return request;
}

// --- PacedClients ---

PacedClients::PacedClients(Options options)
    : options_(std::move(options)),
      interval_us_(absl::ToInt64Microseconds(options_.interval)) {}

PacedClients::~PacedClients() { Stop(); }

void PacedClients::Start() {
  {
    absl::MutexLock lock(&mu_);
    last_versions_.assign(static_cast<size_t>(options_.clients), -1);
  }
  for (int i = 0; i < options_.clients; ++i) {
    threads_.emplace_back([this, i] { RunClient(i); });
  }
}

void PacedClients::Stop() {
  stop_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void PacedClients::Pause() {
  paused_at_ = absl::Now();
  paused_ = true;
  while (in_flight_.load() > 0) absl::SleepFor(absl::Milliseconds(2));
}

void PacedClients::Resume() {
  const absl::Time now = absl::Now();
  paused_us_ += absl::ToInt64Microseconds(now - paused_at_);
  resumed_at_us_ = absl::ToUnixMicros(now);
  paused_ = false;
}

void PacedClients::SetInterval(absl::Duration interval) {
  interval_us_ = absl::ToInt64Microseconds(interval);
}

std::vector<CallRecord> PacedClients::Records() const {
  absl::MutexLock lock(&mu_);
  return records_;
}

std::vector<int64_t> PacedClients::LastVersions() const {
  absl::MutexLock lock(&mu_);
  return last_versions_;
}

void PacedClients::RunClient(int index) {
  auto stub = NewStub(options_.address);
  // Clients start spread over one interval, so a paced load is steady.
  absl::Time next = absl::Now() + absl::Microseconds(interval_us_.load()) *
                                      index / std::max(1, options_.clients);
  int64_t highest = -1;
  int64_t resumed_seen = 0;
  while (!stop_) {
    absl::SleepFor(next - absl::Now());
    if (stop_) break;
    ++in_flight_;
    if (paused_) {
      --in_flight_;
      absl::SleepFor(absl::Milliseconds(2));
      continue;
    }
    if (resumed_at_us_.load() != resumed_seen) {
      // Back from a pause: the schedule restarts now.
      resumed_seen = resumed_at_us_.load();
      next = std::max(next, absl::FromUnixMicros(resumed_seen));
    }
    CallRecord record;
    record.client = index;
    record.sent = absl::Now();
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(record.sent + options_.deadline));
    v1::ParseResponse response;
    const grpc::Status status =
        stub->Parse(&context, options_.request, &response);
    record.done = absl::Now();
    record.code = status.error_code();
    if (status.ok()) {
      record.version = response.info().model_version();
      ++ok_;
      if (record.version < highest) ++regressions_;
      highest = std::max(highest, record.version);
    } else {
      record.message = status.error_message();
    }
    {
      absl::MutexLock lock(&mu_);
      records_.push_back(std::move(record));
      last_versions_[static_cast<size_t>(index)] = highest;
    }
    --in_flight_;
    // Paced: the next call at its slot, at once while behind schedule
    // (making up at most five seconds, as a real client's queue would).
    next = std::max(next + absl::Microseconds(interval_us_.load()),
                    absl::Now() - absl::Seconds(5));
  }
}

// --- OpenLoop ---

struct OpenLoop::Call {
  grpc::ClientContext context;
  v1::ParseResponse response;
  CallRecord record;
};

OpenLoop::OpenLoop(Options options) : options_(std::move(options)) {
  for (int i = 0; i < std::max(1, options_.channels); ++i) {
    stubs_.push_back(NewStub(options_.address));
  }
}

OpenLoop::~OpenLoop() { Stop(); }

void OpenLoop::Start() {
  pacer_ = std::thread([this] { Pace(); });
}

void OpenLoop::Stop() {
  stop_ = true;
  if (pacer_.joinable()) pacer_.join();
  // Every call has a deadline, so this ends.
  while (in_flight_.load() > 0) absl::SleepFor(absl::Milliseconds(5));
}

std::vector<CallRecord> OpenLoop::Records() const {
  absl::MutexLock lock(&mu_);
  return records_;
}

void OpenLoop::Pace() {
  const absl::Time start = absl::Now();
  const absl::Duration period = absl::Seconds(1) / options_.rate;
  for (int64_t i = 0; !stop_; ++i) {
    absl::SleepFor(start + period * i - absl::Now());
    auto* call = new Call;
    call->record.client = static_cast<int>(i % stubs_.size());
    call->record.sent = absl::Now();
    call->context.set_deadline(
        absl::ToChronoTime(call->record.sent + options_.deadline));
    ++in_flight_;
    stubs_[i % stubs_.size()]->async()->Parse(
        &call->context, &options_.request, &call->response,
        [this, call](grpc::Status status) { Finish(call, status); });
  }
}

void OpenLoop::Finish(Call* call, const grpc::Status& status) {
  call->record.done = absl::Now();
  call->record.code = status.error_code();
  if (status.ok()) {
    call->record.version = call->response.info().model_version();
  } else {
    call->record.message = status.error_message();
  }
  {
    absl::MutexLock lock(&mu_);
    records_.push_back(std::move(call->record));
  }
  delete call;
  --in_flight_;
}

}  // namespace reliability
}  // namespace facet
