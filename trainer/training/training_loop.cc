#include "trainer/training/training_loop.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "trainer/training/progress_reporter.h"
#include "trainer/training/validation.h"

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

int RunTrainingLoop(const TrainingLoopParts& parts,
                    const TrainingLoopOptions& options) {
  FpnTrainer& t = *parts.trainer;
  Communicator* comm = parts.communicator;
  const bool leader = comm == nullptr || comm->rank() == 0;
  TrainingMetrics* metrics = parts.metrics;
  ProgressReporter::Options progress_options;
  progress_options.first_step = t.step();
  progress_options.total_steps = options.steps;
  progress_options.log_every = options.log_every;
  progress_options.rank = comm != nullptr ? comm->rank() : -1;
  ProgressReporter progress(progress_options);
  auto stop_requested = [&] {
    return parts.stop_requested != nullptr && parts.stop_requested->load();
  };
  double wait_s = 0, total_s = 0;
  int64_t window_images = 0;
  Clock::time_point window_start = Clock::now();
  double images_per_s = 0;
  TrainingBatch batch;
  int exit_code = 0;
  bool stopped = false;
  while (t.step() < options.steps) {
    if (comm != nullptr) {
      // Everyone stops after the same step when any rank was signalled.
      std::vector<double> stop = {stop_requested() ? 1.0 : 0.0};
      absl::Status s = comm->AllReduceSum(&stop, "stop request");
      if (!s.ok()) {
        progress.Line(absl::StrCat("error: ", s.message()));
        return 1;  // No checkpoint: the group is broken; resume uses the last
                   // one.
      }
      stopped = stop[0] > 0;
    } else {
      stopped = stop_requested();
    }
    if (stopped) break;
    const Clock::time_point t0 = Clock::now();
    absl::Status s = parts.loader->Next(&batch);
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
        // Non-finite: logged, counted, never published; training goes on
        // (on every rank: the losses are reduced before the decision).
        progress.Line(absl::StrCat("warning: ", r.status().message()));
        if (metrics) metrics->IncrementSkippedSteps();
        continue;
      }
      progress.Line(absl::StrCat("error: ", r.status().message()));
      if (absl::IsUnavailable(r.status()))
        return 1;  // Group broken: no checkpoint.
      exit_code = 1;
      break;
    }
    window_images +=
        batch.batch_size * (comm != nullptr ? comm->world_size() : 1);
    const double window =
        std::chrono::duration<double>(t2 - window_start).count();
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
    if (comm != nullptr && options.weight_check_every > 0 &&
        t.step() % options.weight_check_every == 0) {
      absl::Status same = t.CheckReplicasIdentical();
      if (!same.ok()) {
        progress.Line(absl::StrCat("error: ", same.message()));
        return 1;
      }
    }
    const bool last = t.step() == options.steps;
    if (!leader) continue;  // Rank 0 validates, publishes and checkpoints.
    const bool publish_now = last || (options.publish_every > 0 &&
                                      t.step() % options.publish_every == 0);
    const bool validate_now =
        publish_now ||
        (options.val_every > 0 && t.step() % options.val_every == 0);
    std::map<std::string, double> manifest_metrics;
    if (validate_now) {
      auto report =
          Validate(t, *parts.validation, options.validation_batch_size,
                   options.validation_batches, options.validation_seed);
      if (!report.ok()) {
        progress.Line(
            absl::StrCat("error: validation: ", report.status().message()));
        exit_code = 1;
        break;
      }
      progress.Line(absl::StrFormat(
          "validation step=%d miou=%.4f majority_baseline_miou=%.4f "
          "pixel_accuracy=%.4f "
          "psnr_db=%.2f",
          t.step(), report->mean_iou, report->majority_baseline_miou,
          report->pixel_accuracy, report->psnr_db));
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
          weights.ok() ? parts.publisher->MaybePublish(
                             *weights, t.config(), t.step(), manifest_metrics)
                       : absl::StatusOr<int64_t>(weights.status());
      if (!version.ok()) {
        progress.Line(absl::StrCat("warning: publish failed at step ", t.step(),
                                   ": ", version.status().message()));
        if (metrics) {
          metrics->IncrementPublishFailures(
              WriteFailureReason(version.status()));
        }
      } else if (*version > 0) {
        progress.Line(
            absl::StrCat("published version=", *version, " step=", t.step(),
                         " dir=", options.published_to, "/", *version));
        if (metrics) metrics->SetPublishedVersion(*version);
      } else {
        progress.Line(absl::StrCat("not published at step ", t.step(),
                                   " (policy best: no improvement over ",
                                   parts.publisher->best_miou(), ")"));
      }
    }
    if (options.checkpoint_every > 0 &&
        t.step() % options.checkpoint_every == 0 && !last) {
      absl::Status c = t.SaveCheckpoint(options.checkpoint_dir);
      if (!c.ok()) {
        progress.Line(absl::StrCat("warning: checkpoint failed at step ",
                                   t.step(), ": ", c.message(),
                                   "; the previous training state stays"));
        if (metrics)
          metrics->IncrementCheckpointFailures(WriteFailureReason(c));
      }
    }
  }
  if (leader) {
    absl::Status c = t.SaveCheckpoint(options.checkpoint_dir);
    if (!c.ok()) {
      progress.Line(
          absl::StrCat("error: final checkpoint failed: ", c.message()));
      exit_code = 1;
    }
  }
  progress.Line(absl::StrCat(
      stopped ? "stopped by signal" : "finished", " at step ", t.step(),
      leader ? absl::StrCat("; training state in ", options.checkpoint_dir)
             : std::string(),
      "; data_wait=",
      absl::StrFormat("%.3f", total_s > 0 ? wait_s / total_s : 0)));
  return exit_code;
}

}  // namespace facet
