// Reading and writing zip archives held in memory, the container of
// PyTorch's `.pth` files since torch 1.6.
//
// ZipReader parses an archive from a byte buffer: the end-of-central-
// directory record (ZIP64 included, which torch always writes), the central
// directory and each entry's local header. Entries may be stored or
// deflated (see inflate.h); each read checks the CRC-32. Every offset and
// size is bounds-checked against the buffer, so a damaged or hostile archive
// gives an error, never a crash or an out-of-bounds read. Encrypted entries,
// multi-disk archives and other compression methods are Unimplemented.
//
// ZipWriter builds an archive of stored entries the way torch lays it out:
// each entry's data starts on a 64-byte boundary, reached by padding the
// local header's extra field (id "FB"), so readers may map tensors in place.
//
// Thread safety: a ZipReader's const methods may be called concurrently;
// a ZipWriter needs outside locking.
#ifndef FACET_CORE_MODEL_ZIP_ARCHIVE_H_
#define FACET_CORE_MODEL_ZIP_ARCHIVE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model_status.h"

namespace facet {

// CRC-32 (ISO-HDLC, as zip and zlib use) of `data`, continuing from `crc`
// (0 to start).
uint32_t Crc32(std::string_view data, uint32_t crc = 0);

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated.
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t data_offset = 0;  // Of the (compressed) data in the archive.
};

struct ZipLimits {
  // Most entries accepted. Default: 1 << 20.
  uint64_t max_entries = uint64_t{1} << 20;
  // Largest uncompressed entry accepted. Default: 16 GiB.
  uint64_t max_entry_size = uint64_t{1} << 34;
};

class ZipReader {
 public:
  // Parses the directory of the archive in `bytes`, which must outlive the
  // reader. DataLoss when `bytes` is not a well-formed zip archive (the
  // message says what is wrong and where), InvalidArgument for duplicate
  // entry names, Unimplemented for features torch never writes, and
  // ResourceExhausted beyond `limits`.
  static ModelResult<ZipReader> Open(std::string_view bytes,
                                     const ZipLimits& limits = ZipLimits());

  // Entries in central-directory order.
  const std::vector<ZipEntry>& entries() const { return entries_; }

  // Returns the entry named `name`, or nullptr.
  const ZipEntry* Find(const std::string& name) const;

  // Returns the uncompressed contents of `entry` (one of entries()).
  // DataLoss for corrupt data or a CRC mismatch.
  ModelResult<std::string> Read(const ZipEntry& entry) const;

  // As Read, without copying stored entries: returns a view into the
  // archive bytes, or for a deflated entry a view of `*scratch`, which
  // receives the inflated bytes. The view lives as long as both.
  ModelResult<std::string_view> View(const ZipEntry& entry,
                                     std::string* scratch) const;

 private:
  ZipReader(std::string_view bytes, ZipLimits limits)
      : bytes_(bytes), limits_(limits) {}

  ModelStatus ParseDirectory();

  std::string_view bytes_;
  ZipLimits limits_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t> index_;  // Name to position in entries_.
};

// Accumulates stored entries in memory, then emits the archive.
class ZipWriter {
 public:
  // Data of every entry starts at a multiple of this many bytes.
  static constexpr size_t kAlignment = 64;

  ZipWriter() = default;
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Appends a stored entry. InvalidArgument for an empty, over-long or
  // duplicate name; ResourceExhausted when the archive would need ZIP64
  // (over 4 GiB or 65535 entries), which this writer does not emit.
  ModelStatus AddStored(const std::string& name, std::string_view data);

  // Appends the central directory and returns the whole archive. The
  // writer is empty afterwards.
  std::string Finish();

 private:
  struct Written {
    std::string name;
    uint32_t crc32;
    uint32_t size;
    uint32_t local_header_offset;
  };
  std::string out_;
  std::vector<Written> written_;
};

}  // namespace facet

#endif  // FACET_CORE_MODEL_ZIP_ARCHIVE_H_
