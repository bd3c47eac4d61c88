// Data parallelism on loopback: W ranks as W threads, each with its own
// c10d process group (Gloo) and trainer, compared with one trainer on the
// same global batch.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "tests/util/free_port.h"
#include "trainer/distributed/process_group_setup.h"
#include "trainer/training/fpn_trainer.h"

namespace facet {
namespace {

constexpr int kSize = 32;

// Random faces; labels a function of the input so the loss moves.
TrainingBatch RandomBatch(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  TrainingBatch b;
  b.batch_size = n;
  b.image_size = kSize;
  b.lq.resize(size_t(n) * 3 * kSize * kSize);
  b.hq.resize(b.lq.size());
  b.labels.resize(size_t(n) * kSize * kSize);
  for (auto& v : b.lq) v = u(rng);
  for (auto& v : b.hq) v = u(rng);
  for (size_t i = 0; i < b.labels.size(); ++i)
    b.labels[i] = b.lq[i] > 0 ? 1 : (b.lq[i] < -0.5 ? 2 : 0);
  return b;
}

// Faces [first, first + n) of `b`.
TrainingBatch Slice(const TrainingBatch& b, int first, int n) {
  TrainingBatch s;
  s.batch_size = n;
  s.image_size = b.image_size;
  const size_t image = 3 * kSize * kSize, labels = kSize * kSize;
  s.lq.assign(b.lq.begin() + first * image, b.lq.begin() + (first + n) * image);
  s.hq.assign(b.hq.begin() + first * image, b.hq.begin() + (first + n) * image);
  s.labels.assign(b.labels.begin() + first * labels,
                  b.labels.begin() + (first + n) * labels);
  return s;
}

FpnTrainerOptions SmallOptions() {
  FpnTrainerOptions o;
  // 32 px, 8..16 channels, two body blocks: every layer kind, BatchNorm in
  // every residual block.
  o.config = *NetConfigPreset("32,32,8,8,19,2,8,16");
  o.device = "cpu";
  o.seed = 3;
  o.learning_rate = 1e-3;
  return o;
}

DistributedEnv Env(int port, int world, int rank) {
  DistributedEnv env;
  env.enabled = true;
  env.master_addr = "127.0.0.1";
  env.master_port = port;
  env.world_size = world;
  env.rank = rank;
  return env;
}

CommunicatorOptions FastTimeouts() {
  CommunicatorOptions o;
  o.collective_timeout_s = 10;
  o.connect_timeout_s = 10;
  return o;
}

// Runs `body(rank, communicator)` on `world` threads after connecting
// them; fails the test on a connection error.
void RunRanks(int world, const std::function<void(int, Communicator*)>& body) {
  const int port = testing::FreeLoopbackPort();
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      auto c = Communicator::Connect(Env(port, world, r), FastTimeouts());
      ASSERT_TRUE(c.ok()) << c.status();
      body(r, c->get());
    });
  }
  for (auto& t : threads) t.join();
}

// Trainer creation seeds LibTorch's global generator: one at a time, so
// that rank 0's initial weights are the seed's (the broadcast copies them).
std::mutex create_mu;

struct RankRun {
  std::vector<double> losses;
  RawTensorMap weights;
};

// One trainer, `steps` global batches of 4.
RankRun RunAlone(int micro_batch_size, int steps) {
  FpnTrainerOptions o = SmallOptions();
  o.micro_batch_size = micro_batch_size;
  auto t = FpnTrainer::Create(o, nullptr);
  EXPECT_TRUE(t.ok()) << t.status();
  RankRun run;
  for (int s = 0; s < steps; ++s) {
    auto r = (*t)->Step(RandomBatch(4, 100 + s));
    EXPECT_TRUE(r.ok()) << r.status();
    run.losses.push_back(r->loss);
  }
  run.weights = *(*t)->Weights();
  return run;
}

// Two ranks, each stepping on its half of the same global batches.
std::vector<RankRun> RunTwoRanks(bool sync_batch_norm, int steps) {
  std::vector<RankRun> runs(2);
  RunRanks(2, [&](int rank, Communicator* c) {
    FpnTrainerOptions o = SmallOptions();
    o.communicator = c;
    o.sync_batch_norm = sync_batch_norm;
    o.seed = 3 + rank;  // Different initialisation: the broadcast must fix it.
    o.bucket_bytes = 16 << 10;  // Several buckets even for this small net.
    auto t = [&] {
      std::lock_guard<std::mutex> lock(create_mu);
      return FpnTrainer::Create(o, nullptr);
    }();
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_TRUE((*t)->BroadcastStateFromRank0().ok());
    for (int s = 0; s < steps; ++s) {
      auto r = (*t)->Step(Slice(RandomBatch(4, 100 + s), 2 * rank, 2));
      ASSERT_TRUE(r.ok()) << r.status();
      runs[rank].losses.push_back(r->loss);
    }
    absl::Status same = (*t)->CheckReplicasIdentical();
    EXPECT_TRUE(same.ok()) << same;
    runs[rank].weights = *(*t)->Weights();
  });
  return runs;
}

