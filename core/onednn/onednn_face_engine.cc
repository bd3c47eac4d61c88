#include "core/onednn/onednn_face_engine.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <list>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>

#include "core/onednn/conv_algorithm.h"
#include "core/onednn/forward_plan.h"
#include "core/onednn/fpn_layers.h"

namespace facet {
namespace {

using onednn::ForwardPlan;
using onednn::PackedConv;
using onednn::Workspace;
using dnnl::memory;

// Idle workspaces kept for reuse: at most two per shape, and beyond
// kMaxIdleBytes in all the least recently used of other shapes are freed
// (a warm-up that tries batch sizes leaves only the one in use resident).
constexpr size_t kMaxIdleWorkspacesPerShape = 2;
constexpr size_t kMaxIdleBytes = size_t{4} << 30;

bool IsaHas(dnnl::cpu_isa isa, dnnl::cpu_isa feature) {
  const int have = static_cast<int>(isa), want = static_cast<int>(feature);
  return (have & want) == want;
}

const char* IsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
  }
}

const char* TagName(memory::format_tag tag) {
  switch (tag) {
    case memory::format_tag::nChw16c: return "nChw16c";
    case memory::format_tag::nChw8c: return "nChw8c";
    default: return "nhwc";
  }
}

const char* KindName(onednn::FpnStep::Kind kind) {
  using Kind = onednn::FpnStep::Kind;
  switch (kind) {
    case Kind::kInput: return "input";
    case Kind::kPad: return "pad";
    case Kind::kConv: return "conv";
    case Kind::kCopy: return "copy";
    case Kind::kAdd: return "add";
    case Kind::kOutput: return "output";
  }
  return "?";
}

// True when oneDNN runs a direct convolution in `tag` with a jit kernel
// (not a reference or gemm one) on this CPU.
bool JitLayout(const onednn::PlanContext& context, memory::format_tag tag) {
  onednn::FpnConv probe;
  probe.in_ch = probe.out_ch = 64;
  probe.leaky_relu = true;
  probe.int8 = context.int8;
  try {
    const memory::desc src({1, 64, 34, 34}, onednn::ConvSrcType(context, probe),
                           tag);
    const memory::desc dst({1, 64, 32, 32}, context.data_type, tag);
    const std::string impl =
        onednn::MakeConvPd(context, probe, dnnl::algorithm::convolution_direct, src, dst)
            .impl_info_str();
    return impl.rfind("ref", 0) != 0 && impl.find("gemm") == std::string::npos;
  } catch (const dnnl::error&) {
    return false;
  }
}

// The layouts worth timing: the channel-blocked one oneDNN's direct and
// Winograd kernels take (16 channels per block with AVX-512, 8 with AVX2)
// and the one oneDNN picks itself for a convolution left free to choose
// (channels-last where its brgemm kernels apply).
std::vector<memory::format_tag> CandidateLayouts(const onednn::PlanContext& context) {
  std::vector<memory::format_tag> tags;
  for (memory::format_tag tag : {memory::format_tag::nChw16c, memory::format_tag::nChw8c}) {
    if (JitLayout(context, tag)) {
      tags.push_back(tag);
      break;
    }
  }
  onednn::FpnConv probe;
  probe.in_ch = probe.out_ch = 64;
  probe.int8 = context.int8;
  const memory::desc any_src({1, 64, 34, 34},
                             onednn::ConvSrcType(context, probe),
                             memory::format_tag::any);
  const memory::desc any_dst({1, 64, 32, 32}, context.data_type, memory::format_tag::any);
  const memory::desc chosen =
      onednn::MakeConvPd(context, probe, dnnl::algorithm::convolution_direct, any_src, any_dst)
          .dst_desc();
  for (memory::format_tag tag : {memory::format_tag::nhwc, memory::format_tag::nChw16c,
                                 memory::format_tag::nChw8c}) {
    const memory::desc d({1, 64, 32, 32}, context.data_type, tag);
    if (d == chosen && std::find(tags.begin(), tags.end(), tag) == tags.end() &&
        JitLayout(context, tag)) {
      tags.push_back(tag);
    }
  }
  if (tags.empty()) tags.push_back(memory::format_tag::nhwc);
  return tags;
}

class OnednnFaceEngine : public FaceEngine {
 public:
  OnednnFaceEngine(const OnednnEngineOptions& options, std::vector<onednn::FpnConv> convs)
      : options_(options), convs_(std::move(convs)) {}

  // int8: marks the quantized convolutions and sets their scales from
  // options_.int8_scales (checked by the caller).
  void SetInt8Scales();

