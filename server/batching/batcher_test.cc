// Batcher with a fake engine: the effective max batch size of the served
// version caps every batch, and a request alone in the server is not held
// back for a batch that cannot fill.
#include "server/batching/batcher.h"

#include <memory>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

constexpr int kSide = 8;

// Records the size of every batch; answers with all-zero labels.
class RecordingEngine : public FaceEngine {
 public:
  RecordingEngine() { config_.in_size = kSide; }

  ModelResult<std::vector<ParseResult>> Parse(
      const std::vector<RgbImageView>& batch,
      const ParseOptions& /*options*/) const override {
    absl::MutexLock lock(&mu_);
    sizes_.push_back(static_cast<int>(batch.size()));
    std::vector<ParseResult> results(batch.size());
    for (ParseResult& r : results) {
      r.height = r.width = kSide;
      r.labels.assign(kSide * kSide, 0);
    }
    return results;
  }
  const NetConfig& config() const override { return config_; }
  std::string engine() const override { return "fake"; }
  std::string device() const override { return "cpu"; }
  std::string precision() const override { return "fp32"; }
  std::string Describe() const override { return "fake"; }

  std::vector<int> sizes() const {
    absl::MutexLock lock(&mu_);
    return sizes_;
  }

 private:
  NetConfig config_;
  mutable absl::Mutex mu_;
  mutable std::vector<int> sizes_ ABSL_GUARDED_BY(mu_);
};

struct Served {
  ModelHandle model;
  const RecordingEngine* engine = nullptr;
};

Served MakeModel(int effective_max_batch_size) {
  auto engine = std::make_unique<RecordingEngine>();
  Served served;
  served.engine = engine.get();
  auto model = std::make_shared<ServableModel>();
  model->name = "fake";
  model->config = engine->config();
  model->engine = std::move(engine);
  model->effective_max_batch_size = effective_max_batch_size;
  served.model = std::move(model);
  return served;
}

std::unique_ptr<Batcher> MakeBatcher(const ModelHandle& model,
                                     absl::Duration delay,
                                     bool run_alone_at_once) {
  BatcherOptions options;
  options.max_batch_size = 8;
  options.max_queue_delay = delay;
  options.run_alone_at_once = run_alone_at_once;
  options.model_provider = [model] { return model; };
  auto batcher = Batcher::Create(options);
  EXPECT_TRUE(batcher.ok()) << batcher.status();
  return std::move(batcher).value();
}

// Enqueues one task; `counter` is decremented when it finishes, and its
// finished copy lands in `*finished` (guarded by `mu`).
void EnqueueOne(Batcher* batcher, absl::BlockingCounter* counter,
                absl::Mutex* mu,
                std::vector<std::unique_ptr<ParseTask>>* finished) {
  auto task = std::make_unique<ParseTask>();
  task->input = cv::Mat(kSide, kSide, CV_8UC3, cv::Scalar(1, 2, 3));
  task->done = [counter, mu, finished](std::unique_ptr<ParseTask> t) {
    {
      absl::MutexLock lock(mu);
      finished->push_back(std::move(t));
    }
    counter->DecrementCount();
  };
  ASSERT_TRUE(batcher->Enqueue(std::move(task)).ok());
}

// With an effective size of 1 no batch of 2 forms, although 8 are allowed
// and a batch may wait 2 s to fill: each task runs alone, at once.
TEST(BatcherTest, EffectiveSizeOneNeverBatches) {
  Served served = MakeModel(1);
  auto batcher = MakeBatcher(served.model, absl::Seconds(2),
                             /*run_alone_at_once=*/false);
  constexpr int kTasks = 6;
  absl::BlockingCounter counter(kTasks);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kTasks; ++i) {
    EnqueueOne(batcher.get(), &counter, &mu, &finished);
  }
  counter.Wait();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2)) << "a task waited";
  EXPECT_EQ(served.engine->sizes(), std::vector<int>(kTasks, 1));
  absl::MutexLock lock(&mu);
  for (const auto& task : finished) {
    EXPECT_TRUE(task->status.ok()) << task->status;
    EXPECT_EQ(task->batch_size, 1);
  }
}

