// TLS and mutual TLS: certificates made with the openssl tool (skipped when
// it is absent), a server with --tls_cert/--tls_key[/--tls_ca], clients with
// and without a certificate.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/util/test_files.h"

namespace facet {
namespace server_test {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// CA, server (localhost) and client certificates in `dir`.
bool MakeCertificates(const std::string& dir) {
  std::ofstream(dir + "/san.ext") << "subjectAltName=DNS:localhost\n";
  const std::string script = absl::StrCat(
      "(cd ", dir, " && ",
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "
      "-days 1 -subj /CN=facet-test-ca && ",
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
      "-subj /CN=localhost && ",
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -out server.pem -days 1 -extfile san.ext && ",
      "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr "
      "-subj /CN=facet-client && ",
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -out client.pem -days 1",
      ") >/dev/null 2>&1");
  return std::system(script.c_str()) == 0;
}

grpc::StatusCode CallInfo(const ServerProcess& server,
                          const grpc::SslCredentialsOptions& options,
                          std::string* message = nullptr) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto stub = v1::FaceService::NewStub(grpc::CreateCustomChannel(
      server.address(), grpc::SslCredentials(options), args));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::GetModelInfoResponse info;
  grpc::Status status = stub->GetModelInfo(&context, {}, &info);
  if (message != nullptr) *message = status.error_message();
  return status.error_code();
}

// Retries while the model loads (UNAVAILABLE "no model version").
grpc::StatusCode CallInfoWhenLoaded(const ServerProcess& server,
                                    const grpc::SslCredentialsOptions& options,
                                    std::string* message) {
  grpc::StatusCode code = grpc::UNAVAILABLE;
  for (int i = 0; i < 200 && code == grpc::UNAVAILABLE; ++i) {
    code = CallInfo(server, options, message);
    if (code == grpc::UNAVAILABLE) absl::SleepFor(absl::Milliseconds(50));
  }
  return code;
}

TEST(TlsTest, ServesTlsAndRequiresClientCertificatesWithCa) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "openssl tool not installed";
  }
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_tls");
  ASSERT_TRUE(MakeCertificates(dir));
  const std::string repo = testing::MakeTempDirRemovedAtExit("facet_tls_repo");
  ASSERT_EQ(PublishVersion(repo, "faces", 1), 1);
  const std::vector<std::string> common = {
      "--model_repository=" + repo, "--model_name=faces", "--device=cpu",
      "--tls_cert=" + dir + "/server.pem", "--tls_key=" + dir + "/server.key"};

  grpc::SslCredentialsOptions trusted;
  trusted.pem_root_certs = Read(dir + "/ca.pem");
  grpc::SslCredentialsOptions with_cert = trusted;
  with_cert.pem_private_key = Read(dir + "/client.key");
  with_cert.pem_cert_chain = Read(dir + "/client.pem");
  {
    auto server = ServerProcess::Start(common);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_NE((*server)->Log().find("tls=1"), std::string::npos);
    std::string message;
    EXPECT_EQ(CallInfoWhenLoaded(**server, trusted, &message), grpc::OK)
        << message;
    // A plaintext client cannot talk to it.
    auto plain = (*server)->NewStub();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    v1::GetModelInfoResponse info;
    EXPECT_EQ(plain->GetModelInfo(&context, {}, &info).error_code(),
              grpc::UNAVAILABLE);
  }
  {
    std::vector<std::string> mutual = common;
    mutual.push_back("--tls_ca=" + dir + "/ca.pem");
    auto server = ServerProcess::Start(mutual);
    ASSERT_TRUE(server.ok()) << server.status();
    std::string message;
    EXPECT_EQ(CallInfoWhenLoaded(**server, with_cert, &message), grpc::OK)
        << message;
    // Without a client certificate the handshake fails.
    EXPECT_EQ(CallInfo(**server, trusted, &message), grpc::UNAVAILABLE);
    EXPECT_EQ(message.find("no model"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace server_test
}  // namespace facet
