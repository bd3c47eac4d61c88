#include "tests/client/server_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace facet {
namespace client_test {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Forks and execs `argv` in a new process group with stdout/stderr sent to
// the given files. Returns the child's pid, or -1.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err =
        err_path == out_path
            ? out
            : open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  if (pid > 0) setpgid(pid, pid);
  return pid;
}

}  // namespace

std::string ClientBinary() { return FACET_CLIENT_BINARY; }
std::string ServerBinary() { return FACET_SERVER_BINARY; }
std::string TrainerBinary() { return FACET_TRAINER_BINARY; }
std::string PythonStubsDir() { return FACET_PYTHON_STUBS; }

CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_s) {
  CommandResult result;
  char templ[] = "/tmp/facet_cmd_XXXXXX";
  const std::string dir = mkdtemp(templ) ? templ : "/tmp";
  const std::string out = dir + "/out", err = dir + "/err";
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = Spawn(argv, out, err);
  if (pid < 0) return result;
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() - start >
        std::chrono::seconds(timeout_s)) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.exit_code = 124;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (result.exit_code != 124) {
    result.exit_code =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  result.out = Slurp(out);
  result.err = Slurp(err);
  unlink(out.c_str());
  unlink(err.c_str());
  rmdir(dir.c_str());
  return result;
}

absl::StatusOr<std::unique_ptr<ServerLauncher>> ServerLauncher::Start(
    const std::string& dir, const Options& options) {
  const std::string repo = dir + "/repo";
  if (options.publish_model) {
    CommandResult init = RunCommand({TrainerBinary(), "init-weights", "--to",
                                     repo + "/facet", "--preset", "tiny"},
                                    120);
    if (init.exit_code != 0) {
      return absl::InternalError(
          absl::StrCat("facet-trainer init-weights failed (exit ",
                       init.exit_code, "): ", init.out, init.err));
    }
  } else {
    mkdir(repo.c_str(), 0755);
    mkdir((repo + "/facet").c_str(), 0755);
  }
  std::unique_ptr<ServerLauncher> server(new ServerLauncher());
  server->log_path_ = dir + "/server.log";
  std::vector<std::string> argv = {ServerBinary(),
                                   "--port=0",
                                   "--metrics_port=0",
                                   "--host=127.0.0.1",
                                   "--model_repository=" + repo,
                                   "--model_name=facet",
                                   "--device=cpu"};
  argv.insert(argv.end(), options.server_args.begin(),
              options.server_args.end());
  server->pid_ = Spawn(argv, server->log_path_, server->log_path_);
  if (server->pid_ < 0) return absl::InternalError("fork failed");

  const std::regex ready("event=ready grpc_port=(\\d+)");
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < give_up) {
    std::smatch match;
    const std::string log = server->Log();
    if (server->port_ == 0 && std::regex_search(log, match, ready)) {
      server->port_ = std::stoi(match[1]);
    }
    if (server->port_ != 0 && !options.publish_model) return server;
    if (server->port_ != 0) {
      std::vector<std::string> probe = {ClientBinary(), "health",
                                        "--target=" + server->target(),
                                        "--wait_s=60"};
      probe.insert(probe.end(), options.probe_args.begin(),
                   options.probe_args.end());
      CommandResult health = RunCommand(probe, 70);
      if (health.exit_code == 0) return server;
      return absl::UnavailableError(
          absl::StrCat("facet-server never became SERVING: ", health.out,
                       health.err, "\nserver log:\n", server->Log()));
    }
    int status = 0;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      return absl::InternalError(
          absl::StrCat("facet-server exited before ready; log:\n", log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("facet-server not ready in 90 s; log:\n", server->Log()));
}

ServerLauncher::~ServerLauncher() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ServerLauncher::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string ServerLauncher::Log() const { return Slurp(log_path_); }

}  // namespace client_test
}  // namespace facet
