// facet-trainer as N ranks (issue 13): real processes on loopback, Gloo,
// a small network. A killed or hung rank ends the others with the rank
// named within the collective timeout; a restarted job resumes with the
// losses of an uninterrupted run; bad variables fail at start.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>

#include "tests/util/free_port.h"
#include "tests/util/subprocess.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::string TrainerPath() { return testing::TrainerBinary(); }

constexpr int kCollectiveTimeoutS = 4;

class DistributedTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("facet-dist"); }
  void TearDown() override {
    for (const char* name :
         {"MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK"}) {
      unsetenv(name);
    }
    fs::remove_all(dir_);
  }

  // Starts rank `rank` of `world` (the environment is read at fork).
  std::unique_ptr<testing::Subprocess> StartRank(
      int port, int world, int rank, const std::string& name,
      std::vector<std::string> extra) {
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
    setenv("RANK", std::to_string(rank).c_str(), 1);
    setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
    std::vector<std::string> args = {
        TrainerPath(),
        "train",
        "--to=" + dir_ + "/" + name + "/repo/m",
        "--checkpoint_dir=" + dir_ + "/" + name + "/state",
        "--preset=32,32,8,8,19,2,8,16",
        "--batch_size=2",
        "--threads=1",
        "--loader_threads=1",
        "--seed=1",
        "--log_every=1",
        "--val_every=0",
        "--publish_every=0",
        "--val_batches=1",
        "--lr=1e-3",
        "--collective_timeout=" + std::to_string(kCollectiveTimeoutS),
        "--connect_timeout=30",
        "--weight_check_every=2"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<testing::Subprocess>(
        args, dir_ + "/" + name + "-rank" + std::to_string(rank) + ".log");
    return p;
  }

  std::string dir_;
};

// step -> loss of the "rank=0 step=N/T loss=X" lines.
std::map<int, double> Losses(const std::string& log) {
  std::map<int, double> losses;
  std::regex re("rank=0 step=([0-9]+)/[0-9]+ loss=([0-9.eE+-]+)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re);
       it != std::sregex_iterator(); ++it) {
    losses[std::stoi((*it)[1])] = std::stod((*it)[2]);
  }
  return losses;
}

TEST_F(DistributedTrainerTest, KilledRankEndsTheOtherWithTheRankNamed) {
  const int port = testing::FreeLoopbackPort();
  auto r0 = StartRank(port, 2, 0, "kill", {"--steps=100000"});
  auto r1 = StartRank(port, 2, 1, "kill", {"--steps=100000"});
  ASSERT_TRUE(r1->WaitForLog("rank=1 step=3/", seconds(60)))
      << r0->Log() << r1->Log();
  r1->Signal(SIGKILL);
  // Within the collective timeout plus the heartbeat watch and exit.
  const int code = r0->Wait(seconds(kCollectiveTimeoutS + 20));
  EXPECT_EQ(code, 1) << r0->Log();
  EXPECT_NE(r0->Log().find("rank 1 stopped answering"), std::string::npos)
      << r0->Log();
}

TEST_F(DistributedTrainerTest, HungRankEndsTheOtherWithinTheCollectiveTimeout) {
  const int port = testing::FreeLoopbackPort();
  auto r0 = StartRank(port, 2, 0, "hang", {"--steps=100000"});
  auto r1 = StartRank(port, 2, 1, "hang", {"--steps=100000"});
  ASSERT_TRUE(r1->WaitForLog("rank=1 step=3/", seconds(60)))
      << r0->Log() << r1->Log();
  r1->Signal(SIGSTOP);  // Alive but silent; the destructor kills it.
  const int code = r0->Wait(seconds(kCollectiveTimeoutS + 20));
  EXPECT_EQ(code, 1) << r0->Log();
  EXPECT_NE(r0->Log().find("rank 1 stopped answering"), std::string::npos)
      << r0->Log();
}

