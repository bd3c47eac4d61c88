#include "core/model/zip_archive.h"

#include <array>
#include <utility>

#include "core/io/byte_order.h"
#include "core/model/inflate.h"

namespace facet {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kZip64LocatorSize = 20;

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

// True iff [pos, pos + n) lies inside a buffer of `size` bytes.
bool InRange(uint64_t pos, uint64_t n, uint64_t size) {
  return pos <= size && n <= size - pos;
}

ModelStatus Bad(const std::string& what) {
  return ModelStatus::DataLoss("not a valid zip archive: " + what);
}

}  // namespace

uint32_t Crc32(std::string_view data, uint32_t crc) {
  static const std::array<uint32_t, 256> kTable = MakeCrcTable();
  crc = ~crc;
  for (char ch : data) {
    crc = kTable[(crc ^ static_cast<uint8_t>(ch)) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

ModelResult<ZipReader> ZipReader::Open(std::string_view bytes,
                                       const ZipLimits& limits) {
  ZipReader reader(bytes, limits);
  ModelStatus status = reader.ParseDirectory();
  if (!status.ok()) return status;
  return reader;
}

ModelStatus ZipReader::ParseDirectory() {
  const std::string_view b = bytes_;
  if (b.size() < kEndSize) return Bad("too short for an end record");
  // The end record is last, followed only by a comment of at most 64 KiB;
  // its comment length must reach exactly to the end of the buffer.
  size_t end_pos = std::string_view::npos;
  const size_t lowest =
      b.size() >= kEndSize + 0xffff ? b.size() - kEndSize - 0xffff : 0;
  for (size_t pos = b.size() - kEndSize + 1; pos-- > lowest;) {
    if (LoadLittleEndian(b, pos, 4) == kEndSig &&
        pos + kEndSize + LoadLittleEndian(b, pos + 20, 2) == b.size()) {
      end_pos = pos;
      break;
    }
  }
  if (end_pos == std::string_view::npos) {
    return Bad("no end-of-central-directory record");
  }
  uint64_t disk = LoadLittleEndian(b, end_pos + 4, 2);
  uint64_t cd_disk = LoadLittleEndian(b, end_pos + 6, 2);
  uint64_t disk_entries = LoadLittleEndian(b, end_pos + 8, 2);
  uint64_t total_entries = LoadLittleEndian(b, end_pos + 10, 2);
  uint64_t cd_size = LoadLittleEndian(b, end_pos + 12, 4);
  uint64_t cd_offset = LoadLittleEndian(b, end_pos + 16, 4);
  uint64_t directory_end = end_pos;  // Where the central directory must end.

  if (end_pos >= kZip64LocatorSize &&
      LoadLittleEndian(b, end_pos - kZip64LocatorSize, 4) == kZip64LocatorSig) {
    const size_t loc = end_pos - kZip64LocatorSize;
    const uint64_t record = LoadLittleEndian(b, loc + 8, 8);
    if (LoadLittleEndian(b, loc + 4, 4) != 0 ||
        LoadLittleEndian(b, loc + 16, 4) > 1) {
      return ModelStatus::Unimplemented("multi-disk zip archives");
    }
    if (!InRange(record, kZip64EndSize, loc) ||
        LoadLittleEndian(b, record, 4) != kZip64EndSig) {
      return Bad("ZIP64 locator points to no ZIP64 end record");
    }
    disk = LoadLittleEndian(b, record + 16, 4);
    cd_disk = LoadLittleEndian(b, record + 20, 4);
    disk_entries = LoadLittleEndian(b, record + 24, 8);
    total_entries = LoadLittleEndian(b, record + 32, 8);
    cd_size = LoadLittleEndian(b, record + 40, 8);
    cd_offset = LoadLittleEndian(b, record + 48, 8);
    directory_end = record;
  }
  if (disk != 0 || cd_disk != 0 || disk_entries != total_entries) {
    return ModelStatus::Unimplemented("multi-disk zip archives");
  }
  if (total_entries > limits_.max_entries) {
    return ModelStatus::ResourceExhausted(
        "zip archive has " + std::to_string(total_entries) +
        " entries; the limit is " + std::to_string(limits_.max_entries));
  }
  if (!InRange(cd_offset, cd_size, directory_end)) {
    return Bad("central directory (offset " + std::to_string(cd_offset) + ", " +
               std::to_string(cd_size) + " bytes) lies outside the " +
               std::to_string(directory_end) + " bytes before the end record");
  }
  if (total_entries > cd_size / kCentralHeaderSize) {
    return Bad("central directory is too small for " +
               std::to_string(total_entries) + " entries");
  }

  uint64_t pos = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  entries_.reserve(total_entries);
  for (uint64_t i = 0; i < total_entries; ++i) {
    const std::string where = "central directory entry " + std::to_string(i);
    if (!InRange(pos, kCentralHeaderSize, cd_end) ||
        LoadLittleEndian(b, pos, 4) != kCentralHeaderSig) {
      return Bad(where + " is missing or truncated");
    }
    const uint64_t flags = LoadLittleEndian(b, pos + 8, 2);
    ZipEntry e;
    e.method = static_cast<uint16_t>(LoadLittleEndian(b, pos + 10, 2));
    e.crc32 = static_cast<uint32_t>(LoadLittleEndian(b, pos + 16, 4));
    e.compressed_size = LoadLittleEndian(b, pos + 20, 4);
    e.uncompressed_size = LoadLittleEndian(b, pos + 24, 4);
    const uint64_t name_len = LoadLittleEndian(b, pos + 28, 2);
    const uint64_t extra_len = LoadLittleEndian(b, pos + 30, 2);
    const uint64_t comment_len = LoadLittleEndian(b, pos + 32, 2);
    const uint64_t start_disk = LoadLittleEndian(b, pos + 34, 2);
    uint64_t local_offset = LoadLittleEndian(b, pos + 42, 4);
    const uint64_t var_len = name_len + extra_len + comment_len;
    if (!InRange(pos + kCentralHeaderSize, var_len, cd_end)) {
      return Bad(where + " is truncated");
    }
    e.name = std::string(b.substr(pos + kCentralHeaderSize, name_len));
    // ZIP64 extra field: 64-bit values for the fields saturated above, in
    // this order.
    uint64_t x = pos + kCentralHeaderSize + name_len;
    const uint64_t x_end = x + extra_len;
    while (x + 4 <= x_end) {
      const uint64_t id = LoadLittleEndian(b, x, 2);
      const uint64_t len = LoadLittleEndian(b, x + 2, 2);
      if (len > x_end - x - 4)
        return Bad(where + " has a truncated extra field");
      if (id == 0x0001) {
        uint64_t f = x + 4;
        const uint64_t f_end = f + len;
        for (uint64_t* field :
             {&e.uncompressed_size, &e.compressed_size, &local_offset}) {
          if (*field != 0xffffffffu) continue;
          if (f + 8 > f_end) return Bad(where + " has a short ZIP64 field");
          *field = LoadLittleEndian(b, f, 8);
          f += 8;
        }
      }
      x += 4 + len;
    }
    if (flags & 0x41) {
      return ModelStatus::Unimplemented("encrypted zip entry '" + e.name + "'");
    }
    if (e.method != 0 && e.method != 8) {
      return ModelStatus::Unimplemented(
          "zip entry '" + e.name + "' uses compression method " +
          std::to_string(e.method) + "; only stored and deflated are read");
    }
    if (start_disk != 0 && start_disk != 0xffff) {
      return ModelStatus::Unimplemented("multi-disk zip archives");
    }
    if (e.uncompressed_size > limits_.max_entry_size) {
      return ModelStatus::ResourceExhausted(
          "zip entry '" + e.name + "' holds " +
          std::to_string(e.uncompressed_size) + " bytes; the limit is " +
          std::to_string(limits_.max_entry_size));
    }
    if (e.method == 0 && e.compressed_size != e.uncompressed_size) {
      return Bad("stored entry '" + e.name + "' has different sizes");
    }
    // The local header repeats the name; torch zeroes its sizes and CRC
    // (they follow the data in a descriptor), so the central ones rule.
    if (!InRange(local_offset, kLocalHeaderSize, cd_offset) ||
        LoadLittleEndian(b, local_offset, 4) != kLocalHeaderSig) {
      return Bad("local header of '" + e.name + "' is missing");
    }
    const uint64_t local_name_len = LoadLittleEndian(b, local_offset + 26, 2);
    const uint64_t local_extra_len = LoadLittleEndian(b, local_offset + 28, 2);
    const uint64_t name_at = local_offset + kLocalHeaderSize;
    if (!InRange(name_at, local_name_len + local_extra_len, cd_offset) ||
        b.substr(name_at, local_name_len) != e.name) {
      return Bad("local header of '" + e.name + "' does not match");
    }
    if (LoadLittleEndian(b, local_offset + 8, 2) != e.method) {
      return Bad("local header of '" + e.name + "' has another method");
    }
    e.data_offset = name_at + local_name_len + local_extra_len;
    if (!InRange(e.data_offset, e.compressed_size, cd_offset)) {
      return Bad("data of '" + e.name + "' runs past the central directory");
    }
    if (!index_.emplace(e.name, entries_.size()).second) {
      return ModelStatus::InvalidArgument(
          "zip archive has two entries named '" + e.name + "'");
    }
    entries_.push_back(std::move(e));
    pos += kCentralHeaderSize + var_len;
  }
  return ModelStatus::Ok();
}

const ZipEntry* ZipReader::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

ModelResult<std::string> ZipReader::Read(const ZipEntry& entry) const {
  std::string scratch;
  ModelResult<std::string_view> view = View(entry, &scratch);
  if (!view.ok()) return view.status();
  if (entry.method != 0) return scratch;
  return std::string(*view);
}

ModelResult<std::string_view> ZipReader::View(const ZipEntry& entry,
                                              std::string* scratch) const {
  std::string_view data =
      bytes_.substr(entry.data_offset, entry.compressed_size);
  if (entry.method != 0) {
    ModelResult<std::string> inflated = Inflate(data, entry.uncompressed_size);
    if (!inflated.ok()) {
      return ModelStatus::DataLoss("zip entry '" + entry.name +
                                   "': " + inflated.status().message());
    }
    *scratch = std::move(inflated).value();
    if (scratch->size() != entry.uncompressed_size) {
      return ModelStatus::DataLoss(
          "zip entry '" + entry.name + "' inflates to " +
          std::to_string(scratch->size()) + " bytes, not the " +
          std::to_string(entry.uncompressed_size) + " its header says");
    }
    data = *scratch;
  }
  if (Crc32(data) != entry.crc32) {
    return ModelStatus::DataLoss("zip entry '" + entry.name +
                                 "' fails its CRC-32 check");
  }
  return data;
}

ModelStatus ZipWriter::AddStored(const std::string& name,
                                 std::string_view data) {
  if (name.empty() || name.size() > 0xffff) {
    return ModelStatus::InvalidArgument("bad zip entry name '" + name + "'");
  }
  for (const Written& w : written_) {
    if (w.name == name) {
      return ModelStatus::InvalidArgument("duplicate zip entry '" + name + "'");
    }
  }
  // Local header, then an "FB" extra field padding the data to kAlignment.
  const size_t header_end = out_.size() + kLocalHeaderSize + name.size() + 4;
  const size_t padding = (kAlignment - header_end % kAlignment) % kAlignment;
  const uint64_t end = header_end + padding + data.size();
  if (end > 0xffffffffu || written_.size() >= 0xffff) {
    return ModelStatus::ResourceExhausted(
        "zip archive would exceed 4 GiB or 65535 entries");
  }
  Written w{name, Crc32(data), static_cast<uint32_t>(data.size()),
            static_cast<uint32_t>(out_.size())};
  AppendLittleEndian(kLocalHeaderSig, 4, &out_);
  AppendLittleEndian(20, 2, &out_);      // Version needed: 2.0.
  AppendLittleEndian(0x0800, 2, &out_);  // Flags: names are UTF-8.
  AppendLittleEndian(0, 2, &out_);       // Stored.
  AppendLittleEndian(0, 2, &out_);       // Time 00:00.
  AppendLittleEndian(0x21, 2, &out_);    // Date 1980-01-01.
  AppendLittleEndian(w.crc32, 4, &out_);
  AppendLittleEndian(w.size, 4, &out_);
  AppendLittleEndian(w.size, 4, &out_);
  AppendLittleEndian(name.size(), 2, &out_);
  AppendLittleEndian(4 + padding, 2, &out_);
  out_ += name;
  // "FB", as torch spells its padding field.
  AppendLittleEndian(0x4246, 2, &out_);
  AppendLittleEndian(padding, 2, &out_);
  out_.append(padding, 'Z');
  out_.append(data);
  written_.push_back(std::move(w));
  return ModelStatus::Ok();
}

std::string ZipWriter::Finish() {
  const size_t cd_offset = out_.size();
  for (const Written& w : written_) {
    AppendLittleEndian(kCentralHeaderSig, 4, &out_);
    AppendLittleEndian(20, 2, &out_);  // Made by: 2.0, MS-DOS attributes.
    AppendLittleEndian(20, 2, &out_);
    AppendLittleEndian(0x0800, 2, &out_);
    AppendLittleEndian(0, 2, &out_);
    AppendLittleEndian(0, 2, &out_);
    AppendLittleEndian(0x21, 2, &out_);
    AppendLittleEndian(w.crc32, 4, &out_);
    AppendLittleEndian(w.size, 4, &out_);
    AppendLittleEndian(w.size, 4, &out_);
    AppendLittleEndian(w.name.size(), 2, &out_);
    AppendLittleEndian(0, 2, &out_);  // Extra.
    AppendLittleEndian(0, 2, &out_);  // Comment.
    AppendLittleEndian(0, 2, &out_);  // Disk.
    AppendLittleEndian(0, 2, &out_);  // Internal attributes.
    AppendLittleEndian(0, 4, &out_);  // External attributes.
    AppendLittleEndian(w.local_header_offset, 4, &out_);
    out_ += w.name;
  }
  const size_t cd_size = out_.size() - cd_offset;
  AppendLittleEndian(kEndSig, 4, &out_);
  AppendLittleEndian(0, 2, &out_);
  AppendLittleEndian(0, 2, &out_);
  AppendLittleEndian(written_.size(), 2, &out_);
  AppendLittleEndian(written_.size(), 2, &out_);
  AppendLittleEndian(cd_size, 4, &out_);
  AppendLittleEndian(cd_offset, 4, &out_);
  AppendLittleEndian(0, 2, &out_);  // Comment.
  written_.clear();
  std::string archive;
  archive.swap(out_);
  return archive;
}

}  // namespace facet
