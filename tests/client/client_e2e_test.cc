// facet-client and the Python client end to end against a real
// facet-server on loopback (a tiny model published by facet-trainer).

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/client/astronaut_group.h"
#include "tests/client/client_test_util.h"
#include "tests/client/server_launcher.h"
#include "tests/util/free_port.h"
#include "tests/util/test_files.h"

namespace facet {
namespace {

using client_test::CommandResult;
using client_test::RunCommand;
using testing::IsFile;

std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out +
         "\nstderr:\n" + r.err;
}

nlohmann::json ParseJson(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// Writes a test face image (the astronaut, shrunk, or a smooth image if
// the fixture is missing) to `path` with OpenCV (BGR order on disk).
void WriteFace(const std::string& path, int side) {
  cv::Mat bgr;
  const std::string fixtures = testing::FixturesDirIfPresent();
  if (!fixtures.empty()) bgr = cv::imread(fixtures + "/astronaut.png");
  if (bgr.empty()) bgr = client_test::MakeSmoothImage(side, side);
  cv::resize(bgr, bgr, cv::Size(side, side), 0, 0, cv::INTER_AREA);
  ASSERT_TRUE(cv::imwrite(path, bgr)) << path;
}

class ClientE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDirRemovedAtExit("facet_client_e2e");
    auto server = client_test::ServerLauncher::Start(dir_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // facet-client `args...` --target=<server>.
  CommandResult Client(std::vector<std::string> args, int timeout_s = 90) {
    args.insert(args.begin(), client_test::ClientBinary());
    args.push_back("--target=" + server_->target());
    return RunCommand(args, timeout_s);
  }

  std::string dir_;
  std::unique_ptr<client_test::ServerLauncher> server_;
};

TEST_F(ClientE2eTest, HealthAndInfo) {
  CommandResult health = Client({"health"});
  EXPECT_EQ(health.exit_code, 0) << Describe(health);
  EXPECT_EQ(health.out, "SERVING\n");
  CommandResult service =
      Client({"health", "--service=facet.v1.FaceService", "--json"});
  EXPECT_EQ(service.exit_code, 0) << Describe(service);
  EXPECT_EQ(ParseJson(service.out)["status"], "SERVING");
  // Any gRPC target form reaches it (round_robin over what resolves).
  const std::string port =
      server_->target().substr(server_->target().find(':') + 1);
  for (const std::string& target :
       {"ipv4:127.0.0.1:" + port,
        "ipv4:127.0.0.1:" + port + ",127.0.0.1:" + port,
        "dns:///127.0.0.1:" + port}) {
    CommandResult r = RunCommand(
        {client_test::ClientBinary(), "health", "--target=" + target}, 30);
    EXPECT_EQ(r.exit_code, 0) << target << "\n" << Describe(r);
  }
  CommandResult unknown = Client({"health", "--service=no.such.Service"});
  EXPECT_EQ(unknown.exit_code, 1) << Describe(unknown);
  EXPECT_EQ(unknown.out, "SERVICE_UNKNOWN\n");

  CommandResult info = Client({"info", "--json"});
  ASSERT_EQ(info.exit_code, 0) << Describe(info);
  const nlohmann::json doc = ParseJson(info.out);
  ASSERT_FALSE(doc.is_discarded()) << info.out;
  EXPECT_EQ(doc["labels"].size(), 19u);
  EXPECT_EQ(doc["labels"][1]["name"], "skin");
  EXPECT_EQ(doc["model_name"], "facet");
  CommandResult text = Client({"info"});
  EXPECT_EQ(text.exit_code, 0) << Describe(text);
  EXPECT_NE(text.out.find("model      facet version"), std::string::npos)
      << text.out;
  // The server reports the batch size it forms on this version.
  EXPECT_NE(text.out.find(", max batch "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(" (effective "), std::string::npos) << text.out;
}

TEST_F(ClientE2eTest, ParseWritesLabelsColourOverlayAndRestored) {
  const std::string in = dir_ + "/in";
  ASSERT_EQ(mkdir(in.c_str(), 0755), 0);
  WriteFace(in + "/a.png", 96);
  WriteFace(in + "/b.jpg", 80);
  const std::string out = dir_ + "/out";
  CommandResult r = Client(
      {"parse", in, "--out=" + out, "--restored", "--concurrency=2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const nlohmann::json doc = ParseJson(r.out);
  EXPECT_EQ(doc["done"], 2);
  EXPECT_EQ(doc["failed"], 0);
  for (const auto& [stem, side] :
       std::vector<std::pair<std::string, int>>{{"a", 96}, {"b", 80}}) {
    const cv::Mat labels =
        cv::imread(out + "/" + stem + ".labels.png", cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(labels.empty()) << stem;
    EXPECT_EQ(labels.type(), CV_8UC1);
    EXPECT_EQ(labels.size(), cv::Size(side, side));  // --output_size=input
    double lo, hi;
    cv::minMaxLoc(labels, &lo, &hi);
    EXPECT_LT(hi, 19);
    for (const char* kind : {"color", "overlay", "restored"}) {
      const cv::Mat image = cv::imread(out + "/" + stem + "." + kind + ".png");
      ASSERT_FALSE(image.empty()) << stem << " " << kind;
      EXPECT_EQ(image.size(), cv::Size(side, side)) << kind;
    }
  }
  // Human text: the summary line.
  CommandResult text =
      Client({"parse", in + "/a.png", "--out=" + out, "--output_size=network"});
  EXPECT_EQ(text.exit_code, 0) << Describe(text);
  EXPECT_NE(text.out.find("parse: 1 done, 0 failed"), std::string::npos)
      << text.out;
  EXPECT_FALSE(IsFile(out + "/a_2.labels.png"));
}

TEST_F(ClientE2eTest, FolderWithBadFilesReportsThemAndDoesTheRest) {
  const std::string in = dir_ + "/mixed";
  ASSERT_EQ(mkdir(in.c_str(), 0755), 0);
  WriteFace(in + "/good.png", 64);
  // A JPEG cut in half, and a text file.
  WriteFace(in + "/full.jpg", 64);
  const std::string jpeg = testing::ReadFile(in + "/full.jpg");
  ASSERT_EQ(unlink((in + "/full.jpg").c_str()), 0);
  testing::WriteFile(in + "/corrupt.jpg", jpeg.substr(0, jpeg.size() / 2));
  testing::WriteFile(in + "/notes.txt", "not an image\n");
  const std::string out = dir_ + "/out";
  CommandResult r = Client({"parse", in, "--out=" + out});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.out.find("1 done, 2 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED " + in + "/corrupt.jpg: INVALID_ARGUMENT"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("FAILED " + in + "/notes.txt: INVALID_ARGUMENT"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(IsFile(out + "/good.labels.png"));
  EXPECT_FALSE(IsFile(out + "/corrupt.labels.png"));

  CommandResult missing =
      Client({"parse", dir_ + "/nope.png", "--json", "--out=" + out});
  EXPECT_EQ(missing.exit_code, 1) << Describe(missing);
  EXPECT_EQ(ParseJson(missing.out)["items"][0]["code"], "NOT_FOUND");
}

TEST_F(ClientE2eTest, EnhanceWritesRestoredFaces) {
  WriteFace(dir_ + "/face.png", 72);
  const std::string out = dir_ + "/out";
  CommandResult r =
      Client({"enhance", dir_ + "/face.png", "--out=" + out, "--format=jpg"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const cv::Mat restored = cv::imread(out + "/face.restored.jpg");
  ASSERT_FALSE(restored.empty()) << r.out;
  EXPECT_EQ(restored.size(), cv::Size(72, 72));
  CommandResult bad = Client({"enhance", dir_ + "/face.png", "--format=gif"});
  EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
  EXPECT_NE(bad.err.find("--format"), std::string::npos);
}

TEST_F(ClientE2eTest, PhotoFindsRestoresAndPastesBack) {
  client_test::AstronautGroup group;
  if (!client_test::MakeAstronautGroup(&group)) {
    GTEST_SKIP() << "fixtures/astronaut.png not found";
  }
  cv::Mat bgr;
  cv::cvtColor(group.photo, bgr, cv::COLOR_RGB2BGR);
  ASSERT_TRUE(cv::imwrite(dir_ + "/group.png", bgr));
  const std::string out = dir_ + "/out";
  CommandResult r =
      Client({"photo", dir_ + "/group.png", "--out=" + out, "--json"}, 150);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const nlohmann::json doc = ParseJson(r.out);
  EXPECT_EQ(doc["faces_found"], 3);
  EXPECT_EQ(doc["restored"], 3);
  for (const char* name : {"group.restored.png", "group.overlay.png"}) {
    const cv::Mat image = cv::imread(out + "/" + name);
    ASSERT_FALSE(image.empty()) << name;
    EXPECT_EQ(image.size(), group.photo.size());
  }
  // The restored photo differs from the input only around faces: the
  // corner far from every copy is untouched.
  const cv::Mat restored = cv::imread(out + "/group.restored.png");
  const cv::Rect corner(0, 0, 60, 60);
  EXPECT_EQ(cv::norm(restored(corner), bgr(corner), cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(restored, bgr, cv::NORM_L1), 0.0);
  for (const char* kind : {"input", "restored", "labels", "color"}) {
    EXPECT_TRUE(IsFile(out + "/group.faces/01." + std::string(kind) + ".png"))
        << kind;
  }
  EXPECT_TRUE(IsFile(out + "/group.faces.tsv"));

  CommandResult text = Client(
      {"photo", dir_ + "/group.png", "--out=" + out, "--mask=parsing"}, 150);
  EXPECT_EQ(text.exit_code, 0) << Describe(text);
  EXPECT_NE(text.out.find("photo: 3 faces found"), std::string::npos)
      << text.out;
}

TEST_F(ClientE2eTest, BenchReportsThroughputAndPercentiles) {
  WriteFace(dir_ + "/face.png", 64);
  const std::string csv = dir_ + "/bench.csv";
  CommandResult r =
      Client({"bench", dir_ + "/face.png", "--sweep=1,2", "--warmup_s=0.2",
              "--window_s=0.4", "--stable_windows=2", "--max_windows=4",
              "--stability=0.5", "--json", "--csv=" + csv});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const nlohmann::json doc = ParseJson(r.out);
  ASSERT_EQ(doc["levels"].size(), 2u) << r.out;
  for (const nlohmann::json& level : doc["levels"]) {
    EXPECT_GT(level["throughput_per_s"].get<double>(), 0) << level;
    const nlohmann::json& ms = level["latency_ms"];
    EXPECT_GT(ms["p50"].get<double>(), 0);
    EXPECT_LE(ms["p50"].get<double>(), ms["p90"].get<double>());
    EXPECT_LE(ms["p95"].get<double>(), ms["p99"].get<double>());
    EXPECT_TRUE(level["errors"].empty());
  }
  const std::string table = testing::ReadFile(csv);
  EXPECT_EQ(table.rfind("concurrency,throughput_per_s,p50_ms", 0), 0u);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 3);
}

TEST_F(ClientE2eTest, PythonClientRoundTrip) {
  if (!IsFile(client_test::PythonStubsDir() + "/facet/v1/facet_pb2.py")) {
    GTEST_SKIP() << "Python stubs not generated (grpc_python_plugin missing)";
  }
  WriteFace(dir_ + "/face.png", 80);
  const std::string script =
      testing::SourceDir() + "/client/python/facet_client.py";
  auto python = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "/usr/bin/python3", script,
        "--stubs",          client_test::PythonStubsDir(),
        "--target",         server_->target()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, 60);
  };
  CommandResult health = python({"health"});
  EXPECT_EQ(health.exit_code, 0) << Describe(health);
  EXPECT_EQ(health.out, "SERVING\n");
  const std::string out = dir_ + "/py";
  CommandResult parse = python({"parse", dir_ + "/face.png", "--out", out});
  ASSERT_EQ(parse.exit_code, 0) << Describe(parse);
  const nlohmann::json doc = ParseJson(parse.out);
  EXPECT_GE(doc["model_version"].get<int>(), 1);
  const cv::Mat labels =
      cv::imread(out + "/face.labels.png", cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(labels.empty());
  EXPECT_EQ(labels.size(), cv::Size(80, 80));
  CommandResult enhance = python({"enhance", dir_ + "/face.png", "--out", out});
  EXPECT_EQ(enhance.exit_code, 0) << Describe(enhance);
  EXPECT_TRUE(IsFile(out + "/face.restored.png"));
  CommandResult info = python({"info"});
  EXPECT_EQ(info.exit_code, 0) << Describe(info);
  EXPECT_EQ(ParseJson(info.out)["labels"].size(), 19u);
  // A bad image comes back as the server's INVALID_ARGUMENT.
  testing::WriteFile(dir_ + "/bad.png", "garbage");
  CommandResult bad = python({"parse", dir_ + "/bad.png", "--out", out});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_NE(bad.err.find("INVALID_ARGUMENT"), std::string::npos) << bad.err;
}

// Makes a CA, a server certificate for the name facet.test and a client
// certificate under `dir` with the openssl tool; false if it is missing.
bool MakeCertificates(const std::string& dir) {
  if (!IsFile("/usr/bin/openssl")) return false;
  testing::WriteFile(dir + "/ext.cnf", "subjectAltName=DNS:facet.test\n");
  const std::string o = "/usr/bin/openssl";
  const std::vector<std::vector<std::string>> steps = {
      {o, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
       dir + "/ca.key", "-out", dir + "/ca.pem", "-days", "2", "-subj",
       "/CN=facet-test-ca"},
      {o, "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
       dir + "/server.key", "-out", dir + "/server.csr", "-subj",
       "/CN=facet.test"},
      {o, "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem",
       "-CAkey", dir + "/ca.key", "-CAcreateserial", "-out",
       dir + "/server.pem", "-days", "2", "-extfile", dir + "/ext.cnf"},
      {o, "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
       dir + "/client.key", "-out", dir + "/client.csr", "-subj",
       "/CN=facet-test-client"},
      {o, "x509", "-req", "-in", dir + "/client.csr", "-CA", dir + "/ca.pem",
       "-CAkey", dir + "/ca.key", "-CAcreateserial", "-out",
       dir + "/client.pem", "-days", "2"},
  };
  for (const std::vector<std::string>& step : steps) {
    CommandResult r = RunCommand(step, 60);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    if (r.exit_code != 0) return false;
  }
  return true;
}

TEST(ClientTlsTest, MutualTlsRoundTrip) {
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_client_tls");
  if (!MakeCertificates(dir)) GTEST_SKIP() << "openssl not available";
  const std::vector<std::string> mtls = {"--tls", "--tls_ca=" + dir + "/ca.pem",
                                         "--tls_cert=" + dir + "/client.pem",
                                         "--tls_key=" + dir + "/client.key",
                                         "--tls_server_name=facet.test"};
  client_test::ServerLauncher::Options options;
  options.server_args = {"--tls_cert=" + dir + "/server.pem",
                         "--tls_key=" + dir + "/server.key",
                         "--tls_ca=" + dir + "/ca.pem"};
  options.probe_args = mtls;
  auto server = client_test::ServerLauncher::Start(dir, options);
  ASSERT_TRUE(server.ok()) << server.status();
  WriteFace(dir + "/face.png", 64);
  auto client = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        client_test::ClientBinary(), "parse",
        dir + "/face.png",           "--out=" + dir + "/out",
        "--max_attempts=1",          "--target=" + (*server)->target()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, 60);
  };
  CommandResult ok = client(mtls);
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_TRUE(IsFile(dir + "/out/face.labels.png"));
  // Without the client certificate, or without TLS, the server refuses.
  CommandResult no_cert = client({"--tls", "--tls_ca=" + dir + "/ca.pem"});
  EXPECT_EQ(no_cert.exit_code, 3) << Describe(no_cert);
  CommandResult plain = client({});
  EXPECT_EQ(plain.exit_code, 3) << Describe(plain);
  // The certificate names facet.test, not 127.0.0.1: without the
  // override the client rejects the server.
  std::vector<std::string> unnamed(mtls.begin(), mtls.end() - 1);
  CommandResult wrong_name = client(unnamed);
  EXPECT_EQ(wrong_name.exit_code, 3) << Describe(wrong_name);
}

TEST(ClientNoModelTest, NotServingAndUnavailableWithoutAModel) {
  const std::string dir =
      testing::MakeTempDirRemovedAtExit("facet_client_nomodel");
  client_test::ServerLauncher::Options options;
  options.publish_model = false;
  auto server = client_test::ServerLauncher::Start(dir, options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string target = "--target=" + (*server)->target();
  CommandResult health =
      RunCommand({client_test::ClientBinary(), "health", target, "--json"});
  EXPECT_EQ(health.exit_code, 1) << Describe(health);
  EXPECT_EQ(ParseJson(health.out)["status"], "NOT_SERVING");
  // Parse is retried (UNAVAILABLE: no model) and then reported.
  WriteFace(dir + "/face.png", 64);
  CommandResult parse =
      RunCommand({client_test::ClientBinary(), "parse", dir + "/face.png",
                  "--out=" + dir + "/out", "--max_attempts=3", target});
  EXPECT_EQ(parse.exit_code, 3) << Describe(parse);
  EXPECT_NE(parse.out.find("UNAVAILABLE"), std::string::npos) << parse.out;
  EXPECT_NE(parse.out.find("(3 attempts)"), std::string::npos) << parse.out;
}

// ------------------------------------------------------- without a server

TEST(ClientWithoutServerTest, DeadServerFailsFastWithAClearMessage) {
  const std::string dir =
      testing::MakeTempDirRemovedAtExit("facet_client_dead");
  WriteFace(dir + "/face.png", 64);
  const std::string target =
      "--target=127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  struct Case {
    std::vector<std::string> args;
  };
  for (const Case& c : std::vector<Case>{
           {{"health"}},
           {{"info"}},
           {{"parse", dir + "/face.png", "--out=" + dir + "/out"}},
           {{"enhance", dir + "/face.png", "--out=" + dir + "/out"}},
           {{"bench", "--warmup_s=0", "--window_s=0.3", "--max_windows=3"}},
       }) {
    std::vector<std::string> argv = {client_test::ClientBinary()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    argv.push_back(target);
    CommandResult r = RunCommand(argv, 30);
    EXPECT_EQ(r.exit_code, 3) << c.args[0] << "\n" << Describe(r);
    EXPECT_LT(r.seconds, 10.0) << c.args[0];
    if (c.args[0] != "bench") {
      EXPECT_NE((r.out + r.err).find("unavailable"), std::string::npos)
          << Describe(r);
      EXPECT_NE((r.out + r.err).find(target.substr(9)), std::string::npos)
          << Describe(r);
    }
  }
}

TEST(ClientWithoutServerTest, SilentServerStopsAtTheDeadline) {
  // A socket that accepts connections (the kernel's backlog does) but
  // never speaks HTTP/2: only the deadline ends the call.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string dir =
      testing::MakeTempDirRemovedAtExit("facet_client_silent");
  WriteFace(dir + "/face.png", 64);
  CommandResult r =
      RunCommand({client_test::ClientBinary(), "parse", dir + "/face.png",
                  "--out=" + dir + "/out", "--deadline_ms=1500",
                  "--target=127.0.0.1:" + std::to_string(ntohs(addr.sin_port))},
                 30);
  close(fd);
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_GE(r.seconds, 1.4);
  EXPECT_LT(r.seconds, 6.0);
  EXPECT_NE(r.out.find("DEADLINE_EXCEEDED"), std::string::npos) << r.out;
}

TEST(ClientWithoutServerTest, UsageErrorsExitTwo) {
  const std::string face =
      testing::MakeTempDirRemovedAtExit("facet_client") + "/f.png";
  WriteFace(face, 32);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"parse"},
           {"parse", face, "--output_size=huge"},
           {"parse", face, "--concurrency=0"},
           {"photo"},
           {"photo", face, "--mask=square"},
           {"bench", "--sweep=4:1:1"},
           {"bench", "--method=train"},
           {"info", "extra"},
           {"parse", face, "--tls_ca=/x.pem"},
       }) {
    std::vector<std::string> argv = {client_test::ClientBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = RunCommand(argv, 30);
    EXPECT_EQ(r.exit_code, 2) << (args.empty() ? "" : args[0]) << "\n"
                              << Describe(r);
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
}  // namespace facet
