#include "trainer/train_command.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/engine/face_engine_factory.h"
#include "core/engine/openmp_wait.h"
#include "core/image/label_palette.h"
#include "core/repository/weights_loader.h"
#include "core/status/model_status_conversion.h"
#include "glog/logging.h"
#include "trainer/data/data_loader.h"
#include "trainer/data/thread_budget.h"
#include "trainer/trainer_flags.h"
#include "trainer/training/checkpoint_publisher.h"
#include "trainer/training/face_data_source.h"
#include "trainer/training/fpn_trainer.h"
#include "trainer/training/training_metrics.h"

ABSL_FLAG(int64_t, steps, 90000, "train: steps to run (the paper: 90,000).");
ABSL_FLAG(int32_t, batch_size, 8, "train: faces per step (the paper: 8).");
ABSL_FLAG(double, lr, 2e-4, "train: Adam learning rate (the paper: 2e-4).");
ABSL_FLAG(std::string, lr_schedule, "constant", "train: constant or cosine.");
ABSL_FLAG(std::string, pixel_loss, "l2",
          "train: pixel loss of the image head, l2 (the paper) or l1 (upstream code).");
ABSL_FLAG(double, parsing_weight, 1.0, "train: weight of the parsing cross-entropy.");
ABSL_FLAG(double, pixel_weight, 1.0, "train: weight of the pixel loss.");
ABSL_FLAG(double, grad_clip, 0, "train: clip the global gradient norm (0 = off).");
ABSL_FLAG(std::string, init_weights, "",
          "train: start from these weights (version folder, .safetensors or upstream .pth).");
ABSL_FLAG(int64_t, val_every, 500, "train: validate every N steps (0 = only at the end).");
ABSL_FLAG(int32_t, val_batches, 4, "train/evaluate: validation batches per evaluation.");
ABSL_FLAG(int64_t, publish_every, 1000, "train: publish every N steps (0 = only at the end).");
ABSL_FLAG(std::string, publish_policy, "every",
          "train: every (each publish point) or best (only when validation mIoU improves).");
ABSL_FLAG(int32_t, keep_versions, 5, "train: versions kept in REPO/MODEL (0 = all).");
ABSL_FLAG(std::string, checkpoint_dir, "",
          "train: training-state folder (default: REPO/.train-MODEL).");
ABSL_FLAG(int64_t, checkpoint_every, 500, "train: save the training state every N steps.");
ABSL_FLAG(bool, resume, false, "train: continue from the training state in --checkpoint_dir.");
ABSL_FLAG(int32_t, metrics_port, -1, "train: Prometheus /metrics port (0 = any free, -1 = off).");
ABSL_FLAG(int32_t, loader_threads, -1,
          "train: data-loading threads, sharing the cores with the network "
          "(-1 = a quarter of the usable cores, at least one; 0 = load on the "
          "training thread).");
ABSL_FLAG(int64_t, log_every, 20, "train: steps between log lines when not on a terminal.");

