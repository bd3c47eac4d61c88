#include "core/image/image_header.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/io/byte_order.h"

namespace facet {
namespace {

// Bounds-checked little/big-endian reads. Each returns false, leaving *out
// untouched, when [offset, offset + n) is not inside the input; offsets come
// from the file itself, so the sum is checked without overflowing.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  size_t size() const { return bytes_.size(); }

  bool Has(uint64_t offset, uint64_t n) const {
    return offset <= bytes_.size() && n <= bytes_.size() - offset;
  }
  bool U8(uint64_t offset, uint32_t* out) const {
    return Read(offset, 1, false, out);
  }
  bool U16(uint64_t offset, bool big_endian, uint32_t* out) const {
    return Read(offset, 2, big_endian, out);
  }
  bool U24(uint64_t offset, bool big_endian, uint32_t* out) const {
    return Read(offset, 3, big_endian, out);
  }
  bool U32(uint64_t offset, bool big_endian, uint32_t* out) const {
    return Read(offset, 4, big_endian, out);
  }
  bool Matches(uint64_t offset, std::string_view literal) const {
    return Has(offset, literal.size()) &&
           bytes_.substr(offset, literal.size()) == literal;
  }

 private:
  bool Read(uint64_t offset, int n, bool big_endian, uint32_t* out) const {
    if (!Has(offset, n)) return false;
    *out =
        static_cast<uint32_t>(big_endian ? LoadBigEndian(bytes_, offset, n)
                                         : LoadLittleEndian(bytes_, offset, n));
    return true;
  }

  std::string_view bytes_;
};

absl::Status Truncated(ImageFormat format, const char* what, size_t size) {
  return absl::InvalidArgumentError(
      absl::StrCat(ImageFormatName(format), " header is truncated: the ", size,
                   "-byte input ends inside ", what));
}

absl::StatusOr<ImageHeader> Make(ImageFormat format, int64_t width,
                                 int64_t height) {
  if (width <= 0 || height <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(ImageFormatName(format), " header declares ", width, "x",
                     height, " pixels; both sides must be at least 1"));
  }
  return ImageHeader{format, width, height};
}

absl::StatusOr<ImageHeader> ReadPng(const ByteReader& in) {
  // 8-byte signature, then the IHDR chunk: length, "IHDR", width, height.
  uint32_t width, height;
  if (!in.Has(8, 16))
    return Truncated(ImageFormat::kPng, "the IHDR chunk", in.size());
  if (!in.Matches(12, "IHDR")) {
    return absl::InvalidArgumentError(
        "PNG is malformed: the first chunk is not IHDR");
  }
  in.U32(16, true, &width);
  in.U32(20, true, &height);
  // PNG limits each side to 2^31 - 1; larger values are corrupt headers.
  if (width > 0x7fffffffu || height > 0x7fffffffu) {
    return absl::InvalidArgumentError(
        absl::StrCat("PNG header declares ", width, "x", height,
                     ", over the PNG maximum of 2^31-1"));
  }
  return Make(ImageFormat::kPng, width, height);
}

