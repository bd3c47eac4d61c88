#include "server/batching/task_queue.h"

#include <thread>

#include "gtest/gtest.h"
#include "tests/util/fake_clock.h"

namespace facet {
namespace {

std::unique_ptr<ParseTask> Task(absl::Time deadline, bool cancelled = false) {
  auto task = std::make_unique<ParseTask>();
  task->deadline = deadline;
  task->is_cancelled = [cancelled] { return cancelled; };
  return task;
}

TEST(TaskQueueTest, RejectsWhenFull) {
  TaskQueue queue(2);
  for (int i = 0; i < 2; ++i) {
    auto task = Task(absl::InfiniteFuture());
    ASSERT_TRUE(queue.Push(task).ok());
    EXPECT_EQ(task, nullptr);
  }
  auto extra = Task(absl::InfiniteFuture());
  absl::Status status = queue.Push(extra);
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_NE(status.message().find("max_queue_size=2"), std::string::npos);
  EXPECT_NE(extra, nullptr);  // Still the caller's.
  EXPECT_EQ(queue.size(), 2u);
}

TEST(TaskQueueTest, RejectsAfterClose) {
  TaskQueue queue(2);
  queue.Close();
  auto task = Task(absl::InfiniteFuture());
  EXPECT_TRUE(absl::IsUnavailable(queue.Push(task)));
  EXPECT_TRUE(queue.closed());
}

TEST(TaskQueueTest, SetsAsideExpiredAndCancelledTasks) {
  const absl::Time now = absl::FromUnixSeconds(100);
  TaskQueue queue(10);
  std::vector<std::unique_ptr<ParseTask>> tasks;
  tasks.push_back(Task(now - absl::Seconds(1)));        // expired
  tasks.push_back(Task(absl::InfiniteFuture()));        // live
  tasks.push_back(Task(absl::InfiniteFuture(), true));  // cancelled
  tasks.push_back(Task(now));                           // expires now
  tasks.push_back(Task(now + absl::Seconds(1)));        // live
  tasks.push_back(Task(now + absl::Seconds(1)));        // live, left over
  for (auto& t : tasks) ASSERT_TRUE(queue.Push(t).ok());
  std::vector<std::unique_ptr<ParseTask>> batch, expired, cancelled;
  queue.TakeBatch(2, now, &batch, &expired, &cancelled);
  EXPECT_EQ(batch.size(), 2u);
  EXPECT_EQ(expired.size(), 2u);
  EXPECT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(queue.size(), 1u);
}

TEST(TaskQueueTest, WaitForWorkWakesOnPushAndTimesOutOnItsClock) {
  testing::FakeClock clock;
  TaskQueue queue(4, &clock);
  absl::Time oldest;
  // Times out only when the (fake) time reaches the deadline.
  std::thread advancer([&] { clock.Advance(absl::Milliseconds(30)); });
  EXPECT_EQ(queue.WaitForWork(0, clock.Now() + absl::Milliseconds(30), &oldest),
            0u);
  advancer.join();
  std::thread pusher([&] {
    auto task = Task(absl::InfiniteFuture());
    task->enqueued = absl::FromUnixSeconds(7);
    ASSERT_TRUE(queue.Push(task).ok());
  });
  EXPECT_EQ(queue.WaitForWork(0, absl::InfiniteFuture(), &oldest), 1u);
  EXPECT_EQ(oldest, absl::FromUnixSeconds(7));
  pusher.join();
}

}  // namespace
}  // namespace facet
