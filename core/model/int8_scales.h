// Int8Scales: the activation ranges an int8 forward quantizes with, as
// measured by `facet-trainer calibrate` on degraded faces, and the small
// file they live in beside the weights (a version folder's
// int8_scales.safetensors, or "<stem>.int8_scales.safetensors" next to a
// bare weights file).
//
// File format: a safetensors file (the strict reader of safetensors.h, so no
// JSON library), whose header is readable JSON:
//   tensors   "<conv>.input_range"  F32 [1]: the largest |x| of the int8
//             convolution's input that the int8 grid covers (values beyond
//             saturate), per convolution name ("encoder.1.conv1", "heads");
//   metadata  format "facet-int8-scales", format_version "1",
//             weights_checksum (WeightsChecksum of the weights the ranges
//             were measured with), method ("max" or "percentile:P"),
//             images (how many faces), data (where they came from).
// A file of other weights is refused by its checksum, so ranges are never
// applied to a network they were not measured on.
//
// Thread safety: pure functions.
#ifndef FACET_CORE_MODEL_INT8_SCALES_H_
#define FACET_CORE_MODEL_INT8_SCALES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model_status.h"
#include "core/model/raw_tensor.h"

namespace facet {

// Name of the scales file inside a version folder.
constexpr char kInt8ScalesFileName[] = "int8_scales.safetensors";
// Suffix replacing a bare weights file's extension ("net.pth" ->
// "net.int8_scales.safetensors").
constexpr char kInt8ScalesSuffix[] = ".int8_scales.safetensors";
constexpr char kInt8ScalesFormat[] = "facet-int8-scales";
constexpr int kInt8ScalesFormatVersion = 1;
// Largest scales file read (real ones are about 5 KB).
constexpr uint64_t kMaxInt8ScalesBytes = 1 << 20;

struct Int8Scales {
  std::string weights_checksum;  // WeightsChecksum() of the weights.
  std::string method;            // "max" or "percentile:99.99".
  int64_t images = 0;            // Faces the ranges were measured on.
  std::string data;              // e.g. "synthetic (degraded)".
  // Convolution name -> largest |input| covered; finite and > 0.
  std::map<std::string, float> input_ranges;
};

// 16 lowercase hex digits: FNV-1a (64 bit) over every tensor's name, dtype,
// shape and bytes in name order. Detects a scales file of other weights (not
// an adversary); independent of the file format the weights came from.
std::string WeightsChecksum(const RawTensorMap& weights);

// Where the scales of the weights at `weights_path` live: the folder's
// kInt8ScalesFileName for a folder (version folder), else the file's path
// with its extension replaced by kInt8ScalesSuffix.
std::string Int8ScalesPathFor(const std::string& weights_path);

// The file bytes of `scales`. REQUIRES: every range finite and > 0.
std::string SerializeInt8Scales(const Int8Scales& scales);

// Parses file bytes. `source` (the path) prefixes messages. DataLoss for a
// truncated or malformed file; InvalidArgument for another format or
// version, a missing or extra field, a tensor that is not "<name>.input_range"
// F32 [1], or a range that is not finite and > 0.
ModelResult<Int8Scales> ParseInt8Scales(std::string_view bytes,
                                        const std::string& source);

// Reads and parses `path`. NotFound if missing; otherwise as
// ParseInt8Scales (ResourceExhausted above kMaxInt8ScalesBytes).
ModelResult<Int8Scales> ReadInt8ScalesFile(const std::string& path);

// Writes the file atomically (a temporary beside it, fsynced, renamed over
// `path`). The status names `path` and the system error on failure.
ModelStatus WriteInt8ScalesFile(const std::string& path,
                                const Int8Scales& scales);

// Checks that `scales` belong to weights with `weights_checksum`, hold a
// range for every convolution in `required` and name no convolution
// outside `known` (the network's). `source` (the
// path) prefixes messages. FailedPrecondition for a checksum mismatch
// (naming both and the command that remakes the file); InvalidArgument
// naming a missing or foreign convolution.
ModelStatus CheckInt8Scales(const Int8Scales& scales,
                            const std::string& weights_checksum,
                            const std::vector<std::string>& required,
                            const std::vector<std::string>& known,
                            const std::string& source);

}  // namespace facet

#endif  // FACET_CORE_MODEL_INT8_SCALES_H_
