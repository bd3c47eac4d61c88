// The PyTorch half of reading a pickled state dict: which globals a state
// dict may name, what its persistent ids (storages) and REDUCE calls
// (tensor rebuilds, OrderedDict) mean, and how a tensor view over a storage
// becomes a contiguous RawTensor. No LibTorch types are involved.
//
// A state dict pickle (protocol 2) looks like
//   OrderedDict([(name, _rebuild_tensor_v2(storage, offset, size, stride,
//                                          requires_grad, hooks)), ...])
// where each storage is a persistent id
//   ('storage', torch.FloatStorage, key, location, numel)        zip format
//   ('storage', torch.FloatStorage, key, location, numel, view)  legacy
// and `view` is None or (view_key, element_offset, element_count), a slice
// of the storage `key` that older torch versions wrote.
//
// Thread safety: a StateDictResolver belongs to one unpickling.
#ifndef FACET_CORE_MODEL_PICKLE_TORCH_H_
#define FACET_CORE_MODEL_PICKLE_TORCH_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model/model_status.h"
#include "core/model/pickle_reader.h"
#include "core/model/raw_tensor.h"

namespace facet {

// A storage named by a persistent id, or a slice of one.
struct TorchStorageRef {
  std::string key;  // Key of the root storage, whose bytes the file holds.
  DType dtype = DType::kFloat32;
  int64_t root_numel = 0;   // Elements of the root storage.
  int64_t view_offset = 0;  // First element of this storage in the root.
  int64_t numel = 0;        // Elements of this storage (root_numel if no view).
};

// A tensor: a strided view of a storage (all counts in elements).
struct TorchTensorRef {
  size_t storage = 0;  // Index into StateDictResolver::storages().
  int64_t offset = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

class StateDictResolver : public PickleResolver {
 public:
  // `legacy`: persistent ids carry the sixth, view, field.
  explicit StateDictResolver(bool legacy) : legacy_(legacy) {}

  ModelStatus FindClass(const std::string& module,
                        const std::string& name) override;
  ModelResult<PickleValue*> PersistentLoad(PickleArena* arena,
                                           const PickleValue& pid) override;
  ModelResult<PickleValue*> Reduce(PickleArena* arena,
                                   const PickleValue& callable,
                                   const PickleValue& args) override;
  ModelStatus Build(PickleValue* object, const PickleValue& state) override;

  const std::vector<TorchStorageRef>& storages() const { return storages_; }
  const std::vector<TorchTensorRef>& tensors() const { return tensors_; }
  // Root storage keys to their index in storages().
  const std::map<std::string, size_t>& roots() const { return roots_; }

 private:
  ModelResult<size_t> AddStorage(const std::string& key, DType dtype,
                                 int64_t numel);

  bool legacy_;
  std::vector<TorchStorageRef> storages_;
  std::vector<TorchTensorRef> tensors_;
  std::map<std::string, size_t> roots_;  // Root key to index in storages_.
  std::map<std::string, size_t> views_;  // View key to index in storages_.
};

// The tag of the kObject values StateDictResolver makes for tensors; their
// `integer` is an index into tensors().
inline constexpr const char* kTorchTensorTag = "tensor";

// Returns the (name, tensor index) pairs of the state dict `root`, in file
// order. InvalidArgument naming `source` and the key when `root` is not a
// dict, a key is not a str, a value is not a tensor or a key repeats.
ModelResult<std::vector<std::pair<std::string, size_t>>> StateDictEntries(
    const PickleValue& root, const std::string& source);

// Copies tensor `t` out of `root_bytes` (all bytes of the root storage of
// `storage`) into a contiguous RawTensor, honouring the storage view, the
// offset and the strides. InvalidArgument naming `name` when the view
// reaches past its storage, a size or stride is negative or the sizes
// overflow; ResourceExhausted when the result would exceed `*budget`
// bytes, which is decreased by the bytes used.
// REQUIRES: root_bytes.size() == storage.root_numel * DTypeSize(dtype).
ModelResult<RawTensor> MaterializeTensor(const TorchTensorRef& t,
                                         const TorchStorageRef& storage,
                                         std::string_view root_bytes,
                                         const std::string& name,
                                         uint64_t* budget);

}  // namespace facet

#endif  // FACET_CORE_MODEL_PICKLE_TORCH_H_
