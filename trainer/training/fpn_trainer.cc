#include "trainer/training/fpn_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/model/cuda_device.h"
#include "core/model/face_parsing_net.h"
#include "core/model/safetensors.h"
#include "core/model/state_dict.h"
#include "core/repository/file_util.h"
#include "core/status/errno_status.h"
#include "core/status/model_status_conversion.h"
#include "nlohmann/json.hpp"
#include "trainer/distributed/gradient_all_reducer.h"
#include "trainer/distributed/sync_batch_norm.h"
#include "trainer/training/parsing_loss.h"

namespace facet {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

struct FpnTrainer::Impl {
  FpnTrainerOptions options;
  torch::Device device{torch::kCPU};
  FaceParsingNet net{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer;
  std::unique_ptr<GradientAllReducer> reducer;  // Only with a communicator.
  std::unique_ptr<ParsingLoss> parsing_loss;
  int64_t step = 0;

  double LearningRateAt(int64_t step_index) const {
    if (options.schedule == LrSchedule::kConstant || options.total_steps <= 0) {
      return options.learning_rate;
    }
    const double t = std::min(1.0, double(step_index) / options.total_steps);
    return options.min_learning_rate + 0.5 * (options.learning_rate - options.min_learning_rate) *
                                           (1 + std::cos(M_PI * t));
  }

  void SetLearningRate(double lr) {
    for (auto& group : optimizer->param_groups()) {
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    }
  }

  // The batch's [N, 3, S, S] planes (already in [-1, 1]) on the device.
  torch::Tensor ImagesToTensor(const std::vector<float>& planes, int64_t n, int64_t s) {
    return torch::from_blob(const_cast<float*>(planes.data()), {n, 3, s, s}, torch::kFloat32)
        .to(device);
  }
  torch::Tensor LabelsToTensor(const TrainingBatch& b) {
    return torch::from_blob(const_cast<int64_t*>(b.labels.data()),
                            {b.batch_size, b.image_size, b.image_size}, torch::kInt64)
        .to(device);
  }
};

namespace {

absl::Status CheckBatch(const TrainingBatch& b) {
  const int64_t px = int64_t{b.batch_size} * b.image_size * b.image_size;
  if (b.batch_size <= 0 || b.image_size <= 0 || b.lq.size() != size_t(px * 3) ||
      b.hq.size() != size_t(px * 3) || b.labels.size() != size_t(px)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed batch: ", b.batch_size, " samples of ", b.image_size, "x", b.image_size,
        " with ", b.lq.size(), " LQ values, ", b.hq.size(), " HQ values, ", b.labels.size(),
        " labels"));
  }
  return absl::OkStatus();
}

template <typename Fn>
auto CatchTorch(const char* what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, " failed: ", e.what()));
  }
}

}  // namespace

absl::StatusOr<std::string> ResolveTrainingDevice(const std::string& device,
                                                  int local_rank) {
  if (device != "auto" && !device.empty()) return device;
  if (!CudaAvailable()) return std::string("cpu");
  const int count = static_cast<int>(torch::cuda::device_count());
  if (local_rank >= count) {
    return absl::FailedPreconditionError(absl::StrCat("LOCAL_RANK=", local_rank,
                                                      " but this machine has ",
                                                      count, " CUDA devices"));
  }
  return absl::StrCat("cuda:", local_rank);
}

