#include "core/model/face_parser.h"

#include <cstring>
#include <exception>

#include "core/model/face_parsing_net.h"
#include "core/model/state_dict.h"

namespace facet {

struct FaceParser::Impl {
  NetConfig config;
  torch::Device device{torch::kCPU};
  FaceParsingNet net{nullptr};
  bool folded = false;
};

bool CudaAvailable() {
  try {
    return torch::cuda::is_available();
  } catch (const std::exception&) {
    return false;
  }
}

namespace {

ModelResult<torch::Device> ResolveDevice(const std::string& name) {
  if (name == "auto" || name.empty()) {
    return CudaAvailable() ? torch::Device(torch::kCUDA, 0)
                           : torch::Device(torch::kCPU);
  }
  if (name != "cpu" && name.rfind("cuda", 0) != 0) {
    return ModelStatus::InvalidArgument("device \"" + name +
                                        "\": expected auto, cpu, cuda or cuda:N");
  }
  try {
    torch::Device device(name);
    if (device.is_cuda() && !CudaAvailable()) {
      return ModelStatus::FailedPrecondition(
          "device \"" + name + "\" requested but no CUDA device is available");
    }
    return device;
  } catch (const std::exception& e) {
    return ModelStatus::InvalidArgument("device \"" + name + "\": " + e.what());
  }
}

}  // namespace

ModelResult<std::unique_ptr<FaceParser>> FaceParser::Create(
    const RawTensorMap& weights, const FaceParserOptions& options) {
  ModelStatus valid = options.config.Validate();
  if (!valid.ok()) return valid;
  ModelResult<torch::Device> device = ResolveDevice(options.device);
  if (!device.ok()) return device.status();
  try {
    auto impl = std::make_unique<Impl>();
    impl->config = options.config;
    impl->device = *device;
    impl->net = FaceParsingNet(options.config);
    ModelStatus loaded = LoadStateDict(weights, impl->net);
    if (!loaded.ok()) return loaded;
    impl->net->eval();
    impl->net->to(impl->device);
    if (options.fold_batch_norm) impl->net->FoldBatchNorm();
    impl->folded = options.fold_batch_norm;
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

std::string FaceParser::precision() const { return "fp32"; }

std::string FaceParser::engine() const { return "torch"; }

std::string FaceParser::Describe() const {
  return "engine=torch device=" + device() + " precision=" + precision() +
         " threads=" + std::to_string(torch::get_num_threads()) +
         " batch_norm=" + (impl_->folded ? "folded" : "plain");
}

ModelResult<std::vector<ParseResult>> FaceParser::Parse(
    const std::vector<RgbImageView>& batch, const ParseOptions& options) const {
  ModelStatus valid = ValidateBatch(batch, impl_->config);
  if (!valid.ok()) return valid;
  const int64_t h = batch[0].height, w = batch[0].width;
  try {
    torch::InferenceMode inference;
    const int64_t n = static_cast<int64_t>(batch.size());
    torch::Tensor input = torch::empty({n, h, w, 3}, torch::kUInt8);
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(input[i].data_ptr(), batch[i].data, h * w * 3);
    }
    // x / 255 * 2 - 1, as upstream scales its inputs.
    torch::Tensor x = input.to(impl_->device)
                          .permute({0, 3, 1, 2})
                          .to(torch::kFloat32)
                          .div_(255.0)
                          .mul_(2.0)
                          .sub_(1.0)
                          .contiguous();
    auto [logits, image] = impl_->net->forward(x);
    torch::Tensor labels = logits.argmax(1).to(torch::kUInt8).to(torch::kCPU).contiguous();
    torch::Tensor restored;
    if (options.want_restored) {
      restored = ((image + 1.0) * 127.5)
                     .clamp(0.0, 255.0)
                     .to(torch::kUInt8)
                     .permute({0, 2, 3, 1})
                     .to(torch::kCPU)
                     .contiguous();
    }
    torch::Tensor logits_cpu, image_cpu;
    if (options.want_raw) {
      logits_cpu = logits.to(torch::kCPU).contiguous();
      image_cpu = image.to(torch::kCPU).contiguous();
    }
    const int64_t oh = logits.size(2), ow = logits.size(3);
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
