// The JSON header of a safetensors file, parsed by a small strict reader.
//
// facet_model may not use a JSON library, and the header is a fixed, tiny
// grammar, so this file parses exactly that grammar and nothing more:
//
//   {"<tensor name>": {"dtype": "F32", "shape": [2, 3],
//                      "data_offsets": [begin, end]},
//    ...,
//    "__metadata__": {"<key>": "<string value>", ...}}
//
// Strictness (everything else is an error whose message says where and what
// was expected): the text must be valid UTF-8 and valid JSON (RFC 8259);
// keys may not repeat at any level; a tensor entry holds exactly the three
// fields above; dtype is one of the safetensors names of raw_tensor.h;
// shape dimensions and offsets are non-negative integers written without
// fraction or exponent; metadata values are strings; trailing whitespace
// (writers pad the header with spaces) is allowed, anything else after the
// closing brace is not.
//
// Memory use is bounded by a small multiple of the header's length, and
// nesting is fixed by the grammar, so hostile input cannot exhaust memory or
// the stack. This header is internal to facet_model (safetensors.h is the
// public entry point); tests may use it directly.
#ifndef FACET_CORE_MODEL_SAFETENSORS_HEADER_H_
#define FACET_CORE_MODEL_SAFETENSORS_HEADER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model_status.h"
#include "core/model/raw_tensor.h"

namespace facet {

// One tensor entry of the header, as written (offsets are not checked
// against each other or the buffer here; safetensors.cc does that).
struct SafetensorsHeaderEntry {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // Byte offset into the data buffer.
  uint64_t end = 0;    // One past the last byte.
};

struct SafetensorsHeader {
  std::vector<SafetensorsHeaderEntry> tensors;  // In file order.
  std::map<std::string, std::string> metadata;  // "__metadata__", if any.
};

// Parses `json` (the header bytes, without the 8-byte length prefix).
// InvalidArgument with a message such as
//   "header byte 120: tensor \"conv.weight\": shape: expected a non-negative
//    integer, got '-'"
// on any violation of the grammar above.
ModelResult<SafetensorsHeader> ParseSafetensorsHeader(std::string_view json);

// Appends `s` to `*out` as a JSON string literal (quotes included), escaping
// '"', '\\' and control characters. REQUIRES: `s` is valid UTF-8.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace facet

#endif  // FACET_CORE_MODEL_SAFETENSORS_HEADER_H_
