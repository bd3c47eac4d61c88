// Runs a real facet-server for the client's end-to-end tests: a tiny
// model published with facet-trainer init-weights into a temporary
// repository, the server on loopback with --port=0 (the port read back
// from its "event=ready grpc_port=N" log line), in its own process group,
// SIGKILLed with its group when the launcher is destroyed. Also runs
// commands (facet-client, python) with a timeout and captures their
// output. No torch or server code is linked: only processes are started.

#ifndef FACET_TESTS_CLIENT_SERVER_LAUNCHER_H_
#define FACET_TESTS_CLIENT_SERVER_LAUNCHER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace facet {
namespace client_test {

struct CommandResult {
  int exit_code = -1;  // 124 if killed by the timeout.
  double seconds = 0;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `argv` (no shell) under `timeout_s`, capturing stdout and stderr.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         int timeout_s = 60);

class ServerLauncher {
 public:
  struct Options {
    std::vector<std::string> server_args;  // Added to facet-server's.
    std::vector<std::string> probe_args;   // Added to the health probe's.
    // False: leave the model folder empty and return once the server
    // logs its port (it then answers NOT_SERVING / UNAVAILABLE).
    bool publish_model = true;
  };

  // Publishes a tiny model under `dir`/repo (facet-trainer init-weights),
  // starts facet-server on it and waits (up to 90 s) until it is ready and
  // SERVING, probing with facet-client health. Errors carry the server's
  // log.
  static absl::StatusOr<std::unique_ptr<ServerLauncher>> Start(
      const std::string& dir, const Options& options);
  static absl::StatusOr<std::unique_ptr<ServerLauncher>> Start(
      const std::string& dir) {
    return Start(dir, Options());
  }
  ~ServerLauncher();

  std::string target() const;  // "127.0.0.1:<port>"
  std::string Log() const;

 private:
  ServerLauncher() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// Paths of the programs under test (compile-time, from CMake).
std::string ClientBinary();
std::string ServerBinary();
std::string TrainerBinary();
std::string PythonStubsDir();

}  // namespace client_test
}  // namespace facet

#endif  // FACET_TESTS_CLIENT_SERVER_LAUNCHER_H_
