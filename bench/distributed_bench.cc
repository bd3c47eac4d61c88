// facet-bench-distributed: the gradient all-reduce of data-parallel
// training (trainer/distributed/) on this machine.
//
// Two ranks (threads, each with its own c10d Gloo process group on
// loopback) all-reduce gradients shaped like a network's parameters, in
// ~25 MiB flattened buckets as GradientAllReducer does (all buckets
// started, then all awaited): the communication a step adds when nothing
// overlaps it. Prints the median and range over --reps repetitions after
// one warm-up. Both ranks share this machine's cores with each other.
//
// --smoke: the tiny network, two repetitions (a check that it runs).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/run_stats.h"
#include "core/model/face_parsing_net.h"
#include "tests/util/free_port.h"
#include "trainer/distributed/process_group_setup.h"

ABSL_FLAG(bool, smoke, false, "Tiny network, two repetitions.");
ABSL_FLAG(std::string, preset, "published",
          "Network whose gradients are reduced.");
ABSL_FLAG(int32_t, reps, 10, "Timed repetitions (after one warm-up).");
ABSL_FLAG(double, bucket_mb, 25, "Bucket size in MiB.");
ABSL_FLAG(int32_t, threads, 1, "Intra-op threads (the bucket flattening).");

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

int Run() {
  const bool smoke = absl::GetFlag(FLAGS_smoke);
  const std::string preset = smoke ? "tiny" : absl::GetFlag(FLAGS_preset);
  const int reps = smoke ? 2 : std::max(1, absl::GetFlag(FLAGS_reps));
  const size_t bucket_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_bucket_mb) * (1 << 20));
  torch::set_num_threads(std::max(1, absl::GetFlag(FLAGS_threads)));
  auto config = NetConfigPreset(preset);
  if (!config.ok()) {
    std::fprintf(stderr, "error: --preset=%s: %s\n", preset.c_str(),
                 config.status().message().c_str());
    return 2;
  }
  std::vector<int64_t> sizes;
  int64_t params = 0;
  {
    FaceParsingNet net(*config);
    for (const auto& p : net->parameters()) {
      sizes.push_back(p.numel());
      params += p.numel();
    }
  }
  // Buckets in reverse parameter order, as the reducer builds them.
  std::vector<int64_t> buckets;
  size_t bytes = 0;
  for (size_t k = sizes.size(); k-- > 0;) {
    const size_t b = sizes[k] * sizeof(float);
    if (buckets.empty() || (bytes > 0 && bytes + b > bucket_bytes)) {
      buckets.push_back(0);
      bytes = 0;
    }
    buckets.back() += sizes[k];
    bytes += b;
  }
  const int port = testing::FreeLoopbackPort();
  std::vector<double> seconds;
  std::string failure;
  auto rank_main = [&](int rank) {
    DistributedEnv env;
    env.enabled = true;
    env.master_addr = "127.0.0.1";
    env.master_port = port;
    env.world_size = 2;
    env.rank = rank;
    CommunicatorOptions options;
    options.collective_timeout_s = 120;
    auto c = Communicator::Connect(env, options);
    if (!c.ok()) {
      failure = std::string(c.status().message());
      return;
    }
    std::vector<torch::Tensor> grads;
    for (int64_t n : buckets) grads.push_back(torch::randn({n}));
    for (int r = 0; r < reps + 1; ++r) {
      std::vector<double> barrier = {1};
      if (!(*c)->AllReduceSum(&barrier, "barrier").ok()) return;
      const Clock::time_point t0 = Clock::now();
      std::vector<std::unique_ptr<Communicator::Pending>> pending;
      for (size_t b = 0; b < grads.size(); ++b) {
        torch::Tensor flat =
            grads[b].mul(0.5);  // The reducer's copy + 1/world scale.
        grads[b] = flat;
        pending.push_back((*c)->AllReduceSumAsync(grads[b], "bucket"));
      }
      for (auto& p : pending) {
        absl::Status s = p->Wait();
        if (!s.ok()) {
          failure = std::string(s.message());
          return;
        }
      }
      if (rank == 0 && r > 0)
        seconds.push_back(
            std::chrono::duration<double>(Clock::now() - t0).count());
    }
  };
  std::thread r1(rank_main, 1);
  rank_main(0);
  r1.join();
  if (!failure.empty()) {
    std::fprintf(stderr, "error: %s\n", failure.c_str());
    return 1;
  }
  const RunStats s = Summarize(seconds);
  std::printf(
      "gradient all-reduce, 2 ranks on loopback (Gloo; both ranks share this "
      "machine's cores)\n"
      "network=%s parameters=%lld (%.1f M) bytes=%.1f MiB buckets=%zu (%.0f "
      "MiB each at most)\n"
      "allreduce_ms_per_step median=%.1f min=%.1f max=%.1f reps=%d "
      "effective_GBps=%.2f\n",
      preset.c_str(), (long long)params, params / 1e6, params * 4.0 / (1 << 20),
      buckets.size(), bucket_bytes / double(1 << 20), s.median * 1e3,
      s.min * 1e3, s.max * 1e3, reps, params * 4.0 / s.median / 1e9);
  return 0;
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return facet::Run();
}
