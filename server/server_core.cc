#include "server/server_core.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/engine/openmp_wait.h"
#include "glog/logging.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"

namespace facet {
namespace {

// Seconds since this process started (from /proc; since `fallback` when
// /proc cannot be read).
double SecondsSinceProcessStart(absl::Time fallback) {
  std::ifstream stat("/proc/self/stat");
  std::ifstream uptime_file("/proc/uptime");
  std::string line;
  double uptime = 0;
  if (std::getline(stat, line) && (uptime_file >> uptime)) {
    // starttime is field 22, the 20th after the parenthesised name.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 0; i < 20 && (rest >> field); ++i) {
    }
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    if (!field.empty() && ticks > 0) {
      const double started = std::stod(field) / ticks;
      if (uptime >= started) return uptime - started;
    }
  }
  return absl::ToDoubleSeconds(absl::Now() - fallback);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerCore>> ServerCore::Create(
    const ServerCoreOptions& options) {
  // Cheap checks first, before any port is bound or thread started.
  auto credentials = MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();

  std::unique_ptr<ServerCore> core(new ServerCore(options));
  auto metrics = Metrics::Create(options.metrics);
  if (!metrics.ok()) return metrics.status();
  core->metrics_ = *std::move(metrics);
  Metrics* m = core->metrics_.get();

  ModelManagerOptions manager_options = options.manager;
  manager_options.metrics = m;
  auto manager = ModelManager::Create(manager_options);
  if (!manager.ok()) return manager.status();
  core->manager_ = *std::move(manager);
  ModelManager* mm = core->manager_.get();

  BatcherOptions batcher_options = options.batcher;
  batcher_options.metrics = m;
  batcher_options.model_provider = [mm] { return mm->Current(); };
  auto batcher = Batcher::Create(batcher_options);
  if (!batcher.ok()) return batcher.status();
  core->batcher_ = *std::move(batcher);
  Batcher* b = core->batcher_.get();

  // Health: the reporter decides, OnHealthChange forwards to
  // grpc.health.v1 once the server exists.
  HealthReporterOptions health_options;
  health_options.model_loaded = [mm] { return mm->Current() != nullptr; };
  health_options.batcher_alive = [b] { return b->alive(); };
  ServerCore* c = core.get();
  health_options.on_change = [c](bool serving) { c->OnHealthChange(serving); };
  core->health_ = std::make_unique<HealthReporter>(health_options);

  FaceServiceOptions service_options = options.service;
  service_options.batcher = b;
  service_options.manager = mm;
  service_options.health = core->health_.get();
  service_options.metrics = m;
  service_options.max_batch_size = batcher_options.max_batch_size;
  core->service_ = std::make_unique<FaceServiceImpl>(service_options);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(options.host, ":", options.port),
                           *credentials, &core->grpc_port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  builder.RegisterService(core->service_.get());
  core->server_ = builder.BuildAndStart();
  if (core->server_ == nullptr || core->grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on --port ", options.host, ":", options.port));
  }
  {
    absl::MutexLock lock(&core->health_mu_);
    core->health_service_ = core->server_->GetHealthCheckService();
  }
  core->PublishHealth(core->health_->serving());

  LOG(INFO) << "event=ready grpc_port=" << core->grpc_port_
            << " metrics_port=" << m->port() << " host=" << options.host
            << " usable_cores=" << options.usable_cores
            << " io_threads=" << options.service.io_threads
            << " intra_op_threads=" << options.manager.loader.intra_op_threads
            << " execution_threads=" << options.batcher.execution_threads
            << " openmp=\"" << OpenMpWaitSetting() << "\""
            << " max_batch_size=" << options.batcher.max_batch_size
            << " adaptive_batching=" << (options.adaptive_batching ? 1 : 0)
            << " max_queue_size=" << options.batcher.max_queue_size
            << " tls=" << (options.tls.cert.empty() ? 0 : 1);
  return core;
}

ServerCore::~ServerCore() = default;

void ServerCore::OnHealthChange(bool serving) {
  LOG(INFO) << "event=health serving=" << (serving ? "SERVING" : "NOT_SERVING");
  if (serving && !served_) {
    served_ = true;
    const double startup = SecondsSinceProcessStart(options_.main_start);
    metrics_->SetStartupSeconds(startup);
    LOG(INFO) << "event=first_serving startup_seconds=" << startup;
  }
  PublishHealth(serving);
}

void ServerCore::PublishHealth(bool serving) {
  absl::MutexLock lock(&health_mu_);
  if (health_service_ == nullptr) return;
  health_service_->SetServingStatus(serving);
  health_service_->SetServingStatus("facet.v1.FaceService", serving);
}

void ServerCore::Wait() { server_->Wait(); }

void ServerCore::Drain(int signal) {
  LOG(INFO) << "event=draining signal=" << signal
            << " delay_ms=" << absl::ToInt64Milliseconds(options_.drain_delay)
            << " grace_ms=" << absl::ToInt64Milliseconds(options_.drain_grace);
  // During the drain delay the service answers new requests UNAVAILABLE
  // while load balancers notice NOT_SERVING. Without a delay there is no
  // such window: Shutdown alone refuses new calls, and requests already
  // received but not yet at the handler (waiting for a gRPC thread) are in
  // flight and must complete, not be refused as "draining" (issue 14).
  if (options_.drain_delay > absl::ZeroDuration()) {
    health_->SetDraining();
    absl::SleepFor(options_.drain_delay);
  }
  // Waits for in-flight RPCs (and so their queued tasks) up to the grace
  // period, then cancels what is left.
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(options_.drain_grace));
  health_->SetDraining();
}

void ServerCore::Stop() {
  {
    // The health service dies with the server; the reporter outlives it.
    absl::MutexLock lock(&health_mu_);
    health_service_ = nullptr;
  }
  batcher_->Stop();
}

}  // namespace facet
