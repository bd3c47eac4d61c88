#include "core/model/net_config.h"

#include <algorithm>
#include <set>

namespace facet {
namespace {

bool IsPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

int64_t Log2(int64_t v) {
  int64_t n = 0;
  while (v > 1) {
    v >>= 1;
    ++n;
  }
  return n;
}

std::string Field(const char* name, int64_t value) {
  return std::string(name) + "=" + std::to_string(value);
}

// Appends the entries of one ConvLayer at `prefix`, as upstream registers
// them: conv2d (with a bias only when no BatchNorm follows), then the norm.
void AddConvLayer(const std::string& prefix, int64_t in, int64_t out,
                  bool batch_norm, std::vector<ParamSpec>* specs) {
  specs->push_back({prefix + ".conv2d.weight", {out, in, 3, 3}});
  if (!batch_norm) {
    specs->push_back({prefix + ".conv2d.bias", {out}});
    return;
  }
  const std::string bn = prefix + ".norm.norm.";
  for (const char* name : {"weight", "bias", "running_mean", "running_var"}) {
    specs->push_back({bn + name, {out}});
  }
  specs->push_back({bn + "num_batches_tracked", {}, DType::kInt64});
}

// A ResidualBlock: shortcut_func (when present), conv1, conv2.
void AddResidualBlock(const std::string& prefix, int64_t in, int64_t out,
                      bool resample, std::vector<ParamSpec>* specs) {
  if (resample || in != out) {
    AddConvLayer(prefix + ".shortcut_func", in, out, /*batch_norm=*/false,
                 specs);
  }
  AddConvLayer(prefix + ".conv1", in, out, /*batch_norm=*/true, specs);
  AddConvLayer(prefix + ".conv2", out, out, /*batch_norm=*/true, specs);
}

bool IsFloat(DType d) {
  return d == DType::kFloat32 || d == DType::kFloat16 ||
         d == DType::kBFloat16 || d == DType::kFloat64;
}

// Index i of "<group>.<i>.…" keys, or -1.
int64_t BlockIndex(const std::string& key, const std::string& group) {
  if (key.compare(0, group.size() + 1, group + ".") != 0) return -1;
  size_t pos = group.size() + 1;
  size_t end = key.find('.', pos);
  if (end == std::string::npos || end == pos) return -1;
  int64_t v = 0;
  for (size_t i = pos; i < end; ++i) {
    if (key[i] < '0' || key[i] > '9' || end - pos > 6) return -1;
    v = v * 10 + (key[i] - '0');
  }
  return v;
}

}  // namespace

int64_t NetConfig::Clip(int64_t c) const {
  return std::max(ch_lo, std::min(c, ch_hi));
}

int64_t NetConfig::down_steps() const {
  return Log2(in_size / std::min(in_size, min_feat_size));
}

int64_t NetConfig::up_steps() const {
  return Log2(out_size / std::min(in_size, min_feat_size));
}

ModelStatus NetConfig::Validate() const {
  auto bad = [this](const std::string& what) {
    return ModelStatus::InvalidArgument("invalid network configuration (" +
                                        ToString() + "): " + what);
  };
  if (!IsPowerOfTwo(in_size) || in_size > 8192) {
    return bad(Field("in_size", in_size) + ", expected a power of two <= 8192");
  }
  if (!IsPowerOfTwo(out_size) || out_size > 8192) {
    return bad(Field("out_size", out_size) +
               ", expected a power of two <= 8192");
  }
  if (!IsPowerOfTwo(min_feat_size)) {
    return bad(Field("min_feat_size", min_feat_size) +
               ", expected a power of two");
  }
  if (out_size < std::min(in_size, min_feat_size)) {
    return bad(Field("out_size", out_size) +
               ", expected at least min(in_size, min_feat_size)");
  }
  if (ch_lo < 1 || ch_hi < ch_lo || ch_hi > 4096) {
    return bad("channel range [" + std::to_string(ch_lo) + ", " +
               std::to_string(ch_hi) + "], expected 1 <= lo <= hi <= 4096");
  }
  if (base_ch < ch_lo || base_ch > ch_hi) {
    return bad(Field("base_ch", base_ch) + ", expected within the channel range");
  }
  if (parsing_ch < 1 || parsing_ch > 1024) {
    return bad(Field("parsing_ch", parsing_ch) + ", expected 1..1024");
  }
  if (res_depth < 0 || res_depth > 256) {
    return bad(Field("res_depth", res_depth) + ", expected 0..256");
  }
  return ModelStatus::Ok();
}

std::string NetConfig::ToString() const {
  return "in " + std::to_string(in_size) + " out " + std::to_string(out_size) +
         " min_feat " + std::to_string(min_feat_size) + " base " +
         std::to_string(base_ch) + " parsing " + std::to_string(parsing_ch) +
         " depth " + std::to_string(res_depth) + " range [" +
         std::to_string(ch_lo) + ", " + std::to_string(ch_hi) + "]";
}

bool NetConfig::operator==(const NetConfig& o) const {
  return in_size == o.in_size && out_size == o.out_size &&
         min_feat_size == o.min_feat_size && base_ch == o.base_ch &&
         parsing_ch == o.parsing_ch && res_depth == o.res_depth &&
         ch_lo == o.ch_lo && ch_hi == o.ch_hi;
}

ModelResult<NetConfig> NetConfigPreset(const std::string& name) {
  NetConfig c;
  if (name == "published") return c;
  if (name == "small") {
    c.in_size = c.out_size = 128;
    c.min_feat_size = 16;
    c.base_ch = 16;
    c.res_depth = 2;
    c.ch_lo = 16;
    c.ch_hi = 64;
    return c;
  }
  if (name == "tiny") {
    c.in_size = c.out_size = 64;
    c.min_feat_size = 16;
    c.base_ch = 8;
    c.res_depth = 2;
    c.ch_lo = 8;
    c.ch_hi = 16;
    return c;
  }
  // Explicit: "in,out,min_feat,base,parsing,depth,lo,hi".
  std::vector<int64_t> v;
  size_t pos = 0;
  while (pos <= name.size() && v.size() < 9) {
    size_t end = name.find(',', pos);
    if (end == std::string::npos) end = name.size();
    const std::string field = name.substr(pos, end - pos);
    if (field.empty() || field.size() > 6 ||
        field.find_first_not_of("0123456789") != std::string::npos) {
      v.clear();
      break;
    }
    v.push_back(std::stoll(field));
    pos = end + 1;
  }
  if (v.size() != 8) {
    return ModelStatus::InvalidArgument(
        "unknown network preset \"" + name +
        "\" (expected published, small, tiny or "
        "in,out,min_feat,base,parsing,depth,lo,hi)");
  }
  c.in_size = v[0];
  c.out_size = v[1];
  c.min_feat_size = v[2];
  c.base_ch = v[3];
  c.parsing_ch = v[4];
  c.res_depth = v[5];
  c.ch_lo = v[6];
  c.ch_hi = v[7];
  ModelStatus valid = c.Validate();
  if (!valid.ok()) return valid;
  return c;
}

std::vector<ParamSpec> ExpectedStateDict(const NetConfig& c) {
  std::vector<ParamSpec> specs;
  const int64_t b = c.base_ch;
  const int64_t d = c.down_steps();
  const int64_t u = c.up_steps();
  AddConvLayer("encoder.0", 3, b, /*batch_norm=*/false, &specs);
  for (int64_t i = 0; i < d; ++i) {
    AddResidualBlock("encoder." + std::to_string(i + 1), c.Clip(b << i),
                     c.Clip(b << (i + 1)), /*resample=*/true, &specs);
  }
  const int64_t body_ch = c.Clip(b << d);
  for (int64_t i = 0; i < c.res_depth; ++i) {
    AddResidualBlock("body." + std::to_string(i), body_ch, body_ch,
                     /*resample=*/false, &specs);
  }
  for (int64_t j = 0; j < u; ++j) {
    // b·2^(d−j−1) may be a fraction when u > d; Clip lifts it to ch_lo.
    const int64_t next = d - j - 1 >= 0 ? (b << (d - j - 1)) : 0;
    AddResidualBlock("decoder." + std::to_string(j), c.Clip(b << (d - j)),
                     c.Clip(next), /*resample=*/true, &specs);
  }
  const int64_t head_ch = d - u >= 0 ? c.Clip(b << (d - u)) : c.Clip(0);
  AddConvLayer("out_img_conv", head_ch, 3, /*batch_norm=*/false, &specs);
  AddConvLayer("out_mask_conv", head_ch, c.parsing_ch, /*batch_norm=*/false,
               &specs);
  return specs;
}

ModelStatus CheckStateDictShapes(const NetConfig& config,
                                 const RawTensorMap& tensors) {
  ModelStatus valid = config.Validate();
  if (!valid.ok()) return valid;
  std::set<std::string> expected_names;
  for (const ParamSpec& spec : ExpectedStateDict(config)) {
    expected_names.insert(spec.name);
    auto it = tensors.find(spec.name);
    if (it == tensors.end()) {
      return ModelStatus::InvalidArgument(
          "missing tensor \"" + spec.name + "\" (expected shape " +
          ShapeToString(spec.shape) + " for network " + config.ToString() +
          ")");
    }
    const RawTensor& t = it->second;
    if (t.shape != spec.shape) {
      return ModelStatus::InvalidArgument(
          "tensor \"" + spec.name + "\" has shape " + ShapeToString(t.shape) +
          ", expected " + ShapeToString(spec.shape) + " for network " +
          config.ToString());
    }
    const bool dtype_ok = spec.dtype == DType::kInt64
                              ? t.dtype == DType::kInt64
                              : IsFloat(t.dtype);
    if (!dtype_ok) {
      return ModelStatus::InvalidArgument(
          "tensor \"" + spec.name + "\" has dtype " + DTypeName(t.dtype) +
          ", expected " + (spec.dtype == DType::kInt64 ? "I64" : "a float type"));
    }
  }
  for (const auto& [name, tensor] : tensors) {
    if (!expected_names.count(name)) {
      return ModelStatus::InvalidArgument(
          "unexpected tensor \"" + name + "\" with shape " +
          ShapeToString(tensor.shape) + " (not part of network " +
          config.ToString() + ")");
    }
  }
  return ModelStatus::Ok();
}

ModelResult<NetConfig> InferNetConfig(const RawTensorMap& tensors,
                                      int64_t input_size) {
  auto shape_of = [&](const std::string& key) -> const std::vector<int64_t>* {
    auto it = tensors.find(key);
    return it == tensors.end() ? nullptr : &it->second.shape;
  };
  const auto* first = shape_of("encoder.0.conv2d.weight");
  const auto* mask = shape_of("out_mask_conv.conv2d.weight");
  if (first == nullptr || mask == nullptr || first->size() != 4 ||
      mask->size() != 4) {
    return ModelStatus::InvalidArgument(
        "not a face parsing network state dict: expected 4-d tensors "
        "\"encoder.0.conv2d.weight\" and \"out_mask_conv.conv2d.weight\"");
  }
  int64_t max_encoder = -1, max_body = -1, max_decoder = -1, hi = 0;
  for (const auto& [name, tensor] : tensors) {
    max_encoder = std::max(max_encoder, BlockIndex(name, "encoder"));
    max_body = std::max(max_body, BlockIndex(name, "body"));
    max_decoder = std::max(max_decoder, BlockIndex(name, "decoder"));
    // Heads output 3 and parsing_ch channels, which are not clipped.
    if (name.rfind("out_", 0) == 0 || tensor.shape.empty()) continue;
    hi = std::max(hi, tensor.shape[0]);
  }
  NetConfig config;
  config.base_ch = (*first)[0];
  config.parsing_ch = (*mask)[0];
  config.res_depth = max_body + 1;
  config.ch_lo = config.base_ch;
  config.ch_hi = std::max(hi, config.base_ch);
  const int64_t d = max_encoder;  // encoder.0 plus d down blocks.
  const int64_t u = max_decoder + 1;
  if (d < 0 || d > 12 || u > 12) {
    return ModelStatus::InvalidArgument(
        "not a face parsing network state dict: found " +
        std::to_string(d + 1) + " encoder and " + std::to_string(u) +
        " decoder blocks");
  }
  config.in_size = input_size;
  config.min_feat_size = input_size >> d;
  config.out_size = config.min_feat_size << u;
  if (config.min_feat_size < 1 || (config.min_feat_size << d) != input_size) {
    return ModelStatus::InvalidArgument(
        "input size " + std::to_string(input_size) +
        " is not divisible by 2^" + std::to_string(d) +
        " (the weights have " + std::to_string(d) + " down-sampling blocks)");
  }
  ModelStatus shapes = CheckStateDictShapes(config, tensors);
  if (!shapes.ok()) {
    return ModelStatus::InvalidArgument(
        "weights do not form a face parsing network: " + shapes.message());
  }
  return config;
}

}  // namespace facet
