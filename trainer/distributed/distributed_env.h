// DistributedEnv: the rendezvous variables a data-parallel launcher sets —
// torchrun, Kubeflow's PyTorchJob, a Kubernetes Indexed Job with a headless
// Service (deploy/kubernetes/) — read and checked before anything connects.
//
//   MASTER_ADDR  host of rank 0, which serves the c10d TCPStore
//   MASTER_PORT  its port, 1..65535
//   WORLD_SIZE   number of ranks, >= 1
//   RANK         this process, 0..WORLD_SIZE-1
//   LOCAL_RANK   index on this machine (picks cuda:LOCAL_RANK); default 0
//
// None of the first four set: the trainer runs alone (enabled = false).
// Some but not all, or a value that is not what is expected: an error that
// names the variable, its value and what was expected. Torch-free.
#ifndef FACET_TRAINER_DISTRIBUTED_DISTRIBUTED_ENV_H_
#define FACET_TRAINER_DISTRIBUTED_DISTRIBUTED_ENV_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace facet {

struct DistributedEnv {
  bool enabled = false;  // false: train alone (no variable set).
  std::string master_addr;
  int master_port = 0;
  int world_size = 1;
  int rank = 0;
  int local_rank = 0;
};

// Looks a variable up; nullopt when unset.
using EnvLookup =
    std::function<std::optional<std::string>(const std::string& name)>;

// InvalidArgument naming the variable for a missing or malformed value.
absl::StatusOr<DistributedEnv> ReadDistributedEnv(const EnvLookup& lookup);
// The same from the process environment.
absl::StatusOr<DistributedEnv> ReadDistributedEnv();

}  // namespace facet

#endif  // FACET_TRAINER_DISTRIBUTED_DISTRIBUTED_ENV_H_
