// Fuzzes ZipReader (core/model/zip_archive.h): the directory of any bytes
// parses or fails cleanly, and every entry of one that parses reads (stored
// or inflated, CRC checked) or fails cleanly, with Read and View agreeing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/model/zip_archive.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  facet::ZipLimits limits;
  limits.max_entries = 1024;
  limits.max_entry_size = 1 << 20;
  facet::ModelResult<facet::ZipReader> zip =
      facet::ZipReader::Open(bytes, limits);
  if (!zip.ok()) return 0;
  const facet::ZipReader& reader = zip.value();
  FUZZ_CHECK(reader.entries().size() <= limits.max_entries, "too many entries");
  for (const facet::ZipEntry& entry : reader.entries()) {
    FUZZ_CHECK(reader.Find(entry.name) == &entry,
               "Find disagrees with entries()");
    facet::ModelResult<std::string> contents = reader.Read(entry);
    std::string scratch;
    facet::ModelResult<std::string_view> view = reader.View(entry, &scratch);
    FUZZ_CHECK(contents.ok() == view.ok(), "Read and View disagree on success");
    if (contents.ok()) {
      FUZZ_CHECK(contents.value().size() == entry.uncompressed_size,
                 "contents differ from the stated size");
      FUZZ_CHECK(contents.value() == view.value(), "Read and View differ");
    }
  }
  return 0;
}