double MaxWeightDifference(const RawTensorMap& a, const RawTensorMap& b,
                           bool parameters_only) {
  double worst = 0;
  for (const auto& [name, ta] : a) {
    if (parameters_only && (name.find("running_") != std::string::npos ||
                            name.find("num_batches") != std::string::npos)) {
      continue;
    }
    const RawTensor& tb = b.at(name);
    if (ta.dtype != DType::kFloat32) continue;
    const float* pa = reinterpret_cast<const float*>(ta.data.data());
    const float* pb = reinterpret_cast<const float*>(tb.data.data());
    for (size_t i = 0; i < ta.data.size() / 4; ++i) {
      worst = std::max(worst, double(std::fabs(pa[i] - pb[i])));
    }
  }
  return worst;
}

constexpr int kSteps = 4;

TEST(DataParallelTest, SyncBatchNormTwoRanksMatchOneRankOnTheGlobalBatch) {
  const RankRun alone = RunAlone(/*micro_batch_size=*/0, kSteps);
  const std::vector<RankRun> ranks =
      RunTwoRanks(/*sync_batch_norm=*/true, kSteps);
  for (int s = 0; s < kSteps; ++s) {
    EXPECT_EQ(ranks[0].losses[s], ranks[1].losses[s]) << "step " << s + 1;
    EXPECT_NEAR(ranks[0].losses[s], alone.losses[s], 1e-4 * alone.losses[s])
        << "step " << s + 1;
  }
  // Synchronised BatchNorm keeps even the running statistics identical.
  EXPECT_EQ(MaxWeightDifference(ranks[0].weights, ranks[1].weights, false),
            0.0);
  // Adam moves each weight by about lr per step; rounding noise stays far
  // below.
  EXPECT_LT(MaxWeightDifference(ranks[0].weights, alone.weights, false), 1e-4);
}

TEST(DataParallelTest, PerRankBatchNormMatchesMicroBatchesOfTheHalves) {
  const RankRun alone = RunAlone(/*micro_batch_size=*/2, kSteps);
  const RankRun full = RunAlone(/*micro_batch_size=*/0, kSteps);
  const std::vector<RankRun> ranks =
      RunTwoRanks(/*sync_batch_norm=*/false, kSteps);
  for (int s = 0; s < kSteps; ++s) {
    EXPECT_NEAR(ranks[0].losses[s], alone.losses[s], 1e-4 * alone.losses[s])
        << "step " << s + 1;
  }
  EXPECT_LT(MaxWeightDifference(ranks[0].weights, alone.weights, true), 1e-4);
  EXPECT_EQ(MaxWeightDifference(ranks[0].weights, ranks[1].weights, true), 0.0);
  // The comparison can fail: per-micro-batch BatchNorm is not the
  // full-batch step.
  EXPECT_GT(std::fabs(full.losses[kSteps - 1] - alone.losses[kSteps - 1]),
            1e-5);
}

TEST(DataParallelTest, DifferentWeightsAreDetected) {
  RunRanks(2, [&](int rank, Communicator* c) {
    FpnTrainerOptions o = SmallOptions();
    o.communicator = c;
    o.seed = 3 + rank;  // No broadcast: the replicas differ.
    auto t = [&] {
      std::lock_guard<std::mutex> lock(create_mu);
      return FpnTrainer::Create(o, nullptr);
    }();
    ASSERT_TRUE(t.ok()) << t.status();
    absl::Status s = (*t)->CheckReplicasIdentical();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(
        std::string(s.message()).find("weights differ across ranks at step 0"),
        std::string::npos)
        << s;
    EXPECT_NE(std::string(s.message()).find("rank 1 ("), std::string::npos)
        << s;
  });
}

TEST(DataParallelTest, UnreachableMasterFailsWithinTheConnectTimeout) {
  CommunicatorOptions o = FastTimeouts();
  o.connect_timeout_s = 1;
  const int port = testing::FreeLoopbackPort();  // Nobody listens.
  auto c = Communicator::Connect(Env(port, 2, 1), o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(
      std::string(c.status().message())
          .find("MASTER_ADDR:MASTER_PORT=127.0.0.1:" + std::to_string(port)),
      std::string::npos)
      << c.status();
}

TEST(DataParallelTest, ALeavingRankIsNamed) {
  // Rank 1 leaves after one all-reduce; rank 0's next collective fails
  // and names it.
  RunRanks(2, [&](int rank, Communicator* c) {
    std::vector<double> v = {1.0};
    ASSERT_TRUE(c->AllReduceSum(&v, "first").ok());
    EXPECT_EQ(v[0], 2.0);
    if (rank == 1) return;  // Its communicator closes with the thread.
    absl::Status s = c->AllReduceSum(&v, "second");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(std::string(s.message()).find("rank 1"), std::string::npos) << s;
    EXPECT_NE(std::string(s.message()).find("\"second\""), std::string::npos)
        << s;
  });
}

}  // namespace
}  // namespace facet
