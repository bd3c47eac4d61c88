// Server credentials for facet-server's gRPC port: plaintext, TLS, or
// mutual TLS, from PEM files named by --tls_cert, --tls_key and --tls_ca.
//
// Thread safety: a pure function of the files.
#ifndef FACET_SERVER_TLS_CREDENTIALS_H_
#define FACET_SERVER_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace facet {

struct TlsFiles {
  std::string cert;  // PEM server certificate chain; enables TLS.
  std::string key;   // PEM private key of `cert`.
  std::string ca;    // PEM CA bundle; requires and verifies client certs.
};

// Plaintext credentials when no file is named; TLS with `cert` and `key`;
// mutual TLS when `ca` is also named. InvalidArgument when only one of
// cert and key is given; NotFound naming the flag and path of a file that
// cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

}  // namespace facet

#endif  // FACET_SERVER_TLS_CREDENTIALS_H_