absl::StatusOr<std::unique_ptr<FpnTrainer>> FpnTrainer::Create(
    const FpnTrainerOptions& options, const RawTensorMap* init_weights) {
  absl::Status valid = ToAbslStatus(options.config.Validate());
  if (!valid.ok()) return valid;
  if (options.learning_rate <= 0 || !std::isfinite(options.learning_rate)) {
    return absl::InvalidArgumentError(
        absl::StrCat("learning rate ", options.learning_rate, ", expected > 0"));
  }
  for (const auto& [flag, value, zero_ok] :
       {std::tuple<const char*, double, bool>{"--parsing_weight",
                                              options.parsing_weight, true},
        {"--pixel_weight", options.pixel_weight, true},
        {"--part_loss_weight", options.part_loss_weight, false}}) {
    if (!std::isfinite(value) || value < 0 || (value == 0 && !zero_ok)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, "=", value, ": expected a finite number ",
                       zero_ok ? ">= 0" : "> 0"));
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const std::string& dev = options.device;
  const bool cuda = CudaAvailable();
  if (dev == "auto" || dev.empty()) {
    impl->device = cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  } else if (dev == "cpu" || dev.rfind("cuda", 0) == 0) {
    try {
      impl->device = torch::Device(dev);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("--device=", dev, ": ", e.what()));
    }
    if (impl->device.is_cuda() && !cuda) {
      return absl::FailedPreconditionError(
          absl::StrCat("--device=", dev, " but no CUDA device is available"));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--device=", dev, ": expected auto, cpu, cuda or cuda:N"));
  }
  if (options.micro_batch_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--micro_batch_size=", options.micro_batch_size,
                     ": expected >= 0 (0 = whole batch)"));
  }
  if (options.threads > 0) torch::set_num_threads(options.threads);
  return CatchTorch("building the trainer", [&]() -> absl::StatusOr<std::unique_ptr<FpnTrainer>> {
    torch::manual_seed(options.seed);
    impl->net = FaceParsingNet(options.config);
    if (init_weights != nullptr) {
      absl::Status loaded = ToAbslStatus(LoadStateDict(*init_weights, impl->net));
      if (!loaded.ok()) return loaded;
    }
    impl->net->to(impl->device);
    impl->net->train();
    impl->parsing_loss = std::make_unique<ParsingLoss>(
        options.config.parsing_ch, options.part_loss_weight, impl->device);
    if (options.communicator != nullptr) {
      auto reducer = GradientAllReducer::Create(
          options.communicator, impl->net->parameters(), options.bucket_bytes);
      if (!reducer.ok()) return reducer.status();
      impl->reducer = *std::move(reducer);
      if (options.sync_batch_norm) {
        impl->net->SetBatchNormOverride(
            MakeSyncBatchNorm(options.communicator));
      }
    }
    impl->optimizer = std::make_unique<torch::optim::Adam>(
        impl->net->parameters(), torch::optim::AdamOptions(options.learning_rate)
                                     .betas({options.beta1, options.beta2}));
    return std::unique_ptr<FpnTrainer>(new FpnTrainer(std::move(impl)));
  });
}

FpnTrainer::FpnTrainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FpnTrainer::~FpnTrainer() = default;

int64_t FpnTrainer::step() const { return impl_->step; }
const NetConfig& FpnTrainer::config() const { return impl_->options.config; }
std::string FpnTrainer::device() const { return impl_->device.str(); }

