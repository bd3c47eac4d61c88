#include "core/model/int8_scales.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/model/safetensors.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

constexpr char kRangeSuffix[] = ".input_range";
const char* const kMetadataKeys[] = {
    "format", "format_version", "weights_checksum", "method", "images", "data"};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Fnv1a64 {
  uint64_t h = 1469598103934665603ull;
  void Add(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  void Add(int64_t v) { Add(&v, sizeof(v)); }
};

}  // namespace

std::string WeightsChecksum(const RawTensorMap& weights) {
  Fnv1a64 fnv;
  for (const auto& [name, t] : weights) {
    fnv.Add(static_cast<int64_t>(name.size()));
    fnv.Add(name.data(), name.size());
    fnv.Add(static_cast<int64_t>(t.dtype));
    fnv.Add(static_cast<int64_t>(t.shape.size()));
    for (int64_t d : t.shape) fnv.Add(d);
    fnv.Add(static_cast<int64_t>(t.data.size()));
    fnv.Add(t.data.data(), t.data.size());
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(fnv.h));
  return hex;
}

std::string Int8ScalesPathFor(const std::string& weights_path) {
  std::error_code ec;
  const fs::path p(weights_path);
  if (fs::is_directory(p, ec)) return (p / kInt8ScalesFileName).string();
  fs::path out = p;
  out.replace_extension();
  return out.string() + kInt8ScalesSuffix;
}

std::string SerializeInt8Scales(const Int8Scales& scales) {
  RawTensorMap tensors;
  for (const auto& [name, range] : scales.input_ranges) {
    RawTensor t;
    t.shape = {1};
    t.data.resize(4);
    std::memcpy(t.data.data(), &range, 4);
    tensors[name + kRangeSuffix] = std::move(t);
  }
  const std::map<std::string, std::string> metadata = {
      {"format", kInt8ScalesFormat},
      {"format_version", std::to_string(kInt8ScalesFormatVersion)},
      {"weights_checksum", scales.weights_checksum},
      {"method", scales.method},
      {"images", std::to_string(scales.images)},
      {"data", scales.data}};
  return SerializeSafetensors(tensors, metadata);
}

ModelResult<Int8Scales> ParseInt8Scales(std::string_view bytes,
                                        const std::string& source) {
  ModelResult<SafetensorsContents> contents = ParseSafetensors(bytes, source);
  if (!contents.ok()) return contents.status();
  const std::map<std::string, std::string>& meta = contents->metadata;
  auto bad = [&](const std::string& what) {
    return ModelStatus::InvalidArgument(source + ": " + what);
  };
  for (const char* key : kMetadataKeys) {
    if (!meta.count(key)) {
      return bad(std::string("metadata field \"") + key +
                 "\" missing: not an int8 scales file written by facet-trainer "
                 "calibrate");
    }
  }
  for (const auto& [key, value] : meta) {
    if (std::find(std::begin(kMetadataKeys), std::end(kMetadataKeys), key) ==
        std::end(kMetadataKeys)) {
      return bad("unknown metadata field \"" + key + "\"");
    }
  }
  if (meta.at("format") != kInt8ScalesFormat) {
    return bad("format \"" + meta.at("format") + "\", expected \"" +
               kInt8ScalesFormat + "\"");
  }
  if (meta.at("format_version") != std::to_string(kInt8ScalesFormatVersion)) {
    return bad("format_version \"" + meta.at("format_version") +
               "\", this build reads " +
               std::to_string(kInt8ScalesFormatVersion));
  }
  Int8Scales scales;
  scales.weights_checksum = meta.at("weights_checksum");
  scales.method = meta.at("method");
  scales.data = meta.at("data");
  const std::string& images = meta.at("images");
  if (images.empty() || images.size() > 12 ||
      images.find_first_not_of("0123456789") != std::string::npos) {
    return bad("images \"" + images + "\", expected a non-negative integer");
  }
  scales.images = std::stoll(images);
  for (const auto& [name, t] : contents->tensors) {
    if (!EndsWith(name, kRangeSuffix) ||
        name.size() == std::strlen(kRangeSuffix)) {
      return bad("tensor \"" + name + "\": expected \"<convolution>" +
                 kRangeSuffix + "\"");
    }
    if (t.dtype != DType::kFloat32 || t.shape != std::vector<int64_t>{1}) {
      return bad("tensor \"" + name + "\" is " + DTypeName(t.dtype) + " " +
                 ShapeToString(t.shape) + ", expected F32 [1]");
    }
    float range;
    std::memcpy(&range, t.data.data(), 4);
    if (!std::isfinite(range) || range <= 0) {
      return bad("tensor \"" + name + "\" = " + std::to_string(range) +
                 ", expected a finite range > 0");
    }
    scales
        .input_ranges[name.substr(0, name.size() - std::strlen(kRangeSuffix))] =
        range;
  }
  return scales;
}

ModelResult<Int8Scales> ReadInt8ScalesFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    return ModelStatus::NotFound(path + ": no such file");
  if (!fs::is_regular_file(path, ec)) {
    return ModelStatus::InvalidArgument(path + ": not a regular file");
  }
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return ModelStatus::DataLoss(path + ": " + ec.message());
  if (size > kMaxInt8ScalesBytes) {
    return ModelStatus::ResourceExhausted(
        path + ": " + std::to_string(size) +
        " bytes, more than an int8 scales file holds (" +
        std::to_string(kMaxInt8ScalesBytes) + ")");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    return ModelStatus::DataLoss(path + ": read failed");
  }
  return ParseInt8Scales(bytes, path);
}

ModelStatus WriteInt8ScalesFile(const std::string& path,
                                const Int8Scales& scales) {
  for (const auto& [name, range] : scales.input_ranges) {
    if (!std::isfinite(range) || range <= 0) {
      return ModelStatus::InvalidArgument("int8 range of \"" + name + "\" is " +
                                          std::to_string(range) +
                                          ", expected finite > 0");
    }
  }
  ModelResult<SafetensorsContents> check =
      ParseSafetensors(SerializeInt8Scales(scales), path);
  if (!check.ok()) return check.status();
  const std::string temp = path + ".tmp-" + std::to_string(getpid());
  ModelStatus written =
      WriteSafetensorsFile(temp, check->tensors, check->metadata);
  if (!written.ok()) return written;
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string error = std::strerror(errno);
    std::remove(temp.c_str());
    return ModelStatus::Internal("cannot rename " + temp + " to " + path +
                                 ": " + error);
  }
  return ModelStatus::Ok();
}

ModelStatus CheckInt8Scales(const Int8Scales& scales,
                            const std::string& weights_checksum,
                            const std::vector<std::string>& required,
                            const std::vector<std::string>& known,
                            const std::string& source) {
  if (scales.weights_checksum != weights_checksum) {
    return ModelStatus::FailedPrecondition(
        source + ": measured on other weights (weights_checksum " +
        scales.weights_checksum + ", these weights have " + weights_checksum +
        "): run `facet-trainer calibrate --weights` on these weights to remake "
        "it");
  }
  const std::set<std::string> want(known.begin(), known.end());
  for (const std::string& name : required) {
    if (!scales.input_ranges.count(name)) {
      return ModelStatus::InvalidArgument(
          source + ": no range for convolution \"" + name + "\"");
    }
  }
  for (const auto& [name, range] : scales.input_ranges) {
    if (!want.count(name)) {
      return ModelStatus::InvalidArgument(
          source + ": range for \"" + name +
          "\", which is not an int8 convolution of this "
          "network");
    }
  }
  return ModelStatus::Ok();
}

}  // namespace facet
