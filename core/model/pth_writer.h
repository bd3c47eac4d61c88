// Writing state dicts as PyTorch zip-format `.pth` files, which upstream
// Python code loads with torch.load and load_state_dict(strict=True).
//
// The file is what torch.save(state_dict) writes: a zip archive of stored
// entries under `<archive_root>/` (data aligned to 64 bytes): `data.pkl`, a
// protocol 2 pickle of a collections.OrderedDict mapping each name to
// torch._utils._rebuild_tensor_v2(storage, 0, size, contiguous strides,
// False, OrderedDict()); `data/<i>`, the raw little-endian bytes of the
// i-th tensor's storage (tensors in name order); and `version` ("3\n").
// Tensors keep their dtype; each gets its own storage.
//
// All functions are thread-compatible and keep no state.
#ifndef FACET_CORE_MODEL_PTH_WRITER_H_
#define FACET_CORE_MODEL_PTH_WRITER_H_

#include <string>

#include "core/model/model_status.h"
#include "core/model/raw_tensor.h"

namespace facet {

// Returns the bytes of the `.pth` file for `tensors`. InvalidArgument naming
// the tensor when a name is empty or not UTF-8, a dimension is negative or
// the data size is not numel * DTypeSize(dtype), or when `archive_root` is
// empty or holds a '/'; ResourceExhausted when the archive would exceed
// 4 GiB (this writer does not emit ZIP64).
ModelResult<std::string> SerializePthZip(
    const RawTensorMap& tensors, const std::string& archive_root = "archive");

// Writes SerializePthZip(tensors) to `path` (created or truncated) and
// fsyncs it (core/io's WriteFileDurably in place, `path` being the
// caller's). Not atomic; on a write failure the partial file is removed and
// the status names `path` and the system error, with core/io/io_status.h's
// code (ENOSPC is ResourceExhausted, a folder InvalidArgument).
ModelStatus WritePthFile(const std::string& path, const RawTensorMap& tensors);

}  // namespace facet

#endif  // FACET_CORE_MODEL_PTH_WRITER_H_
