// Batcher with a fake engine: the effective max batch size of the served
// version caps every batch, and a request alone in the server is not held
// back for a batch that cannot fill.
#include "server/batching/batcher.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/util/fake_clock.h"

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

// Time stands still unless a test advances it, so a task that runs without
// an Advance did not wait for its batch to fill.
std::unique_ptr<Batcher> MakeBatcher(const ModelHandle& model,
                                     absl::Duration delay,
                                     bool run_alone_at_once, const Clock* clock,
                                     int max_batch_size = 8,
                                     int max_queue_size = 64) {
  BatcherOptions options;
  options.clock = clock;
  options.max_batch_size = max_batch_size;
  options.max_queue_size = max_queue_size;
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
                std::vector<std::unique_ptr<ParseTask>>* finished,
                absl::Time deadline = absl::InfiniteFuture()) {
  auto task = std::make_unique<ParseTask>();
  task->deadline = deadline;
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
// and a batch may wait 2 s to fill: each task runs alone, at once (the
// clock never moves).
TEST(BatcherTest, EffectiveSizeOneNeverBatches) {
  testing::FakeClock clock;
  Served served = MakeModel(1);
  auto batcher = MakeBatcher(served.model, absl::Seconds(2),
                             /*run_alone_at_once=*/false, &clock);
  constexpr int kTasks = 6;
  absl::BlockingCounter counter(kTasks);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  for (int i = 0; i < kTasks; ++i) {
    EnqueueOne(batcher.get(), &counter, &mu, &finished);
  }
  counter.Wait();
  EXPECT_EQ(served.engine->sizes(), std::vector<int>(kTasks, 1));
  absl::MutexLock lock(&mu);
  for (const auto& task : finished) {
    EXPECT_TRUE(task->status.ok()) << task->status;
    EXPECT_EQ(task->batch_size, 1);
  }
}

// An effective size of 2 caps batches at 2 while more tasks wait.
TEST(BatcherTest, EffectiveSizeCapsBatches) {
  testing::FakeClock clock;
  Served served = MakeModel(2);
  auto batcher = MakeBatcher(served.model, absl::Milliseconds(500),
                             /*run_alone_at_once=*/false, &clock);
  constexpr int kTasks = 5;
  absl::BlockingCounter counter(kTasks);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  for (int i = 0; i < kTasks; ++i) {
    EnqueueOne(batcher.get(), &counter, &mu, &finished);
  }
  clock.Advance(absl::Milliseconds(500));  // The fifth waits for company.
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
// at once, not after the 30 s delay (the clock never moves); with another
// request in flight it waits for it (here: the delay, as the other never
// enqueues).
TEST(BatcherTest, LoneRequestRunsAtOnce) {
  testing::FakeClock clock;
  Served served = MakeModel(8);
  auto batcher = MakeBatcher(served.model, absl::Seconds(30),
                             /*run_alone_at_once=*/true, &clock);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  {
    absl::BlockingCounter counter(1);
    batcher->AddRequestsInFlight(1);
    EnqueueOne(batcher.get(), &counter, &mu, &finished);
    counter.Wait();
    batcher->AddRequestsInFlight(-1);
  }
  auto waiting = MakeBatcher(served.model, absl::Milliseconds(300),
                             /*run_alone_at_once=*/true, &clock);
  {
    absl::BlockingCounter counter(1);
    waiting->AddRequestsInFlight(2);
    EnqueueOne(waiting.get(), &counter, &mu, &finished);
    clock.Advance(absl::Milliseconds(300));
    counter.Wait();
    waiting->AddRequestsInFlight(-2);
  }
  absl::MutexLock lock(&mu);
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_EQ(finished[0]->compute_start, finished[0]->enqueued);
  EXPECT_EQ(finished[1]->compute_start - finished[1]->enqueued,
            absl::Milliseconds(300));
}

// A batch closes as soon as it is full, without waiting out the delay.
TEST(BatcherTest, BatchClosesAtSize) {
  testing::FakeClock clock;
  Served served = MakeModel(4);
  auto batcher = MakeBatcher(served.model, absl::Seconds(10),
                             /*run_alone_at_once=*/false, &clock,
                             /*max_batch_size=*/4);
  absl::BlockingCounter counter(4);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  for (int i = 0; i < 4; ++i) {
    EnqueueOne(batcher.get(), &counter, &mu, &finished);
  }
  counter.Wait();
  EXPECT_EQ(served.engine->sizes(), (std::vector<int>{4}));
  absl::MutexLock lock(&mu);
  for (const auto& task : finished) EXPECT_EQ(task->batch_size, 4);
}

// A batch that does not fill closes when its oldest task waited the delay,
// not before: a task enqueued 1 us before the delay ran out joins it.
TEST(BatcherTest, BatchClosesAtDelay) {
  testing::FakeClock clock;
  Served served = MakeModel(8);
  auto batcher = MakeBatcher(served.model, absl::Milliseconds(2),
                             /*run_alone_at_once=*/false, &clock);
  absl::BlockingCounter counter(2);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  EnqueueOne(batcher.get(), &counter, &mu, &finished);
  clock.Advance(absl::Milliseconds(2) - absl::Microseconds(1));
  EnqueueOne(batcher.get(), &counter, &mu, &finished);
  clock.Advance(absl::Microseconds(1));
  counter.Wait();
  EXPECT_EQ(served.engine->sizes(), (std::vector<int>{2}));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_EQ(finished[0]->compute_start - finished[0]->enqueued,
            absl::Milliseconds(2));
}

// A task whose deadline passed while it waited is failed with
// DeadlineExceeded and never reaches the network; the others run.
TEST(BatcherTest, ExpiredTasksAreDroppedBeforeCompute) {
  testing::FakeClock clock;
  Served served = MakeModel(8);
  auto batcher = MakeBatcher(served.model, absl::Milliseconds(5),
                             /*run_alone_at_once=*/false, &clock);
  absl::BlockingCounter counter(2);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  EnqueueOne(batcher.get(), &counter, &mu, &finished,
             clock.Now() + absl::Milliseconds(1));
  EnqueueOne(batcher.get(), &counter, &mu, &finished);
  clock.Advance(absl::Milliseconds(5));
  counter.Wait();
  EXPECT_EQ(served.engine->sizes(), (std::vector<int>{1}));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_TRUE(absl::IsDeadlineExceeded(finished[0]->status))
      << finished[0]->status;
  EXPECT_TRUE(finished[1]->status.ok()) << finished[1]->status;
  EXPECT_EQ(finished[1]->batch_size, 1);
}

// A finished task names the version that computed it but does not keep it
// loaded: once the batcher and the manager let go, the version is freed
// while the task (its response still being built) lives on.
TEST(BatcherTest, FinishedTaskDoesNotKeepTheVersionLoaded) {
  testing::FakeClock clock;
  Served served = MakeModel(8);
  const std::weak_ptr<const ServableModel> weak = served.model;
  auto batcher = MakeBatcher(served.model, absl::ZeroDuration(),
                             /*run_alone_at_once=*/false, &clock);
  served.model.reset();
  absl::BlockingCounter counter(1);
  absl::Mutex mu;
  std::vector<std::unique_ptr<ParseTask>> finished;
  EnqueueOne(batcher.get(), &counter, &mu, &finished);
  counter.Wait();
  batcher.reset();  // Its threads and its model provider let go.
  EXPECT_TRUE(weak.expired()) << "the finished task keeps the version loaded";
  absl::MutexLock lock(&mu);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0]->model_name, "fake");
  EXPECT_TRUE(finished[0]->status.ok());
}

