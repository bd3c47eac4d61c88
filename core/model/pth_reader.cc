#include "core/model/pth_reader.h"

#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include "core/io/file_io.h"
#include "core/model/pickle_reader.h"
#include "core/model/pickle_torch.h"
#include "core/model/zip_archive.h"

namespace facet {
namespace {

// How many bytes beyond twice their storages' the tensors of one file may
// take (see Assemble).
constexpr uint64_t kOutputSlack = uint64_t{64} << 20;

// LONG1 bytes of the legacy format's magic number 0x1950a86a20f9469cfc6c.
constexpr char kLegacyMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
constexpr int64_t kLegacyProtocol = 1001;

ModelStatus Invalid(const std::string& m) {
  return ModelStatus::InvalidArgument(m);
}
ModelStatus Loss(const std::string& m) { return ModelStatus::DataLoss(m); }

// Turns the unpickled state dict into tensors, given each root storage's
// bytes (already checked to be root_numel elements long).
ModelResult<RawTensorMap> Assemble(
    const PickleValue& root, const StateDictResolver& resolver,
    const std::map<std::string, std::string_view>& root_bytes,
    const std::string& source) {
  // Tensors may take more bytes than their storages only when they share
  // or broadcast them; bound that by the storages' own size.
  uint64_t budget = kOutputSlack;
  for (const auto& [key, data] : root_bytes)
    budget += 2 * uint64_t{data.size()};
  auto entries = StateDictEntries(root, source);
  if (!entries.ok()) return entries.status();
  RawTensorMap out;
  for (const auto& [name, index] : *entries) {
    const TorchTensorRef& t = resolver.tensors()[index];
    const TorchStorageRef& s = resolver.storages()[t.storage];
    auto bytes = root_bytes.find(s.key);
    if (bytes == root_bytes.end()) {
      return Loss(source + ": storage '" + s.key + "' of tensor '" + name +
                  "' has no data");
    }
    ModelResult<RawTensor> tensor =
        MaterializeTensor(t, s, bytes->second, name, &budget);
    if (!tensor.ok()) {
      return ModelStatus(tensor.status().code(),
                         source + ": " + tensor.status().message());
    }
    out.emplace(name, std::move(tensor).value());
  }
  return out;
}

uint64_t StorageBytes(const TorchStorageRef& s) {
  return static_cast<uint64_t>(s.root_numel) * DTypeSize(s.dtype);
}

ModelResult<RawTensorMap> ParseZip(std::string_view bytes,
                                   const std::string& source) {
  ModelResult<ZipReader> zip = ZipReader::Open(bytes);
  if (!zip.ok()) {
    return ModelStatus(zip.status().code(),
                       source + ": " + zip.status().message());
  }
  if (zip->entries().empty()) return Invalid(source + ": empty zip archive");
  // Like torch, take the archive's root folder from its first entry.
  const std::string& first = zip->entries()[0].name;
  const size_t slash = first.find('/');
  if (slash == std::string::npos) {
    return Invalid(source +
                   ": zip archive is not a PyTorch checkpoint (entry '" +
                   first + "' is not inside a root folder)");
  }
  const std::string root = first.substr(0, slash + 1);
  for (const ZipEntry& e : zip->entries()) {
    if (e.name == root + "constants.pkl" ||
        e.name.compare(0, root.size() + 5, root + "code/") == 0) {
      return Invalid(source +
                     ": this is a TorchScript archive, not a state dict; "
                     "save model.state_dict() with torch.save instead");
    }
  }
  const ZipEntry* pickle_entry = zip->Find(root + "data.pkl");
  if (pickle_entry == nullptr) {
    return Invalid(source +
                   ": zip archive is not a PyTorch checkpoint: it has "
                   "no '" +
                   root + "data.pkl'");
  }
  if (const ZipEntry* order = zip->Find(root + "byteorder")) {
    ModelResult<std::string> value = zip->Read(*order);
    if (!value.ok()) return Loss(source + ": " + value.status().message());
    if (*value != "little") {
      return ModelStatus::Unimplemented(source + ": byte order '" + *value +
                                        "' is not supported");
    }
  }
  ModelResult<std::string> pickle = zip->Read(*pickle_entry);
  if (!pickle.ok()) return Loss(source + ": " + pickle.status().message());

  PickleArena arena;
  StateDictResolver resolver(/*legacy=*/false);
  size_t pos = 0;
  const std::string pickle_source = source + ":" + root + "data.pkl";
  ModelResult<PickleValue*> value =
      ReadPickle(*pickle, &pos, &arena, &resolver, pickle_source);
  if (!value.ok()) return value.status();
  if (pos != pickle->size()) {
    return Loss(pickle_source + ": " + std::to_string(pickle->size() - pos) +
                " bytes follow the pickle's STOP");
  }
  std::map<std::string, std::string_view> storages;
  std::deque<std::string> inflated;  // Backs views of deflated storages.
  for (const auto& [key, index] : resolver.roots()) {
    const TorchStorageRef& s = resolver.storages()[index];
    const std::string name = root + "data/" + key;
    const ZipEntry* entry = zip->Find(name);
    if (entry == nullptr) {
      return Loss(source + ": storage '" + key + "' has no entry '" + name +
                  "'");
    }
    if (entry->uncompressed_size != StorageBytes(s)) {
      return Loss(source + ": storage '" + key + "' holds " +
                  std::to_string(entry->uncompressed_size) + " bytes; its " +
                  std::to_string(s.root_numel) + " " + DTypeName(s.dtype) +
                  " elements need " + std::to_string(StorageBytes(s)));
    }
    inflated.emplace_back();
    ModelResult<std::string_view> data = zip->View(*entry, &inflated.back());
    if (!data.ok()) return Loss(source + ": " + data.status().message());
    storages.emplace(key, *data);
  }
  return Assemble(**value, resolver, storages, source);
}

// Runs one plain-data pickle of the legacy header.
ModelResult<PickleValue*> HeaderPickle(std::string_view bytes, size_t* pos,
                                       PickleArena* arena, const char* what,
                                       const std::string& source) {
  PlainDataResolver plain;
  ModelResult<PickleValue*> v =
      ReadPickle(bytes, pos, arena, &plain, source + " (" + what + ")");
  return v;
}

ModelResult<RawTensorMap> ParseLegacy(std::string_view bytes,
                                      const std::string& source) {
  PickleArena arena;
  size_t pos = 0;
  ModelResult<PickleValue*> magic =
      HeaderPickle(bytes, &pos, &arena, "magic number", source);
  if (!magic.ok() || (*magic)->kind != PickleKind::kLong ||
      (*magic)->text != std::string(kLegacyMagic, 10)) {
    return Invalid(source +
                   ": not a PyTorch checkpoint: neither a zip archive nor a "
                   "legacy stream with torch's magic number");
  }
  ModelResult<PickleValue*> protocol =
      HeaderPickle(bytes, &pos, &arena, "protocol version", source);
  if (!protocol.ok()) return protocol.status();
  if ((*protocol)->kind != PickleKind::kInt ||
      (*protocol)->integer != kLegacyProtocol) {
    return Invalid(source + ": legacy checkpoint protocol is not " +
                   std::to_string(kLegacyProtocol));
  }
  ModelResult<PickleValue*> info =
      HeaderPickle(bytes, &pos, &arena, "sys info", source);
  if (!info.ok()) return info.status();
  if ((*info)->kind != PickleKind::kDict) {
    return Invalid(source + ": legacy checkpoint sys info is not a dict");
  }
  for (const auto& [key, value] : (*info)->entries) {
    if (key->kind == PickleKind::kString && key->text == "little_endian" &&
        !(value->kind == PickleKind::kBool && value->boolean)) {
      return ModelStatus::Unimplemented(source +
                                        ": big-endian checkpoints are not "
                                        "supported");
    }
  }

  StateDictResolver resolver(/*legacy=*/true);
  ModelResult<PickleValue*> state =
      ReadPickle(bytes, &pos, &arena, &resolver, source + " (state dict)");
  if (!state.ok()) return state.status();
  ModelResult<PickleValue*> keys =
      HeaderPickle(bytes, &pos, &arena, "storage keys", source);
  if (!keys.ok()) return keys.status();
  if ((*keys)->kind != PickleKind::kList) {
    return Invalid(source + ": legacy storage keys are not a list");
  }
  std::map<std::string, std::string_view> storages;
  for (const PickleValue* key : (*keys)->items) {
    if (key->kind != PickleKind::kString) {
      return Invalid(source + ": legacy storage key is not a str");
    }
    auto it = resolver.roots().find(key->text);
    if (it == resolver.roots().end()) {
      return Invalid(source + ": storage '" + key->text +
                     "' is listed but no tensor uses it");
    }
    if (storages.count(key->text) != 0) {
      return Invalid(source + ": storage '" + key->text + "' is listed twice");
    }
    const TorchStorageRef& s = resolver.storages()[it->second];
    const std::string where = source + ": storage '" + key->text +
                              "' at offset " + std::to_string(pos);
    if (bytes.size() - pos < 8) return Loss(where + " is truncated");
    uint64_t count = 0;
    for (int i = 7; i >= 0; --i) {
      count = (count << 8) | static_cast<uint8_t>(bytes[pos + i]);
    }
    pos += 8;
    if (count != static_cast<uint64_t>(s.root_numel)) {
      return Loss(where + " holds " + std::to_string(count) +
                  " elements; the state dict declares " +
                  std::to_string(s.root_numel));
    }
    const uint64_t size = StorageBytes(s);
    if (bytes.size() - pos < size) {
      return Loss(where + " is truncated: " + std::to_string(size) +
                  " bytes needed, " + std::to_string(bytes.size() - pos) +
                  " left");
    }
    storages.emplace(key->text, bytes.substr(pos, size));
    pos += size;
  }
  if (pos != bytes.size()) {
    return Loss(source + ": " + std::to_string(bytes.size() - pos) +
                " unexpected bytes after the last storage");
  }
  return Assemble(**state, resolver, storages, source);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

ModelStatus ToFloat32(const std::string& name, RawTensor* t) {
  const size_t n = static_cast<size_t>(t->numel());
  std::vector<uint8_t> out(n * 4);
  for (size_t i = 0; i < n; ++i) {
    float f;
    if (t->dtype == DType::kFloat16) {
      uint16_t h;
      std::memcpy(&h, &t->data[2 * i], 2);
      f = HalfToFloat(h);
    } else if (t->dtype == DType::kBFloat16) {
      uint16_t h;
      std::memcpy(&h, &t->data[2 * i], 2);
      const uint32_t bits = static_cast<uint32_t>(h) << 16;
      std::memcpy(&f, &bits, 4);
    } else {
      double d;
      std::memcpy(&d, &t->data[8 * i], 8);
      f = static_cast<float>(d);
      if (std::isfinite(d) && !std::isfinite(f)) {
        return Invalid("tensor '" + name + "': float64 value " +
                       std::to_string(d) + " does not fit in float32");
      }
    }
    std::memcpy(&out[4 * i], &f, 4);
  }
  t->dtype = DType::kFloat32;
  t->data = std::move(out);
  return ModelStatus::Ok();
}

}  // namespace

ModelResult<RawTensorMap> ParsePth(std::string_view bytes,
                                   const std::string& source) {
  if (bytes.size() >= 4 &&
      bytes.substr(0, 4) == std::string_view("PK\3\4", 4)) {
    return ParseZip(bytes, source);
  }
  if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x80) {
    return ParseLegacy(bytes, source);
  }
  if (bytes.size() >= 262 && bytes.substr(257, 5) == "ustar") {
    return ModelStatus::Unimplemented(
        source +
        ": pre-1.0 tar checkpoints are not supported; re-save the "
        "state dict with a newer torch");
  }
  return Invalid(source +
                 ": not a PyTorch checkpoint: neither a zip archive nor a "
                 "legacy pickle stream");
}

ModelResult<RawTensorMap> ReadPthFile(const std::string& path) {
  ChunkedReadOptions options;
  options.max_bytes = kMaxPthFileBytes;
  options.origin = PathOrigin::kCaller;
  std::string bytes;
  IoStatus read = ReadWholeFile(path, options, &bytes);
  if (!read.ok()) return ModelStatus::FromIoStatus(read);
  return ParsePth(bytes, path);
}

ModelResult<RawTensorMap> NormalizeUpstreamStateDict(RawTensorMap tensors) {
  const std::string prefix = "module.";
  bool all_prefixed = !tensors.empty();
  for (const auto& [name, t] : tensors) {
    if (name.compare(0, prefix.size(), prefix) != 0) all_prefixed = false;
  }
  RawTensorMap out;
  for (auto& [name, t] : tensors) {
    const std::string key = all_prefixed ? name.substr(prefix.size()) : name;
    for (int64_t d : t.shape) {
      if (d < 0)
        return Invalid("tensor '" + name + "' has a negative dimension");
    }
    if (t.data.size() !=
        static_cast<uint64_t>(t.numel()) * DTypeSize(t.dtype)) {
      return Invalid("tensor '" + name + "' " + ShapeToString(t.shape) +
                     " holds " + std::to_string(t.data.size()) +
                     " bytes, not numel x " +
                     std::to_string(DTypeSize(t.dtype)));
    }
    if (t.dtype == DType::kFloat16 || t.dtype == DType::kBFloat16 ||
        t.dtype == DType::kFloat64) {
      ModelStatus s = ToFloat32(name, &t);
      if (!s.ok()) return s;
    }
    if (key.empty()) return Invalid("tensor '" + name + "' has an empty name");
    out.emplace(key, std::move(t));
  }
  return out;
}

}  // namespace facet
