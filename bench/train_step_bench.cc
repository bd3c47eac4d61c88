// facet-bench-train: the trainer's speed on this machine.
//
//   training step   one Adam step of the demo network (preset "small",
//                   batch 8), C++ (FpnTrainer) against the same network and
//                   losses in Debian's torch (tests/python/train_step_baseline.py),
//                   same thread count, warm-up steps excluded, runs
//                   interleaved; median and range of each, and the ratio
//                   Python time / C++ time (target >= 1.0).
//   data wait       fraction of a training loop's wall time spent waiting
//                   for DataLoader batches (synthetic faces degraded
//                   online) with the default thread budget (target < 5 %).
//
// --smoke runs one short iteration of each, for the tests.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "bench/run_stats.h"
#include "core/engine/usable_cores.h"
#include "core/flags/parse_flags.h"
#include "nlohmann/json.hpp"
#include "trainer/data/data_loader.h"
#include "trainer/data/synthetic_faces.h"
#include "trainer/data/thread_budget.h"
#include "trainer/training/fpn_trainer.h"
#include "trainer/training/training_malloc_policy.h"

ABSL_FLAG(bool, smoke, false, "Run one short iteration of everything and exit.");
ABSL_FLAG(int32_t, runs, 5, "Interleaved runs of each side.");
ABSL_FLAG(int32_t, steps, 5, "Timed steps per run (after 2 warm-up steps).");
ABSL_FLAG(int32_t, loop_steps, 30, "Steps of the data-wait measurement.");
ABSL_FLAG(std::string, preset, "small", "Network measured.");

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

TrainingBatch RandomBatch(int n, int s, int classes) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  TrainingBatch b;
  b.batch_size = n;
  b.image_size = s;
  b.lq.resize(size_t(n) * 3 * s * s);
  b.hq.resize(b.lq.size());
  b.labels.resize(size_t(n) * s * s);
  for (auto& x : b.lq) x = u(rng);
  for (auto& x : b.hq) x = u(rng);
  for (auto& x : b.labels) x = rng() % classes;
  return b;
}

// Median seconds per C++ step over `steps` steps after 2 warm-up steps.
double CppRun(const NetConfig& config, int threads, int steps) {
  FpnTrainerOptions o;
  o.config = config;
  o.device = "cpu";
  o.threads = threads;
  auto t = FpnTrainer::Create(o, nullptr);
  if (!t.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(t.status().message()).c_str());
    std::exit(1);
  }
  TrainingBatch b = RandomBatch(8, static_cast<int>(config.in_size), 19);
  std::vector<double> times;
  for (int i = 0; i < 2 + steps; ++i) {
    const auto t0 = Clock::now();
    if (!(*t)->Step(b).ok()) std::exit(1);
    if (i >= 2) times.push_back(Seconds(Clock::now() - t0));
  }
  return Summarize(times).median;
}

double PythonRun(const NetConfig& c, int threads, int steps) {
  const char* src = std::getenv("FACET_SOURCE_DIR");
  const std::string cmd = absl::StrCat(
      "/usr/bin/python3 ", src ? src : ".", "/tests/python/train_step_baseline.py --config ",
      c.in_size, ",", c.out_size, ",", c.min_feat_size, ",", c.base_ch, ",", c.parsing_ch, ",",
      c.res_depth, ",", c.ch_lo, ",", c.ch_hi, " --batch 8 --threads ", threads,
      " --warmup 2 --steps ", steps);
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (pipe && fgets(buf, sizeof(buf), pipe)) out += buf;
  if (!pipe || pclose(pipe) != 0) {
    std::fprintf(stderr, "error: the Python baseline failed: %s\n", cmd.c_str());
    return -1;
  }
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) return -1;
  return Summarize(j["step_seconds"].get<std::vector<double>>()).median;
}

double DataWaitFraction(const NetConfig& config, int steps) {
  const int cores = UsableCores();
  ThreadBudget budget = PlanThreadBudget(cores);
  SyntheticFaceSet::Options so;
  auto set = SyntheticFaceSet::Create(so);
  DataLoader::Options lo;
  lo.batch_size = 8;
  lo.num_workers = budget.loader_threads;
  lo.degradation.net_size = static_cast<int>(config.in_size);
  auto loader = DataLoader::Create(set->get(), lo);
  FpnTrainerOptions o;
  o.config = config;
  o.device = "cpu";
  o.threads = budget.intra_op_threads;
  auto t = FpnTrainer::Create(o, nullptr);
  if (!loader.ok() || !t.ok()) std::exit(1);
  double wait = 0, total = 0;
  TrainingBatch b;
  for (int i = 0; i < steps; ++i) {
    const auto t0 = Clock::now();
    if (!(*loader)->Next(&b).ok()) std::exit(1);
    const auto t1 = Clock::now();
    if (!(*t)->Step(b).ok()) std::exit(1);
    // The first batch waits for the pipeline to fill; it is not steady state.
    if (i > 0) {
      wait += Seconds(t1 - t0);
      total += Seconds(Clock::now() - t0);
    }
  }
  std::printf("data wait: %.2f %% of the loop (%d loader + %d intra-op threads, %d steps)\n",
              total > 0 ? 100 * wait / total : 0.0, budget.loader_threads,
              budget.intra_op_threads, steps - 1);
  return total > 0 ? wait / total : 0;
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  facet::ParseFlags(argc, argv);
  using namespace facet;
  // As `facet-trainer train` runs (training_malloc_policy.h).
  std::printf("malloc: %s\n", ApplyTrainingMallocPolicy().c_str());
  const bool smoke = absl::GetFlag(FLAGS_smoke);
  auto config = NetConfigPreset(smoke ? "tiny" : absl::GetFlag(FLAGS_preset));
  if (!config.ok()) return 2;
  const int threads = UsableCores();
  const int runs = smoke ? 1 : absl::GetFlag(FLAGS_runs);
  const int steps = smoke ? 1 : absl::GetFlag(FLAGS_steps);
  std::printf("training step: network %s, batch 8, %d threads, %d interleaved runs of %d steps\n",
              config->ToString().c_str(), threads, runs, steps);
  std::vector<double> cpp, py;
  for (int r = 0; r < runs; ++r) {
    cpp.push_back(CppRun(*config, threads, steps));
    const double p = PythonRun(*config, threads, steps);
    if (p < 0) return 1;
    py.push_back(p);
  }
  RunStats c = Summarize(cpp), p = Summarize(py);
  std::printf("  C++ (FpnTrainer)   median %.4f s/step  range %.4f-%.4f\n", c.median, c.min, c.max);
  std::printf("  Python (torch)     median %.4f s/step  range %.4f-%.4f\n", p.median, p.min, p.max);
  std::printf("  ratio Python/C++   %.2fx (target >= 1.0x)\n", p.median / c.median);
  DataWaitFraction(*config, smoke ? 2 : absl::GetFlag(FLAGS_loop_steps));
  return 0;
}
