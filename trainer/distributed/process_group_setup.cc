#include "trainer/distributed/process_group_setup.h"

#include <torch/torch.h>
#include <torch/version.h>
// c10d and Gloo stay in this file (see the header).
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef FACET_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "glog/logging.h"

namespace facet {
namespace {

// LibTorch 2 split the backends (Gloo, NCCL) from ProcessGroup into
// c10d::Backend, with the same collectives; 1.13's backends are groups.
#if TORCH_VERSION_MAJOR >= 2
using CollectiveGroup = c10d::Backend;
#else
using CollectiveGroup = c10d::ProcessGroup;
#endif

using std::chrono::milliseconds;

constexpr milliseconds kHeartbeatPeriod{200};
// How long Failure() watches the heartbeats: several periods, so a live
// rank always beats in between.
constexpr milliseconds kHeartbeatWatch{1200};

milliseconds Millis(double seconds) {
  return milliseconds(static_cast<int64_t>(seconds * 1000));
}

std::string HeartbeatKey(int rank) {
  return absl::StrCat("facet/heartbeat/", rank);
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

}  // namespace

struct Communicator::Impl {
  DistributedEnv env;
  CommunicatorOptions options;
  torch::Device device{torch::kCPU};
  std::string backend;
  c10::intrusive_ptr<c10d::TCPStore> store;  // Rank 0: the server.
  c10::intrusive_ptr<CollectiveGroup> group;

  // Heartbeat: its own store connection (a TCPStore client is one socket).
  absl::Mutex heartbeat_mu;
  c10::intrusive_ptr<c10d::TCPStore> heartbeat_store
      ABSL_GUARDED_BY(heartbeat_mu);
  absl::Notification stop_heartbeat;
  std::thread heartbeat_thread;

  ~Impl() {
    stop_heartbeat.Notify();
    if (heartbeat_thread.joinable()) heartbeat_thread.join();
  }

  std::string Master() const {
    return absl::StrCat(env.master_addr, ":", env.master_port);
  }

  void BeatForever() {
    while (!stop_heartbeat.WaitForNotificationWithTimeout(
        absl::FromChrono(kHeartbeatPeriod))) {
      absl::MutexLock lock(&heartbeat_mu);
      try {
        heartbeat_store->add(HeartbeatKey(env.rank), 1);
      } catch (const std::exception&) {
        // The store is gone (rank 0 died): the next collective reports it.
      }
    }
  }

