// UTF-8 validation for the names and strings the weight-file readers and
// writers accept (tensor names, pickle strings, safetensors headers).
//
// Functions keep no state and may be called from any thread.
#ifndef FACET_CORE_IO_UTF8_H_
#define FACET_CORE_IO_UTF8_H_

#include <string_view>

namespace facet {

// Returns true iff `s` is well-formed UTF-8 (RFC 3629): no overlong forms,
// no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequence. The empty string is valid.
bool IsValidUtf8(std::string_view s);

}  // namespace facet

#endif  // FACET_CORE_IO_UTF8_H_
