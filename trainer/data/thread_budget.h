// PlanThreadBudget: splits the machine's cores between data-loading threads
// and the network's intra-op threads, so that together they never exceed
// the cores (oversubscription slows both sides down).
#ifndef FACET_TRAINER_DATA_THREAD_BUDGET_H_
#define FACET_TRAINER_DATA_THREAD_BUDGET_H_

namespace facet {

struct ThreadBudget {
  int loader_threads = 0;    // DataLoader::Options::num_workers; 0 = load
                             // on the training thread between steps.
  int intra_op_threads = 1;  // For at::set_num_threads.
};

// `cores` is the number of cores to use (values < 1 count as 1).
// `requested_loader_threads` < 0 asks for the default: a quarter of the
// cores, at least one, and none on a single core. A request is capped so
// that one core is always left to the network. Always returns
// loader_threads + intra_op_threads <= max(cores, 1), intra_op_threads >= 1.
ThreadBudget PlanThreadBudget(int cores, int requested_loader_threads = -1);

}  // namespace facet

#endif  // FACET_TRAINER_DATA_THREAD_BUDGET_H_