  // Packs the weights and chooses the layout and the algorithms. Throws
  // dnnl::error.
  void Init();

  ModelResult<std::vector<ParseResult>> Parse(
      const std::vector<RgbImageView>& batch,
      const ParseOptions& options) const override {
    return Run(batch, options, nullptr);
  }

  ModelResult<std::vector<ParseResult>> Run(
      const std::vector<RgbImageView>& batch, const ParseOptions& options,
      std::vector<onednn::StepTime>* times,
      const onednn::ConvInputObserver* observer = nullptr) const;

  const std::vector<onednn::FpnConv>& convs() const { return convs_; }

  const NetConfig& config() const override { return options_.config; }
  std::string engine() const override { return "onednn"; }
  std::string device() const override { return "cpu"; }
  std::string precision() const override { return PrecisionName(options_.precision); }
  std::string Describe() const override { return description_; }

 private:
  using ShapeKey = std::tuple<int64_t, int64_t, int64_t>;

  std::shared_ptr<const ForwardPlan> PlanFor(const ShapeKey& key) const;
  std::unique_ptr<Workspace> Checkout(const ShapeKey& key, const ForwardPlan& plan) const;
  void Return(const ShapeKey& key, std::unique_ptr<Workspace> ws) const;

  const OnednnEngineOptions options_;
  std::vector<onednn::FpnConv> convs_;  // Fixed after Init().
  std::vector<PackedConv> packed_;  // Fixed after Init().
  onednn::PlanContext context_;
  std::string description_;

  mutable std::mutex mu_;
  mutable std::map<ShapeKey, std::shared_ptr<const ForwardPlan>> plans_;  // Guarded by mu_.
  struct Idle {
    ShapeKey key;
    std::unique_ptr<Workspace> ws;
  };
  mutable std::list<Idle> idle_;  // Most recently returned first. Guarded by mu_.
};

void OnednnFaceEngine::SetInt8Scales() {
  const std::map<std::string, float>& ranges =
      options_.int8_scales.input_ranges;
  for (size_t i = 0; i < convs_.size(); ++i) {
    onednn::FpnConv& conv = convs_[i];
    auto range = ranges.find(conv.name);
    if (!OnednnInt8Quantizes(conv.name, options_) || range == ranges.end())
      continue;
    conv.int8 = true;
    conv.input_scale = 127.0f / range->second;
    const int64_t per_out = conv.in_ch * 9;
    conv.weight_scale.assign(conv.out_ch, 1.0f);
    for (int64_t o = 0; o < conv.out_ch; ++o) {
      float m = 0;
      for (int64_t k = 0; k < per_out; ++k) {
        m = std::max(m, std::fabs(conv.weight[o * per_out + k]));
      }
      if (m > 0) conv.weight_scale[o] = 127.0f / m;
    }
  }
  // A shortcut reads its block's padded input, which the pad quantizes once
  // with conv1's scale (the next convolution): they must agree.
  for (size_t i = 0; i + 1 < convs_.size(); ++i) {
    onednn::FpnConv& conv = convs_[i];
    const onednn::FpnConv& next = convs_[i + 1];
    const std::string suffix = ".shortcut_func";
    if (conv.name.size() > suffix.size() &&
        conv.name.compare(conv.name.size() - suffix.size(), suffix.size(),
                          suffix) == 0) {
      conv.int8 = next.int8;
      conv.input_scale = next.input_scale;
    }
  }
}

