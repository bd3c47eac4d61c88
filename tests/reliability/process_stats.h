// Resident memory, threads and open file descriptors of a running process,
// read from /proc/PID/status and /proc/PID/fd (Linux).
#ifndef FACET_TESTS_RELIABILITY_PROCESS_STATS_H_
#define FACET_TESTS_RELIABILITY_PROCESS_STATS_H_

#include <dirent.h>
#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace facet {
namespace reliability {

struct ProcessStats {
  bool ok = false;  // False when the process could not be read.
  int64_t rss_bytes = 0;
  int threads = 0;
  int fds = 0;
  // Threads by name (/proc/PID/task/*/comm), e.g. {"grpcpp_sync_ser", 2}.
  std::map<std::string, int> thread_names;
  double rss_mib() const { return rss_bytes / (1024.0 * 1024.0); }
};

inline ProcessStats ReadProcessStats(pid_t pid) {
  ProcessStats stats;
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream status(dir + "/status");
  std::string line;
  bool rss = false, threads = false;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "VmRSS:") {
      int64_t kib = 0;
      fields >> kib;
      stats.rss_bytes = kib * 1024;
      rss = true;
    } else if (key == "Threads:") {
      fields >> stats.threads;
      threads = true;
    }
  }
  if (DIR* tasks = opendir((dir + "/task").c_str())) {
    while (struct dirent* entry = readdir(tasks)) {
      if (entry->d_name[0] == '.') continue;
      std::ifstream comm(dir + "/task/" + entry->d_name + "/comm");
      std::string name;
      if (std::getline(comm, name)) ++stats.thread_names[name];
    }
    closedir(tasks);
  }
  DIR* fds = opendir((dir + "/fd").c_str());
  if (fds == nullptr) return stats;
  while (struct dirent* entry = readdir(fds)) {
    if (entry->d_name[0] != '.') ++stats.fds;
  }
  closedir(fds);
  stats.ok = rss && threads;
  return stats;
}

// "name:count,..." of stats.thread_names, for logs.
inline std::string ThreadNamesString(const ProcessStats& stats) {
  std::string out;
  for (const auto& [name, count] : stats.thread_names) {
    out += (out.empty() ? "" : ",") + name + ":" + std::to_string(count);
  }
  return out;
}

}  // namespace reliability
}  // namespace facet

#endif  // FACET_TESTS_RELIABILITY_PROCESS_STATS_H_
