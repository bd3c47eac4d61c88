// Overload, deadlines, cancellation, draining shutdown, single-file mode and
// flags from the environment, each against its own facet-server process.
#include <signal.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/model/safetensors.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/util/test_files.h"

namespace facet {
namespace server_test {
namespace {

constexpr char kModel[] = "faces";

std::unique_ptr<ServerProcess> StartServing(
    const std::vector<std::string>& extra,
    const std::map<std::string, std::string>& env = {}) {
  const std::string repo = testing::MakeTempDirRemovedAtExit("facet_ops_repo");
  EXPECT_EQ(PublishVersion(repo, kModel, 1), 1);
  // These tests hold tasks in the queue with long batch delays: adaptive
  // batching would run them at once (effective size 1, or alone).
  std::vector<std::string> args = {"--model_repository=" + repo,
                                   std::string("--model_name=") + kModel,
                                   "--device=cpu", "--intra_op_threads=1",
                                   "--adaptive_batching=false"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto server = ServerProcess::Start(args, env);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  const absl::Time end = absl::Now() + absl::Seconds(30);
  while (HealthStatus(**server) != 1 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(HealthStatus(**server), 1) << (*server)->Log();
  return std::move(server).value();
}

v1::ParseRequest SmallRequest() {
  v1::ParseRequest request;
  request.mutable_image()->set_encoded(PngBytes(MakeFace(32, 32, 1)));
  return request;
}

double Rejections(const ServerProcess& server, const std::string& reason) {
  auto metrics = HttpGet(server.metrics_port(), "/metrics");
  if (!metrics.ok()) return -2;
  return MetricValue(*metrics, absl::StrCat("facet_rejections_total{reason=\"",
                                            reason, "\"}"));
}

bool WaitForRejections(const ServerProcess& server, const std::string& reason,
                       double at_least) {
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (absl::Now() < end) {
    if (Rejections(server, reason) >= at_least) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// A batch waits up to 1.5 s to fill; a queue of 2 is full at the third.
TEST(OperationsTest, FullQueueIsRefusedAtOnce) {
  // The queue delay is long enough for both waiting requests to arrive on
  // a loaded machine: the first starts the batch's clock.
  auto server = StartServing({"--max_batch_size=8", "--max_queue_size=2",
                              "--max_queue_delay_us=4000000"});
  ASSERT_NE(server, nullptr);
  std::atomic<int> ok{0};
  std::vector<std::thread> waiting;
  // Joined on every exit, failed assertions included.
  struct JoinAll {
    std::vector<std::thread>* threads;
    ~JoinAll() {
      for (auto& t : *threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_all{&waiting};
  for (int i = 0; i < 2; ++i) {
    waiting.emplace_back([&] {
      auto stub = server->NewStub();
      grpc::ClientContext context;
      v1::ParseResponse response;
      if (stub->Parse(&context, SmallRequest(), &response).ok()) ++ok;
    });
  }
  // Wait until both sit in the queue.
  const absl::Time end = absl::Now() + absl::Seconds(5);
  auto depth = [&] {
    auto m = HttpGet(server->metrics_port(), "/metrics");
    return m.ok() ? MetricValue(*m, "facet_queue_depth") : -1;
  };
  while (depth() < 2 && absl::Now() < end)
    absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(depth(), 2);
  auto stub = server->NewStub();
  grpc::ClientContext context;
  v1::ParseResponse response;
  const absl::Time start = absl::Now();
  grpc::Status status = stub->Parse(&context, SmallRequest(), &response);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));  // Immediate.
  EXPECT_EQ(status.error_code(), grpc::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("max_queue_size=2"), std::string::npos)
      << status.error_message();
  for (auto& t : waiting) t.join();
  EXPECT_EQ(ok, 2);  // The queued ones are still answered.
  EXPECT_EQ(Rejections(*server, "queue_full"), 1);
}

// A request whose deadline passes while it waits is dropped, not computed;
// so is one whose client cancels.
TEST(OperationsTest, ExpiredAndCancelledWorkIsDropped) {
  auto server =
      StartServing({"--max_batch_size=8", "--max_queue_delay_us=700000"});
  ASSERT_NE(server, nullptr);
  auto stub = server->NewStub();
  auto batches = [&] {
    auto m = HttpGet(server->metrics_port(), "/metrics");
    return m.ok() ? MetricValue(*m, "facet_batch_size_count") : -1;
  };
  const double batches_before = batches();
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(200));
    v1::ParseResponse response;
    grpc::Status status = stub->Parse(&context, SmallRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::DEADLINE_EXCEEDED);
  }
  EXPECT_TRUE(WaitForRejections(*server, "deadline", 1));
  {
    grpc::ClientContext context;
    std::thread canceller([&] {
      absl::SleepFor(absl::Milliseconds(150));
      context.TryCancel();
    });
    v1::ParseResponse response;
    grpc::Status status = stub->Parse(&context, SmallRequest(), &response);
    canceller.join();
    EXPECT_EQ(status.error_code(), grpc::CANCELLED);
  }
  EXPECT_TRUE(WaitForRejections(*server, "cancelled", 1));
  EXPECT_EQ(batches(), batches_before);  // Nothing was computed.
}

// SIGTERM: NOT_SERVING and UNAVAILABLE during the drain delay, in-flight
// work still answered, exit code 0.
TEST(OperationsTest, SigtermDrainsAndExitsZero) {
  auto server =
      StartServing({"--max_queue_delay_us=600000", "--drain_delay_ms=1200"});
  ASSERT_NE(server, nullptr);
  std::atomic<int> code{-1};
  std::thread inflight([&] {
    auto stub = server->NewStub();
    grpc::ClientContext context;
    v1::ParseResponse response;
    code = stub->Parse(&context, SmallRequest(), &response).error_code();
  });
  absl::SleepFor(absl::Milliseconds(150));
  server->Signal(SIGTERM);
  ASSERT_TRUE(server->WaitForLog("event=draining", absl::Seconds(5)));
  EXPECT_TRUE(server->WaitForLog("serving=NOT_SERVING", absl::Seconds(5)));
  EXPECT_EQ(HealthStatus(*server), 2);
  {
    auto stub = server->NewStub();
    grpc::ClientContext context;
    v1::ParseResponse response;
    grpc::Status status = stub->Parse(&context, SmallRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::UNAVAILABLE);
    EXPECT_NE(status.error_message().find("draining"), std::string::npos)
        << status.error_message();
  }
  inflight.join();
  EXPECT_EQ(code, grpc::OK);
  EXPECT_EQ(server->Wait(absl::Seconds(20)), 0) << server->Log();
  EXPECT_NE(server->Log().find("event=stopped"), std::string::npos);
}

// A stream keeps at most --stream_max_inflight items in flight: with a long
// batch delay, its items can only ever be batched in twos.
TEST(OperationsTest, StreamBoundsItemsInFlight) {
  auto server =
      StartServing({"--max_batch_size=8", "--max_queue_delay_us=300000",
                    "--stream_max_inflight=2"});
  ASSERT_NE(server, nullptr);
  auto stub = server->NewStub();
  grpc::ClientContext context;
  auto stream = stub->ParseStream(&context);
  constexpr int kItems = 6;
  for (int i = 0; i < kItems; ++i) {
    v1::ParseStreamRequest item;
    item.set_tag(absl::StrCat(i));
    *item.mutable_request() = SmallRequest();
    ASSERT_TRUE(stream->Write(item));
  }
  stream->WritesDone();
  v1::ParseStreamResponse response;
  int received = 0;
  int max_batch = 0;
  while (stream->Read(&response)) {
    ++received;
    EXPECT_EQ(response.status().code(), 0) << response.status().message();
    max_batch =
        std::max(max_batch, response.response().info().timings().batch_size());
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(received, kItems);
  EXPECT_EQ(max_batch, 2);
}

// --model FILE serves one bare weights file as version 0; flags come from
// FACET_* variables unless given on the command line.
TEST(OperationsTest, ServesOneFileWithFlagsFromEnvironment) {
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_ops_file");
  const std::string file = dir + "/tiny.safetensors";
  ASSERT_TRUE(
      WriteSafetensorsFile(file, RandomWeights(TinyConfig(), 9), {}).ok());
  auto started = ServerProcess::Start(
      {"--model=" + file, "--device=cpu", "--max_batch_size=5"},
      {{"FACET_INPUT_SIZE", "64"},
       {"FACET_MAX_BATCH_SIZE", "3"},
       {"FACET_MAX_QUEUE_SIZE", "7"}});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  EXPECT_NE(server.Log().find("max_queue_size=7"), std::string::npos);
  auto stub = server.NewStub();
  v1::GetModelInfoResponse info;
  const absl::Time end = absl::Now() + absl::Seconds(30);
  while (absl::Now() < end) {
    grpc::ClientContext context;
    if (stub->GetModelInfo(&context, {}, &info).ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(info.version(), 0);
  EXPECT_EQ(info.model_name(), "tiny");
  EXPECT_EQ(info.config().in_size(), 64);
  EXPECT_EQ(info.version_policy(), "file");
  EXPECT_EQ(info.max_batch_size(), 5);  // The flag wins over the variable.
  grpc::ClientContext context;
  v1::ParseResponse response;
  EXPECT_TRUE(stub->Parse(&context, SmallRequest(), &response).ok());
  EXPECT_EQ(response.info().model_version(), 0);
}

TEST(OperationsTest, BadStartupsFailWithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{}, {}, "nothing to serve"},
      {{"--model=/x.pth", "--tls_cert=/nonexistent.pem"}, {}, "tls_key"},
      {{"--model=/x.pth"}, {{"FACET_MAX_BATCH_SIZE", "many"}}, "many"},
      {{"--model=/x.pth", "--batch_size_min_gain=-2"}, {}, "min_gain=-2"},
      {{"--model=/x.pth", "--lease_refresh_ms=300000"},
       {},
       "--lease_refresh_ms=300000: expected"},
  };
  for (const Case& c : cases) {
    auto server = ServerProcess::Start(c.args, c.env, absl::Seconds(20));
    ASSERT_FALSE(server.ok()) << c.message;
    EXPECT_NE(server.status().message().find(c.message), std::string::npos)
        << server.status().message();
  }
}

// A flag value that does not parse stops the server with a non-zero exit
// and a message naming the flag, never a silent 0.
TEST(OperationsTest, BadFlagValuesAreErrorsNamingTheFlag) {
  struct Case {
    std::string flag;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"--warmup_batch_sizes=1,abc", "--warmup_batch_sizes=1,abc: \"abc\""},
      {"--warmup_batch_sizes=0", "--warmup_batch_sizes=0: \"0\""},
      {"--device=cuda:x", "--device=cuda:x"},
  };
  for (const Case& c : cases) {
    auto server =
        ServerProcess::Start({"--model=/x.pth", c.flag}, {}, absl::Seconds(30));
    ASSERT_FALSE(server.ok()) << c.flag << " was accepted";
    const std::string message(server.status().message());
    EXPECT_NE(message.find("exited with status 1 "), std::string::npos)
        << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace server_test
}  // namespace facet
