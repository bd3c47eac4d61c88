#include "trainer/train_command.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "core/engine/face_engine_factory.h"
#include "core/engine/openmp_wait.h"
#include "core/repository/weights_loader.h"
#include "core/status/model_status_conversion.h"
#include "glog/logging.h"
#include "trainer/data/data_loader.h"
#include "trainer/data/thread_budget.h"
#include "trainer/distributed/distributed_env.h"
#include "trainer/distributed/process_group_setup.h"
#include "trainer/train_memory_check.h"
#include "trainer/trainer_flags.h"
#include "trainer/training/checkpoint_publisher.h"
#include "trainer/training/face_data_source.h"
#include "trainer/training/fpn_trainer.h"
#include "trainer/training/training_loop.h"
#include "trainer/training/training_malloc_policy.h"
#include "trainer/training/training_metrics.h"
#include "trainer/training/validation.h"

ABSL_FLAG(int64_t, steps, 90000, "train: steps to run (the paper: 90,000).");
ABSL_FLAG(int32_t, batch_size, 8,
          "train: faces per step (the paper: 8); with several ranks, per "
          "rank (the global batch is batch_size x WORLD_SIZE).");
ABSL_FLAG(int32_t, micro_batch_size, 0,
          "train: faces per forward/backward within a step (gradient "
          "accumulation; 0 = the whole batch). BatchNorm then normalises per "
          "micro-batch (docs/distributed.md).");
ABSL_FLAG(bool, sync_batch_norm, false,
          "train, several ranks: BatchNorm statistics over the global batch "
          "(true) or per rank (false).");
ABSL_FLAG(double, collective_timeout, 300,
          "train, several ranks: seconds a collective waits for the slowest "
          "rank before failing with the rank named; must exceed rank 0's "
          "validation and publish time.");
ABSL_FLAG(double, connect_timeout, 60,
          "train, several ranks: seconds to reach MASTER_ADDR:MASTER_PORT and "
          "for every rank to join.");
ABSL_FLAG(int64_t, weight_check_every, 100,
          "train, several ranks: compare a weight checksum across ranks every "
          "N steps (0 = never); a mismatch stops training.");
ABSL_FLAG(double, bucket_mb, 25,
          "train, several ranks: gradient all-reduce bucket size in MiB.");
ABSL_FLAG(double, lr, 2e-4, "train: Adam learning rate (the paper: 2e-4).");
ABSL_FLAG(std::string, lr_schedule, "constant", "train: constant or cosine.");
ABSL_FLAG(int64_t, lr_schedule_steps, 0,
          "train: steps the cosine schedule spans (0: --steps). Training in "
          "stages with --resume, give every stage the last stage's --steps, "
          "so that together they follow one schedule.");
ABSL_FLAG(std::string, pixel_loss, "l2",
          "train: pixel loss of the image head, l2 (the paper) or l1 (upstream code).");
ABSL_FLAG(double, parsing_weight, 1.0, "train: weight of the parsing cross-entropy.");
ABSL_FLAG(double, pixel_weight, 1.0, "train: weight of the pixel loss.");
ABSL_FLAG(double, part_loss_weight, 1.0,
          "train: weight of the parsing loss on the inner face parts (nose, "
          "eyes, brows, mouth, lips) against the other classes; 1 = the "
          "paper's plain cross-entropy (the demo uses 6: docs/fidelity.md).");
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
ABSL_FLAG(int32_t, metrics_port, -1,
          "train: Prometheus /metrics port (0 = any free, -1 = off); with "
          "several ranks on one machine, each serves port + LOCAL_RANK.");
ABSL_FLAG(int32_t, loader_threads, -1,
          "train: data-loading threads, sharing the cores with the network "
          "(-1 = a quarter of the usable cores, at least one; 0 = load on the "
          "training thread).");
ABSL_FLAG(int64_t, log_every, 20, "train: steps between log lines when not on a terminal.");