// An effective size of 2 caps batches at 2 while more tasks wait.
TEST(BatcherTest, EffectiveSizeCapsBatches) {
  Served served = MakeModel(2);
  auto batcher = MakeBatcher(served.model, absl::Milliseconds(500),
                             /*run_alone_at_once=*/false);
  constexpr int kTasks = 5;
  absl::BlockingCounter counter(kTasks);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  for (int i = 0; i < kTasks; ++i) {
    EnqueueOne(batcher.get(), &counter, &mu, &finished);
  }
  counter.Wait();
  const std::vector<int> sizes = served.engine->sizes();
  int total = 0, largest = 0;
  for (int size : sizes) {
    total += size;
    largest = std::max(largest, size);
  }
  EXPECT_EQ(total, kTasks);
  EXPECT_EQ(largest, 2) << "batches: " << ::testing::PrintToString(sizes);
}

// run_alone_at_once: a task whose request is the only one in flight runs
// at once, not after the 30 s delay; with another request in flight it
// waits for it (here: the delay, as the other never enqueues).
TEST(BatcherTest, LoneRequestRunsAtOnce) {
  Served served = MakeModel(8);
  auto batcher = MakeBatcher(served.model, absl::Seconds(30),
                             /*run_alone_at_once=*/true);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  {
    absl::BlockingCounter counter(1);
    batcher->AddRequestsInFlight(1);
    const absl::Time start = absl::Now();
    EnqueueOne(batcher.get(), &counter, &mu, &finished);
    counter.Wait();
    batcher->AddRequestsInFlight(-1);
    EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  }
  auto waiting = MakeBatcher(served.model, absl::Milliseconds(300),
                             /*run_alone_at_once=*/true);
  {
    absl::BlockingCounter counter(1);
    waiting->AddRequestsInFlight(2);
    EnqueueOne(waiting.get(), &counter, &mu, &finished);
    counter.Wait();
    waiting->AddRequestsInFlight(-2);
  }
  absl::MutexLock lock(&mu);
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_GE(finished[1]->compute_start - finished[1]->enqueued,
            absl::Milliseconds(300));
}


// Admission: places reserved before decoding count toward --max_queue_size
// with the queued tasks, so the excess is refused before any work; a
// cancelled reservation or a queued task's place is given back.
TEST(BatcherTest, ReservationsCountTowardTheQueueBound) {
  Served served = MakeModel(8);
  BatcherOptions options;
  options.max_batch_size = 8;
  options.max_queue_size = 3;
  options.max_queue_delay = absl::Seconds(30);  // Tasks stay queued.
  options.model_provider = [model = served.model] { return model; };
  auto batcher = Batcher::Create(options);
  ASSERT_TRUE(batcher.ok()) << batcher.status();
  Batcher& b = **batcher;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b.Reserve().ok()) << i;
  absl::Status full = b.Reserve();
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_NE(full.message().find("--max_queue_size=3"), std::string::npos)
      << full;
  b.CancelReservation();
  ASSERT_TRUE(b.Reserve().ok());
  // Two reserved places become queued tasks: still three places taken.
  absl::BlockingCounter counter(2);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  for (int i = 0; i < 2; ++i) {
    auto task = std::make_unique<ParseTask>();
    task->input = cv::Mat(kSide, kSide, CV_8UC3, cv::Scalar(1, 2, 3));
    task->done = [&](std::unique_ptr<ParseTask> t) {
      {
        absl::MutexLock lock(&mu);
        finished.push_back(std::move(t));
      }
      counter.DecrementCount();
    };
    ASSERT_TRUE(b.Enqueue(std::move(task), /*reserved=*/true).ok());
  }
  EXPECT_EQ(b.queue_depth(), 2u);
  EXPECT_TRUE(absl::IsResourceExhausted(b.Reserve()));
  b.CancelReservation();
  EXPECT_TRUE(b.Reserve().ok());
  b.CancelReservation();
  b.Stop();  // Runs the queued tasks.
  counter.Wait();
  absl::MutexLock lock(&mu);
  for (const auto& task : finished) EXPECT_TRUE(task->status.ok());
}

}  // namespace
}  // namespace facet
