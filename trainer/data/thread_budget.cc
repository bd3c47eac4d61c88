#include "trainer/data/thread_budget.h"

#include <algorithm>

namespace facet {

ThreadBudget PlanThreadBudget(int cores, int requested_loader_threads) {
  cores = std::max(cores, 1);
  ThreadBudget budget;
  const int wanted = requested_loader_threads >= 0
                         ? requested_loader_threads
                         : (cores >= 2 ? std::max(1, cores / 4) : 0);
  budget.loader_threads = std::min(wanted, cores - 1);
  budget.intra_op_threads = cores - budget.loader_threads;
  return budget;
}

}  // namespace facet
