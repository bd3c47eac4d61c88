#include "trainer/data/thread_budget.h"

#include <algorithm>

namespace facet {

int NetworkThreads(int requested_threads, int cores) {
  return requested_threads > 0 ? requested_threads : std::max(cores, 1);
}

ThreadBudget PlanThreadBudget(int cores, int requested_loader_threads,
                              int requested_threads) {
  cores = std::max(cores, 1);
  ThreadBudget budget;
  budget.loader_threads = requested_loader_threads >= 0
                              ? requested_loader_threads
                              : (cores >= 2 ? std::max(1, cores / 4) : 0);
  budget.intra_op_threads = NetworkThreads(requested_threads, cores);
  return budget;
}

}  // namespace facet