// Admission: places reserved before decoding count toward --max_queue_size
// with the queued tasks, so the excess is refused before any work; a
// dropped reservation or a queued task's place is given back.
TEST(BatcherTest, ReservationsCountTowardTheQueueBound) {
  testing::FakeClock clock;
  Served served = MakeModel(8);
  auto batcher = MakeBatcher(served.model,
                             absl::Seconds(30),  // Tasks stay queued.
                             /*run_alone_at_once=*/false, &clock,
                             /*max_batch_size=*/8, /*max_queue_size=*/3);
  Batcher& b = *batcher;
  std::vector<QueueReservation> held;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<QueueReservation> r = b.Reserve();
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_TRUE(r->held());
    held.push_back(*std::move(r));
  }
  absl::StatusOr<QueueReservation> full = b.Reserve();
  EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();
  EXPECT_NE(full.status().message().find("--max_queue_size=3"),
            std::string::npos)
      << full.status();
  held.pop_back();  // Dropped without a task: its place is free again.
  ASSERT_TRUE(b.Reserve().ok());  // And dropped again at once.
  held.push_back(*b.Reserve());
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
    ASSERT_TRUE(b.Enqueue(std::move(held.back()), std::move(task)).ok());
    EXPECT_FALSE(held.back().held());
    held.pop_back();
  }
  EXPECT_EQ(b.queue_depth(), 2u);
  EXPECT_TRUE(absl::IsResourceExhausted(b.Reserve().status()));
  held.clear();
  EXPECT_TRUE(b.Reserve().ok());
  b.Stop();  // Runs the queued tasks.
  counter.Wait();
  absl::MutexLock lock(&mu);
  for (const auto& task : finished) EXPECT_TRUE(task->status.ok());
}