TEST_F(DistributedTrainerTest, ResumeAfterAKillContinuesWithTheSameLosses) {
  constexpr int kSteps = 30;
  // Uninterrupted.
  int port = testing::FreeLoopbackPort();
  std::map<int, double> straight;
  {
    auto r0 = StartRank(port, 2, 0, "straight",
                        {"--steps=" + std::to_string(kSteps)});
    auto r1 = StartRank(port, 2, 1, "straight",
                        {"--steps=" + std::to_string(kSteps)});
    ASSERT_EQ(r0->Wait(seconds(90)), 0) << r0->Log();
    ASSERT_EQ(r1->Wait(seconds(30)), 0) << r1->Log();
    straight = Losses(r0->Log());
    ASSERT_EQ(straight.size(), size_t{kSteps}) << r0->Log();
  }
  // Killed (rank 1) part-way, checkpointing every 3 steps; the constant
  // learning rate makes the longer budget irrelevant to the losses.
  port = testing::FreeLoopbackPort();
  {
    auto r0 = StartRank(port, 2, 0, "killed",
                        {"--steps=100000", "--checkpoint_every=3"});
    auto r1 = StartRank(port, 2, 1, "killed",
                        {"--steps=100000", "--checkpoint_every=3"});
    ASSERT_TRUE(r1->WaitForLog("rank=1 step=4/", seconds(60)))
        << r0->Log() << r1->Log();
    r1->Signal(SIGKILL);
    ASSERT_EQ(r0->Wait(seconds(kCollectiveTimeoutS + 20)), 1) << r0->Log();
  }
  // The restarted job: both ranks with --resume; rank 0 reads the state and
  // broadcasts it.
  port = testing::FreeLoopbackPort();
  auto r0 = StartRank(port, 2, 0, "killed",
                      {"--steps=" + std::to_string(kSteps), "--resume"});
  auto r1 = StartRank(port, 2, 1, "killed",
                      {"--steps=" + std::to_string(kSteps), "--resume"});
  ASSERT_EQ(r0->Wait(seconds(90)), 0) << r0->Log();
  ASSERT_EQ(r1->Wait(seconds(30)), 0) << r1->Log();
  std::smatch m;
  const std::string log = r0->Log();
  ASSERT_TRUE(
      std::regex_search(log, m, std::regex("resumed from .* at step ([0-9]+)")))
      << log;
  const int resumed_at = std::stoi(m[1]);
  EXPECT_GE(resumed_at, 3);
  EXPECT_EQ(resumed_at % 3, 0);
  ASSERT_LT(resumed_at, kSteps) << "the kill came too late to test the resume";
  const std::map<int, double> resumed = Losses(log);
  ASSERT_EQ(resumed.size(), size_t(kSteps - resumed_at)) << log;
  for (const auto& [step, loss] : resumed) {
    EXPECT_NEAR(loss, straight.at(step), 1e-6 * straight.at(step))
        << "step " << step;
  }
  EXPECT_TRUE(fs::exists(dir_ + "/killed/repo/m/1"))
      << "rank 0 publishes at the end";
}

TEST_F(DistributedTrainerTest, BadVariablesFailAtStartNamingTheVariable) {
  const int port = testing::FreeLoopbackPort();
  {
    auto p = StartRank(port, 2, 2, "bad", {"--steps=1"});
    EXPECT_EQ(p->Wait(seconds(30)), 2) << p->Log();
    EXPECT_NE(p->Log().find("RANK=2 is not below WORLD_SIZE=2"),
              std::string::npos)
        << p->Log();
  }
  {
    // WORLD_SIZE not a number.
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    setenv("RANK", "0", 1);
    setenv("WORLD_SIZE", "two", 1);
    testing::Subprocess p(
        {TrainerPath(), "train", "--to=" + dir_ + "/nan/m", "--steps=1"},
        dir_ + "/nan.log");
    EXPECT_EQ(p.Wait(seconds(30)), 2) << p.Log();
    EXPECT_NE(p.Log().find("WORLD_SIZE=\"two\""), std::string::npos) << p.Log();
  }
  {
    // Nobody serves the store: rank 1 gives up after --connect_timeout.
    auto p = StartRank(port, 2, 1, "unreachable",
                       {"--steps=1", "--connect_timeout=1"});
    EXPECT_EQ(p->Wait(seconds(30)), 1) << p->Log();
    EXPECT_NE(p->Log().find("MASTER_ADDR:MASTER_PORT=127.0.0.1:" +
                            std::to_string(port)),
              std::string::npos)
        << p->Log();
  }
}

}  // namespace
}  // namespace facet