absl::StatusOr<ImageHeader> ReadJpeg(const ByteReader& in) {
  uint64_t pos = 2;  // After SOI (FF D8).
  for (;;) {
    uint32_t byte;
    if (!in.U8(pos, &byte))
      return Truncated(ImageFormat::kJpeg,
                       "the marker segments before the frame header",
                       in.size());
    if (byte != 0xFF) {
      return absl::InvalidArgumentError(
          absl::StrFormat("JPEG is malformed: expected a marker at offset %d, "
                          "found byte 0x%02X",
                          pos, byte));
    }
    // Any number of 0xFF fill bytes may precede the marker code.
    uint32_t marker = 0xFF;
    while (marker == 0xFF) {
      ++pos;
      if (!in.U8(pos, &marker))
        return Truncated(ImageFormat::kJpeg, "a marker", in.size());
    }
    ++pos;
    // Standalone markers carry no length: TEM, RST0-7, SOI.
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
    if (marker == 0xD9 || marker == 0xDA) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "JPEG is malformed: %s marker at offset %d before any frame header",
          marker == 0xD9 ? "end-of-image" : "start-of-scan", pos - 2));
    }
    uint32_t length;
    if (!in.U16(pos, true, &length))
      return Truncated(ImageFormat::kJpeg, "a segment length", in.size());
    if (length < 2) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "JPEG is malformed: segment 0x%02X at offset %d has length %d < 2",
          marker, pos - 2, length));
    }
    const bool is_sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 &&
                        marker != 0xC8 && marker != 0xCC;
    if (is_sof) {
      // Length, precision, height, width (all big-endian).
      uint32_t height, width;
      if (length < 7 || !in.U16(pos + 3, true, &height) ||
          !in.U16(pos + 5, true, &width)) {
        return Truncated(ImageFormat::kJpeg, "the frame header", in.size());
      }
      if (height == 0) {
        return absl::InvalidArgumentError(
            "JPEG frame header declares height 0 (height set later by a DNL "
            "marker), which is not supported");
      }
      return Make(ImageFormat::kJpeg, width, height);
    }
    pos += length;
  }
}

absl::StatusOr<ImageHeader> ReadBmp(const ByteReader& in) {
  // 14-byte file header, then the DIB header whose first field is its size.
  uint32_t dib_size;
  if (!in.U32(14, false, &dib_size))
    return Truncated(ImageFormat::kBmp, "the file header", in.size());
  if (dib_size == 12) {  // BITMAPCOREHEADER: unsigned 16-bit sizes.
    uint32_t width, height;
    if (!in.U16(18, false, &width) || !in.U16(20, false, &height)) {
      return Truncated(ImageFormat::kBmp, "the core header", in.size());
    }
    return Make(ImageFormat::kBmp, width, height);
  }
  if (dib_size < 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("BMP is malformed: DIB header size ", dib_size,
                     " is not a known layout"));
  }
  uint32_t width, height;
  if (!in.U32(18, false, &width) || !in.U32(22, false, &height)) {
    return Truncated(ImageFormat::kBmp, "the info header", in.size());
  }
  // Signed fields; a negative height marks a top-down bitmap.
  const int64_t signed_height = static_cast<int32_t>(height);
  return Make(ImageFormat::kBmp, static_cast<int32_t>(width),
              signed_height < 0 ? -signed_height : signed_height);
}

absl::StatusOr<ImageHeader> ReadWebp(const ByteReader& in) {
  // "RIFF" size "WEBP", then the first chunk: fourcc, size, payload at 20.
  if (!in.Has(12, 8))
    return Truncated(ImageFormat::kWebp, "the first chunk header", in.size());
  constexpr uint64_t kData = 20;
  uint32_t a, b;
  if (in.Matches(12, "VP8 ")) {
    // 3-byte frame tag (bit 0 clear on key frames), start code 9D 01 2A,
    // then 14-bit width and height (the top two bits are scaling).
    if (!in.U24(kData, false, &a) || !in.Has(kData + 3, 7)) {
      return Truncated(ImageFormat::kWebp, "the VP8 frame header", in.size());
    }
    if ((a & 1) != 0 || !in.Matches(kData + 3, "\x9d\x01\x2a")) {
      return absl::InvalidArgumentError(
          "WebP is malformed: the VP8 chunk does not start with a key frame");
    }
    in.U16(kData + 6, false, &a);
    in.U16(kData + 8, false, &b);
    return Make(ImageFormat::kWebp, a & 0x3fff, b & 0x3fff);
  }
  if (in.Matches(12, "VP8L")) {
    // Signature 0x2F, then 14 bits width-1 and 14 bits height-1.
    uint32_t signature;
    if (!in.U8(kData, &signature) || !in.U32(kData + 1, false, &a)) {
      return Truncated(ImageFormat::kWebp, "the VP8L header", in.size());
    }
    if (signature != 0x2F) {
      return absl::InvalidArgumentError(
          "WebP is malformed: bad VP8L signature byte");
    }
    return Make(ImageFormat::kWebp, (a & 0x3fff) + 1, ((a >> 14) & 0x3fff) + 1);
  }
  if (in.Matches(12, "VP8X")) {
    // Flags (1 byte), reserved (3), canvas width-1 (24 bits), height-1 (24).
    if (!in.U24(kData + 4, false, &a) || !in.U24(kData + 7, false, &b)) {
      return Truncated(ImageFormat::kWebp, "the VP8X header", in.size());
    }
    return Make(ImageFormat::kWebp, int64_t{a} + 1, int64_t{b} + 1);
  }
  return absl::InvalidArgumentError(
      "WebP is malformed: the first chunk is not VP8, VP8L or VP8X");
}

