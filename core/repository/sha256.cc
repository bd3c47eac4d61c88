#include "core/repository/sha256.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/status/status.h"
#include "core/io/file_io.h"
#include "core/status/errno_status.h"

namespace facet {
namespace {

std::string HexDigest(const unsigned char* digest, unsigned int len) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return HexDigest(digest, len);
}

absl::StatusOr<std::string> Sha256File(const std::string& path) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("cannot initialise SHA-256");
  }
  IoStatus read = ReadFileChunked(
      path, ChunkedReadOptions(), [&ctx](std::string_view chunk) {
        EVP_DigestUpdate(ctx.get(), chunk.data(), chunk.size());
      });
  if (!read.ok()) return ToAbslStatus(read);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return HexDigest(digest, len);
}

}  // namespace facet
