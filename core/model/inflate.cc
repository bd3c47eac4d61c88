#include "core/model/inflate.h"

#include <cstdint>

namespace facet {
namespace {

constexpr int kMaxBits = 15;       // Longest Huffman code DEFLATE allows.
constexpr int kMaxLitLen = 286;    // Literal/length symbols in use.
constexpr int kMaxDist = 30;       // Distance symbols in use.
constexpr int kFixedLitLen = 288;  // The fixed code also defines 286, 287.

// Reads bits least-significant first, as DEFLATE packs them.
class BitReader {
 public:
  explicit BitReader(std::string_view in) : in_(in) {}

  // Returns false at the end of input.
  bool Bits(int need, uint32_t* out) {
    while (count_ < need) {
      if (pos_ >= in_.size()) return false;
      buffer_ |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_++]))
                 << count_;
      count_ += 8;
    }
    *out = buffer_ & ((1u << need) - 1);
    buffer_ >>= need;
    count_ -= need;
    return true;
  }
  // Drops the bits left in the current byte (stored blocks start aligned).
  void AlignToByte() {
    buffer_ = 0;
    count_ = 0;
  }
  bool Byte(uint8_t* out) {
    if (pos_ >= in_.size()) return false;
    *out = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }
  std::string_view Take(size_t n) {
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  uint32_t buffer_ = 0;
  int count_ = 0;
};

// A canonical Huffman code: how many codes of each length, and the symbols
// ordered by code.
struct Huffman {
  int count[kMaxBits + 1] = {};
  int symbol[kFixedLitLen] = {};
};

// Returns 0 for a complete code, > 0 for an incomplete one and < 0 for an
// over-subscribed one.
int BuildHuffman(Huffman* h, const int* lengths, int n) {
  for (int& c : h->count) c = 0;
  for (int i = 0; i < n; ++i) h->count[lengths[i]]++;
  if (h->count[0] == n) return 1;  // No codes at all: incomplete.
  int left = 1;
  for (int len = 1; len <= kMaxBits; ++len) {
    left <<= 1;
    left -= h->count[len];
    if (left < 0) return left;
  }
  int offsets[kMaxBits + 1];
  offsets[1] = 0;
  for (int len = 1; len < kMaxBits; ++len) {
    offsets[len + 1] = offsets[len] + h->count[len];
  }
  for (int i = 0; i < n; ++i) {
    if (lengths[i] != 0) h->symbol[offsets[lengths[i]]++] = i;
  }
  return left;
}

// Returns the next symbol, -1 at the end of input or -2 for a code that is
// not in the table (possible only with an incomplete code).
int Decode(BitReader* in, const Huffman& h) {
  int code = 0;
  int first = 0;
  int index = 0;
  for (int len = 1; len <= kMaxBits; ++len) {
    uint32_t bit;
    if (!in->Bits(1, &bit)) return -1;
    code |= static_cast<int>(bit);
    int count = h.count[len];
    if (code - count < first) return h.symbol[index + (code - first)];
    index += count;
    first += count;
    first <<= 1;
    code <<= 1;
  }
  return -2;
}

constexpr int kLengthBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                 15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr int kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr int kDistBase[30] = {1,    2,    3,    4,     5,     7,    9,    13,
                               17,   25,   33,   49,    65,    97,   129,  193,
                               257,  385,  513,  769,   1025,  1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577};
