// Inflate: a small, strict decoder for raw DEFLATE streams (RFC 1951), used
// to read deflated zip entries without zlib.
//
// All three block types are supported (stored, fixed Huffman, dynamic
// Huffman). Every read is bounds-checked, every Huffman table is validated
// (over-subscribed or incomplete codes are rejected, as zlib does), and the
// output never grows past the caller's cap, so corrupt or hostile input
// yields an error rather than a crash, a hang or unbounded memory.
//
// Thread safety: a pure function; safe to call concurrently.
#ifndef FACET_CORE_MODEL_INFLATE_H_
#define FACET_CORE_MODEL_INFLATE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/model/model_status.h"

namespace facet {

// Decodes the raw DEFLATE stream `compressed` (no zlib or gzip wrapper).
// On success returns the decoded bytes; the stream must end with a final
// block and may be followed by unused trailing bytes (zip allows padding).
// DataLoss for a malformed or truncated stream; ResourceExhausted when the
// output would exceed `max_output` bytes.
ModelResult<std::string> Inflate(std::string_view compressed,
                                 size_t max_output);

}  // namespace facet

#endif  // FACET_CORE_MODEL_INFLATE_H_
