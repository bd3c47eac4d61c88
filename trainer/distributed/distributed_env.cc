#include "trainer/distributed/distributed_env.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace facet {
namespace {

absl::StatusOr<int> ParseInt(const std::string& name, const std::string& value,
                             int min, int max, const std::string& expected) {
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return absl::InvalidArgumentError(absl::StrCat("environment variable ",
                                                   name, "=\"", value,
                                                   "\": expected ", expected));
  }
  return parsed;
}

}  // namespace

absl::StatusOr<DistributedEnv> ReadDistributedEnv(const EnvLookup& lookup) {
  const char* const kRequired[] = {"MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE",
                                   "RANK"};
  std::string missing, present;
  for (const char* name : kRequired) {
    std::string& list = lookup(name).has_value() ? present : missing;
    absl::StrAppend(&list, list.empty() ? "" : ", ", name);
  }
  DistributedEnv env;
  if (present.empty()) return env;  // Alone.
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("distributed training needs MASTER_ADDR, MASTER_PORT, "
                     "WORLD_SIZE and RANK; ",
                     present, " set but ", missing,
                     " missing (unset them all to train alone)"));
  }
  env.enabled = true;
  env.master_addr = *lookup("MASTER_ADDR");
  if (env.master_addr.empty()) {
    return absl::InvalidArgumentError(
        "environment variable MASTER_ADDR is empty: expected the host of rank "
        "0");
  }
  absl::StatusOr<int> v = ParseInt("MASTER_PORT", *lookup("MASTER_PORT"), 1,
                                   65535, "a port number 1..65535");
  if (!v.ok()) return v.status();
  env.master_port = *v;
  v = ParseInt("WORLD_SIZE", *lookup("WORLD_SIZE"), 1, 1 << 20,
               "a number of ranks >= 1");
  if (!v.ok()) return v.status();
  env.world_size = *v;
  v = ParseInt("RANK", *lookup("RANK"), 0, 1 << 20, "a rank 0..WORLD_SIZE-1");
  if (!v.ok()) return v.status();
  env.rank = *v;
  if (env.rank >= env.world_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "environment variable RANK=", env.rank, " is not below WORLD_SIZE=",
        env.world_size, ": expected a rank 0..", env.world_size - 1));
  }
  if (std::optional<std::string> local = lookup("LOCAL_RANK");
      local.has_value()) {
    v = ParseInt("LOCAL_RANK", *local, 0, 1 << 20, "a local rank >= 0");
    if (!v.ok()) return v.status();
    env.local_rank = *v;
  }
  return env;
}

absl::StatusOr<DistributedEnv> ReadDistributedEnv() {
  return ReadDistributedEnv(
      [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      });
}

}  // namespace facet
