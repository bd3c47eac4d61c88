#include "core/model/pickle_torch.h"

#include <cstring>
#include <set>

namespace facet {
namespace {

constexpr int kMaxDims = 64;
// Beyond any real file; keeps byte counts far from overflowing.
constexpr int64_t kMaxStorageNumel = int64_t{1} << 56;

struct StorageType {
  const char* name;
  DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", DType::kFloat32},     {"HalfStorage", DType::kFloat16},
    {"BFloat16Storage", DType::kBFloat16}, {"DoubleStorage", DType::kFloat64},
    {"LongStorage", DType::kInt64},        {"IntStorage", DType::kInt32},
    {"ShortStorage", DType::kInt16},       {"CharStorage", DType::kInt8},
    {"ByteStorage", DType::kUInt8},        {"BoolStorage", DType::kBool},
};

constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr const char* kStorageTag = "storage";

bool StorageDType(const std::string& global, DType* dtype) {
  for (const StorageType& t : kStorageTypes) {
    if (global == std::string("torch.") + t.name) {
      *dtype = t.dtype;
      return true;
    }
  }
  return false;
}

ModelStatus Invalid(const std::string& m) {
  return ModelStatus::InvalidArgument(m);
}

bool IsInt(const PickleValue* v) { return v->kind == PickleKind::kInt; }

// Reads a tuple of non-negative ints (a size or a stride).
ModelStatus IntTuple(const PickleValue& v, const char* what,
                     std::vector<int64_t>* out) {
  if (v.kind != PickleKind::kTuple) {
    return Invalid(std::string("tensor ") + what + " is a " + v.KindName() +
                   ", not a tuple");
  }
  if (v.items.size() > kMaxDims) {
    return Invalid(std::string("tensor ") + what + " has " +
                   std::to_string(v.items.size()) + " dimensions");
  }
  out->clear();
  for (const PickleValue* item : v.items) {
    if (!IsInt(item) || item->integer < 0) {
      return Invalid(std::string("tensor ") + what +
                     " holds something other than a non-negative int");
    }
    out->push_back(item->integer);
  }
  return ModelStatus::Ok();
}

}  // namespace

ModelStatus StateDictResolver::FindClass(const std::string& module,
                                         const std::string& name) {
  const std::string global = module + "." + name;
  DType dtype;
  if (global == kOrderedDict || global == kRebuildTensorV2 ||
      global == kRebuildTensor || global == kRebuildParameter ||
      StorageDType(global, &dtype)) {
    return ModelStatus::Ok();
  }
  return Invalid("global '" + global +
                 "' is not allowed in a state dict (only OrderedDict, "
                 "torch tensor rebuilds and torch.*Storage types are)");
}

ModelResult<size_t> StateDictResolver::AddStorage(const std::string& key,
                                                  DType dtype, int64_t numel) {
  if (numel > kMaxStorageNumel) {
    return Invalid("storage '" + key + "' declares " + std::to_string(numel) +
                   " elements");
  }
  auto it = roots_.find(key);
  if (it != roots_.end()) {
    const TorchStorageRef& s = storages_[it->second];
    if (s.dtype != dtype || s.root_numel != numel) {
      return Invalid("storage '" + key + "' is declared twice, as " +
                     DTypeName(s.dtype) + " x " + std::to_string(s.root_numel) +
                     " and as " + DTypeName(dtype) + " x " +
                     std::to_string(numel));
    }
    return it->second;
  }
  TorchStorageRef s;
  s.key = key;
  s.dtype = dtype;
  s.root_numel = numel;
  s.numel = numel;
  storages_.push_back(s);
  roots_.emplace(key, storages_.size() - 1);
  return storages_.size() - 1;
}

ModelResult<PickleValue*> StateDictResolver::PersistentLoad(
    PickleArena* arena, const PickleValue& pid) {
  const size_t fields = legacy_ ? 6 : 5;
  if (pid.kind != PickleKind::kTuple || pid.items.empty() ||
      pid.items[0]->kind != PickleKind::kString ||
      pid.items[0]->text != kStorageTag) {
    return Invalid("persistent id is not a ('storage', ...) tuple");
  }
  const auto& f = pid.items;
  if (f.size() != fields) {
    return Invalid("storage persistent id has " + std::to_string(f.size()) +
                   " fields; expected " + std::to_string(fields));
  }
  DType dtype;
  if (f[1]->kind != PickleKind::kGlobal || !StorageDType(f[1]->text, &dtype)) {
    return Invalid("storage type is not a known torch.*Storage");
  }
  if (f[2]->kind != PickleKind::kString || f[3]->kind != PickleKind::kString ||
      !IsInt(f[4]) || f[4]->integer < 0) {
    return Invalid(
        "storage persistent id needs a str key, a str location and a "
        "non-negative element count");
  }
  ModelResult<size_t> root = AddStorage(f[2]->text, dtype, f[4]->integer);
  if (!root.ok()) return root.status();
  size_t index = *root;
  if (legacy_ && f[5]->kind != PickleKind::kNone) {
    const PickleValue& view = *f[5];
    if (view.kind != PickleKind::kTuple || view.items.size() != 3 ||
        view.items[0]->kind != PickleKind::kString || !IsInt(view.items[1]) ||
        !IsInt(view.items[2]) || view.items[1]->integer < 0 ||
        view.items[2]->integer < 0) {
      return Invalid("storage view must be (str, offset, count)");
    }
    const TorchStorageRef& r = storages_[*root];
    const int64_t offset = view.items[1]->integer;
    const int64_t count = view.items[2]->integer;
    if (offset > r.root_numel || count > r.root_numel - offset) {
      return Invalid("storage view '" + view.items[0]->text + "' [" +
                     std::to_string(offset) + ", +" + std::to_string(count) +
                     ") lies outside storage '" + r.key + "' of " +
                     std::to_string(r.root_numel) + " elements");
    }
    auto it = views_.find(view.items[0]->text);
    if (it != views_.end()) {
      const TorchStorageRef& v = storages_[it->second];
      if (v.key != r.key || v.view_offset != offset || v.numel != count) {
        return Invalid("storage view '" + view.items[0]->text +
                       "' is declared twice differently");
      }
      index = it->second;
    } else {
      TorchStorageRef v = r;
      v.view_offset = offset;
      v.numel = count;
      storages_.push_back(v);
      index = storages_.size() - 1;
      views_.emplace(view.items[0]->text, index);
    }
  }
  PickleValue* out = arena->New(PickleKind::kObject);
  out->text = kStorageTag;
  out->integer = static_cast<int64_t>(index);
  return out;
}

ModelResult<PickleValue*> StateDictResolver::Reduce(PickleArena* arena,
                                                    const PickleValue& callable,
                                                    const PickleValue& args) {
  if (callable.kind != PickleKind::kGlobal) {
    return Invalid(std::string("cannot call a ") + callable.KindName());
  }
  const std::string& fn = callable.text;
  const auto& a = args.items;
  if (fn == kOrderedDict) {
    if (!a.empty()) return Invalid("OrderedDict takes no arguments here");
    return arena->New(PickleKind::kDict);
  }
  if (fn == kRebuildParameter) {
    if (a.size() != 3 || a[0]->kind != PickleKind::kObject ||
        a[0]->text != kTorchTensorTag) {
      return Invalid(
          "_rebuild_parameter expects (tensor, requires_grad, "
          "hooks)");
    }
    return a[0];
  }
  if (fn == kRebuildTensorV2 || fn == kRebuildTensor) {
    const bool v2 = fn == kRebuildTensorV2;
    if (v2 ? (a.size() != 6 && a.size() != 7) : a.size() != 4) {
      return Invalid(fn + " got " + std::to_string(a.size()) + " arguments");
    }
    if (a[0]->kind != PickleKind::kObject || a[0]->text != kStorageTag) {
      return Invalid(fn + ": first argument is not a storage");
    }
    if (!IsInt(a[1]) || a[1]->integer < 0) {
      return Invalid(fn + ": storage offset is not a non-negative int");
    }
    TorchTensorRef t;
    t.storage = static_cast<size_t>(a[0]->integer);
    t.offset = a[1]->integer;
    ModelStatus s = IntTuple(*a[2], "size", &t.size);
    if (s.ok()) s = IntTuple(*a[3], "stride", &t.stride);
    if (!s.ok()) return Invalid(fn + ": " + s.message());
    if (t.size.size() != t.stride.size()) {
      return Invalid(fn + ": size and stride have different lengths");
    }
    if (v2 && a[4]->kind != PickleKind::kBool) {
      return Invalid(fn + ": requires_grad is not a bool");
    }
    tensors_.push_back(std::move(t));
    PickleValue* out = arena->New(PickleKind::kObject);
    out->text = kTorchTensorTag;
    out->integer = static_cast<int64_t>(tensors_.size() - 1);
    return out;
  }
  return Invalid("calling '" + fn + "' is not supported in a state dict");
}

ModelStatus StateDictResolver::Build(PickleValue* object,
                                     const PickleValue& state) {
  // OrderedDict state dicts carry `_metadata` (module versions) this way;
  // it does not affect the tensors.
  if (object->kind == PickleKind::kDict &&
      (state.kind == PickleKind::kDict || state.kind == PickleKind::kNone)) {
    return ModelStatus::Ok();
  }
  return Invalid(std::string("BUILD on a ") + object->KindName() +
                 " is not supported in a state dict");
}

ModelResult<std::vector<std::pair<std::string, size_t>>> StateDictEntries(
    const PickleValue& root, const std::string& source) {
  if (root.kind != PickleKind::kDict) {
    return Invalid(source + ": the pickle holds a " + root.KindName() +
                   ", not a state dict (a dict of tensors)");
  }
  std::vector<std::pair<std::string, size_t>> out;
  std::set<std::string> seen;
  for (const auto& [key, value] : root.entries) {
    if (key->kind != PickleKind::kString) {
      return Invalid(source + ": state dict has a " +
                     std::string(key->KindName()) + " key; keys must be str");
    }
    if (value->kind != PickleKind::kObject || value->text != kTorchTensorTag) {
      return Invalid(source + ": state dict entry '" + key->text + "' is a " +
                     value->KindName() + ", not a tensor");
    }
    if (!seen.insert(key->text).second) {
      return Invalid(source + ": state dict has key '" + key->text + "' twice");
    }
    out.emplace_back(key->text, static_cast<size_t>(value->integer));
  }
  return out;
}

ModelResult<RawTensor> MaterializeTensor(const TorchTensorRef& t,
                                         const TorchStorageRef& storage,
                                         std::string_view root_bytes,
                                         const std::string& name,
                                         uint64_t* budget) {
  const size_t elem = DTypeSize(storage.dtype);
  const std::string where = "tensor '" + name + "' " + ShapeToString(t.size);
  // Elements and the furthest element the view touches, overflow-checked.
  int64_t numel = 1;
  int64_t last = t.offset;
  for (size_t d = 0; d < t.size.size(); ++d) {
    if (t.size[d] < 0 || t.stride[d] < 0) {
      return Invalid(where + " has a negative size or stride");
    }
    int64_t reach;
    if (__builtin_mul_overflow(numel, t.size[d], &numel) ||
        (t.size[d] > 0 &&
         (__builtin_mul_overflow(t.size[d] - 1, t.stride[d], &reach) ||
          __builtin_add_overflow(last, reach, &last)))) {
      return Invalid(where + " has sizes or strides that overflow");
    }
  }
  uint64_t bytes;
  if (__builtin_mul_overflow(static_cast<uint64_t>(numel), elem, &bytes)) {
    return Invalid(where + " has sizes that overflow");
  }
  if (numel > 0 && last >= storage.numel) {
    return Invalid(
        where + " with offset " + std::to_string(t.offset) + " and strides " +
        ShapeToString(t.stride) + " reaches element " + std::to_string(last) +
        " of a storage of " + std::to_string(storage.numel) + " elements");
  }
  if (bytes > *budget) {
    return ModelStatus::ResourceExhausted(
        where + " needs " + std::to_string(bytes) +
        " bytes, past the limit for this file's tensors");
  }
  *budget -= bytes;
  RawTensor out;
  out.dtype = storage.dtype;
  out.shape = t.size;
  out.data.resize(bytes);
  if (numel == 0) return out;
  const uint8_t* base = reinterpret_cast<const uint8_t*>(root_bytes.data()) +
                        (storage.view_offset + t.offset) * elem;
  // Row-major (contiguous) layouts copy in one go.
  bool contiguous = true;
  int64_t expected = 1;
  for (size_t d = t.size.size(); d-- > 0;) {
    if (t.size[d] != 1 && t.stride[d] != expected) contiguous = false;
    expected *= t.size[d];
  }
  if (contiguous) {
    std::memcpy(out.data.data(), base, bytes);
    return out;
  }
  // Odometer over all dimensions but the last, copying the last as a run.
  const size_t dims = t.size.size();
  const int64_t inner = t.size[dims - 1];
  const int64_t inner_stride = t.stride[dims - 1];
  std::vector<int64_t> index(dims, 0);
  uint8_t* dst = out.data.data();
  int64_t src = 0;  // Element offset of index in the view.
  while (true) {
    for (int64_t i = 0; i < inner; ++i) {
      std::memcpy(dst, base + (src + i * inner_stride) * elem, elem);
      dst += elem;
    }
    size_t d = dims - 1;
    while (d-- > 0) {
      src += t.stride[d];
      if (++index[d] < t.size[d]) break;
      src -= t.stride[d] * t.size[d];
      index[d] = 0;
    }
    if (d == static_cast<size_t>(-1)) break;
  }
  return out;
}

}  // namespace facet
