#include "tests/server/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/image/image_encoder.h"
#include "core/repository/model_repository.h"
#include "gtest/gtest.h"
#include "tests/util/random_state_dict.h"
#include "tests/util/test_files.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace server_test {

NetConfig TinyConfig() { return testing::TinyNetConfig(); }

RawTensorMap RandomWeights(const NetConfig& config, uint32_t seed,
                           float scale) {
  testing::RandomStateDictOptions options;
  options.init = testing::RandomStateDictOptions::Init::kFanIn;
  options.scale = scale;
  return testing::RandomStateDict(config, seed, options);
}

int64_t PublishVersion(const std::string& repo, const std::string& model,
                       uint32_t seed, float scale, const NetConfig& config) {
  auto repository = ModelRepository::Create(repo, /*create_if_missing=*/true);
  EXPECT_TRUE(repository.ok()) << repository.status();
  if (!repository.ok()) return -1;
  Manifest manifest;
  manifest.config = config;
  manifest.step = seed;
  manifest.metrics["val_miou"] = 0.5;
  auto version =
      (*repository)
          ->Publish(model, RandomWeights(config, seed, scale), manifest);
  EXPECT_TRUE(version.ok()) << version.status();
  return version.ok() ? *version : -1;
}

cv::Mat MakeFace(int width, int height, uint32_t seed) {
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      rgb.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uint8_t>((x * 255) / width + seed * 37),
                    static_cast<uint8_t>((y * 255) / height + seed * 11),
                    static_cast<uint8_t>(((x + y) * 97 + seed * 53) % 256));
    }
  }
  return rgb;
}

std::string PngBytes(const cv::Mat& rgb) {
  auto png = EncodePng(rgb);
  EXPECT_TRUE(png.ok()) << png.status();
  return png.ok() ? *png : std::string();
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::vector<std::string>& args,
    const std::map<std::string, std::string>& env, absl::Duration timeout) {
  // The binary built with these tests; $FACET_SERVER_BINARY overrides.
  const char* override_binary = std::getenv("FACET_SERVER_BINARY");
  const std::string binary =
      override_binary != nullptr ? override_binary : FACET_SERVER_BINARY;
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->log_path_ =
      testing::MakeTempDirRemovedAtExit("facet_server_log") + "/server.log";
  std::vector<std::string> argv = {binary, "--port=0", "--metrics_port=0",
                                   "--host=127.0.0.1"};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    const int fd =
        open(server->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [name, value] : env)
      setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    execv(binary.c_str(), cargs.data());
    _exit(127);
  }
  setpgid(pid, pid);
  server->pid_ = pid;
  const std::regex ready("event=ready grpc_port=(\\d+) metrics_port=(\\d+)");
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    std::smatch match;
    const std::string log = server->Log();
    if (std::regex_search(log, match, ready)) {
      server->grpc_port_ = std::stoi(match[1]);
      server->metrics_port_ = std::stoi(match[2]);
      return server;
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->exited_ = true;
      const int code =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return absl::InternalError(
          absl::StrCat("facet-server exited with status ", code,
                       " before ready; log:\n", log));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("facet-server not ready in time; log:\n", server->Log()));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exited_) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ServerProcess::address() const {
  return absl::StrCat("127.0.0.1:", grpc_port_);
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool ServerProcess::WaitForLog(const std::string& text,
                               absl::Duration timeout) const {
  const absl::Time end = absl::Now() + timeout;
  do {
    if (Log().find(text) != std::string::npos) return true;
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < end);
  return false;
}

void ServerProcess::Signal(int signal) {
  if (pid_ > 0 && !exited_) kill(-pid_, signal);
}

int ServerProcess::Wait(absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  do {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(10));
  } while (absl::Now() < end);
  return -1;
}

std::unique_ptr<v1::FaceService::Stub> ServerProcess::NewStub() const {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return v1::FaceService::NewStub(grpc::CreateCustomChannel(
      address(), grpc::InsecureChannelCredentials(), args));
}

std::unique_ptr<grpc::health::v1::Health::Stub> ServerProcess::NewHealthStub()
    const {
  return grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", port));
  }
  const std::string request =
      absl::StrCat("GET ", path,
                   " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::InternalError("short write");
  }
  std::string response;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (response.compare(0, 12, "HTTP/1.1 200") != 0 &&
      response.compare(0, 12, "HTTP/1.0 200") != 0) {
    return absl::InternalError(
        absl::StrCat("HTTP error: ", response.substr(0, 100)));
  }
  return body == std::string::npos ? "" : response.substr(body + 4);
}

double MetricValue(const std::string& metrics, const std::string& series) {
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() &&
        line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

int HealthStatus(const ServerProcess& server) {
  auto stub = server.NewHealthStub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) return -1;
  return response.status();
}

}  // namespace server_test
}  // namespace facet
