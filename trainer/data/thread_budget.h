// PlanThreadBudget: how many threads load data and how many run the
// network when training.
//
// The network gets every core: its intra-op threads are the whole budget.
// The loader threads share those cores rather than taking some away. Data
// loading (decode, degrade, resize) is cheap next to a training step of the
// FPN: with the published network at batch 2 on 2 cores, the network waited
// for data 0.0-0.1 % of the time (the data_wait fraction `train` logs), so
// a loader thread sleeps most of the time with its prefetched batches ready
// and a core reserved for it would idle. Reserving one (1 loader + 1 network
// thread on 2 cores, the former default) made a step 2.8x slower than
// giving the network both (issue 10). Where loading is the bottleneck
// (data_wait well above a few percent), raise --loader_threads; where it
// oversubscribes a small machine, --loader_threads 0 loads on the training
// thread between steps.
#ifndef FACET_TRAINER_DATA_THREAD_BUDGET_H_
#define FACET_TRAINER_DATA_THREAD_BUDGET_H_

namespace facet {

struct ThreadBudget {
  int loader_threads = 0;    // DataLoader::Options::num_workers; 0 = load
                             // on the training thread between steps.
  int intra_op_threads = 1;  // Threads of the network's forward/backward.
};

// `cores` is the number of usable cores (UsableCores(); values < 1 count
// as 1). `requested_loader_threads` < 0 asks for the default: a quarter of
// the cores, at least one, and none on a single core. `requested_threads`
// > 0 fixes the network's threads; otherwise they are all the cores.
// Always returns intra_op_threads >= 1 and loader_threads >= 0; the two may
// add up to more than `cores` (see the file comment).
ThreadBudget PlanThreadBudget(int cores, int requested_loader_threads = -1,
                              int requested_threads = 0);

// The network's threads for a --threads flag value: the value when > 0,
// else every usable core (`cores`, at least 1).
int NetworkThreads(int requested_threads, int cores);

}  // namespace facet

#endif  // FACET_TRAINER_DATA_THREAD_BUDGET_H_