void OnednnFaceEngine::Init() {
  if (options_.threads > 0) omp_set_num_threads(options_.threads);
  context_.engine = dnnl::engine(dnnl::engine::kind::cpu, 0);
  context_.data_type = options_.precision == Precision::kBf16 ? memory::data_type::bf16
                                                               : memory::data_type::f32;
  context_.int8 = options_.precision == Precision::kInt8;
  if (context_.int8) SetInt8Scales();
  context_.config = &options_.config;
  context_.convs = &convs_;
  context_.packed = &packed_;

  packed_.resize(convs_.size());
  for (size_t i = 0; i < convs_.size(); ++i) {
    const onednn::FpnConv& conv = convs_[i];
    packed_[i].bias = memory({{conv.out_ch}, memory::data_type::f32, memory::format_tag::x},
                             context_.engine);
    float* bias = static_cast<float*>(packed_[i].bias.get_data_handle());
    std::copy(conv.bias.begin(), conv.bias.end(), bias);
    if (conv.int8) {
      // oneDNN 2.x adds the bias to the s32 sums before the output scale.
      const std::vector<float> scales = onednn::OutputScales(conv);
      for (int64_t o = 0; o < conv.out_ch; ++o) bias[o] /= scales[o];
    }
    packed_[i].algorithm = options_.algorithms == ConvAlgorithmPolicy::kWinograd && conv.stride == 1
                               ? dnnl::algorithm::convolution_winograd
                               : dnnl::algorithm::convolution_direct;
  }
  const int64_t size = options_.config.in_size;
  const ShapeKey key{1, size, size};
  context_.tags = CandidateLayouts(context_);
  if (options_.layout == ActivationLayout::kBlocked) {
    context_.tags.resize(1);
  } else if (options_.layout == ActivationLayout::kChannelsLast) {
    context_.tags = {memory::format_tag::nhwc};
  } else if (context_.int8 &&
             options_.algorithms == ConvAlgorithmPolicy::kMeasure) {
    // int8 kernels take channels-last only; the f32 first layer (and fp32
    // heads) may still be faster in the blocked layout (with AVX2, oneDNN
    // has only a reference kernel for 3-channel channels-last input).
    onednn::PlanContext f32 = context_;
    f32.int8 = false;
    for (memory::format_tag tag :
         {memory::format_tag::nChw16c, memory::format_tag::nChw8c}) {
      if (JitLayout(f32, tag)) {
        if (std::find(context_.tags.begin(), context_.tags.end(), tag) ==
            context_.tags.end()) {
          context_.tags.push_back(tag);
        }
        break;
      }
    }
  }
  std::string estimates;
  if (options_.algorithms == ConvAlgorithmPolicy::kMeasure) {
    const onednn::ConvChoice choice = onednn::ChooseConvs(
        context_, onednn::BuildFpnProgram(options_.config, convs_, size, size), true,
        /*mix=*/options_.layout == ActivationLayout::kMeasure);
    for (size_t i = 0; i < packed_.size(); ++i) {
      packed_[i].layout = choice.layouts[i];
      packed_[i].algorithm = choice.algorithms[i];
    }
    for (size_t t = 0; t < context_.tags.size(); ++t) {
      char item[64];
      if (choice.single_layout_seconds[t] >
          1e29) {  // Some layer has no kernel.
        std::snprintf(item, sizeof(item), "%s=n/a,", TagName(context_.tags[t]));
      } else {
        std::snprintf(item, sizeof(item), "%s=%.3fs,",
                      TagName(context_.tags[t]),
                      choice.single_layout_seconds[t]);
      }
      estimates += item;
    }
    char item[64];
    std::snprintf(item, sizeof(item), "chosen=%.3fs", choice.estimated_seconds);
    estimates += item;
  }
  auto plan = std::make_shared<const ForwardPlan>(context_, 1, size, size);
  plan->ExportConvs(&packed_);
  plans_[key] = plan;

  int direct = 0, winograd = 0;
  std::vector<int> per_layout(context_.tags.size(), 0);
  for (const PackedConv& p : packed_) {
    (p.algorithm == dnnl::algorithm::convolution_winograd ? winograd : direct)++;
    ++per_layout[p.layout];
  }
  std::string layouts;
  for (size_t t = 0; t < context_.tags.size(); ++t) {
    if (per_layout[t] == 0) continue;
    layouts += (layouts.empty() ? "" : ",") + std::string(TagName(context_.tags[t])) + ":" +
               std::to_string(per_layout[t]);
  }
  std::string impls;
  for (const auto& [impl, count] : plan->ImplCounts()) {
    impls += (impls.empty() ? "" : ",") + impl + "=" + std::to_string(count);
  }
  description_ = std::string("engine=onednn device=cpu isa=") + OnednnIsaName() +
                 " precision=" + precision() + " threads=" +
                 std::to_string(options_.threads > 0 ? options_.threads : omp_get_max_threads()) +
                 " layouts=" + layouts +
                 (estimates.empty() ? "" : " (convs estimated " + estimates + ")") +
                 " direct=" + std::to_string(direct) +
                 " winograd=" + std::to_string(winograd) + " impl=" + impls + " workspace_mb=" +
                 std::to_string(plan->workspace_bytes() >> 20) + " (batch 1, " +
                 std::to_string(size) + " px)";
  if (context_.int8) {
    int quantized = 0;
    for (const onednn::FpnConv& conv : convs_) quantized += conv.int8;
    description_ += " int8_convs=" + std::to_string(quantized) + "/" +
                    std::to_string(convs_.size()) +
                    " int8_ranges=" + options_.int8_scales.method + "," +
                    std::to_string(options_.int8_scales.images) + "_faces";
  }
}

