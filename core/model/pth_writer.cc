#include "core/model/pth_writer.h"

#include "core/io/file_io.h"
#include "core/io/utf8.h"
#include "core/model/pickle_writer.h"
#include "core/model/zip_archive.h"

namespace facet {
namespace {

const char* StorageTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "FloatStorage";
    case DType::kFloat16:
      return "HalfStorage";
    case DType::kBFloat16:
      return "BFloat16Storage";
    case DType::kFloat64:
      return "DoubleStorage";
    case DType::kInt64:
      return "LongStorage";
    case DType::kInt32:
      return "IntStorage";
    case DType::kInt16:
      return "ShortStorage";
    case DType::kInt8:
      return "CharStorage";
    case DType::kUInt8:
      return "ByteStorage";
    case DType::kBool:
      return "BoolStorage";
  }
  return "FloatStorage";
}

ModelStatus CheckTensor(const std::string& name, const RawTensor& t) {
  if (name.empty() || !IsValidUtf8(name)) {
    return ModelStatus::InvalidArgument("tensor name '" + name +
                                        "' is empty or not UTF-8");
  }
  for (int64_t d : t.shape) {
    if (d < 0) {
      return ModelStatus::InvalidArgument("tensor '" + name + "' " +
                                          ShapeToString(t.shape) +
                                          " has a negative dimension");
    }
  }
  if (t.data.size() != static_cast<uint64_t>(t.numel()) * DTypeSize(t.dtype)) {
    return ModelStatus::InvalidArgument(
        "tensor '" + name + "' " + ShapeToString(t.shape) + " " +
        DTypeName(t.dtype) + " holds " + std::to_string(t.data.size()) +
        " bytes; expected " +
        std::to_string(t.numel() * static_cast<int64_t>(DTypeSize(t.dtype))));
  }
  return ModelStatus::Ok();
}

std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = s;
    s *= shape[d] > 0 ? shape[d] : 1;
  }
  return strides;
}

}  // namespace

ModelResult<std::string> SerializePthZip(const RawTensorMap& tensors,
                                         const std::string& archive_root) {
  if (archive_root.empty() || archive_root.find('/') != std::string::npos ||
      !IsValidUtf8(archive_root)) {
    return ModelStatus::InvalidArgument("bad archive root '" + archive_root +
                                        "'");
  }
  PickleWriter pickle;
  pickle.Global("collections", "OrderedDict");
  pickle.EmptyTuple();
  pickle.Reduce();
  pickle.Mark();
  size_t key = 0;
  for (const auto& [name, t] : tensors) {
    ModelStatus s = CheckTensor(name, t);
    if (!s.ok()) return s;
    pickle.String(name);
    pickle.Global("torch._utils", "_rebuild_tensor_v2");
    pickle.Mark();
    // The storage: a persistent id the loader resolves to data/<key>.
    pickle.Mark();
    pickle.String("storage");
    pickle.Global("torch", StorageTypeName(t.dtype));
    pickle.String(std::to_string(key++));
    pickle.String("cpu");
    pickle.Int(t.numel());
    pickle.Tuple();
    pickle.PersistentId();
    pickle.Int(0);  // Storage offset.
    pickle.IntTuple(t.shape);
    pickle.IntTuple(ContiguousStrides(t.shape));
    pickle.Bool(false);                           // requires_grad.
    pickle.Global("collections", "OrderedDict");  // Backward hooks.
    pickle.EmptyTuple();
    pickle.Reduce();
    pickle.Tuple();
    pickle.Reduce();
  }
  pickle.SetItems();

  const std::string root = archive_root + "/";
  ZipWriter zip;
  ModelStatus s = zip.AddStored(root + "data.pkl", pickle.Finish());
  key = 0;
  for (const auto& [name, t] : tensors) {
    if (!s.ok()) break;
    s = zip.AddStored(
        root + "data/" + std::to_string(key++),
        std::string_view(reinterpret_cast<const char*>(t.data.data()),
                         t.data.size()));
  }
  if (s.ok()) s = zip.AddStored(root + "version", "3\n");
  if (!s.ok()) return s;
  return zip.Finish();
}

ModelStatus WritePthFile(const std::string& path, const RawTensorMap& tensors) {
  ModelResult<std::string> bytes = SerializePthZip(tensors);
  if (!bytes.ok()) return bytes.status();
  DurableWriteOptions options;
  options.origin = PathOrigin::kCaller;  // An export target the user named.
  return ModelStatus::FromIoStatus(WriteFileDurably(path, *bytes, options));
}

}  // namespace facet
