#include "core/model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "core/io/byte_order.h"
#include "core/io/file_io.h"
#include "core/io/utf8.h"
#include "core/model/safetensors_header.h"

namespace facet {
namespace {

std::string Quoted(const std::string& name) { return "\"" + name + "\""; }

std::string OffsetsToString(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// Byte size of a tensor of `entry`'s dtype and shape, or an error when it
// overflows or cannot fit in a buffer of `buffer_size` bytes.
ModelResult<uint64_t> ByteSize(const SafetensorsHeaderEntry& entry,
                               uint64_t buffer_size) {
  uint64_t elem = DTypeSize(entry.dtype);
  bool zero =
      std::find(entry.shape.begin(), entry.shape.end(), 0) != entry.shape.end();
  if (zero) return uint64_t{0};
  // Every dimension is >= 1, so the running product only grows; stopping
  // once it passes the buffer size keeps it from overflowing.
  uint64_t bytes = elem;
  for (int64_t d : entry.shape) {
    uint64_t dim = static_cast<uint64_t>(d);
    if (bytes > buffer_size / dim) {
      return ModelStatus::DataLoss(
          "shape " + ShapeToString(entry.shape) + " of dtype " +
          DTypeName(entry.dtype) + " needs more bytes than the " +
          std::to_string(buffer_size) + "-byte data buffer holds");
    }
    bytes *= dim;
  }
  return bytes;
}

// Checks that the entries tile [0, buffer_size) exactly.
ModelStatus CheckTiling(const std::vector<SafetensorsHeaderEntry>& entries,
                        uint64_t buffer_size) {
  std::vector<const SafetensorsHeaderEntry*> sorted;
  sorted.reserve(entries.size());
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected = 0;
  const SafetensorsHeaderEntry* previous = nullptr;
  for (const SafetensorsHeaderEntry* e : sorted) {
    if (e->begin < expected) {
      return ModelStatus::DataLoss(
          "tensor " + Quoted(e->name) + ": data_offsets " +
          OffsetsToString(e->begin, e->end) + " overlap tensor " +
          Quoted(previous->name) + " " +
          OffsetsToString(previous->begin, previous->end));
    }
    if (e->begin > expected) {
      return ModelStatus::DataLoss(
          "tensor " + Quoted(e->name) + ": data_offsets " +
          OffsetsToString(e->begin, e->end) + " leave a hole: expected begin " +
          std::to_string(expected) + " (tensors must tile the data buffer)");
    }
    expected = e->end;
    previous = e;
  }
  if (expected != buffer_size) {
    return ModelStatus::DataLoss(
        std::to_string(buffer_size - expected) +
        " trailing bytes after the last tensor (data buffer is " +
        std::to_string(buffer_size) + " bytes, tensors end at " +
        std::to_string(expected) + ")");
  }
  return ModelStatus::Ok();
}

ModelStatus WithSource(const std::string& source, const ModelStatus& status) {
  return ModelStatus(status.code(), source + ": " + status.message());
}

}  // namespace

ModelResult<SafetensorsContents> ParseSafetensors(std::string_view bytes,
                                                  const std::string& source) {
  auto fail = [&source](const std::string& message) {
    return ModelStatus::DataLoss(source + ": " + message);
  };
  if (bytes.size() < 8) {
    return fail("file is " + std::to_string(bytes.size()) +
                " bytes, shorter than the 8-byte header length");
  }
  uint64_t header_len = LoadLittleEndian(bytes, 0, 8);
  uint64_t rest = bytes.size() - 8;
  if (header_len > kMaxSafetensorsHeaderBytes) {
    return fail("header length " + std::to_string(header_len) +
                " exceeds the limit of " +
                std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
  }
  if (header_len > rest) {
    return fail("header length " + std::to_string(header_len) +
                " exceeds the " + std::to_string(rest) +
                " bytes that follow it (truncated file?)");
  }
  ModelResult<SafetensorsHeader> header =
      ParseSafetensorsHeader(bytes.substr(8, header_len));
  if (!header.ok()) return fail("bad header: " + header.status().message());

  std::string_view buffer = bytes.substr(8 + header_len);
  uint64_t buffer_size = buffer.size();
  for (const SafetensorsHeaderEntry& e : header->tensors) {
    ModelResult<uint64_t> size = ByteSize(e, buffer_size);
    if (!size.ok()) {
      return fail("tensor " + Quoted(e.name) + ": " + size.status().message());
    }
    if (e.begin > e.end || e.end > buffer_size) {
      return fail("tensor " + Quoted(e.name) + ": data_offsets " +
                  OffsetsToString(e.begin, e.end) +
                  " out of range: expected begin <= end <= " +
                  std::to_string(buffer_size) +
                  " (data buffer size; truncated file?)");
    }
    if (e.end - e.begin != *size) {
      return fail("tensor " + Quoted(e.name) + ": data_offsets " +
                  OffsetsToString(e.begin, e.end) + " span " +
                  std::to_string(e.end - e.begin) + " bytes, but " +
                  DTypeName(e.dtype) + " " + ShapeToString(e.shape) +
                  " needs " + std::to_string(*size));
    }
  }
  ModelStatus tiling = CheckTiling(header->tensors, buffer_size);
  if (!tiling.ok()) return WithSource(source, tiling);

  SafetensorsContents contents;
  contents.metadata = std::move(header->metadata);
  for (SafetensorsHeaderEntry& e : header->tensors) {
    RawTensor t;
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    const char* data = buffer.data() + e.begin;
    t.data.assign(data, data + (e.end - e.begin));
    contents.tensors.emplace(std::move(e.name), std::move(t));
  }
  return contents;
}

ModelResult<SafetensorsContents> ReadSafetensorsFile(const std::string& path) {
  ChunkedReadOptions options;
  options.max_bytes = kMaxSafetensorsFileBytes;
  options.origin = PathOrigin::kCaller;
  std::string bytes;
  IoStatus read = ReadWholeFile(path, options, &bytes);
  if (!read.ok()) return ModelStatus::FromIoStatus(read);
  return ParseSafetensors(bytes, path);
}

ModelStatus CheckSerializable(
    const RawTensorMap& tensors,
    const std::map<std::string, std::string>& metadata) {
  for (const auto& [key, value] : metadata) {
    if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
      return ModelStatus::InvalidArgument("metadata key " + Quoted(key) +
                                          ": key or value is not valid UTF-8");
    }
  }
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__" || !IsValidUtf8(name)) {
      return ModelStatus::InvalidArgument(
          "tensor " + Quoted(name) +
          ": name must be valid UTF-8 and not \"__metadata__\"");
    }
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) {
        return ModelStatus::InvalidArgument("tensor " + Quoted(name) +
                                            ": negative dimension in shape " +
                                            ShapeToString(t.shape));
      }
      // The data vector bounds any valid numel, so an overflowing product
      // is a mismatch anyway; saturate instead of wrapping.
      uint64_t dim = static_cast<uint64_t>(d);
      numel = (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / dim)
                  ? std::numeric_limits<uint64_t>::max()
                  : numel * dim;
    }
    uint64_t elem = DTypeSize(t.dtype);
    if (numel > t.data.size() / elem || numel * elem != t.data.size()) {
      return ModelStatus::InvalidArgument(
          "tensor " + Quoted(name) + ": holds " +
          std::to_string(t.data.size()) + " bytes, but " + DTypeName(t.dtype) +
          " " + ShapeToString(t.shape) + " needs numel * " +
          std::to_string(elem));
    }
  }
  return ModelStatus::Ok();
}

