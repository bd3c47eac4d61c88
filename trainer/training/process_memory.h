// Process memory: how much memory this process may use (its cgroup's limit,
// else the machine's physical memory), how much is available now, and its
// own peak resident size. Linux only; read from /proc and /sys/fs/cgroup.
//
// Functions keep no state and may be called from any thread. The `*_root`
// parameters exist for tests (a fake /proc and /sys/fs/cgroup tree).
#ifndef FACET_TRAINER_TRAINING_PROCESS_MEMORY_H_
#define FACET_TRAINER_TRAINING_PROCESS_MEMORY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace facet {

struct MemoryLimit {
  int64_t bytes = 0;
  // Where it came from, for messages: "cgroup v2 memory.max in
  // /sys/fs/cgroup/x/memory.max", "cgroup v1 memory.limit_in_bytes in ..."
  // or "physical memory: MemTotal in /proc/meminfo".
  std::string source;
};

// The smallest of: every memory.max (cgroup v2) and memory.limit_in_bytes
// (cgroup v1) from this process's cgroup up to the hierarchy's root, and
// MemTotal. "max" and the v1 "unlimited" value (near 2^63) do not limit.
// FailedPrecondition if /proc/meminfo cannot be read.
absl::StatusOr<MemoryLimit> ProcessMemoryLimit(
    const std::string& proc_root = "/proc",
    const std::string& cgroup_root = "/sys/fs/cgroup");

// MemAvailable from /proc/meminfo (what can be allocated now without
// swapping); nullopt if unreadable.
std::optional<int64_t> AvailableMemoryBytes(
    const std::string& proc_root = "/proc");

// VmHWM (peak resident set size) of this process; nullopt if unreadable.
std::optional<int64_t> PeakResidentBytes(
    const std::string& proc_root = "/proc");

// Parses a byte count with an optional binary suffix: "12G", "12GiB",
// "800M", "1048576". InvalidArgument naming `flag` and the value otherwise.
absl::StatusOr<int64_t> ParseByteCount(const std::string& flag,
                                       const std::string& text);

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_PROCESS_MEMORY_H_