std::shared_ptr<const ForwardPlan> OnednnFaceEngine::PlanFor(const ShapeKey& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<const ForwardPlan>& plan = plans_[key];
  if (!plan) {
    plan = std::make_shared<const ForwardPlan>(context_, std::get<0>(key), std::get<1>(key),
                                               std::get<2>(key));
  }
  return plan;
}

std::unique_ptr<Workspace> OnednnFaceEngine::Checkout(const ShapeKey& key,
                                                      const ForwardPlan& plan) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->key == key) {
        std::unique_ptr<Workspace> ws = std::move(it->ws);
        idle_.erase(it);
        return ws;
      }
    }
  }
  return plan.NewWorkspace();  // Allocated outside the lock.
}

void OnednnFaceEngine::Return(const ShapeKey& key, std::unique_ptr<Workspace> ws) const {
  std::list<Idle> freed;  // Destroyed after the lock is released.
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_front({key, std::move(ws)});
  size_t total = 0, same = 0;
  for (auto it = idle_.begin(); it != idle_.end();) {
    const bool keep = it == idle_.begin() ||
                      (it->key == key ? ++same < kMaxIdleWorkspacesPerShape
                                      : total + it->ws->bytes() <= kMaxIdleBytes);
    if (!keep) {
      auto next = std::next(it);
      freed.splice(freed.end(), idle_, it);
      it = next;
      continue;
    }
    total += it->ws->bytes();
    ++it;
  }
}

ModelResult<std::vector<ParseResult>> OnednnFaceEngine::Run(
    const std::vector<RgbImageView>& batch, const ParseOptions& options,
    std::vector<onednn::StepTime>* times,
    const onednn::ConvInputObserver* observer) const {
  ModelStatus valid = ValidateBatch(batch, options_.config);
  if (!valid.ok()) return valid;
  const int64_t n = static_cast<int64_t>(batch.size());
  const int64_t h = batch[0].height, w = batch[0].width;
  const int64_t feat = std::min(h, w) >> options_.config.down_steps();
  if (feat < 2) {
    return ModelStatus::InvalidArgument(
        "image is " + std::to_string(w) + "x" + std::to_string(h) +
        ": too small for reflection padding after " +
        std::to_string(options_.config.down_steps()) + " down steps (need sides >= " +
        std::to_string(int64_t{2} << options_.config.down_steps()) + ")");
  }
  if (options_.threads > 0) omp_set_num_threads(options_.threads);
  try {
    const ShapeKey key{n, h, w};
    std::shared_ptr<const ForwardPlan> plan = PlanFor(key);
    std::unique_ptr<Workspace> ws = Checkout(key, *plan);
    const int64_t oh = plan->out_height(), ow = plan->out_width();
    std::vector<ParseResult> results(n);
    for (ParseResult& r : results) {
      r.height = oh;
      r.width = ow;
      r.labels.resize(oh * ow);
      if (options.want_restored) r.restored.resize(oh * ow * 3);
      if (options.want_raw) {
        r.logits.resize(options_.config.parsing_ch * oh * ow);
        r.image.resize(3 * oh * ow);
      }
    }
    plan->Execute(ws.get(), batch, options, &results, times, observer);
    Return(key, std::move(ws));
    return results;
  } catch (const dnnl::error& e) {
    return ModelStatus::Internal(std::string("oneDNN forward failed: ") + e.what());
  } catch (const std::bad_alloc&) {
    return ModelStatus::ResourceExhausted("oneDNN forward: out of memory for " +
                                          std::to_string(n) + " images of " +
                                          std::to_string(w) + "x" + std::to_string(h));
  }
}

}  // namespace

std::string OnednnIsaName() { return IsaName(dnnl::get_effective_cpu_isa()); }

bool OnednnSupports(Precision precision) {
  switch (precision) {
    case Precision::kFp32: return true;
    case Precision::kBf16:
      return IsaHas(dnnl::get_effective_cpu_isa(), dnnl::cpu_isa::avx512_core_bf16);
    case Precision::kInt8:
      return IsaHas(dnnl::get_effective_cpu_isa(), dnnl::cpu_isa::avx2);
    default: return false;
  }
}

bool OnednnInt8Quantizes(const std::string& name,
                         const OnednnEngineOptions& options) {
  if (name == "encoder.0") return false;
  return name != "heads" || options.int8_heads;
}