absl::StatusOr<StepResult> FpnTrainer::Step(const TrainingBatch& batch) {
  absl::Status ok = CheckBatch(batch);
  if (!ok.ok()) return ok;
  Impl& m = *impl_;
  return CatchTorch("training step", [&]() -> absl::StatusOr<StepResult> {
    const double lr = m.LearningRateAt(m.step);
    m.SetLearningRate(lr);
    m.net->train();
    const int64_t n = batch.batch_size, size = batch.image_size;
    const int64_t micro = m.options.micro_batch_size > 0
                              ? std::min<int64_t>(m.options.micro_batch_size, n)
                              : n;
    const int64_t image_values = 3 * size * size, label_values = size * size;
    m.optimizer->zero_grad();
    // Per micro-batch: forward, loss scaled by its share, backward (the
    // gradients accumulate); the reducer all-reduces during the last one.
    std::vector<double> sums = {0, 0, 0};  // loss, parsing, pixel: batch means.
    for (int64_t start = 0; start < n; start += micro) {
      const int64_t k = std::min(micro, n - start);
      const double share = double(k) / n;
      auto images = [&](const std::vector<float>& planes) {
        return torch::from_blob(
                   const_cast<float*>(planes.data()) + start * image_values,
                   {k, 3, size, size}, torch::kFloat32)
            .to(m.device);
      };
      torch::Tensor lq = images(batch.lq), hq = images(batch.hq);
      torch::Tensor labels =
          torch::from_blob(
              const_cast<int64_t*>(batch.labels.data()) + start * label_values,
              {k, size, size}, torch::kInt64)
              .to(m.device);
      auto [logits, image] = m.net->forward(lq);
      if (logits.size(2) != size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the network's output is ", logits.size(2), " px but targets are ",
            size, " px (out_size must equal in_size for training)"));
      }
      torch::Tensor ce = (*m.parsing_loss)(logits, labels);
      torch::Tensor pixel = m.options.pixel_loss == PixelLoss::kL2
                                ? F::mse_loss(image, hq)
                                : F::l1_loss(image, hq);
      torch::Tensor loss =
          m.options.parsing_weight * ce + m.options.pixel_weight * pixel;
      sums[0] += share * loss.item<double>();
      sums[1] += share * ce.item<double>();
      sums[2] += share * pixel.item<double>();
      if (m.reducer && start + k >= n) m.reducer->Arm();
      (loss * share).backward();
    }
    if (m.reducer) {
      absl::Status reduced = m.reducer->Finish();
      if (!reduced.ok()) return reduced;
    }
    StepResult r;
    r.step = m.step + 1;
    if (m.options.communicator != nullptr) {
      // Every rank must agree to skip a non-finite step: a NaN anywhere
      // makes the sums NaN everywhere.
      absl::Status s =
          m.options.communicator->AllReduceSum(&sums, "step losses");
      if (!s.ok()) return s;
      for (double& v : sums) v /= m.options.communicator->world_size();
    }
    r.loss = sums[0];
    r.parsing_loss = sums[1];
    r.pixel_loss = sums[2];
    r.learning_rate = lr;
    if (!std::isfinite(r.loss)) {
      m.optimizer->zero_grad();
      return absl::DataLossError(
          absl::StrCat("non-finite loss ", r.loss, " at step ", r.step, " (parsing ",
                       r.parsing_loss, ", pixel ", r.pixel_loss, "); update skipped"));
    }
    // The global gradient norm costs a pass over every gradient; it is
    // computed only when clipping is on (a finite loss almost always gives
    // finite gradients, and weights are checked before every publish).
    if (m.options.grad_clip_norm > 0) {
      const double norm =
          torch::nn::utils::clip_grad_norm_(m.net->parameters(), m.options.grad_clip_norm);
      if (!std::isfinite(norm)) {
        m.optimizer->zero_grad();
        return absl::DataLossError(
            absl::StrCat("non-finite gradient norm at step ", r.step, "; update skipped"));
      }
    }
    m.optimizer->step();
    ++m.step;
    return r;
  });
}

absl::Status FpnTrainer::BroadcastStateFromRank0() {
  Impl& m = *impl_;
  Communicator* c = m.options.communicator;
  if (c == nullptr) return absl::OkStatus();
  return CatchTorch("broadcasting the training state", [&]() -> absl::Status {
    torch::NoGradGuard no_grad;
    for (auto& p : m.net->named_parameters()) {
      torch::Tensor t = p.value().detach();
      absl::Status s = c->Broadcast(t, absl::StrCat("weights (", p.key(), ")"));
      if (!s.ok()) return s;
    }
    for (auto& b : m.net->named_buffers()) {
      torch::Tensor t = b.value();
      absl::Status s = c->Broadcast(t, absl::StrCat("buffers (", b.key(), ")"));
      if (!s.ok()) return s;
    }
    std::string bytes;
    if (c->rank() == 0) {
      torch::serialize::OutputArchive archive;
      m.optimizer->save(archive);
      std::ostringstream out;
      archive.save_to(out);
      bytes = absl::StrCat(m.step, "\n", out.str());
    }
    absl::Status s = c->BroadcastBytes(&bytes, "optimizer state");
    if (!s.ok()) return s;
    if (c->rank() != 0) {
      const size_t newline = bytes.find('\n');
      m.step = std::stoll(bytes.substr(0, newline));
      std::istringstream in(bytes.substr(newline + 1));
      torch::serialize::InputArchive archive;
      archive.load_from(in, m.device);
      m.optimizer->load(archive);
    }
    return absl::OkStatus();
  });
}

