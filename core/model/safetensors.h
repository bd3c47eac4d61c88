// Reading and writing safetensors weight files, with no LibTorch types.
//
// Layout (https://github.com/huggingface/safetensors):
//
//   u64 little-endian N | N bytes of JSON header | data buffer
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end]} (offsets relative to the buffer start) and may hold a
// "__metadata__" object of string to string. Tensor data is little-endian
// and row-major; the tensors tile the buffer exactly, with no overlap, hole
// or trailing byte. safetensors_header.h describes the strict JSON rules.
//
// The reader trusts nothing in the file: every length, offset and shape is
// checked before use, allocations never exceed the file's own size, and
// each failure is a ModelStatus (DataLoss for a malformed file, NotFound,
// InvalidArgument or ResourceExhausted for I/O and limits) whose message
// names the file, the tensor and what was expected.
//
// All functions are thread-compatible and keep no state.
#ifndef FACET_CORE_MODEL_SAFETENSORS_H_
#define FACET_CORE_MODEL_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/model/model_status.h"
#include "core/model/raw_tensor.h"

namespace facet {

// Largest header accepted, as in the reference implementation (100 MB); the
// published model's header is about 25 KB.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;
// Largest file ReadSafetensorsFile reads (the published model is ~85 MB).
constexpr uint64_t kMaxSafetensorsFileBytes = uint64_t{4} << 30;

struct SafetensorsContents {
  RawTensorMap tensors;
  std::map<std::string, std::string> metadata;  // "__metadata__", if any.
};

// Parses a whole safetensors file held in `bytes`. `source` names the file
// in error messages ("<source>: ..."). DataLoss on any malformation.
ModelResult<SafetensorsContents> ParseSafetensors(std::string_view bytes,
                                                  const std::string& source);

// Reads and parses the file at `path` (core/io's ReadWholeFile, a
// caller's path). NotFound if it does not exist; InvalidArgument if it is
// not a regular file; ResourceExhausted if it is larger than
// kMaxSafetensorsFileBytes; other errnos as core/io/io_status.h maps
// them; otherwise as ParseSafetensors.
ModelResult<SafetensorsContents> ReadSafetensorsFile(const std::string& path);

// Checks that `tensors` and `metadata` can be written: names are valid
// UTF-8 and not "__metadata__", dimensions are non-negative and each
// tensor's data holds exactly numel * DTypeSize bytes. InvalidArgument
// naming the tensor otherwise.
ModelStatus CheckSerializable(
    const RawTensorMap& tensors,
    const std::map<std::string, std::string>& metadata);

// Returns the file bytes for `tensors` and `metadata` (metadata omitted from
// the header when empty). Tensors are laid out by decreasing element size,
// then by name, and the header is space-padded to a multiple of 8 bytes, so
// every tensor is aligned to its element size within the file.
// REQUIRES: CheckSerializable(tensors, metadata).ok().
std::string SerializeSafetensors(
    const RawTensorMap& tensors,
    const std::map<std::string, std::string>& metadata);

// Writes SerializeSafetensors(tensors, metadata) to `path` (created or
// truncated, mode 0644) and fsyncs it before returning OK (core/io's
// WriteFileDurably in place). Not atomic: callers wanting atomicity write
// into a staging place and rename (see core/repository). On failure the
// partial file is removed and the status names `path` and the system error
// with core/io/io_status.h's code ("No space left on device" is
// ResourceExhausted); InvalidArgument if CheckSerializable fails (nothing
// is written).
ModelStatus WriteSafetensorsFile(
    const std::string& path, const RawTensorMap& tensors,
    const std::map<std::string, std::string>& metadata);

}  // namespace facet

#endif  // FACET_CORE_MODEL_SAFETENSORS_H_
