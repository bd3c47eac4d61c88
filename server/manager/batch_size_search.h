// BatchSizeSearch: picks the largest batch the batcher should form for one
// loaded model version (its "effective max batch size") from per-image
// throughputs measured at warm-up. Pure: the caller runs the forwards and
// reports images per second, so the rule is tested with plain numbers.
//
// Sizes are tried in the order 1, 2, 4, 8, ... and finally max_batch_size
// itself when it is not a power of two. A size whose throughput does not
// beat the best so far by at least `min_gain` (5 %: 1.05x) ends the search,
// since each size costs forward time at load and a larger batch that did
// not pay rarely pays at the next size. A size that seems to pay is
// confirmed first: the best size is timed once more and the faster of its
// runs counts, because on a shared machine a run slowed by other processes
// would make the next size look better than it is (a run cannot be faster
// than the machine, so the fastest run is the estimate). The answer is the
// best size so far, so every smaller size was more than `min_gain` slower
// per image, and a larger one, if measured, was within `min_gain` or worse.
// On a CPU, where batching does not pay, this is 1 after measuring 1 and 2;
// on a GPU it grows toward max_batch_size. The caller may also Stop() the
// search (the loader does when the next forward would overrun its time
// budget); a gain not yet confirmed is then dropped.
//
// Thread safety: none; one search per load.
#ifndef FACET_SERVER_MANAGER_BATCH_SIZE_SEARCH_H_
#define FACET_SERVER_MANAGER_BATCH_SIZE_SEARCH_H_

#include <string>
#include <utility>
#include <vector>

namespace facet {

class BatchSizeSearch {
 public:
  // Default gain a larger batch must show: 5 %.
  static constexpr double kDefaultMinGain = 0.05;

  // REQUIRES: max_batch_size >= 1, min_gain >= -1. A min_gain of -1 accepts
  // every size (the search always ends at max_batch_size); a huge one
  // accepts none (the answer is 1).
  explicit BatchSizeSearch(int max_batch_size,
                           double min_gain = kDefaultMinGain);

  // The batch size to measure next (a new size, or the best one again to
  // confirm a gain), or 0 when the search is over.
  int next() const { return next_; }
  bool done() const { return next_ == 0; }

  // Records the throughput (images per second, over the whole batch)
  // measured at next(). A non-finite or non-positive value counts as a
  // loss. REQUIRES: !done().
  void Record(double images_per_second);

  // Ends the search now; best() stays, an unconfirmed gain is dropped.
  void Stop();

  // Why the search ended: "" while running, then "no_gain" (a size did not
  // pay), "max" (max_batch_size was reached and kept) or "stopped".
  const std::string& end_reason() const { return end_reason_; }

  // The answer so far: the best size measured, or 1 before any.
  int best() const { return best_size_; }
  // Its throughput (0 before any).
  double best_throughput() const { return best_throughput_; }
  // (size, images/s) in the order measured, repeats included.
  const std::vector<std::pair<int, double>>& measured() const {
    return measured_;
  }

 private:
  const int max_batch_size_;
  const double min_gain_;
  // True iff a size can be recorded as the best one.
  bool Pays(double images_per_second) const;
  void Accept(int size, double images_per_second);

  int next_ = 1;
  int best_size_ = 1;
  double best_throughput_ = 0;
  // A size that seemed to pay, waiting for the best size's second timing;
  // 0 when none.
  int candidate_ = 0;
  double candidate_throughput_ = 0;
  std::vector<std::pair<int, double>> measured_;
  std::string end_reason_;
};

// "1:12.5 2:11" (batch size:images per second), for logs; "" when empty.
std::string FormatThroughput(
    const std::vector<std::pair<int, double>>& measured);

}  // namespace facet

#endif  // FACET_SERVER_MANAGER_BATCH_SIZE_SEARCH_H_