absl::Status FpnTrainer::CheckReplicasIdentical() {
  Impl& m = *impl_;
  Communicator* c = m.options.communicator;
  if (c == nullptr) return absl::OkStatus();
  double plain = 0, weighted = 0;
  {
    torch::NoGradGuard no_grad;
    int64_t index = 0;
    for (const auto& p : m.net->parameters()) {
      torch::Tensor d = p.detach().to(torch::kFloat64);
      plain += d.sum().item<double>();
      weighted += (d * double(++index)).abs().sum().item<double>();
    }
  }
  // Each rank fills its own slots; the sum gathers everyone's.
  const int world = c->world_size();
  std::vector<double> all(2 * world, 0.0);
  all[2 * c->rank()] = plain;
  all[2 * c->rank() + 1] = weighted;
  absl::Status s = c->AllReduceSum(&all, "weight checksum");
  if (!s.ok()) return s;
  std::vector<std::string> differing;
  for (int r = 1; r < world; ++r) {
    if (all[2 * r] != all[0] || all[2 * r + 1] != all[1]) {
      differing.push_back(absl::StrFormat("rank %d (%.17g)", r, all[2 * r]));
    }
  }
  if (differing.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(
      "weights differ across ranks at step ", m.step, ": rank 0 checksum ",
      absl::StrFormat("%.17g", all[0]), " vs ", absl::StrJoin(differing, ", "),
      " (every rank must run the same build, flags and data)"));
}

absl::Status FpnTrainer::Evaluate(const TrainingBatch& batch, SegmentationMetrics* metrics) {
  absl::Status ok = CheckBatch(batch);
  if (!ok.ok()) return ok;
  Impl& m = *impl_;
  return CatchTorch("evaluation", [&]() -> absl::Status {
    torch::NoGradGuard no_grad;
    m.net->eval();
    auto [logits, image] =
        m.net->forward(m.ImagesToTensor(batch.lq, batch.batch_size, batch.image_size));
    m.net->train();
    auto to_pixels = [](const torch::Tensor& x) {
      return ((x + 1.0) * 127.5).round().clamp(0, 255).to(torch::kUInt8).to(torch::kCPU).contiguous();
    };
    torch::Tensor predicted = logits.argmax(1).to(torch::kUInt8).to(torch::kCPU).contiguous();
    torch::Tensor truth = m.LabelsToTensor(batch).clamp(0, 255).to(torch::kUInt8).to(torch::kCPU).contiguous();
    metrics->AddLabels(predicted.data_ptr<uint8_t>(), truth.data_ptr<uint8_t>(), truth.numel());
    torch::Tensor restored = to_pixels(image);
    torch::Tensor target = to_pixels(m.ImagesToTensor(batch.hq, batch.batch_size, batch.image_size));
    metrics->AddImages(restored.data_ptr<uint8_t>(), target.data_ptr<uint8_t>(), target.numel());
    return absl::OkStatus();
  });
}

absl::StatusOr<RawTensorMap> FpnTrainer::Weights() {
  return CatchTorch("reading weights", [&]() -> absl::StatusOr<RawTensorMap> {
    for (const auto& p : impl_->net->named_parameters()) {
      if (!torch::isfinite(p.value()).all().item<bool>()) {
        return absl::DataLossError(absl::StrCat("weight \"", p.key(), "\" is not finite at step ",
                                                impl_->step));
      }
    }
    return ExtractStateDict(impl_->net);
  });
}

namespace {

constexpr char kLatestFile[] = "LATEST";

std::string CheckpointName(int64_t step) { return absl::StrCat("ckpt-", step); }

}  // namespace