  // Heartbeat counters of every rank; nullopt when the store is unreachable.
  std::optional<std::vector<int64_t>> ReadHeartbeats() {
    absl::MutexLock lock(&heartbeat_mu);
    std::vector<int64_t> beats;
    try {
      for (int r = 0; r < env.world_size; ++r) {
        beats.push_back(heartbeat_store->add(HeartbeatKey(r), 0));
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
    return beats;
  }

  torch::Tensor ToGroupDevice(const torch::Tensor& host) {
    return backend == "nccl" ? host.to(device) : host;
  }
};

Communicator::Communicator(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
Communicator::~Communicator() = default;

int Communicator::rank() const { return impl_->env.rank; }
int Communicator::world_size() const { return impl_->env.world_size; }
std::string Communicator::backend() const { return impl_->backend; }

absl::StatusOr<std::unique_ptr<Communicator>> Communicator::Connect(
    const DistributedEnv& env, const CommunicatorOptions& options) {
  if (!env.enabled || env.world_size < 1 || env.rank < 0 ||
      env.rank >= env.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("Communicator: bad rank ",
                                                   env.rank, " of world size ",
                                                   env.world_size));
  }
  if (!(options.collective_timeout_s > 0) || !(options.connect_timeout_s > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--collective_timeout=", options.collective_timeout_s,
                     " and --connect_timeout=", options.connect_timeout_s,
                     ": expected seconds > 0"));
  }
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->options = options;
  try {
    impl->device = torch::Device(options.device);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("device \"", options.device, "\": ", e.what()));
  }
  const std::string master = impl->Master();
  const milliseconds connect_timeout = Millis(options.connect_timeout_s);
  const milliseconds collective_timeout = Millis(options.collective_timeout_s);
  // 1. The store: rank 0 serves it and waits for every rank to connect.
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = env.world_size;
    store_options.waitWorkers =
        true;  // Clients count themselves in; rank 0 waits.
    store_options.timeout = connect_timeout;
    impl->store =
        c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
  } catch (const std::exception& e) {
    const std::string why = e.what();
    if (env.rank == 0 && why.find("wait") != std::string::npos) {
      return absl::DeadlineExceededError(
          absl::StrCat("rank 0: not all WORLD_SIZE=", env.world_size,
                       " ranks connected to the store at ", master,
                       " within --connect_timeout=", options.connect_timeout_s,
                       " s: ", why));
    }
    return absl::UnavailableError(absl::StrCat(
        "rank ", env.rank, ": cannot ", env.rank == 0 ? "serve" : "reach",
        " the rendezvous store at MASTER_ADDR:MASTER_PORT=", master,
        " within --connect_timeout=", options.connect_timeout_s,
        " s (rank 0 serves it; check MASTER_ADDR, MASTER_PORT and "
        "that rank 0 runs): ",
        why));
  }
  // 2. The heartbeat connection and thread.
  try {
    c10d::TCPStoreOptions beat_options;
    beat_options.port = static_cast<uint16_t>(env.master_port);
    beat_options.isServer = false;
    beat_options.waitWorkers = false;
    beat_options.timeout = connect_timeout;
    absl::MutexLock lock(&impl->heartbeat_mu);
    impl->heartbeat_store =
        c10::make_intrusive<c10d::TCPStore>(env.master_addr, beat_options);
    impl->heartbeat_store->add(HeartbeatKey(env.rank), 1);
    impl->heartbeat_store->setTimeout(collective_timeout);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("rank ", env.rank,
                                               ": heartbeat connection to ",
                                               master, ": ", e.what()));
  }
  impl->heartbeat_thread =
      std::thread([raw = impl.get()] { raw->BeatForever(); });
  // 3. The process group (its own rendezvous through the store).
  impl->store->setTimeout(connect_timeout);
  auto prefixed =
      c10::make_intrusive<c10d::PrefixStore>("facet/pg", impl->store);
  try {
    if (impl->device.is_cuda()) {
#ifdef FACET_HAVE_NCCL
      setenv("NCCL_ASYNC_ERROR_HANDLING", "1", /*overwrite=*/0);
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = collective_timeout;
      impl->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
          prefixed, env.rank, env.world_size, nccl_options);
      impl->backend = "nccl";
#else
      LOG(WARNING) << "this LibTorch has no NCCL; CUDA gradients are reduced "
                      "by Gloo through host copies (slower)";
#endif
    }
    if (!impl->group) {
      auto gloo_options =
          c10d::ProcessGroupGloo::Options::create(collective_timeout);
      const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
      if (interface != nullptr && *interface != '\0') {
        gloo_options->devices.push_back(
            c10d::ProcessGroupGloo::createDeviceForInterface(interface));
      } else if (IsLoopback(env.master_addr)) {
        gloo_options->devices.push_back(
            c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        gloo_options->devices.push_back(
            c10d::ProcessGroupGloo::createDefaultDevice());
      }
      impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
          prefixed, env.rank, env.world_size, gloo_options);
      impl->backend = "gloo";
    }
  } catch (const std::exception& e) {
    return absl::DeadlineExceededError(absl::StrCat(
        "rank ", env.rank,
        ": the process group did not form within --connect_timeout=",
        options.connect_timeout_s, " s (every rank 0..", env.world_size - 1,
        " must start with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE): ",
        e.what()));
  }
  impl->store->setTimeout(collective_timeout);
  LOG(INFO) << "rank " << env.rank << " of " << env.world_size << " joined "
            << master << " (" << impl->backend << ", collective timeout "
            << options.collective_timeout_s << " s)";
  return std::unique_ptr<Communicator>(new Communicator(std::move(impl)));
}

