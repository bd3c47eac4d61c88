// SHA-256 digests as lowercase hex, the form manifest.json records for every
// file of a version folder (docs/model-repository.md).
//
// Functions keep no state and may be called from any thread.
#ifndef FACET_CORE_REPOSITORY_SHA256_H_
#define FACET_CORE_REPOSITORY_SHA256_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace facet {

// Lowercase hex SHA-256 of `bytes`: 64 characters.
std::string Sha256Hex(std::string_view bytes);

// Lowercase hex SHA-256 of the file at `path`, read in 1 MiB chunks
// (core/io's ReadFileChunked: constant memory). NotFound if it does not
// exist; FailedPrecondition if it is not a regular file; other errnos as
// core/io/io_status.h maps them (EIO is DataLoss).
absl::StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_SHA256_H_
