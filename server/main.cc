// facet-server: answers facet.v1.FaceService (Parse, Enhance, GetModelInfo,
// ParseStream) over gRPC from the newest valid version in a model
// repository (or one weights file), with dynamic batching, hot reload,
// Prometheus metrics, grpc.health.v1 and server reflection.
//
// Wiring only: flags (server_flags.h) become the parts' options, which
// ServerCore (server_core.h) creates and drains on SIGTERM or SIGINT; see
// docs/server.md.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/time/clock.h"
#include "core/engine/openmp_wait.h"
#include "core/flags/parse_flags.h"
#include "glog/logging.h"
#include "opencv2/core/utility.hpp"
#include "server/server_core.h"
#include "server/server_flags.h"

namespace facet {
namespace {

int Fail(const absl::Status& status) {
  LOG(ERROR) << "event=startup_failed error=\"" << status.ToString() << "\"";
  return 1;
}

int Serve(absl::Time main_start) {
  // OpenCV's own thread pool off: image work runs on the calling gRPC
  // thread, as the io_threads budget assumes. With the pool on, every new
  // thread that calls a parallel OpenCV function (cvtColor in decoding)
  // keeps about 850 bytes of OpenCV thread-local data until exit, and gRPC's
  // sync server starts new threads all the time under load: resident memory
  // grew by about 400 bytes per request (issue 14, docs/operations.md).
  cv::setNumThreads(0);
  // Signals are taken by one thread with sigwait; block them everywhere
  // before any thread starts (probing CUDA may start some).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<ServerCoreOptions> options =
      ServerCoreOptionsFromFlags(main_start);
  if (!options.ok()) return Fail(options.status());

  absl::StatusOr<std::unique_ptr<ServerCore>> core =
      ServerCore::Create(*options);
  if (!core.ok()) return Fail(core.status());
  ServerCore* c = core->get();
  std::thread signal_thread([&signals, c] {
    int signal = 0;
    sigwait(&signals, &signal);
    c->Drain(signal);
  });
  c->Wait();
  signal_thread.join();
  c->Stop();
  LOG(INFO) << "event=stopped";
  return 0;
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  // Before anything starts a thread (see core/engine/openmp_wait.h).
  facet::ApplyOpenMpSpinDefault(argv);
  const absl::Time main_start = absl::Now();
  absl::SetProgramUsageMessage(
      "facet-server --model_repository DIR [--model_name NAME] [--port N]\n"
      "       facet-server --model FILE [--input_size N] [--port N]\n\n"
      "Serves face parsing (Parse) and restoration (Enhance) over gRPC.\n"
      "Every flag may also be set as environment variable FACET_<FLAG_NAME>\n"
      "(e.g. FACET_MAX_BATCH_SIZE=16); the command line wins.");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("server/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  if (absl::Status env = facet::ApplyEnvironmentToFlags(); !env.ok()) {
    std::cerr << "facet-server: " << env.message() << "\n";
    return 2;
  }
  facet::ParseFlags(argc, argv);  // --help: stdout, exit 0.
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  const int code = facet::Serve(main_start);
  // Serve() has released everything of ours (leases, sockets, threads).
  // Skip the static destructors: LibTorch's deregister thousands of
  // operators, 3 s of CPU at exit on an idle 2-core machine and over 5 s
  // under load, which SIGTERM's drain grace (and an orchestrator's
  // termination grace period) would otherwise have to cover.
  std::fflush(nullptr);
  std::_Exit(code);
}
