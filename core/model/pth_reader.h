// Reading upstream PyTorch `.pth` state dicts without LibTorch or Python.
//
// Two container formats are accepted (spec section 9):
//  - zip (torch >= 1.6): `<root>/data.pkl` holds the pickled state dict,
//    `<root>/data/<key>` the raw bytes of each storage;
//  - legacy (torch < 1.6): a stream of pickles (magic number, protocol
//    version 1001, sys info, the state dict, the list of storage keys),
//    then each storage as an int64 element count and its raw bytes.
// The pickle is run by the strict interpreter in pickle_reader.h with the
// whitelist of pickle_torch.h: a state dict is a dict of str to tensors,
// and nothing else is accepted.
//
// Tensors come out contiguous and in their stored dtype: storage offsets,
// strides (transposed or sliced views) and storages shared between tensors
// are honoured. Everything else is an error whose message names the source
// and what was wrong, never a crash, a hang or a partial result: random
// bytes, a zip that is not a checkpoint, a TorchScript archive, opcodes or
// globals outside the subset, truncation, overflowing sizes, storages
// shorter than their tensors, duplicate keys. Memory is bounded by the
// input: the tensors may take at most twice the bytes of the storages the
// file holds, plus 64 MiB (more than the storages only when tensors share
// or broadcast them).
//
// All functions are thread-compatible and keep no state.
#ifndef FACET_CORE_MODEL_PTH_READER_H_
#define FACET_CORE_MODEL_PTH_READER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/model/model_status.h"
#include "core/model/raw_tensor.h"

namespace facet {

// Largest file ReadPthFile reads (the published FPN is about 85 MB).
constexpr uint64_t kMaxPthFileBytes = uint64_t{4} << 30;

// Parses a whole `.pth` file held in `bytes`; `source` names it in error
// messages ("<source>: ..."). Returns name -> tensor, as stored (no prefix
// stripping or dtype conversion; see NormalizeUpstreamStateDict).
// InvalidArgument for a file that is well formed but not a state dict (a
// TorchScript archive, another pickled object, a global or opcode outside
// the subset, duplicate keys, views outside their storage); DataLoss for a
// damaged or truncated file; Unimplemented for formats this reader does
// not handle (pre-1.0 tar checkpoints, big-endian data).
ModelResult<RawTensorMap> ParsePth(std::string_view bytes,
                                   const std::string& source);

// Reads and parses the file at `path` (core/io's ReadWholeFile, a
// caller's path). NotFound if it does not exist; InvalidArgument if it is
// not a regular file; ResourceExhausted if it is larger than
// kMaxPthFileBytes; other errnos as core/io/io_status.h maps them;
// otherwise as ParsePth.
ModelResult<RawTensorMap> ReadPthFile(const std::string& path);

// Makes an upstream state dict fit Facet's conventions: strips a `module.`
// prefix (left by nn.DataParallel) when every key has one, and converts
// float16, bfloat16 and float64 tensors to float32. Other dtypes (int64
// num_batches_tracked) are kept. InvalidArgument naming the key when a
// tensor's data size does not match its shape or a float64 value does not
// fit in float32.
ModelResult<RawTensorMap> NormalizeUpstreamStateDict(RawTensorMap tensors);

}  // namespace facet

#endif  // FACET_CORE_MODEL_PTH_READER_H_
