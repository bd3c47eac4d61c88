#include "core/model/safetensors_header.h"

#include <cstdio>
#include <limits>
#include <set>
#include <utility>

#include "core/io/utf8.h"

namespace facet {
namespace {

constexpr char kMetadataKey[] = "__metadata__";

// A cursor over the header text. Every Parse* method returns false after
// recording the first error; callers stop at the first false.
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view text) : text_(text) {}

  ModelResult<SafetensorsHeader> Parse() {
    SafetensorsHeader header;
    if (!ParseTop(&header)) return ModelStatus::InvalidArgument(error_);
    return header;
  }

 private:
  bool ParseTop(SafetensorsHeader* header) {
    SkipSpace();
    if (!Expect('{', "'{' opening the header object")) return false;
    std::set<std::string> names;
    bool seen_metadata = false;
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
    } else {
      while (true) {
        SkipSpace();
        std::string key;
        if (!ParseString(&key, "a tensor name")) return false;
        SkipSpace();
        if (!Expect(':', "':' after \"" + key + "\"")) return false;
        SkipSpace();
        if (key == kMetadataKey) {
          if (seen_metadata) return Fail("duplicate key \"__metadata__\"");
          seen_metadata = true;
          if (!ParseMetadata(&header->metadata)) return false;
        } else {
          if (!names.insert(key).second) {
            return Fail("duplicate tensor name \"" + key + "\"");
          }
          SafetensorsHeaderEntry entry;
          entry.name = key;
          if (!ParseTensor(&entry)) return false;
          header->tensors.push_back(std::move(entry));
        }
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        if (!Expect('}', "',' or '}' in the header object")) return false;
        break;
      }
    }
    SkipSpace();
    if (pos_ != text_.size()) {
      return Fail("unexpected " + Describe() +
                  " after the header object (only space padding may follow)");
    }
    return true;
  }

  bool ParseTensor(SafetensorsHeaderEntry* entry) {
    context_ = "tensor \"" + entry->name + "\": ";
    if (!Expect('{', "'{' opening the tensor entry")) return false;
    bool has_dtype = false, has_shape = false, has_offsets = false;
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
    } else {
      while (true) {
        SkipSpace();
        std::string field;
        if (!ParseString(&field, "a field name")) return false;
        SkipSpace();
        if (!Expect(':', "':' after \"" + field + "\"")) return false;
        SkipSpace();
        if (field == "dtype") {
          if (has_dtype) return Fail("duplicate field \"dtype\"");
          has_dtype = true;
          size_t at = pos_;
          std::string name;
          if (!ParseString(&name, "a dtype string")) return false;
          ModelResult<DType> dtype = DTypeFromName(name);
          if (!dtype.ok()) {
            pos_ = at;
            return Fail(dtype.status().message());
          }
          entry->dtype = *dtype;
        } else if (field == "shape") {
          if (has_shape) return Fail("duplicate field \"shape\"");
          has_shape = true;
          if (!ParseShape(&entry->shape)) return false;
        } else if (field == "data_offsets") {
          if (has_offsets) return Fail("duplicate field \"data_offsets\"");
          has_offsets = true;
          if (!ParseOffsets(entry)) return false;
        } else {
          return Fail("unknown field \"" + field +
                      "\" (expected dtype, shape, data_offsets)");
        }
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        if (!Expect('}', "',' or '}' in the tensor entry")) return false;
        break;
      }
    }
    if (!has_dtype) return Fail("missing field \"dtype\"");
    if (!has_shape) return Fail("missing field \"shape\"");
    if (!has_offsets) return Fail("missing field \"data_offsets\"");
    context_.clear();
    return true;
  }

  bool ParseShape(std::vector<int64_t>* shape) {
    if (!Expect('[', "'[' opening the shape")) return false;
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      uint64_t dim;
      if (!ParseUnsigned(&dim, "shape dimension")) return false;
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Fail("shape dimension " + std::to_string(dim) + " is too large");
      }
      shape->push_back(static_cast<int64_t>(dim));
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      return Expect(']', "',' or ']' in the shape");
    }
  }

  bool ParseOffsets(SafetensorsHeaderEntry* entry) {
    if (!Expect('[', "'[' opening data_offsets")) return false;
    SkipSpace();
    if (!ParseUnsigned(&entry->begin, "data_offsets begin")) return false;
    SkipSpace();
    if (!Expect(',', "',' after the data_offsets begin (two offsets)")) {
      return false;
    }
    SkipSpace();
    if (!ParseUnsigned(&entry->end, "data_offsets end")) return false;
    SkipSpace();
    return Expect(']', "']' after the data_offsets end (exactly two offsets)");
  }

  bool ParseMetadata(std::map<std::string, std::string>* metadata) {
    context_ = "__metadata__: ";
    if (!Expect('{', "'{' opening the metadata object")) return false;
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      context_.clear();
      return true;
    }
    while (true) {
      SkipSpace();
      std::string key, value;
      if (!ParseString(&key, "a metadata key")) return false;
      SkipSpace();
      if (!Expect(':', "':' after \"" + key + "\"")) return false;
      SkipSpace();
      if (!ParseString(&value, "a string value for \"" + key + "\"")) {
        return false;
      }
      if (!metadata->emplace(key, std::move(value)).second) {
        return Fail("duplicate metadata key \"" + key + "\"");
      }
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (!Expect('}', "',' or '}' in the metadata object")) return false;
      context_.clear();
      return true;
    }
  }

  // A JSON integer made of digits only: no sign, fraction or exponent, no
  // leading zero, at most 2^64 - 1.
  bool ParseUnsigned(uint64_t* out, const std::string& what) {
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
      return Fail(what + ": expected a non-negative integer, got " +
                  Describe());
    }
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() &&
        text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9') {
      return Fail(what + ": integer with a leading zero");
    }
    uint64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      uint64_t digit = static_cast<uint64_t>(text_[pos_] - '0');
      if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
        return Fail(what + ": integer overflows 64 bits");
      }
      value = value * 10 + digit;
      ++pos_;
    }
    char c = Peek();
    if (c == '.' || c == 'e' || c == 'E') {
      return Fail(what + ": expected an integer without fraction or exponent");
    }
    *out = value;
    return true;
  }

  bool ParseString(std::string* out, const std::string& what) {
    if (Peek() != '"') return Fail("expected " + what + ", got " + Describe());
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) return Fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("unescaped control character in a string");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) return Fail("unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u':
          if (!ParseUnicodeEscape(out)) return false;
          break;
        default:
          --pos_;
          return Fail("invalid escape sequence in a string");
      }
    }
  }

  // After "\u": four hex digits, and for a high surrogate a second escape
  // holding the low surrogate. Appends the code point as UTF-8.
  bool ParseUnicodeEscape(std::string* out) {
    uint32_t cp = 0;
    if (!ParseHex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") return Fail("lone high surrogate");
      pos_ += 2;
      uint32_t low = 0;
      if (!ParseHex4(&low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return Fail("lone high surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return true;
  }

  bool ParseHex4(uint32_t* out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= text_.size()) return Fail("unterminated \\u escape");
      char c = text_[pos_];
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Fail("expected four hex digits after \\u");
      }
      v = v * 16 + d;
      ++pos_;
    }
    *out = v;
    return true;
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  bool Expect(char c, const std::string& what) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return Fail("expected " + what + ", got " + Describe());
  }

  // The character at the cursor, for error messages.
  std::string Describe() const {
    if (pos_ >= text_.size()) return "end of header";
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x20 && c < 0x7F) return std::string("'") + text_[pos_] + "'";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "byte 0x%02X", c);
    return buf;
  }

  bool Fail(const std::string& message) {
    error_ = "header byte " + std::to_string(pos_) + ": " + context_ + message;
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string context_;  // "tensor \"name\": " while inside an entry.
  std::string error_;
};

}  // namespace

ModelResult<SafetensorsHeader> ParseSafetensorsHeader(std::string_view json) {
  if (!IsValidUtf8(json)) {
    return ModelStatus::InvalidArgument("header is not valid UTF-8");
  }
  return HeaderReader(json).Parse();
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04X", c);
      out->append(buf);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

}  // namespace facet