absl::Status FpnTrainer::SaveCheckpoint(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  // Each error keeps its errno (WithErrno) for WriteFailureReason.
  if (ec) {
    return WithErrno(absl::UnavailableError(absl::StrCat("cannot create ", dir,
                                                         ": ", ec.message())),
                     ec.value());
  }
  const std::string name = CheckpointName(impl_->step);
  const fs::path staging = fs::path(dir) / absl::StrCat(".staging-", name);
  const fs::path final_dir = fs::path(dir) / name;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) {
    return WithErrno(
        absl::UnavailableError(absl::StrCat("cannot create ", staging.string(),
                                            ": ", ec.message())),
        ec.value());
  }
  absl::Status s = CatchTorch("saving the checkpoint", [&]() -> absl::Status {
    absl::Status w = ToAbslStatus(WriteSafetensorsFile((staging / "weights.safetensors").string(),
                                                       ExtractStateDict(impl_->net), {}));
    if (!w.ok()) return w;
    torch::serialize::OutputArchive archive;
    impl_->optimizer->save(archive);
    // Serialized in memory and written with WriteFileSynced: LibTorch's own
    // file writer reports a full disk as "file write failed", without the
    // path's errno.
    std::ostringstream optimizer_bytes;
    archive.save_to(optimizer_bytes);
    w = WriteFileSynced((staging / "optimizer.pt").string(),
                        optimizer_bytes.str());
    if (!w.ok()) return w;
    nlohmann::json state = {{"format", 1},
                            {"step", impl_->step},
                            {"config", impl_->options.config.ToString()}};
    w = WriteFileSynced((staging / "state.json").string(), state.dump(1));
    if (!w.ok()) return w;
    return SyncDir(staging.string());
  });
  if (!s.ok()) {
    fs::remove_all(staging, ec);
    return s;
  }
  fs::remove_all(final_dir, ec);
  fs::rename(staging, final_dir, ec);
  if (ec) {
    return WithErrno(
        absl::UnavailableError(absl::StrCat(
            "cannot rename into ", final_dir.string(), ": ", ec.message())),
        ec.value());
  }
  // LATEST flips to the new checkpoint in one rename; older ones go after.
  const std::string latest_tmp = (fs::path(dir) / ".LATEST.tmp").string();
  s = WriteFileSynced(latest_tmp, name + "\n");
  if (s.ok()) {
    fs::rename(latest_tmp, fs::path(dir) / kLatestFile, ec);
    if (ec) {
      s = WithErrno(absl::UnavailableError(absl::StrCat(
                        "cannot update ", dir, "/LATEST: ", ec.message())),
                    ec.value());
    }
  }
  if (!s.ok()) return s;
  s = SyncDir(dir);
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string n = entry.path().filename().string();
    if (n.rfind("ckpt-", 0) == 0 && n != name) fs::remove_all(entry.path(), ec);
  }
  return s;
}

absl::Status FpnTrainer::LoadCheckpoint(const std::string& dir) {
  std::ifstream latest(fs::path(dir) / kLatestFile);
  std::string name;
  if (!latest || !std::getline(latest, name) || name.empty()) {
    return absl::NotFoundError(absl::StrCat("no training checkpoint in ", dir, " (missing LATEST)"));
  }
  const fs::path ckpt = fs::path(dir) / name;
  std::ifstream state_file(ckpt / "state.json");
  nlohmann::json state = nlohmann::json::parse(state_file, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded() || !state.contains("step") || !state.contains("config")) {
    return absl::DataLossError(absl::StrCat(ckpt.string(), "/state.json is missing or malformed"));
  }
  if (state["config"] != impl_->options.config.ToString()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint ", ckpt.string(), " is for network ", state["config"].dump(),
        ", not ", impl_->options.config.ToString()));
  }
  auto weights = ToAbslStatusOr(ReadSafetensorsFile((ckpt / "weights.safetensors").string()));
  if (!weights.ok()) return weights.status();
  return CatchTorch("loading the checkpoint", [&]() -> absl::Status {
    absl::Status s = ToAbslStatus(LoadStateDict(weights->tensors, impl_->net));
    if (!s.ok()) return s;
    torch::serialize::InputArchive archive;
    archive.load_from((ckpt / "optimizer.pt").string(), impl_->device);
    impl_->optimizer->load(archive);
    impl_->step = state["step"].get<int64_t>();
    return absl::OkStatus();
  });
}

}  // namespace facet
