// facet-bench-model: inference speed of the forward engines on this machine.
//
//   forward   one face through the published network (512 px): the engine
//             under test (--engine, --precision) against the LibTorch engine
//             on the plain path (what PyTorch eager computes), runs
//             interleaved; median and range of each, and the ratio. With
//             --engine torch: plain against BatchNorm folded, as before.
//   precisions (--precisions fp32,bf16,int8) the onednn engine at each
//             precision side by side, runs interleaved (rotating the order),
//             median and range of each and the ratio to fp32; precisions the
//             CPU lacks are named and skipped. int8 ranges come from
//             calibrating on the benchmark face (they set the grid, not the
//             speed).
//   batching  per-image rate of the engine under test at batch 1, 2, 4.
//   profile   (--profile, onednn engine) time of every step of one forward:
//             layer, kind, implementation, ms, GFLOP/s, share; then totals
//             per kind.
//
// --smoke runs one iteration of each on the tiny network, for the tests.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "bench/run_stats.h"
#include "core/engine/face_engine_factory.h"
#include "core/flags/parse_flags.h"
#include "core/model/face_parsing_net.h"
#include "core/model/state_dict.h"
#ifdef FACET_HAVE_ONEDNN
#include "core/onednn/int8_calibrator.h"
#include "core/onednn/onednn_face_engine.h"
#endif