constexpr int kDistExtra[30] = {0, 0, 0,  0,  1,  1,  2,  2,  3,  3,
                                4, 4, 5,  5,  6,  6,  7,  7,  8,  8,
                                9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

ModelStatus Truncated() {
  return ModelStatus::DataLoss("deflate stream is truncated");
}
ModelStatus Corrupt(const std::string& what) {
  return ModelStatus::DataLoss("deflate stream is corrupt: " + what);
}

class Inflater {
 public:
  Inflater(std::string_view in, size_t max_output)
      : in_(in), max_output_(max_output) {}

  ModelResult<std::string> Run() {
    uint32_t last = 0;
    while (last == 0) {
      uint32_t type;
      if (!in_.Bits(1, &last) || !in_.Bits(2, &type)) return Truncated();
      ModelStatus s;
      if (type == 0) {
        s = Stored();
      } else if (type == 1) {
        s = Fixed();
      } else if (type == 2) {
        s = Dynamic();
      } else {
        s = Corrupt("block type 3 is reserved");
      }
      if (!s.ok()) return s;
    }
    return std::move(out_);
  }

 private:
  ModelStatus Room(size_t n) {
    if (n > max_output_ - out_.size()) {
      return ModelStatus::ResourceExhausted(
          "inflated data exceeds the limit of " + std::to_string(max_output_) +
          " bytes");
    }
    return ModelStatus::Ok();
  }

  ModelStatus Stored() {
    in_.AlignToByte();
    uint8_t b[4];
    for (uint8_t& x : b) {
      if (!in_.Byte(&x)) return Truncated();
    }
    const unsigned len = b[0] | (b[1] << 8);
    const unsigned nlen = b[2] | (b[3] << 8);
    if (len != (~nlen & 0xffffu)) return Corrupt("stored block length check");
    if (in_.remaining() < len) return Truncated();
    ModelStatus s = Room(len);
    if (!s.ok()) return s;
    out_.append(in_.Take(len));
    return ModelStatus::Ok();
  }

  ModelStatus Fixed() {
    int lengths[kFixedLitLen];
    int i = 0;
    for (; i < 144; ++i) lengths[i] = 8;
    for (; i < 256; ++i) lengths[i] = 9;
    for (; i < 280; ++i) lengths[i] = 7;
    for (; i < kFixedLitLen; ++i) lengths[i] = 8;
    Huffman lit, dist;
    BuildHuffman(&lit, lengths, kFixedLitLen);
    for (i = 0; i < kMaxDist; ++i) lengths[i] = 5;
    BuildHuffman(&dist, lengths, kMaxDist);
    return Codes(lit, dist);
  }

  ModelStatus Dynamic() {
    uint32_t hlit, hdist, hclen;
    if (!in_.Bits(5, &hlit) || !in_.Bits(5, &hdist) || !in_.Bits(4, &hclen)) {
      return Truncated();
    }
    const int nlen = static_cast<int>(hlit) + 257;
    const int ndist = static_cast<int>(hdist) + 1;
    const int ncode = static_cast<int>(hclen) + 4;
    if (nlen > kMaxLitLen || ndist > kMaxDist) {
      return Corrupt("too many length or distance codes");
    }
    static constexpr int kOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                       11, 4,  12, 3, 13, 2, 14, 1, 15};
    int lengths[kMaxLitLen + kMaxDist] = {};
    for (int i = 0; i < ncode; ++i) {
      uint32_t v;
      if (!in_.Bits(3, &v)) return Truncated();
      lengths[kOrder[i]] = static_cast<int>(v);
    }
    Huffman lencode;
    if (BuildHuffman(&lencode, lengths, 19) != 0) {
      return Corrupt("incomplete code-length code");
    }
    int index = 0;
    while (index < nlen + ndist) {
      int symbol = Decode(&in_, lencode);
      if (symbol == -1) return Truncated();
      if (symbol < 0) return Corrupt("invalid code-length code");
      if (symbol < 16) {
        lengths[index++] = symbol;
        continue;
      }
      int repeat_value = 0;
      uint32_t extra;
      int repeat;
      if (symbol == 16) {
        if (index == 0) return Corrupt("repeat with no previous length");
        repeat_value = lengths[index - 1];
        if (!in_.Bits(2, &extra)) return Truncated();
        repeat = 3 + static_cast<int>(extra);
      } else if (symbol == 17) {
        if (!in_.Bits(3, &extra)) return Truncated();
        repeat = 3 + static_cast<int>(extra);
      } else {
        if (!in_.Bits(7, &extra)) return Truncated();
        repeat = 11 + static_cast<int>(extra);
      }
      if (index + repeat > nlen + ndist) return Corrupt("too many lengths");
      while (repeat-- > 0) lengths[index++] = repeat_value;
    }
    if (lengths[256] == 0) return Corrupt("no end-of-block code");
    Huffman lit, dist;
    int err = BuildHuffman(&lit, lengths, nlen);
    // An incomplete code is allowed only when its codes are all of one bit
    // (a single code) or absent, as zlib's reference decoder (puff) allows.
    if (err < 0 || (err > 0 && nlen != lit.count[0] + lit.count[1])) {
      return Corrupt("bad literal/length code");
    }
    err = BuildHuffman(&dist, lengths + nlen, ndist);
    if (err < 0 || (err > 0 && ndist != dist.count[0] + dist.count[1])) {
      return Corrupt("bad distance code");
    }
    return Codes(lit, dist);
  }

  ModelStatus Codes(const Huffman& lit, const Huffman& dist) {
    for (;;) {
      int symbol = Decode(&in_, lit);
      if (symbol == -1) return Truncated();
      if (symbol < 0) return Corrupt("invalid literal/length code");
      if (symbol < 256) {
        ModelStatus s = Room(1);
        if (!s.ok()) return s;
        out_.push_back(static_cast<char>(symbol));
        continue;
      }
      if (symbol == 256) return ModelStatus::Ok();
      symbol -= 257;
      if (symbol >= 29) return Corrupt("invalid length symbol");
      uint32_t extra;
      if (!in_.Bits(kLengthExtra[symbol], &extra)) return Truncated();
      const size_t length = kLengthBase[symbol] + extra;
      symbol = Decode(&in_, dist);
      if (symbol == -1) return Truncated();
      if (symbol < 0 || symbol >= kMaxDist) return Corrupt("invalid distance");
      if (!in_.Bits(kDistExtra[symbol], &extra)) return Truncated();
      const size_t distance = kDistBase[symbol] + extra;
      if (distance > out_.size()) return Corrupt("distance too far back");
      ModelStatus s = Room(length);
      if (!s.ok()) return s;
      // Byte by byte: source and destination may overlap.
      size_t from = out_.size() - distance;
      for (size_t i = 0; i < length; ++i) out_.push_back(out_[from + i]);
    }
  }

  BitReader in_;
  size_t max_output_;
  std::string out_;
};

}  // namespace

ModelResult<std::string> Inflate(std::string_view compressed,
                                 size_t max_output) {
  return Inflater(compressed, max_output).Run();
}

}  // namespace facet
