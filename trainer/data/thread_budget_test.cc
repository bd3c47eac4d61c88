#include "trainer/data/thread_budget.h"

#include "gtest/gtest.h"

namespace facet {
namespace {

// The network gets every core by default; loader threads share them.
TEST(ThreadBudgetTest, NetworkGetsEveryCoreByDefault) {
  struct Case {
    int cores, requested_loader, requested_threads, loader, intra;
  } cases[] = {
      {1, -1, 0, 0, 1},  {2, -1, 0, 1, 2},   {8, -1, 0, 2, 8},
      {16, -1, 0, 4, 16}, {2, 4, 0, 4, 2},   {4, 0, 0, 0, 4},
      {4, 2, 0, 2, 4},   {0, -1, 0, 0, 1},   {1, 3, 0, 3, 1},
      {2, -1, 1, 1, 1},  {2, -1, 6, 1, 6},   {2, 0, -3, 0, 2},
  };
  for (const Case& c : cases) {
    const ThreadBudget b =
        PlanThreadBudget(c.cores, c.requested_loader, c.requested_threads);
    EXPECT_EQ(b.loader_threads, c.loader)
        << c.cores << " cores, " << c.requested_loader << " loaders asked, "
        << c.requested_threads << " threads asked";
    EXPECT_EQ(b.intra_op_threads, c.intra)
        << c.cores << " cores, " << c.requested_loader << " loaders asked, "
        << c.requested_threads << " threads asked";
  }
}

TEST(ThreadBudgetTest, NetworkThreadsZeroMeansEveryCore) {
  EXPECT_EQ(NetworkThreads(0, 2), 2);
  EXPECT_EQ(NetworkThreads(-1, 16), 16);
  EXPECT_EQ(NetworkThreads(3, 2), 3);
  EXPECT_EQ(NetworkThreads(0, 0), 1);
}

}  // namespace
}  // namespace facet