absl::Status Communicator::Failure(const std::string& what,
                                   const std::string& cause) {
  Impl& m = *impl_;
  std::string culprit;
  std::optional<std::vector<int64_t>> before = m.ReadHeartbeats();
  if (!before) {
    culprit = absl::StrCat("rank 0 (it serves the store at ", m.Master(),
                           ") is unreachable");
  } else {
    std::this_thread::sleep_for(kHeartbeatWatch);
    std::optional<std::vector<int64_t>> after = m.ReadHeartbeats();
    if (!after) {
      culprit = absl::StrCat("rank 0 (it serves the store at ", m.Master(),
                             ") is unreachable");
    } else {
      std::vector<std::string> silent;
      for (int r = 0; r < m.env.world_size; ++r) {
        if (r != m.env.rank && (*after)[r] == (*before)[r])
          silent.push_back(absl::StrCat(r));
      }
      culprit =
          silent.empty()
              ? "every rank's heartbeat still runs (a rank is hung in "
                "computation or out of step)"
              : absl::StrCat(silent.size() == 1 ? "rank " : "ranks ",
                             absl::StrJoin(silent, ", "),
                             " stopped answering (dead or hung: no heartbeat)");
    }
  }
  return absl::UnavailableError(absl::StrCat(
      "rank ", m.env.rank, ": collective \"", what, "\" failed: ", culprit,
      " (collective timeout ", m.options.collective_timeout_s, " s): ", cause));
}

absl::Status Communicator::AllReduceSum(at::Tensor& tensor,
                                        const std::string& what) {
  return AllReduceSumAsync(tensor, what)->Wait();
}

absl::Status Communicator::Broadcast(at::Tensor& tensor,
                                     const std::string& what) {
  try {
    std::vector<at::Tensor> tensors{tensor};
    impl_->group->broadcast(tensors)->wait();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return Failure(what, e.what());
  }
}

namespace {

class PendingWork : public Communicator::Pending {
 public:
  PendingWork(Communicator* owner, c10::intrusive_ptr<c10d::Work> work,
              std::string what, std::string start_error)
      : owner_(owner),
        work_(std::move(work)),
        what_(std::move(what)),
        start_error_(std::move(start_error)) {}

  absl::Status Wait() override {
    if (!start_error_.empty()) return owner_->Failure(what_, start_error_);
    try {
      work_->wait();
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return owner_->Failure(what_, e.what());
    }
  }

 private:
  Communicator* owner_;
  c10::intrusive_ptr<c10d::Work> work_;
  std::string what_, start_error_;
};

}  // namespace

std::unique_ptr<Communicator::Pending> Communicator::AllReduceSumAsync(
    at::Tensor& tensor, const std::string& what) {
  try {
    std::vector<at::Tensor> tensors{tensor};
    return std::make_unique<PendingWork>(this, impl_->group->allreduce(tensors),
                                         what, "");
  } catch (const std::exception& e) {
    return std::make_unique<PendingWork>(this, c10::intrusive_ptr<c10d::Work>(),
                                         what, e.what());
  }
}

absl::Status Communicator::AllReduceSum(std::vector<double>* values,
                                        const std::string& what) {
  torch::Tensor host = torch::tensor(*values, torch::kFloat64);
  torch::Tensor t = impl_->ToGroupDevice(host);
  absl::Status s = AllReduceSum(t, what);
  if (!s.ok()) return s;
  host = t.to(torch::kCPU).contiguous();
  std::copy(host.data_ptr<double>(), host.data_ptr<double>() + values->size(),
            values->begin());
  return absl::OkStatus();
}

absl::Status Communicator::BroadcastBytes(std::string* bytes,
                                          const std::string& what) {
  torch::Tensor size = impl_->ToGroupDevice(
      torch::tensor({static_cast<int64_t>(bytes->size())}, torch::kInt64));
  absl::Status s = Broadcast(size, what);
  if (!s.ok()) return s;
  const int64_t n = size.to(torch::kCPU).item<int64_t>();
  torch::Tensor data = torch::empty({std::max<int64_t>(n, 1)}, torch::kUInt8);
  if (rank() == 0)
    std::memcpy(data.data_ptr<uint8_t>(), bytes->data(), bytes->size());
  data = impl_->ToGroupDevice(data);
  s = Broadcast(data, what);
  if (!s.ok()) return s;
  data = data.to(torch::kCPU).contiguous();
  bytes->assign(reinterpret_cast<const char*>(data.data_ptr<uint8_t>()), n);
  return absl::OkStatus();
}

}  // namespace facet