ABSL_FLAG(bool, smoke, false, "Run one iteration of everything on the tiny network.");
ABSL_FLAG(int32_t, runs, 5, "Interleaved runs per engine.");
ABSL_FLAG(std::string, preset, "published", "Network measured.");
ABSL_FLAG(std::string, engine, "auto", "Engine under test: auto, onednn or torch.");
ABSL_FLAG(std::string, precision, "fp32", "Precision of the engine under test.");
ABSL_FLAG(int32_t, threads, 0, "Forward threads; 0 = every usable core.");
ABSL_FLAG(bool, profile, false, "Per-layer profile of the onednn engine.");
ABSL_FLAG(bool, compare, true, "Interleave with the torch engine (plain path).");
ABSL_FLAG(std::string, batches, "1,2,4", "Batch sizes of the batching section.");
ABSL_FLAG(
    std::string, precisions, "",
    "Also time the onednn engine at these precisions side by side, interleaved "
    "(e.g. fp32,bf16,int8); empty = skip.");

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double ProcessCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Wall seconds of one Parse; adds its process CPU seconds to `*cpu`.
double TimeParse(const FaceEngine& engine, const std::vector<RgbImageView>& batch,
                 std::vector<double>* cpu = nullptr) {
  const double c0 = ProcessCpuSeconds();
  const auto t0 = Clock::now();
  auto r = engine.Parse(batch);
  if (!r.ok()) {
    std::fprintf(stderr, "error: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  if (cpu) cpu->push_back(ProcessCpuSeconds() - c0);
  return wall;
}

std::unique_ptr<FaceEngine> Create(const RawTensorMap& weights, EngineOptions options) {
  const auto t0 = Clock::now();
  auto engine = CreateFaceEngine(weights, options);
  if (!engine.ok()) {
    std::fprintf(stderr, "error: %s\n", engine.status().ToString().c_str());
    std::exit(1);
  }
  std::printf("  loaded in %.2f s: %s\n",
              std::chrono::duration<double>(Clock::now() - t0).count(),
              (*engine)->Describe().c_str());
  return std::move(*engine);
}

#ifdef FACET_HAVE_ONEDNN
void Profile(const FaceEngine& engine, const RgbImageView& face, int runs) {
  // Per step, the median over `runs` profiled forwards.
  std::vector<std::vector<OnednnLayerTime>> all;
  for (int r = 0; r < runs; ++r) {
    auto p = ProfileOnednnForward(engine, {face});
    if (!p.ok()) {
      std::fprintf(stderr, "error: %s\n", p.status().ToString().c_str());
      std::exit(1);
    }
    all.push_back(*p);
  }
  std::vector<OnednnLayerTime> steps = all[0];
  double total = 0, total_cpu = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    std::vector<double> t, c;
    for (const auto& run : all) {
      t.push_back(run[i].seconds);
      c.push_back(run[i].cpu_seconds);
    }
    steps[i].seconds = Summarize(t).median;
    steps[i].cpu_seconds = Summarize(c).median;
    total += steps[i].seconds;
    total_cpu += steps[i].cpu_seconds;
  }
  std::printf("profile (onednn, batch 1, median of %d per step): total %.3f s wall, %.3f s CPU\n",
              runs, total, total_cpu);
  std::printf("  %-26s %-6s %-30s %8s %8s %8s %6s\n", "layer", "kind", "impl", "ms", "cpu ms",
              "GFLOP/s", "share");
  struct Sum {
    double seconds = 0, cpu = 0, gflop = 0;
  };
  std::map<std::string, Sum> by_kind;
  for (const OnednnLayerTime& s : steps) {
    std::printf("  %-26s %-6s %-30s %8.2f %8.2f %8.0f %5.1f%%\n", s.name.c_str(), s.kind.c_str(),
                s.impl.c_str(), s.seconds * 1e3, s.cpu_seconds * 1e3,
                s.gflop > 0 ? s.gflop / s.seconds : 0.0, 100 * s.seconds / total);
    Sum& k = by_kind[s.kind];
    k.seconds += s.seconds;
    k.cpu += s.cpu_seconds;
    k.gflop += s.gflop;
  }
  std::printf("  by kind:\n");
  for (const auto& [kind, v] : by_kind) {
    std::printf("  %-8s %9.1f ms wall %9.1f ms CPU %6.1f%%", kind.c_str(), v.seconds * 1e3,
                v.cpu * 1e3, 100 * v.seconds / total);
    if (v.gflop > 0) std::printf("  %.0f GFLOP, %.0f GFLOP/s", v.gflop, v.gflop / v.seconds);
    std::printf("\n");
  }
}
#endif

// int8 activation ranges of `weights` from one fp32 forward of `face`,
// written to a temporary file (removed at exit); its path.
std::string Int8ScalesFile(const RawTensorMap& weights, const NetConfig& config,
                           const RgbImageView& face, int threads) {
#ifdef FACET_HAVE_ONEDNN
  static std::string path;
  if (!path.empty()) return path;
  auto calibrator = Int8Calibrator::Create(weights, config, threads);
  if (!calibrator.ok() || !(*calibrator)->Add({face}).ok()) {
    std::fprintf(stderr, "error: int8 calibration: %s\n",
                 calibrator.ok() ? "forward failed"
                                 : calibrator.status().ToString().c_str());
    std::exit(1);
  }
  auto scales = (*calibrator)->Scales(kDefaultInt8Method, "benchmark face");
  path =
      "/tmp/facet-bench-model-" + std::to_string(getpid()) + kInt8ScalesSuffix;
  if (!scales.ok() || !WriteInt8ScalesFile(path, *scales).ok()) {
    std::fprintf(stderr, "error: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  std::atexit([] { std::remove(path.c_str()); });
  return path;
#else
  (void)weights, (void)config, (void)face, (void)threads;
  return "";
#endif
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The precisions section (see the file comment).
void ComparePrecisions(const RawTensorMap& weights, const EngineOptions& base,
                       const RgbImageView& face, int runs) {
  std::printf(
      "precisions (onednn, batch 1, %lld px, %d threads, %d interleaved "
      "runs):\n",
      static_cast<long long>(base.config.in_size), base.threads, runs);
  std::printf("  machine load before (1/5/15 min): %s\n",
              LoadAverage().c_str());
  struct Entry {
    std::string precision;
    std::unique_ptr<FaceEngine> engine;
    std::vector<double> wall, cpu;
  };
  std::vector<Entry> entries;
  for (const std::string& precision :
       SplitList(absl::GetFlag(FLAGS_precisions))) {
    EngineOptions o = base;
    o.engine = "onednn";
    o.precision = precision;
    if (precision == "int8") {
      o.int8_scales_path =
          Int8ScalesFile(weights, base.config, face, base.threads);
    }
    auto engine = CreateFaceEngine(weights, o);
    if (!engine.ok()) {
      std::printf("  %-6s skipped: %s\n", precision.c_str(),
                  engine.status().message().c_str());
      continue;
    }
    std::printf("  %-6s %s\n", precision.c_str(),
                (*engine)->Describe().c_str());
    entries.push_back({precision, std::move(*engine), {}, {}});
  }
  for (Entry& e : entries) TimeParse(*e.engine, {face});  // Warm-up.
  for (int i = 0; i < runs; ++i) {
    for (size_t k = 0; k < entries.size(); ++k) {
      Entry& e = entries[(i + k) % entries.size()];
      e.wall.push_back(TimeParse(*e.engine, {face}, &e.cpu));
    }
  }
  double fp32 = 0;
  for (const Entry& e : entries) {
    if (e.precision == "fp32") fp32 = Summarize(e.wall).median;
  }
  for (const Entry& e : entries) {
    const RunStats w = Summarize(e.wall);
    std::printf("  onednn %-6s median %.3f s  range %.3f-%.3f  (CPU %.3f s)",
                e.precision.c_str(), w.median, w.min, w.max,
                Summarize(e.cpu).median);
    if (fp32 > 0) std::printf("  %.2fx fp32", fp32 / w.median);
    std::printf("\n");
  }
  std::printf("  machine load after (1/5/15 min): %s\n", LoadAverage().c_str());
}

std::vector<int> ParseBatches(const std::string& s) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    out.push_back(std::stoi(s.substr(pos, end - pos)));
    pos = end + 1;
  }
  return out;
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  facet::ParseFlags(argc, argv);
  using namespace facet;
  const bool smoke = absl::GetFlag(FLAGS_smoke);
  auto config = NetConfigPreset(smoke ? "tiny" : absl::GetFlag(FLAGS_preset));
  if (!config.ok()) return 2;
  torch::manual_seed(1);
  FaceParsingNet net(*config);
  RawTensorMap weights = ExtractStateDict(net);
  const int threads =
      absl::GetFlag(FLAGS_threads) > 0 ? absl::GetFlag(FLAGS_threads) : UsableCores();
  const int64_t s = config->in_size;
  std::vector<uint8_t> pixels(s * s * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 31 + 7);
  const RgbImageView face{pixels.data(), s, s};
  const int runs = smoke ? 1 : absl::GetFlag(FLAGS_runs);
  std::printf("machine load (1/5/15 min): %s\n", LoadAverage().c_str());

  EngineOptions test_options;
  test_options.config = *config;
  test_options.device = "cpu";
  test_options.engine = absl::GetFlag(FLAGS_engine);
  test_options.precision = absl::GetFlag(FLAGS_precision);
  test_options.threads = threads;
  if (test_options.precision == "int8") {
    test_options.int8_scales_path =
        Int8ScalesFile(weights, *config, face, threads);
  }
  std::printf("engine under test (--engine %s --precision %s):\n", test_options.engine.c_str(),
              test_options.precision.c_str());
  std::unique_ptr<FaceEngine> test = Create(weights, test_options);
  const bool test_is_torch = test->engine() == "torch";

  EngineOptions ref_options = test_options;
  ref_options.engine = "torch";
  ref_options.precision = "fp32";
  ref_options.fold_batch_norm = false;
  if (test_is_torch) test = nullptr;  // Rebuilt below on the plain path.
  std::unique_ptr<FaceEngine> ref;
  if (test_is_torch || absl::GetFlag(FLAGS_compare)) {
    std::printf("reference: torch, plain path (PyTorch eager's arithmetic):\n");
    ref = Create(weights, ref_options);
  }
  if (test_is_torch) {
    EngineOptions folded = ref_options;
    folded.fold_batch_norm = true;
    std::printf("under test: torch, BatchNorm folded:\n");
    test = Create(weights, folded);
  }

  std::printf("forward: network %s, %lld px, batch 1, %d threads, %d interleaved runs\n",
              config->ToString().c_str(), static_cast<long long>(s), threads, runs);
  TimeParse(*test, {face});  // Warm-up.
  if (ref) TimeParse(*ref, {face});
  std::vector<double> t, r, ratio, tc, rc;
  for (int i = 0; i < runs; ++i) {
    t.push_back(TimeParse(*test, {face}, &tc));
    if (ref) {
      r.push_back(TimeParse(*ref, {face}, &rc));
      ratio.push_back(r.back() / t.back());
    }
  }
  const RunStats ts = Summarize(t);
  const std::string name = test->engine() + " " + test->precision() +
                           (test_is_torch ? " folded" : "");
  std::printf("  %-22s median %.3f s  range %.3f-%.3f  (CPU %.3f s)\n", name.c_str(), ts.median,
              ts.min, ts.max, Summarize(tc).median);
  if (ref) {
    const RunStats rs = Summarize(r), qs = Summarize(ratio);
    std::printf("  %-22s median %.3f s  range %.3f-%.3f  (CPU %.3f s)\n", "torch fp32 plain",
                rs.median, rs.min, rs.max, Summarize(rc).median);
    std::printf("  speed-up vs torch plain: %.2fx (ratio of medians; per pair %.2f-%.2fx)\n",
                rs.median / ts.median, qs.min, qs.max);
  }
  if (!absl::GetFlag(FLAGS_precisions).empty() || smoke) {
    if (smoke) absl::SetFlag(&FLAGS_precisions, "fp32,bf16,int8");
    EngineOptions base = test_options;
    base.int8_scales_path.clear();
    ComparePrecisions(weights, base, face, runs);
  }
  std::printf("batching (%s):\n", name.c_str());
  double rate1 = 0;
  for (int n : ParseBatches(absl::GetFlag(FLAGS_batches))) {
    std::vector<RgbImageView> batch(n, face);
    TimeParse(*test, batch);  // Plan and workspace for this size.
    std::vector<double> bt;
    for (int i = 0; i < (smoke ? 1 : std::max(2, runs / 2)); ++i) {
      bt.push_back(TimeParse(*test, batch));
    }
    const RunStats bs = Summarize(bt);
    const double rate = n / bs.median;
    if (rate1 == 0) rate1 = rate;
    std::printf("  batch %d    %.3f images/s (median %.3f s, range %.3f-%.3f; %.2fx batch %d)\n",
                n, rate, bs.median, bs.min, bs.max, rate / rate1,
                ParseBatches(absl::GetFlag(FLAGS_batches))[0]);
  }
  if (absl::GetFlag(FLAGS_profile) || smoke) {
#ifdef FACET_HAVE_ONEDNN
    if (test->engine() == "onednn") Profile(*test, face, smoke ? 1 : 3);
#endif
  }
  std::printf("machine load (1/5/15 min): %s\n", LoadAverage().c_str());
  return 0;
}