namespace facet {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop_requested{false};

extern "C" void OnStopSignal(int) { g_stop_requested.store(true); }

std::vector<std::string> LabelNames() {
  std::vector<std::string> names;
  for (int i = 0; i < kNumLabels; ++i) names.push_back(Label(i).name);
  return names;
}

// Validation: the same degraded held-out faces every time (fixed seed, no
// shuffling), so successive numbers compare.
absl::StatusOr<SegmentationReport> Validate(FpnTrainer& trainer, const FaceDataset& dataset,
                                            int batch_size, int batches, uint64_t seed) {
  DataLoader::Options options;
  options.batch_size = batch_size;
  options.num_workers = 0;
  options.shuffle = false;
  options.seed = seed;
  options.degradation.net_size = static_cast<int>(trainer.config().in_size);
  auto loader = DataLoader::Create(&dataset, options);
  if (!loader.ok()) return loader.status();
  SegmentationMetrics metrics(static_cast<int>(trainer.config().parsing_ch));
  TrainingBatch batch;
  for (int i = 0; i < batches; ++i) {
    absl::Status s = (*loader)->Next(&batch);
    if (!s.ok()) return s;
    s = trainer.Evaluate(batch, &metrics);
    if (!s.ok()) return s;
  }
  return metrics.Report();
}

struct TrainFlags {
  FpnTrainerOptions trainer;
  std::string repo_root, model, checkpoint_dir;
  int64_t steps = 0;
  int batch_size = 8;
};

absl::StatusOr<TrainFlags> ReadTrainFlags() {
  TrainFlags f;
  auto config = ToAbslStatusOr(NetConfigPreset(absl::GetFlag(FLAGS_preset)));
  if (!config.ok()) return config.status();
  f.trainer.config = *config;
  f.trainer.learning_rate = absl::GetFlag(FLAGS_lr);
  const std::string pixel = absl::GetFlag(FLAGS_pixel_loss);
  if (pixel != "l2" && pixel != "l1") {
    return absl::InvalidArgumentError(absl::StrCat("--pixel_loss=", pixel, ": expected l2 or l1"));
  }
  f.trainer.pixel_loss = pixel == "l2" ? PixelLoss::kL2 : PixelLoss::kL1;
  const std::string schedule = absl::GetFlag(FLAGS_lr_schedule);
  if (schedule != "constant" && schedule != "cosine") {
    return absl::InvalidArgumentError(
        absl::StrCat("--lr_schedule=", schedule, ": expected constant or cosine"));
  }
  f.trainer.schedule = schedule == "constant" ? LrSchedule::kConstant : LrSchedule::kCosine;
  f.trainer.parsing_weight = absl::GetFlag(FLAGS_parsing_weight);
  f.trainer.pixel_weight = absl::GetFlag(FLAGS_pixel_weight);
  f.trainer.grad_clip_norm = absl::GetFlag(FLAGS_grad_clip);
  f.trainer.device = absl::GetFlag(FLAGS_device);
  f.trainer.seed = absl::GetFlag(FLAGS_seed);
  f.steps = absl::GetFlag(FLAGS_steps);
  f.trainer.total_steps = f.steps;
  f.batch_size = absl::GetFlag(FLAGS_batch_size);
  if (f.steps < 1) return absl::InvalidArgumentError(absl::StrCat("--steps=", f.steps, ": expected >= 1"));
  if (f.batch_size < 1 || f.batch_size > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("--batch_size=", f.batch_size, ": expected 1..1024"));
  }
  const std::string to = absl::GetFlag(FLAGS_to);
  if (to.empty()) return absl::InvalidArgumentError("--to REPO/MODEL is required");
  const ModelDestination dest = SplitModelDestination(to);
  f.model = dest.model;
  f.repo_root = dest.repository;
  f.checkpoint_dir = absl::GetFlag(FLAGS_checkpoint_dir);
  if (f.checkpoint_dir.empty()) f.checkpoint_dir = (fs::path(f.repo_root) / (".train-" + f.model)).string();
  return f;
}

// Progress: a bar redrawn in place on a terminal, a log line per interval
// otherwise.
class ProgressReporter {
 public:
  ProgressReporter(int64_t first, int64_t total)
      : tty_(isatty(STDERR_FILENO)), first_(first), total_(total), start_(Clock::now()) {}

  void Step(const StepResult& r, double images_per_s, double data_wait) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const int64_t done = r.step - first_;
    const double eta = done > 0 ? elapsed / done * (total_ - r.step) : 0;
    if (tty_) {
      const int width = 30;
      const int filled = static_cast<int>(width * double(r.step) / total_);
      std::fprintf(stderr, "\r[%s%s] %lld/%lld loss %.4f (ce %.4f px %.4f) %.1f img/s ETA %s ",
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                   (long long)r.step, (long long)total_, r.loss, r.parsing_loss, r.pixel_loss,
                   images_per_s, FormatSeconds(eta).c_str());
      std::fflush(stderr);
    } else if (r.step % std::max<int64_t>(1, absl::GetFlag(FLAGS_log_every)) == 0 ||
               r.step == total_) {
      std::cerr << absl::StrFormat(
          "step=%d/%d loss=%.5f parsing=%.5f pixel=%.5f lr=%.3g images_per_s=%.2f "
          "data_wait=%.3f eta_s=%.0f\n",
          r.step, total_, r.loss, r.parsing_loss, r.pixel_loss, r.learning_rate, images_per_s,
          data_wait, eta);
    }
  }
  void Line(const std::string& text) {
    if (tty_) std::fprintf(stderr, "\r%*s\r", 110, "");
    std::cerr << text << "\n";
  }

 private:
  static std::string FormatSeconds(double s) {
    const int64_t t = static_cast<int64_t>(s);
    return absl::StrFormat("%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
  }
  bool tty_;
  int64_t first_, total_;
  Clock::time_point start_;
};

}  // namespace