ModelResult<std::unique_ptr<FaceEngine>> CreateOnednnFaceEngine(
    const RawTensorMap& weights, const OnednnEngineOptions& options) {
  if (options.precision == Precision::kFp16) {
    return ModelStatus::Unimplemented(
        "precision \"fp16\" is not offered by the onednn engine (fp32, bf16 "
        "and int8 are); "
        "use fp32");
  }
  if (!OnednnSupports(options.precision)) {
    const bool int8 = options.precision == Precision::kInt8;
    return ModelStatus::FailedPrecondition(
        std::string("precision \"") + PrecisionName(options.precision) +
        "\" needs a CPU with " +
        (int8 ? "AVX2 (oneDNN ISA avx2; fast with AVX-512 VNNI or AVX-VNNI)"
              : "AVX-512 BF16 (oneDNN ISA avx512_core_bf16)") +
        "; this CPU offers " + OnednnIsaName() + ": use fp32");
  }
  ModelResult<std::vector<onednn::FpnConv>> convs =
      onednn::BuildFpnConvs(options.config, weights);
  if (!convs.ok()) return convs.status();
  if (options.precision == Precision::kInt8) {
    std::vector<std::string> required, known;
    for (const onednn::FpnConv& conv : *convs) {
      known.push_back(conv.name);
      const bool shortcut =
          conv.name.find("shortcut_func") != std::string::npos;
      if (OnednnInt8Quantizes(conv.name, options) && !shortcut)
        required.push_back(conv.name);
    }
    const std::string source = options.int8_scales_source.empty()
                                   ? "int8 scales"
                                   : options.int8_scales_source;
    if (options.int8_scales.input_ranges.empty() &&
        options.int8_scales.weights_checksum.empty()) {
      return ModelStatus::FailedPrecondition(
          "precision \"int8\" needs the activation ranges of these weights: "
          "make them with "
          "`facet-trainer calibrate --weights WEIGHTS` (" +
          std::string(kInt8ScalesFileName) + " beside the weights)");
    }
    ModelStatus checked = CheckInt8Scales(
        options.int8_scales, WeightsChecksum(weights), required, known, source);
    if (!checked.ok()) return checked;
  }
  try {
    auto engine = std::make_unique<OnednnFaceEngine>(options, std::move(*convs));
    engine->Init();
    return std::unique_ptr<FaceEngine>(std::move(engine));
  } catch (const dnnl::error& e) {
    return ModelStatus::Internal(std::string("building the oneDNN engine failed: ") + e.what());
  } catch (const std::bad_alloc&) {
    return ModelStatus::ResourceExhausted("building the oneDNN engine: out of memory");
  }
}

ModelStatus VisitOnednnConvInputs(const FaceEngine& engine,
                                  const std::vector<RgbImageView>& batch,
                                  const OnednnConvInputVisitor& visit) {
  const auto* onednn = dynamic_cast<const OnednnFaceEngine*>(&engine);
  if (onednn == nullptr || engine.precision() != "fp32") {
    return ModelStatus::InvalidArgument(
        "calibration needs the onednn engine in fp32, not " + engine.engine() +
        " " + engine.precision());
  }
  const std::vector<onednn::FpnConv>& convs = onednn->convs();
  const onednn::ConvInputObserver observer =
      [&](int conv, const onednn::ActLayout& layout, const float* data) {
        visit(convs[conv].name, layout, data);
      };
  ParseOptions options;
  options.want_restored = false;
  ModelResult<std::vector<ParseResult>> ran =
      onednn->Run(batch, options, nullptr, &observer);
  return ran.ok() ? ModelStatus::Ok() : ran.status();
}

ModelResult<std::vector<OnednnLayerTime>> ProfileOnednnForward(
    const FaceEngine& engine, const std::vector<RgbImageView>& batch) {
  const auto* onednn = dynamic_cast<const OnednnFaceEngine*>(&engine);
  if (onednn == nullptr) {
    return ModelStatus::InvalidArgument("profiling needs the onednn engine, not \"" +
                                        engine.engine() + "\"");
  }
  std::vector<onednn::StepTime> times;
  ParseOptions options;
  ModelResult<std::vector<ParseResult>> ran = onednn->Run(batch, options, &times);
  if (!ran.ok()) return ran.status();
  std::vector<OnednnLayerTime> out;
  for (const onednn::StepTime& t : times) {
    out.push_back({t.name, KindName(t.kind), t.impl.empty() ? "own" : t.impl, t.seconds,
                   t.cpu_seconds, t.gflop});
  }
  return out;
}

}  // namespace facet