// A place passes from a request's reservation to its queued task without
// ever counting twice: with as many places as requesters, each holding at
// most one request at a time, no request may be refused. (A first version
// gave the reservation back only after the push, and under load a request
// was refused with a place free: OperationsTest.FullQueueIsRefusedAtOnce.)
TEST(BatcherTest, PlaceMovesFromReservationToQueueWithoutCountingTwice) {
  Served served = MakeModel(8);
  constexpr int kThreads = 8, kRounds = 1500;
  auto batcher = MakeBatcher(served.model, absl::ZeroDuration(),
                             /*run_alone_at_once=*/false, Clock::Real(),
                             /*max_batch_size=*/8, /*max_queue_size=*/kThreads);
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        absl::StatusOr<QueueReservation> place = batcher->Reserve();
        if (!place.ok()) {
          ++refused;
          continue;
        }
        absl::Notification done;
        auto task = std::make_unique<ParseTask>();
        task->input = cv::Mat(kSide, kSide, CV_8UC3, cv::Scalar(1, 2, 3));
        task->done = [&done](std::unique_ptr<ParseTask>) { done.Notify(); };
        if (!batcher->Enqueue(*std::move(place), std::move(task)).ok()) {
          ++refused;
          continue;
        }
        done.WaitForNotification();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(refused.load(), 0) << "of " << kThreads * kRounds << " requests";
  // Every place is free again.
  std::vector<QueueReservation> all;
  for (int i = 0; i < kThreads; ++i) {
    absl::StatusOr<QueueReservation> place = batcher->Reserve();
    ASSERT_TRUE(place.ok()) << i << ": " << place.status();
    all.push_back(*std::move(place));
  }
  EXPECT_TRUE(absl::IsResourceExhausted(batcher->Reserve().status()));
}

// A reservation is given back exactly once, whichever way it ends: dropped
// on an early return, moved into another (the source then holds nothing),
// overwritten by a move assignment, or reset by hand.
TEST(BatcherTest, DroppedReservationFreesItsPlaceOnce) {
  testing::FakeClock clock;
  Served served = MakeModel(8);
  auto batcher = MakeBatcher(served.model, absl::Seconds(30),
                             /*run_alone_at_once=*/false, &clock,
                             /*max_batch_size=*/8, /*max_queue_size=*/2);
  Batcher& b = *batcher;
  // A request that fails after reserving (e.g. a bad image) just returns.
  auto failing_request = [&b]() -> absl::Status {
    absl::StatusOr<QueueReservation> reservation = b.Reserve();
    if (!reservation.ok()) return reservation.status();
    return absl::InvalidArgumentError("undecodable image");
  };
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(absl::IsInvalidArgument(failing_request())) << i;
  }
  {
    QueueReservation a = *b.Reserve();
    QueueReservation c = *b.Reserve();
    EXPECT_TRUE(absl::IsResourceExhausted(b.Reserve().status()));
    QueueReservation moved(std::move(a));
    EXPECT_FALSE(a.held());
    EXPECT_TRUE(moved.held());
    EXPECT_TRUE(absl::IsResourceExhausted(b.Reserve().status()));
    moved = std::move(c);  // Gives moved's own place back.
    EXPECT_FALSE(c.held());
    QueueReservation again = *b.Reserve();
    EXPECT_TRUE(absl::IsResourceExhausted(b.Reserve().status()));
    again.Reset();
    again.Reset();  // Idempotent.
    EXPECT_FALSE(again.held());
    QueueReservation last = *b.Reserve();
    EXPECT_TRUE(absl::IsResourceExhausted(b.Reserve().status()));
  }
  // All dropped: both places are free, and not more than both.
  absl::StatusOr<QueueReservation> first = b.Reserve();
  absl::StatusOr<QueueReservation> second = b.Reserve();
  EXPECT_TRUE(first.ok());
  EXPECT_TRUE(second.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(b.Reserve().status()));
}

}  // namespace
}  // namespace facet
