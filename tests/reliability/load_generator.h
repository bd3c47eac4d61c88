// Load generators for the reliability scenarios (docs/operations.md,
// "Reliability"): every call has a deadline and every outcome is recorded.
//
//  - PacedClients: `clients` closed-loop clients, each on its own channel,
//    each sending its next Parse only after the previous answer, at most
//    one every `interval` (0: back to back). Back to back they measure
//    capacity; paced they give a steady load and a per-client order in
//    which served versions can be checked never to go back.
//  - OpenLoop: Parse calls started at a fixed rate whatever the answers
//    (gRPC callback API), so the offered load can exceed capacity.
//
// Thread safety: Start/Stop from one thread; Records() after Stop().
#ifndef FACET_TESTS_RELIABILITY_LOAD_GENERATOR_H_
#define FACET_TESTS_RELIABILITY_LOAD_GENERATOR_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "facet/v1/facet.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace facet {
namespace reliability {

// One finished call.
struct CallRecord {
  int client = 0;
  absl::Time sent;
  absl::Time done;
  grpc::StatusCode code = grpc::OK;
  std::string message;   // Empty when OK.
  int64_t version = -1;  // The serving version; -1 unless OK.
  absl::Duration latency() const { return done - sent; }
};

// Figures over a set of records.
struct LoadSummary {
  int64_t total = 0;
  std::map<grpc::StatusCode, int64_t> by_code;
  double ok_per_second = 0;  // OK answers / the records' time span.
  int64_t count(grpc::StatusCode code) const {
    auto it = by_code.find(code);
    return it == by_code.end() ? 0 : it->second;
  }
  int64_t not_ok() const { return total - count(grpc::OK); }
  // "OK=123 RESOURCE_EXHAUSTED=45" for logs.
  std::string CodesString() const;
};

LoadSummary Summarize(const std::vector<CallRecord>& records);
// The q-quantile (0..1) of the latencies of the records with `code`;
// zero if there are none.
absl::Duration LatencyQuantile(const std::vector<CallRecord>& records,
                               grpc::StatusCode code, double q);
// gRPC's name of `code` ("RESOURCE_EXHAUSTED").
std::string CodeName(grpc::StatusCode code);

// A Parse request of one seeded face, `side` pixels square, PNG-encoded.
v1::ParseRequest FaceRequest(int side, uint32_t seed);

class PacedClients {
 public:
  struct Options {
    std::string address;  // host:port
    int clients = 4;
    absl::Duration interval = absl::ZeroDuration();  // Per client.
    absl::Duration deadline = absl::Seconds(10);     // Per call.
    v1::ParseRequest request;
  };
  explicit PacedClients(Options options);
  ~PacedClients();  // Stop()s.
  PacedClients(const PacedClients&) = delete;
  PacedClients& operator=(const PacedClients&) = delete;

  void Start();
  // Lets every client finish its call in flight, then joins them.
  void Stop();
  // Changes the per-client interval from the next call on.
  void SetInterval(absl::Duration interval);
  // Pause: no client starts a call until Resume; returns once no call is
  // in flight, so the server can be observed idle. Resume: the clients go
  // on from now (the paused time is not made up).
  void Pause();
  void Resume();

  // Copies of the records so far (may be called while running).
  std::vector<CallRecord> Records() const;
  // Calls answered OK so far.
  int64_t ok() const { return ok_.load(); }
  // Time spent paused so far.
  absl::Duration paused_time() const {
    return absl::Microseconds(paused_us_.load());
  }
  // OK answers whose version was lower than an earlier OK answer of the
  // same client (must stay 0 through reloads).
  int64_t version_regressions() const { return regressions_.load(); }
  // The highest version each client has been served.
  std::vector<int64_t> LastVersions() const;

 private:
  void RunClient(int index);

  const Options options_;
  std::atomic<int64_t> interval_us_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<int64_t> resumed_at_us_{0};
  std::atomic<int64_t> paused_us_{0};
  absl::Time paused_at_;  // Touched by Pause/Resume only.
  std::atomic<int64_t> ok_{0};
  std::atomic<int64_t> regressions_{0};
  mutable absl::Mutex mu_;
  std::vector<CallRecord> records_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> last_versions_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

class OpenLoop {
 public:
  struct Options {
    std::string address;
    double rate = 100;                           // Calls started per second.
    absl::Duration deadline = absl::Seconds(2);  // Per call.
    int channels = 4;  // Calls are spread over this many channels.
    v1::ParseRequest request;
  };
  explicit OpenLoop(Options options);
  ~OpenLoop();  // Stop()s.
  OpenLoop(const OpenLoop&) = delete;
  OpenLoop& operator=(const OpenLoop&) = delete;

  void Start();
  // Stops starting calls and waits for every call in flight to finish.
  void Stop();
  std::vector<CallRecord> Records() const;
  // Calls started and not yet answered.
  int64_t in_flight() const { return in_flight_.load(); }

 private:
  struct Call;
  void Pace();
  void Finish(Call* call, const grpc::Status& status);

  const Options options_;
  std::vector<std::unique_ptr<v1::FaceService::Stub>> stubs_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> in_flight_{0};
  mutable absl::Mutex mu_;
  std::vector<CallRecord> records_ ABSL_GUARDED_BY(mu_);
  std::thread pacer_;
};

}  // namespace reliability
}  // namespace facet

#endif  // FACET_TESTS_RELIABILITY_LOAD_GENERATOR_H_