int RunTrainCommand(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "usage: facet-trainer train --to REPO/MODEL [--preset P] [--data D] [--steps N] ...\n";
    return 2;
  }
  absl::StatusOr<TrainFlags> flags = ReadTrainFlags();
  if (!flags.ok()) {
    std::cerr << "error: " << flags.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<PublishPolicy> policy = ParsePublishPolicy(absl::GetFlag(FLAGS_publish_policy));
  if (!policy.ok()) {
    std::cerr << "error: " << policy.status().message() << "\n";
    return 2;
  }
  const int cores = UsableCores();
  const ThreadBudget budget = PlanThreadBudget(cores, absl::GetFlag(FLAGS_loader_threads),
                                               absl::GetFlag(FLAGS_threads));
  flags->trainer.threads = budget.intra_op_threads;
  LOG(INFO) << "threads: usable_cores=" << cores << " intra_op_threads=" << budget.intra_op_threads
            << " loader_threads=" << budget.loader_threads << " openmp=\"" << OpenMpWaitSetting()
            << "\" (loaders share the cores with the network; --threads, --loader_threads)";

  std::optional<LoadedWeights> init;
  if (!absl::GetFlag(FLAGS_init_weights).empty()) {
    auto loaded = LoadWeights(absl::GetFlag(FLAGS_init_weights), flags->trainer.config.in_size);
    if (!loaded.ok()) {
      std::cerr << "error: --init_weights: " << loaded.status().message() << "\n";
      return 1;
    }
    flags->trainer.config = loaded->config;  // The weights decide the architecture.
    init = *std::move(loaded);
  }
  auto trainer = FpnTrainer::Create(flags->trainer, init ? &init->tensors : nullptr);
  if (!trainer.ok()) {
    std::cerr << "error: " << trainer.status().message() << "\n";
    return 1;
  }
  FpnTrainer& t = **trainer;
  if (absl::GetFlag(FLAGS_resume)) {
    absl::Status s = t.LoadCheckpoint(flags->checkpoint_dir);
    if (s.ok()) {
      LOG(INFO) << "resumed from " << flags->checkpoint_dir << " at step " << t.step();
    } else if (absl::IsNotFound(s)) {
      LOG(INFO) << "no training state in " << flags->checkpoint_dir << "; starting at step 0";
    } else {
      std::cerr << "error: --resume: " << s.message() << "\n";
      return 1;
    }
  }
  auto data = OpenFaceDataSource(absl::GetFlag(FLAGS_data), absl::GetFlag(FLAGS_seed));
  if (!data.ok()) {
    std::cerr << "error: " << data.status().message() << "\n";
    return 1;
  }
  DataLoader::Options loader_options;
  loader_options.batch_size = flags->batch_size;
  loader_options.num_workers = budget.loader_threads;
  loader_options.seed = absl::GetFlag(FLAGS_seed);
  loader_options.first_batch = t.step();  // Resume continues the same stream.
  loader_options.degradation.net_size = static_cast<int>(t.config().in_size);
  auto loader = DataLoader::Create(data->train.get(), loader_options);
  if (!loader.ok()) {
    std::cerr << "error: " << loader.status().message() << "\n";
    return 1;
  }
  CheckpointPublisherOptions publish_options;
  publish_options.repository = flags->repo_root;
  publish_options.model = flags->model;
  publish_options.policy = *policy;
  publish_options.keep = absl::GetFlag(FLAGS_keep_versions);
  auto publisher = CheckpointPublisher::Create(publish_options);
  if (!publisher.ok()) {
    std::cerr << "error: " << publisher.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<TrainingMetrics> metrics;
  if (absl::GetFlag(FLAGS_metrics_port) >= 0) {
    auto m = TrainingMetrics::Create(absl::GetFlag(FLAGS_metrics_port));
    if (!m.ok()) {
      std::cerr << "error: " << m.status().message() << "\n";
      return 1;
    }
    metrics = *std::move(m);
    std::cerr << "metrics_port=" << metrics->port() << "\n";
  }
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  LOG(INFO) << "training " << t.config().ToString() << " on " << t.device() << " with "
            << data->train->Describe() << "; validation " << data->validation->Describe()
            << "; " << budget.loader_threads << " loader + " << flags->trainer.threads
            << " intra-op threads; publishing to " << flags->repo_root << "/" << flags->model;

  const uint64_t val_seed = absl::GetFlag(FLAGS_seed) + 7919;
  const int64_t val_every = absl::GetFlag(FLAGS_val_every);
  const int64_t publish_every = absl::GetFlag(FLAGS_publish_every);
  const int64_t checkpoint_every = absl::GetFlag(FLAGS_checkpoint_every);
  ProgressReporter progress(t.step(), flags->steps);
  double wait_s = 0, total_s = 0;
  int64_t window_images = 0;
  Clock::time_point window_start = Clock::now();
  double images_per_s = 0;
  TrainingBatch batch;
  int exit_code = 0;
  while (t.step() < flags->steps && !g_stop_requested.load()) {
    const Clock::time_point t0 = Clock::now();
    absl::Status s = (*loader)->Next(&batch);
    const Clock::time_point t1 = Clock::now();
    if (!s.ok()) {
      progress.Line(absl::StrCat("error: data: ", s.message()));
      exit_code = 1;
      break;
    }
    absl::StatusOr<StepResult> r = t.Step(batch);
    const Clock::time_point t2 = Clock::now();
    wait_s += std::chrono::duration<double>(t1 - t0).count();
    total_s += std::chrono::duration<double>(t2 - t0).count();
    if (!r.ok()) {
      if (absl::IsDataLoss(r.status())) {
        // Non-finite: logged, counted, never published; training goes on.
        progress.Line(absl::StrCat("warning: ", r.status().message()));
        if (metrics) metrics->IncrementSkippedSteps();
        continue;
      }
      progress.Line(absl::StrCat("error: ", r.status().message()));
      exit_code = 1;
      break;
    }
    window_images += batch.batch_size;
    const double window = std::chrono::duration<double>(t2 - window_start).count();
    if (window >= 2.0 || images_per_s == 0) {
      images_per_s = window_images / std::max(window, 1e-9);
      window_images = 0;
      window_start = t2;
    }
    const double data_wait = total_s > 0 ? wait_s / total_s : 0;
    progress.Step(*r, images_per_s, data_wait);
    if (metrics) {
      metrics->SetStep(r->step);
      metrics->SetLosses(r->loss, r->parsing_loss, r->pixel_loss);
      metrics->SetLearningRate(r->learning_rate);
      metrics->SetImagesPerSecond(images_per_s);
      metrics->SetDataWaitFraction(data_wait);
    }
    const bool last = t.step() == flags->steps;
    const bool publish_now = last || (publish_every > 0 && t.step() % publish_every == 0);
    const bool validate_now = publish_now || (val_every > 0 && t.step() % val_every == 0);
    std::map<std::string, double> manifest_metrics;
    if (validate_now) {
      auto report = Validate(t, *data->validation, flags->batch_size,
                             absl::GetFlag(FLAGS_val_batches), val_seed);
      if (!report.ok()) {
        progress.Line(absl::StrCat("error: validation: ", report.status().message()));
        exit_code = 1;
        break;
      }
      progress.Line(absl::StrFormat(
          "validation step=%d miou=%.4f majority_baseline_miou=%.4f pixel_accuracy=%.4f "
          "psnr_db=%.2f",
          t.step(), report->mean_iou, report->majority_baseline_miou, report->pixel_accuracy,
          report->psnr_db));
      if (last) progress.Line(report->ToTable(LabelNames()));
      if (metrics) metrics->SetValidationMiou(report->mean_iou);
      manifest_metrics = {{kValidationMiouMetric, report->mean_iou},
                          {"val_pixel_accuracy", report->pixel_accuracy},
                          {"val_psnr_db", report->psnr_db},
                          {"train_loss", r->loss}};
    }
    if (publish_now) {
      absl::StatusOr<RawTensorMap> weights = t.Weights();
      absl::StatusOr<int64_t> version =
          weights.ok() ? (*publisher)->MaybePublish(*weights, t.config(), t.step(), manifest_metrics)
                       : absl::StatusOr<int64_t>(weights.status());
      if (!version.ok()) {
        progress.Line(absl::StrCat("warning: publish failed at step ", t.step(), ": ",
                                   version.status().message()));
        if (metrics) metrics->IncrementPublishFailures();
      } else if (*version > 0) {
        progress.Line(absl::StrCat("published version=", *version, " step=", t.step(), " dir=",
                                   flags->repo_root, "/", flags->model, "/", *version));
        if (metrics) metrics->SetPublishedVersion(*version);
      } else {
        progress.Line(absl::StrCat("not published at step ", t.step(),
                                   " (policy best: no improvement over ",
                                   (*publisher)->best_miou(), ")"));
      }
    }
    if (checkpoint_every > 0 && t.step() % checkpoint_every == 0 && !last) {
      absl::Status c = t.SaveCheckpoint(flags->checkpoint_dir);
      if (!c.ok()) progress.Line(absl::StrCat("warning: checkpoint failed: ", c.message()));
    }
  }
  absl::Status c = t.SaveCheckpoint(flags->checkpoint_dir);
  if (!c.ok()) {
    progress.Line(absl::StrCat("error: final checkpoint failed: ", c.message()));
    exit_code = 1;
  }
  progress.Line(absl::StrCat(g_stop_requested.load() ? "stopped by signal" : "finished",
                             " at step ", t.step(), "; training state in ",
                             flags->checkpoint_dir, "; data_wait=",
                             absl::StrFormat("%.3f", total_s > 0 ? wait_s / total_s : 0)));
  return exit_code;
}

}  // namespace facet
