// Fuzzes ParseManifest (core/repository/manifest.h), the manifest.json of
// every repository version: any text gives a manifest or a clean error.
// Property: an accepted manifest is valid, and serializing it gives JSON
// that parses back to the same manifest (what the trainer writes, the
// server can read).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/repository/manifest.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<facet::Manifest> manifest =
      facet::ParseManifest(text, "fuzz.json");
  if (!manifest.ok()) return 0;
  FUZZ_CHECK(facet::ValidateManifest(*manifest).ok(),
             "ParseManifest accepted a manifest ValidateManifest refuses");
  const std::string again = facet::SerializeManifest(*manifest);
  absl::StatusOr<facet::Manifest> back =
      facet::ParseManifest(again, "again.json");
  FUZZ_CHECK(back.ok(), "a parsed manifest does not parse after serializing");
  FUZZ_CHECK(
      back->format_version == manifest->format_version &&
          back->model_name == manifest->model_name &&
          back->version == manifest->version &&
          back->config == manifest->config && back->step == manifest->step &&
          back->metrics == manifest->metrics &&
          back->created_at == manifest->created_at &&
          back->files == manifest->files && back->extra == manifest->extra,
      "the manifest changed in the round trip");
  return 0;
}
