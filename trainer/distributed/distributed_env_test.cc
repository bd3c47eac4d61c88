#include "trainer/distributed/distributed_env.h"

#include <gtest/gtest.h>

#include <map>

namespace facet {
namespace {

absl::StatusOr<DistributedEnv> Read(
    const std::map<std::string, std::string>& vars) {
  return ReadDistributedEnv(
      [&](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      });
}

std::map<std::string, std::string> Good() {
  return {{"MASTER_ADDR", "trainer-0.trainer"},
          {"MASTER_PORT", "29500"},
          {"WORLD_SIZE", "4"},
          {"RANK", "3"},
          {"LOCAL_RANK", "1"}};
}

void ExpectErrorNaming(std::map<std::string, std::string> vars,
                       const std::string& text) {
  absl::StatusOr<DistributedEnv> env = Read(vars);
  ASSERT_FALSE(env.ok()) << "accepted; expected an error naming " << text;
  EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(env.status().message()).find(text), std::string::npos)
      << env.status().message();
}

TEST(DistributedEnvTest, NoVariablesMeansAlone) {
  absl::StatusOr<DistributedEnv> env = Read({});
  ASSERT_TRUE(env.ok());
  EXPECT_FALSE(env->enabled);
  EXPECT_EQ(env->world_size, 1);
}

TEST(DistributedEnvTest, ReadsAllVariables) {
  absl::StatusOr<DistributedEnv> env = Read(Good());
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_TRUE(env->enabled);
  EXPECT_EQ(env->master_addr, "trainer-0.trainer");
  EXPECT_EQ(env->master_port, 29500);
  EXPECT_EQ(env->world_size, 4);
  EXPECT_EQ(env->rank, 3);
  EXPECT_EQ(env->local_rank, 1);
  auto vars = Good();
  vars.erase("LOCAL_RANK");
  EXPECT_EQ(Read(vars)->local_rank, 0);
}

TEST(DistributedEnvTest, BadVariablesAreNamed) {
  auto vars = Good();
  vars["RANK"] = "4";
  ExpectErrorNaming(vars, "RANK=4 is not below WORLD_SIZE=4");
  vars = Good();
  vars["RANK"] = "two";
  ExpectErrorNaming(vars, "RANK=\"two\"");
  vars = Good();
  vars["WORLD_SIZE"] = "0";
  ExpectErrorNaming(vars, "WORLD_SIZE=\"0\"");
  vars = Good();
  vars["MASTER_PORT"] = "70000";
  ExpectErrorNaming(vars, "MASTER_PORT=\"70000\"");
  vars = Good();
  vars["MASTER_ADDR"] = "";
  ExpectErrorNaming(vars, "MASTER_ADDR is empty");
  vars = Good();
  vars["LOCAL_RANK"] = "-1";
  ExpectErrorNaming(vars, "LOCAL_RANK");
  vars = Good();
  vars.erase("MASTER_PORT");
  ExpectErrorNaming(vars, "MASTER_PORT missing");
}

}  // namespace
}  // namespace facet