namespace facet {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_stop_requested{false};

extern "C" void OnStopSignal(int) { g_stop_requested.store(true); }

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
  f.trainer.part_loss_weight = absl::GetFlag(FLAGS_part_loss_weight);
  f.trainer.grad_clip_norm = absl::GetFlag(FLAGS_grad_clip);
  f.trainer.device = absl::GetFlag(FLAGS_device);
  f.trainer.seed = absl::GetFlag(FLAGS_seed);
  f.trainer.micro_batch_size = absl::GetFlag(FLAGS_micro_batch_size);
  f.trainer.sync_batch_norm = absl::GetFlag(FLAGS_sync_batch_norm);
  f.steps = absl::GetFlag(FLAGS_steps);
  const int64_t schedule_steps = absl::GetFlag(FLAGS_lr_schedule_steps);
  if (schedule_steps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--lr_schedule_steps=", schedule_steps,
                     ": expected >= 0 (0: --steps)"));
  }
  f.trainer.total_steps = schedule_steps > 0 ? schedule_steps : f.steps;
  f.batch_size = absl::GetFlag(FLAGS_batch_size);
  if (f.steps < 1) return absl::InvalidArgumentError(absl::StrCat("--steps=", f.steps, ": expected >= 1"));
  if (f.batch_size < 1 || f.batch_size > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("--batch_size=", f.batch_size, ": expected 1..1024"));
  }
  if (f.trainer.micro_batch_size < 0 ||
      f.trainer.micro_batch_size > f.batch_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--micro_batch_size=", f.trainer.micro_batch_size, ": expected 0..",
        f.batch_size, " (0 = the whole --batch_size)"));
  }
  const double bucket_mb = absl::GetFlag(FLAGS_bucket_mb);
  if (!(bucket_mb > 0 && bucket_mb <= 4096)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--bucket_mb=", bucket_mb, ": expected MiB in (0, 4096]"));
  }
  f.trainer.bucket_bytes = static_cast<size_t>(bucket_mb * (1 << 20));
  if (absl::GetFlag(FLAGS_weight_check_every) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--weight_check_every=", absl::GetFlag(FLAGS_weight_check_every),
        ": expected >= 0"));
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
  absl::StatusOr<DistributedEnv> env = ReadDistributedEnv();
  if (!env.ok()) {
    std::cerr << "error: " << env.status().message() << "\n";
    return 2;
  }
  const std::string rank_tag =
      env->enabled ? absl::StrCat("rank ", env->rank, ": ") : "";
  const std::string malloc_policy = ApplyTrainingMallocPolicy();
  const int cores = UsableCores();
  const ThreadBudget budget = PlanThreadBudget(cores, absl::GetFlag(FLAGS_loader_threads),
                                               absl::GetFlag(FLAGS_threads));
  flags->trainer.threads = budget.intra_op_threads;
  LOG(INFO) << rank_tag << "threads: usable_cores=" << cores
            << " intra_op_threads=" << budget.intra_op_threads
            << " loader_threads=" << budget.loader_threads << " openmp=\""
            << OpenMpWaitSetting() << "\" malloc=\"" << malloc_policy
            << "\" (loaders share the cores with the network; --threads, "
               "--loader_threads)";

  std::unique_ptr<Communicator> communicator;
  if (env->enabled) {
    absl::StatusOr<std::string> device =
        ResolveTrainingDevice(flags->trainer.device, env->local_rank);
    if (!device.ok()) {
      std::cerr << "error: " << rank_tag << device.status().message() << "\n";
      return 1;
    }
    flags->trainer.device = *device;
    CommunicatorOptions options;
    options.collective_timeout_s = absl::GetFlag(FLAGS_collective_timeout);
    options.connect_timeout_s = absl::GetFlag(FLAGS_connect_timeout);
    options.device = *device;
    auto connected = Communicator::Connect(*env, options);
    if (!connected.ok()) {
      std::cerr << "error: " << connected.status().message() << "\n";
      return 1;
    }
    communicator = *std::move(connected);
    flags->trainer.communicator = communicator.get();
  }
  const bool leader = communicator == nullptr || communicator->rank() == 0;

  std::optional<LoadedWeights> init;
  if (!absl::GetFlag(FLAGS_init_weights).empty()) {
    auto loaded = LoadWeights(absl::GetFlag(FLAGS_init_weights), flags->trainer.config.in_size);
    if (!loaded.ok()) {
      std::cerr << "error: " << rank_tag
                << "--init_weights: " << loaded.status().message() << "\n";
      return 1;
    }
    flags->trainer.config = loaded->config;  // The weights decide the architecture.
    init = *std::move(loaded);
  }
  auto trainer = FpnTrainer::Create(flags->trainer, init ? &init->tensors : nullptr);
  if (!trainer.ok()) {
    std::cerr << "error: " << rank_tag << trainer.status().message() << "\n";
    return 1;
  }
  FpnTrainer& t = **trainer;
  {
    // Faces per forward/backward pass: the activations of one micro-batch
    // are what a step holds at its peak.
    const int memory_micro_batch_size = flags->trainer.micro_batch_size > 0
                                            ? flags->trainer.micro_batch_size
                                            : flags->batch_size;
    absl::Status memory = CheckTrainingMemory(
        t.config(), t.device(), memory_micro_batch_size, flags->batch_size);
    if (!memory.ok()) {
      std::cerr << "error: " << rank_tag << memory.message() << "\n";
      return 2;
    }
  }
  // Rank 0 reads the training state; the others receive it below.
  if (absl::GetFlag(FLAGS_resume) && leader) {
    absl::Status s = t.LoadCheckpoint(flags->checkpoint_dir);
    if (s.ok()) {
      LOG(INFO) << rank_tag << "resumed from " << flags->checkpoint_dir
                << " at step " << t.step();
    } else if (absl::IsNotFound(s)) {
      LOG(INFO) << rank_tag << "no training state in " << flags->checkpoint_dir
                << "; starting at step 0";
    } else {
      std::cerr << "error: " << rank_tag << "--resume: " << s.message() << "\n";
      return 1;
    }
  }
  if (communicator != nullptr) {
    absl::Status s = t.BroadcastStateFromRank0();
    if (!s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 1;
    }
  }
  auto data = OpenFaceDataSource(absl::GetFlag(FLAGS_data), absl::GetFlag(FLAGS_seed));
  if (!data.ok()) {
    std::cerr << "error: " << rank_tag << data.status().message() << "\n";
    return 1;
  }
  DataLoader::Options loader_options;
  loader_options.batch_size = flags->batch_size;
  loader_options.num_workers = budget.loader_threads;
  loader_options.seed = absl::GetFlag(FLAGS_seed);
  loader_options.first_batch = t.step();  // Resume continues the same stream.
  loader_options.degradation.net_size = static_cast<int>(t.config().in_size);
  if (communicator != nullptr) {
    loader_options.num_shards = communicator->world_size();
    loader_options.shard_index = communicator->rank();
  }
  auto loader = DataLoader::Create(data->train.get(), loader_options);
  if (!loader.ok()) {
    std::cerr << "error: " << rank_tag << loader.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<CheckpointPublisher> publisher;
  if (leader) {
    CheckpointPublisherOptions publish_options;
    publish_options.repository = flags->repo_root;
    publish_options.model = flags->model;
    publish_options.policy = *policy;
    publish_options.keep = absl::GetFlag(FLAGS_keep_versions);
    auto created = CheckpointPublisher::Create(publish_options);
    if (!created.ok()) {
      std::cerr << "error: " << created.status().message() << "\n";
      return 1;
    }
    publisher = *std::move(created);
  }
  std::unique_ptr<TrainingMetrics> metrics;
  if (absl::GetFlag(FLAGS_metrics_port) >= 0) {
    int port = absl::GetFlag(FLAGS_metrics_port);
    if (port > 0 && env->enabled) port += env->local_rank;
    auto m = TrainingMetrics::Create(port, env->enabled ? env->rank : 0);
    if (!m.ok()) {
      std::cerr << "error: " << rank_tag << m.status().message() << "\n";
      return 1;
    }
    metrics = *std::move(m);
    std::cerr << (env->enabled ? absl::StrCat("rank=", env->rank, " ") : "")
              << "metrics_port=" << metrics->port() << "\n";
  }
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  LOG(INFO) << rank_tag << "training " << t.config().ToString() << " on "
            << t.device() << " with " << data->train->Describe()
            << "; validation " << data->validation->Describe() << "; "
            << budget.loader_threads << " loader + " << flags->trainer.threads
            << " intra-op threads; publishing to " << flags->repo_root << "/"
            << flags->model
            << (communicator != nullptr
                    ? absl::StrCat(
                          "; rank ", communicator->rank(), " of ",
                          communicator->world_size(), " (",
                          communicator->backend(), ", BatchNorm ",
                          flags->trainer.sync_batch_norm ? "synchronised"
                                                         : "per rank",
                          ", global batch ",
                          flags->batch_size * communicator->world_size(), ")")
                    : std::string());

  TrainingLoopParts parts;
  parts.trainer = &t;
  parts.loader = loader->get();
  parts.validation = data->validation.get();
  parts.publisher = publisher.get();
  parts.metrics = metrics.get();
  parts.communicator = communicator.get();
  parts.stop_requested = &g_stop_requested;
  TrainingLoopOptions loop;
  loop.steps = flags->steps;
  loop.validation_batch_size = flags->batch_size;
  loop.validation_batches = absl::GetFlag(FLAGS_val_batches);
  loop.validation_seed = absl::GetFlag(FLAGS_seed) + 7919;
  loop.val_every = absl::GetFlag(FLAGS_val_every);
  loop.publish_every = absl::GetFlag(FLAGS_publish_every);
  loop.checkpoint_every = absl::GetFlag(FLAGS_checkpoint_every);
  loop.weight_check_every = absl::GetFlag(FLAGS_weight_check_every);
  loop.log_every = absl::GetFlag(FLAGS_log_every);
  loop.checkpoint_dir = flags->checkpoint_dir;
  loop.published_to = absl::StrCat(flags->repo_root, "/", flags->model);
  const int exit_code = RunTrainingLoop(parts, loop);
  if (exit_code != 0 && communicator != nullptr) {
    // The process group's destructor may wait on peers that are gone.
    std::cerr.flush();
    std::_Exit(exit_code);
  }
  return exit_code;
}

}  // namespace facet
