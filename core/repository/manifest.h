// Manifest: the manifest.json that describes one published model version
// (docs/model-repository.md shows an example).
//
// The manifest names the model, its version, the network configuration the
// weights were built for, the training step and metrics, the creation time
// and the SHA-256 of every other file of the version folder. Parsing is
// strict: an unknown format_version, a missing or unknown field, a repeated
// key or a value of the wrong type is InvalidArgument naming the field, so
// a version written by a newer or broken trainer is never half-understood.
//
// All functions are thread-compatible and keep no state.
#ifndef FACET_CORE_REPOSITORY_MANIFEST_H_
#define FACET_CORE_REPOSITORY_MANIFEST_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/model/net_config.h"

namespace facet {

// The only manifest format this code reads and writes. Bump it (and keep
// reading the old one) when the meaning of a field changes.
constexpr int kManifestFormatVersion = 1;

// Name of the manifest inside a version folder.
constexpr char kManifestFileName[] = "manifest.json";

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string
      model_name;  // Folder name of the model: [A-Za-z0-9_.-], no leading '.'.
  int64_t version = 0;  // Folder name of the version; >= 1.
  NetConfig config;     // Must pass NetConfig::Validate().
  int64_t step = 0;     // Training step the weights come from; >= 0.
  std::map<std::string, double> metrics;  // e.g. "val_miou"; finite values.
  std::string
      created_at;  // RFC 3339 UTC, "2026-11-29T16:00:00Z" (fraction allowed).
  // File name in the version folder -> lowercase hex SHA-256 of its bytes.
  // Names are plain (no '/', not "." or "..") and never manifest.json.
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> extra;  // Free-form; optional in JSON.
};

// Checks every field rule stated in Manifest. InvalidArgument naming the
// field and the bad value otherwise.
absl::Status ValidateManifest(const Manifest& manifest);

// Parses and validates manifest JSON. `source` (usually the path) prefixes
// error messages. InvalidArgument on malformed JSON, duplicate keys, unknown
// format_version, missing, unknown or mistyped fields, or a failed
// ValidateManifest.
absl::StatusOr<Manifest> ParseManifest(std::string_view json_text,
                                       const std::string& source);

// Pretty-printed JSON with fields in a fixed order, ending in a newline.
// REQUIRES: ValidateManifest(manifest).ok() (non-finite metrics cannot be
// written as JSON).
std::string SerializeManifest(const Manifest& manifest);

// Returns true iff `name` can name a model folder: 1 to 128 characters of
// [A-Za-z0-9_.-], not starting with '.'.
bool IsValidModelName(std::string_view name);

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_MANIFEST_H_