absl::StatusOr<ImageHeader> ReadTiff(const ByteReader& in) {
  const bool big = in.Matches(0, "MM");
  uint32_t magic, ifd;
  if (!in.U16(2, big, &magic) || !in.U32(4, big, &ifd)) {
    return Truncated(ImageFormat::kTiff, "the file header", in.size());
  }
  if (magic == 43) {
    return absl::InvalidArgumentError("BigTIFF files are not supported");
  }
  uint32_t count;
  if (!in.U16(ifd, big, &count))
    return Truncated(ImageFormat::kTiff, "the first IFD", in.size());
  int64_t width = -1, height = -1;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t entry = uint64_t{ifd} + 2 + uint64_t{i} * 12;
    uint32_t tag, type, n, value;
    if (!in.U16(entry, big, &tag) || !in.Has(entry, 12)) {
      return Truncated(ImageFormat::kTiff, "the first IFD", in.size());
    }
    if (tag != 256 && tag != 257) continue;
    in.U16(entry + 2, big, &type);
    in.U32(entry + 4, big, &n);
    if (n != 1 || (type != 3 && type != 4)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TIFF is malformed: tag ", tag, " has type ", type, " and count ", n,
          "; expected one SHORT (3) or LONG (4)"));
    }
    // A SHORT sits in the first two bytes of the value field.
    if (type == 3) {
      in.U16(entry + 8, big, &value);
    } else {
      in.U32(entry + 8, big, &value);
    }
    (tag == 256 ? width : height) = value;
  }
  if (width < 0 || height < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("TIFF is malformed: the first IFD lacks ",
                     width < 0 ? "ImageWidth (256)" : "ImageLength (257)"));
  }
  return Make(ImageFormat::kTiff, width, height);
}

}  // namespace

const char* ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kTiff:
      return "TIFF";
  }
  return "unknown";
}

absl::StatusOr<ImageHeader> ReadImageHeader(std::string_view bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("image data is empty");
  const ByteReader in(bytes);
  if (in.Matches(0, "\x89PNG\r\n\x1a\n")) return ReadPng(in);
  if (in.Matches(0, "\xff\xd8")) return ReadJpeg(in);
  if (in.Matches(0, "BM")) return ReadBmp(in);
  if (in.Matches(0, "RIFF") && in.Matches(8, "WEBP")) return ReadWebp(in);
  if (in.Matches(0, std::string_view("II*\0", 4)) ||
      in.Matches(0, std::string_view("MM\0*", 4)) ||
      in.Matches(0, std::string_view("II+\0", 4)) ||
      in.Matches(0, std::string_view("MM\0+", 4))) {
    return ReadTiff(in);
  }
  std::string head;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
    absl::StrAppendFormat(&head, "%s%02X", i ? " " : "",
                          static_cast<unsigned char>(bytes[i]));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown image format (first bytes: ", head,
                   "); expected JPEG, PNG, WebP, BMP or TIFF"));
}

}  // namespace facet