std::string SerializeSafetensors(
    const RawTensorMap& tensors,
    const std::map<std::string, std::string>& metadata) {
  std::vector<const RawTensorMap::value_type*> order;
  order.reserve(tensors.size());
  for (const auto& entry : tensors) order.push_back(&entry);
  // Larger elements first: with an 8-aligned buffer start, every tensor then
  // starts at a multiple of its element size. stable_sort keeps name order.
  std::stable_sort(
      order.begin(), order.end(), [](const auto* a, const auto* b) {
        return DTypeSize(a->second.dtype) > DTypeSize(b->second.dtype);
      });

  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (const auto& [key, value] : metadata) {
      if (!first) header += ',';
      first = false;
      AppendJsonString(key, &header);
      header += ':';
      AppendJsonString(value, &header);
    }
    header += '}';
    first = false;
  }
  uint64_t offset = 0;
  for (const auto* entry : order) {
    const RawTensor& t = entry->second;
    if (!first) header += ',';
    first = false;
    AppendJsonString(entry->first, &header);
    header += ":{\"dtype\":\"";
    header += DTypeName(t.dtype);
    header += "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i) header += ',';
      header += std::to_string(t.shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + ',';
    offset += t.data.size();
    header += std::to_string(offset) + "]}";
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + header.size() + offset);
  AppendLittleEndian(header.size(), 8, &out);
  out += header;
  for (const auto* entry : order) {
    const std::vector<uint8_t>& data = entry->second.data;
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
  return out;
}

ModelStatus WriteSafetensorsFile(
    const std::string& path, const RawTensorMap& tensors,
    const std::map<std::string, std::string>& metadata) {
  ModelStatus check = CheckSerializable(tensors, metadata);
  if (!check.ok()) return WithSource(path, check);
  std::string bytes = SerializeSafetensors(tensors, metadata);

  return ModelStatus::FromIoStatus(WriteFileDurably(path, bytes));
}

}  // namespace facet
