#include "core/engine/usable_cores.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

namespace facet {
namespace {

// The cgroup CPU quota in cores (rounded up), or 0 when there is none.
int CgroupCpuQuota() {
  // cgroup v2: "max 100000" or "<quota> <period>".
  std::ifstream v2("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long long period = 0;
  if (v2 >> quota >> period) {
    if (quota == "max" || period <= 0) return 0;
    return static_cast<int>(std::ceil(std::stod(quota) / period));
  }
  // cgroup v1.
  std::ifstream q("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  std::ifstream p("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  long long q_us = 0, p_us = 0;
  if (q >> q_us && p >> p_us && q_us > 0 && p_us > 0) {
    return static_cast<int>((q_us + p_us - 1) / p_us);
  }
  return 0;
}

}  // namespace

int UsableCores() {
  int cores = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = CPU_COUNT(&set);
  if (cores <= 0) cores = 1;
  const int quota = CgroupCpuQuota();
  if (quota > 0) cores = std::min(cores, quota);
  return std::max(cores, 1);
}

}  // namespace facet
