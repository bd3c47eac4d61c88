// facet-bench-model: inference speed of FaceParser on this machine.
//
//   forward   one face through the published network (512 px), the plain
//             path against BatchNorm folded into the convolutions, runs
//             interleaved; median and range of each, and the speed-up.
//   batching  images/s at batch sizes 1, 2, 4 (folded path).
//
// --smoke runs one iteration of each on the tiny network, for the tests.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/run_stats.h"
#include "core/model/face_parser.h"
#include "core/model/face_parsing_net.h"
#include "core/model/state_dict.h"

ABSL_FLAG(bool, smoke, false, "Run one iteration of everything on the tiny network.");
ABSL_FLAG(int32_t, runs, 5, "Interleaved runs per path.");
ABSL_FLAG(std::string, preset, "published", "Network measured.");

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

double TimeParse(const FaceParser& parser, const std::vector<RgbImageView>& batch) {
  const auto t0 = Clock::now();
  auto r = parser.Parse(batch);
  if (!r.ok()) {
    std::fprintf(stderr, "error: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace facet;
  const bool smoke = absl::GetFlag(FLAGS_smoke);
  auto config = NetConfigPreset(smoke ? "tiny" : absl::GetFlag(FLAGS_preset));
  if (!config.ok()) return 2;
  torch::manual_seed(1);
  FaceParsingNet net(*config);
  RawTensorMap weights = ExtractStateDict(net);
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  FaceParserOptions plain_options;
  plain_options.config = *config;
  plain_options.device = "cpu";
  plain_options.intra_op_threads = threads;
  plain_options.fold_batch_norm = false;
  FaceParserOptions folded_options = plain_options;
  folded_options.fold_batch_norm = true;
  auto plain = FaceParser::Create(weights, plain_options);
  auto folded = FaceParser::Create(weights, folded_options);
  if (!plain.ok() || !folded.ok()) return 1;
  const int64_t s = config->in_size;
  std::vector<uint8_t> pixels(s * s * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 31 + 7);
  const RgbImageView face{pixels.data(), s, s};
  const int runs = smoke ? 1 : absl::GetFlag(FLAGS_runs);
  std::printf("forward: network %s, %lld px, %d threads, %d interleaved runs\n",
              config->ToString().c_str(), static_cast<long long>(s), threads, runs);
  TimeParse(**plain, {face});  // Warm-up.
  TimeParse(**folded, {face});
  std::vector<double> p, f;
  for (int r = 0; r < runs; ++r) {
    p.push_back(TimeParse(**plain, {face}));
    f.push_back(TimeParse(**folded, {face}));
  }
  const RunStats ps = Summarize(p), fs = Summarize(f);
  std::printf("  plain       median %.3f s  range %.3f-%.3f\n", ps.median, ps.min, ps.max);
  std::printf("  BN folded   median %.3f s  range %.3f-%.3f\n", fs.median, fs.min, fs.max);
  std::printf("  speed-up    %.2fx\n", ps.median / fs.median);
  std::printf("batching (BN folded):\n");
  for (int n : {1, 2, 4}) {
    std::vector<RgbImageView> batch(n, face);
    std::vector<double> t;
    for (int r = 0; r < (smoke ? 1 : 2); ++r) t.push_back(TimeParse(**folded, batch));
    std::printf("  batch %d    %.2f images/s\n", n, n / Summarize(t).median);
  }
  return 0;
}
