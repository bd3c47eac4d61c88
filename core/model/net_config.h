// NetConfig: the hyper-parameters that fix the FPN's architecture (spec
// section 1), the channel rule derived from them, and the exact list of
// state-dict entries they imply (spec section 4).
//
// Standard library only: the repository validates weight files against a
// configuration without LibTorch headers.
#ifndef FACET_CORE_MODEL_NET_CONFIG_H_
#define FACET_CORE_MODEL_NET_CONFIG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/model/model_status.h"
#include "core/model/raw_tensor.h"

namespace facet {

struct NetConfig {
  int64_t in_size = 512;        // Network input side (px).
  int64_t out_size = 512;       // Network output side (px).
  int64_t min_feat_size = 32;   // Side of the body's feature maps.
  int64_t base_ch = 64;         // Channels of encoder.0.
  int64_t parsing_ch = 19;      // Parsing classes (CelebAMask-HQ: 19).
  int64_t res_depth = 10;       // Body residual blocks.
  int64_t ch_lo = 32;           // Channel clip range, low end.
  int64_t ch_hi = 256;          // Channel clip range, high end.

  // The published PSFR-GAN configuration (the defaults above).
  static NetConfig Published() { return NetConfig(); }

  // Checks that sizes are powers of two with out/in ratio consistent,
  // base_ch within [ch_lo, ch_hi], counts positive. InvalidArgument names
  // the offending field and value.
  ModelStatus Validate() const;

  // Down steps d = log2(in_size / min(in_size, min_feat_size)).
  int64_t down_steps() const;
  // Up steps u = log2(out_size / min(in_size, min_feat_size)).
  int64_t up_steps() const;
  // max(ch_lo, min(c, ch_hi)).
  int64_t Clip(int64_t c) const;

  // "in 64 out 64 min_feat 16 base 8 parsing 19 depth 2 range [8, 16]".
  std::string ToString() const;

  bool operator==(const NetConfig& o) const;
  bool operator!=(const NetConfig& o) const { return !(*this == o); }
};

// Named configurations: "published" (the default, 512 px, ~21.3M
// parameters), "small" (128 px, base 16, range [16, 64], depth 2: the
// demo's, trains on a CPU in minutes) and "tiny" (the golden fixtures' 64 px
// network with 32,766 parameters: tests), or an explicit
// "in,out,min_feat,base,parsing,depth,lo,hi" (validated). InvalidArgument
// otherwise.
ModelResult<NetConfig> NetConfigPreset(const std::string& name);

// One state-dict entry the network holds: name, shape and dtype, in the
// network's registration order.
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::kFloat32;
};

// The entries a network of `config` holds, in registration order (238 for
// the published configuration). REQUIRES: config.Validate().ok().
std::vector<ParamSpec> ExpectedStateDict(const NetConfig& config);

// Checks that `tensors` holds exactly the entries of ExpectedStateDict with
// the same shapes (dtype may be any floating type for float entries).
// InvalidArgument naming the first missing, unexpected or misshapen key,
// with both shapes.
ModelStatus CheckStateDictShapes(const NetConfig& config,
                                 const RawTensorMap& tensors);

// Infers the configuration of a bare weight file from its tensor shapes.
// `input_size` becomes in_size; min_feat_size, out_size follow from the
// number of encoder and decoder blocks. ch_lo is set to base_ch (the low end
// of the range never binds, so it cannot be read from weights). The result
// is checked with CheckStateDictShapes. InvalidArgument when the tensors are
// not an FPN state dict.
ModelResult<NetConfig> InferNetConfig(const RawTensorMap& tensors,
                                      int64_t input_size = 512);

}  // namespace facet

#endif  // FACET_CORE_MODEL_NET_CONFIG_H_
