#include "core/model/face_parser.h"

#include <ATen/Context.h>

#include <cstring>
#include <exception>
#include <map>
#include <mutex>

#include "core/model/cuda_device.h"
#include "core/model/cuda_support.h"
#include "core/model/face_parsing_net.h"
#include "core/model/state_dict.h"

namespace facet {

namespace {

// One captured CUDA graph and the lock that serialises its replays.
struct GraphSlot {
  std::mutex mu;
  std::unique_ptr<CapturedForward> forward;  // Null until captured.
  bool failed = false;                       // Capture failed: run eagerly.
};

}  // namespace

struct FaceParser::Impl {
  NetConfig config;
  torch::Device device{torch::kCPU};
  FaceParsingNet net{nullptr};
  bool folded = false;
  Precision precision = Precision::kFp32;
  torch::Dtype dtype = torch::kFloat32;
  bool channels_last = false;
  bool cuda_graphs = false;
  // Batch size -> its graph. Slots are created under graphs_mu and never
  // removed, so a slot pointer stays valid.
  std::mutex graphs_mu;
  std::map<int64_t, std::unique_ptr<GraphSlot>> graphs;

  // The forward of `x` ([n, 3, h, w] in `dtype` on `device`): a graph replay
  // when CUDA graphs are on (captured on first use per batch size), eager
  // otherwise. Holds the graph's lock through `use` so that the static
  // outputs are read before the next replay overwrites them.
  template <typename Use>
  void Forward(const torch::Tensor& x, Use&& use) {
    if (!cuda_graphs) {
      auto outputs = net->forward(x);
      use(outputs.first, outputs.second);
      return;
    }
    GraphSlot* slot;
    {
      std::lock_guard<std::mutex> lock(graphs_mu);
      auto& entry = graphs[x.size(0)];
      if (!entry) entry = std::make_unique<GraphSlot>();
      slot = entry.get();
    }
    std::lock_guard<std::mutex> lock(slot->mu);
    if (!slot->forward && !slot->failed) {
      ModelResult<std::unique_ptr<CapturedForward>> captured =
          CaptureForward(net, x);
      if (captured.ok()) {
        slot->forward = std::move(*captured);
      } else {
        slot->failed = true;
      }
    }
    if (slot->forward) {
      auto outputs = slot->forward->Run(x);
      use(outputs.first, outputs.second);
    } else {
      auto outputs = net->forward(x);
      use(outputs.first, outputs.second);
    }
  }
};

namespace {

ModelResult<torch::Device> ResolveDevice(const std::string& name) {
  if (name == "auto" || name.empty()) {
    return DeviceIsCuda(name) ? torch::Device(torch::kCUDA, 0)
                              : torch::Device(torch::kCPU);
  }
  if (name != "cpu" && name.rfind("cuda", 0) != 0) {
    return ModelStatus::InvalidArgument("device \"" + name +
                                        "\": expected auto, cpu, cuda or cuda:N");
  }
  try {
    torch::Device device(name);
    if (device.is_cuda() && !BuiltWithCuda()) {
      return ModelStatus::FailedPrecondition(
          "device \"" + name +
          "\": this binary was built against a CPU-only LibTorch; build it "
          "against a CUDA LibTorch (docker/Dockerfile.cuda, bench/gpu.sh) or "
          "use --device cpu");
    }
    if (device.is_cuda() && !CudaAvailable()) {
      return ModelStatus::FailedPrecondition(
          "device \"" + name + "\" requested but no CUDA device is available");
    }
    if (device.is_cuda() && device.has_index() &&
        device.index() >= static_cast<int>(torch::cuda::device_count())) {
      return ModelStatus::FailedPrecondition(
          "device \"" + name + "\": only " +
          std::to_string(torch::cuda::device_count()) +
          " CUDA device(s) are visible");
    }
    return device;
  } catch (const std::exception& e) {
    return ModelStatus::InvalidArgument("device \"" + name + "\": " + e.what());
  }
}

torch::Dtype DtypeOf(Precision precision) {
  switch (precision) {
    case Precision::kBf16: return torch::kBFloat16;
    case Precision::kFp16: return torch::kFloat16;
    default: return torch::kFloat32;
  }
}

}  // namespace

ModelResult<std::unique_ptr<FaceParser>> FaceParser::Create(
    const RawTensorMap& weights, const FaceParserOptions& options) {
  ModelStatus valid = options.config.Validate();
  if (!valid.ok()) return valid;
  ModelResult<torch::Device> device = ResolveDevice(options.device);
  if (!device.ok()) return device.status();
  const bool cuda = device->is_cuda();
  if (options.precision == Precision::kInt8) {
    return ModelStatus::FailedPrecondition(
        "precision \"int8\" is not offered by the torch engine; use fp32, "
        "bf16 or (CUDA) fp16");
  }
  if (options.precision == Precision::kFp16 && !cuda) {
    return ModelStatus::FailedPrecondition(
        "precision \"fp16\" needs a CUDA device: LibTorch's CPU convolutions "
        "have no half-precision kernels; use fp32 or bf16 on the CPU");
  }
  if (options.cuda_graphs && !cuda) {
    return ModelStatus::FailedPrecondition(
        "CUDA graphs need a CUDA device; the network would run on " +
        device->str());
  }
  if (options.channels_last != "auto" && options.channels_last != "on" &&
      options.channels_last != "off") {
    return ModelStatus::InvalidArgument("channels_last \"" +
                                        options.channels_last +
                                        "\": expected auto, on or off");
  }
  try {
    auto impl = std::make_unique<Impl>();
    impl->config = options.config;
    impl->device = *device;
    impl->net = FaceParsingNet(options.config);
    ModelStatus loaded = LoadStateDict(weights, impl->net);
    if (!loaded.ok()) return loaded;
    impl->net->eval();
    impl->net->to(impl->device);
    // Fold in fp32, then cast: folding in reduced precision would round the
    // BatchNorm scale twice.
    if (options.fold_batch_norm) impl->net->FoldBatchNorm();
    impl->folded = options.fold_batch_norm;
    impl->precision = options.precision;
    impl->dtype = DtypeOf(options.precision);
    impl->channels_last = options.channels_last == "on" ||
                          (options.channels_last == "auto" && cuda);
    if (impl->dtype != torch::kFloat32 || impl->channels_last) {
      impl->net->ConvertForInference(impl->dtype, impl->channels_last);
    }
    impl->cuda_graphs = options.cuda_graphs;
    if (cuda) at::globalContext().setBenchmarkCuDNN(options.cudnn_benchmark);
    if (options.intra_op_threads > 0) torch::set_num_threads(options.intra_op_threads);
    return std::unique_ptr<FaceParser>(new FaceParser(std::move(impl)));
  } catch (const std::exception& e) {
    return ModelStatus::Internal(std::string("building the network failed: ") + e.what());
  }
}

FaceParser::FaceParser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceParser::~FaceParser() = default;

const NetConfig& FaceParser::config() const { return impl_->config; }

std::string FaceParser::device() const { return impl_->device.str(); }

std::string FaceParser::precision() const { return PrecisionName(impl_->precision); }

std::string FaceParser::engine() const { return "torch"; }

std::string FaceParser::Describe() const {
  std::string line = "engine=torch device=" + device() + " precision=" + precision() +
                     " batch_norm=" + (impl_->folded ? "folded" : "plain") +
                     " channels_last=" + (impl_->channels_last ? "on" : "off");
  if (impl_->device.is_cuda()) {
    line += std::string(" cudnn_benchmark=") +
            (at::globalContext().benchmarkCuDNN() ? "on" : "off") +
            " cuda_graphs=" + (impl_->cuda_graphs ? "on" : "off");
  } else {
    line += " threads=" + std::to_string(torch::get_num_threads());
  }
  return line;
}

ModelResult<std::vector<ParseResult>> FaceParser::Parse(
    const std::vector<RgbImageView>& batch, const ParseOptions& options) const {
  ModelStatus valid = ValidateBatch(batch, impl_->config);
  if (!valid.ok()) return valid;
  const int64_t h = batch[0].height, w = batch[0].width;
  try {
    torch::InferenceMode inference;
    const int64_t n = static_cast<int64_t>(batch.size());
    const bool cuda = impl_->device.is_cuda();
    // Only uint8 pixels cross to the device, from pinned memory without
    // blocking; scaling to [-1, 1] and the casts run on the device.
    torch::Tensor input = torch::empty(
        {n, h, w, 3}, torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(cuda));
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(input[i].data_ptr(), batch[i].data, h * w * 3);
    }
    // x / 255 * 2 - 1, as upstream scales its inputs (in fp32, then cast).
    torch::Tensor x = input.to(impl_->device, /*non_blocking=*/cuda)
                          .permute({0, 3, 1, 2})
                          .to(torch::kFloat32)
                          .div_(255.0)
                          .mul_(2.0)
                          .sub_(1.0);
    x = x.to(impl_->dtype).contiguous(impl_->channels_last
                                          ? torch::MemoryFormat::ChannelsLast
                                          : torch::MemoryFormat::Contiguous);
    torch::Tensor labels, restored, logits_cpu, image_cpu;
    int64_t oh = 0, ow = 0;
    impl_->Forward(x, [&](const torch::Tensor& logits, const torch::Tensor& image) {
      oh = logits.size(2);
      ow = logits.size(3);
      labels = logits.argmax(1).to(torch::kUInt8).to(torch::kCPU).contiguous();
      if (options.want_restored) {
        restored = ((image.to(torch::kFloat32) + 1.0) * 127.5)
                       .clamp(0.0, 255.0)
                       .to(torch::kUInt8)
                       .permute({0, 2, 3, 1})
                       .to(torch::kCPU)
                       .contiguous();
      }
      if (options.want_raw) {
        logits_cpu = logits.to(torch::kCPU, torch::kFloat32).contiguous();
        image_cpu = image.to(torch::kCPU, torch::kFloat32).contiguous();
      }
    });
    std::vector<ParseResult> results(n);
    for (int64_t i = 0; i < n; ++i) {
      ParseResult& r = results[i];
      r.height = oh;
      r.width = ow;
      const uint8_t* l = labels[i].data_ptr<uint8_t>();
      r.labels.assign(l, l + oh * ow);
      if (options.want_restored) {
        const uint8_t* p = restored[i].data_ptr<uint8_t>();
        r.restored.assign(p, p + oh * ow * 3);
      }
      if (options.want_raw) {
        const float* lg = logits_cpu[i].data_ptr<float>();
        r.logits.assign(lg, lg + logits_cpu[i].numel());
        const float* im = image_cpu[i].data_ptr<float>();
        r.image.assign(im, im + image_cpu[i].numel());
      }
    }
    return results;
  } catch (const std::exception& e) {
    return ModelStatus::Internal(std::string("network forward failed: ") + e.what());
  }
}

}  // namespace facet
