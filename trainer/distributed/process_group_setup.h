// Communicator: this rank's membership of a data-parallel group, on
// PyTorch's c10d (LibTorch ships it): a TCPStore rendezvous at
// MASTER_ADDR:MASTER_PORT (rank 0 serves it) and a process group — Gloo for
// CPU tensors, NCCL for CUDA tensors when this LibTorch was built with it
// (FACET_HAVE_NCCL; otherwise Gloo, which also reduces CUDA tensors through
// host copies, with a warning).
//
// Collectives must be called by every rank in the same order (the c10d
// contract). Any failure — a peer that died, hung past the collective
// timeout, or left — comes back as an error that names the rank(s) that
// stopped answering: every rank beats a heartbeat counter in the store, and
// on a failure the ranks whose heartbeat stood still are named (rank 0 when
// the store itself is gone, since rank 0 serves it). After a failure the
// group is unusable; the trainer exits and the job restarts it.
//
// The header stays free of c10d and Gloo (they compile only in
// process_group_setup.cc); tensors are declared, not included.
//
// Thread safety: collectives from one thread at a time, except that
// AllReduceSumAsync may be issued from the autograd thread while the caller
// waits in backward (the same thread for CPU tensors).
#ifndef FACET_TRAINER_DISTRIBUTED_PROCESS_GROUP_SETUP_H_
#define FACET_TRAINER_DISTRIBUTED_PROCESS_GROUP_SETUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/distributed/distributed_env.h"

namespace at {
class Tensor;
}

namespace facet {

struct CommunicatorOptions {
  // How long a collective may wait for the slowest rank before failing.
  // Must exceed rank 0's validation + publish time (the others wait for it
  // in the next step's all-reduce). Default: 300 s.
  double collective_timeout_s = 300;
  // How long rendezvous may wait for the store and for every rank to join.
  // Default: 60 s.
  double connect_timeout_s = 60;
  // The device the tensors live on: "cpu" (Gloo) or "cuda..." (NCCL when
  // available). Default: cpu.
  std::string device = "cpu";
};

class Communicator {
 public:
  // Connects rank env.rank of env.world_size. REQUIRES: env.enabled.
  // Unavailable naming MASTER_ADDR:MASTER_PORT when the master cannot be
  // reached within connect_timeout_s, DeadlineExceeded when not all ranks
  // joined in time, InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<Communicator>> Connect(
      const DistributedEnv& env, const CommunicatorOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int world_size() const;
  std::string backend() const;  // "gloo" or "nccl".

  // Sums `tensor` over the ranks, in place. `what` names the collective in
  // errors ("gradient bucket 3", "BatchNorm statistics").
  absl::Status AllReduceSum(at::Tensor& tensor, const std::string& what);
  // Replaces `tensor` with rank 0's, in place.
  absl::Status Broadcast(at::Tensor& tensor, const std::string& what);
  // Host conveniences: sums doubles; broadcasts rank 0's bytes.
  absl::Status AllReduceSum(std::vector<double>* values,
                            const std::string& what);
  absl::Status BroadcastBytes(std::string* bytes, const std::string& what);

  // An all-reduce (sum) in flight; Wait() blocks until `tensor` holds the
  // sum or the collective failed.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual absl::Status Wait() = 0;
  };
  // Starts summing `tensor` in place and returns at once.
  std::unique_ptr<Pending> AllReduceSumAsync(at::Tensor& tensor,
                                             const std::string& what);

  // Describes why a collective failed: which ranks stopped answering.
  // Exposed for the error paths of the classes built on this one.
  absl::Status Failure(const std::string& what, const std::string& cause);

 private:
  struct Impl;
  explicit Communicator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facet

#endif  // FACET_TRAINER_DISTRIBUTED_PROCESS_GROUP_SETUP_H_
