// Communicator for a build without c10d (FACET_DISTRIBUTED=OFF, see
// trainer/CMakeLists.txt): Connect() explains; nothing else is reachable.
#include "absl/strings/str_cat.h"
#include "trainer/distributed/process_group_setup.h"

namespace facet {

struct Communicator::Impl {};

Communicator::Communicator(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
Communicator::~Communicator() = default;

absl::StatusOr<std::unique_ptr<Communicator>> Communicator::Connect(
    const DistributedEnv& env, const CommunicatorOptions&) {
  return absl::FailedPreconditionError(absl::StrCat(
      "rank ", env.rank,
      ": this facet-trainer was built without distributed training "
      "(FACET_DISTRIBUTED=OFF: c10d not verified with this LibTorch); unset "
      "MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK to train alone"));
}

int Communicator::rank() const { return 0; }
int Communicator::world_size() const { return 1; }
std::string Communicator::backend() const { return "none"; }
absl::Status Communicator::AllReduceSum(at::Tensor&, const std::string& what) {
  return Failure(what, "no distributed support");
}
absl::Status Communicator::Broadcast(at::Tensor&, const std::string& what) {
  return Failure(what, "no distributed support");
}
absl::Status Communicator::AllReduceSum(std::vector<double>*,
                                        const std::string& what) {
  return Failure(what, "no distributed support");
}
absl::Status Communicator::BroadcastBytes(std::string*,
                                          const std::string& what) {
  return Failure(what, "no distributed support");
}
std::unique_ptr<Communicator::Pending> Communicator::AllReduceSumAsync(
    at::Tensor&, const std::string&) {
  return nullptr;
}
absl::Status Communicator::Failure(const std::string& what,
                                   const std::string& cause) {
  return absl::FailedPreconditionError(
      absl::StrCat("collective \"", what, "\": ", cause));
}

}  // namespace facet
