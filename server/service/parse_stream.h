// ParseStreamWriter: the reply side of one ParseStream call. The reading
// loop reserves a slot per item (WaitForRoom, which blocks while
// `max_in_flight` items are unanswered), the item's completion posts its
// reply (Post, from any thread, typically a batcher thread), and the
// writer's own thread runs the replies one at a time in the order posted,
// so postprocessing and writing overlap with reading and never run on the
// batcher's threads. A slot frees when its reply has run.
//
// No gRPC here: a reply is a closure that builds and writes the response.
//
// Thread safety: WaitForRoom and Close are called by the reading thread;
// Post from any thread. The destructor Close()s.
#ifndef FACET_SERVER_SERVICE_PARSE_STREAM_H_
#define FACET_SERVER_SERVICE_PARSE_STREAM_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace facet {

class ParseStreamWriter {
 public:
  // Starts the writer thread. max_in_flight < 1 counts as 1.
  explicit ParseStreamWriter(int max_in_flight);
  ~ParseStreamWriter();
  ParseStreamWriter(const ParseStreamWriter&) = delete;
  ParseStreamWriter& operator=(const ParseStreamWriter&) = delete;

  // Blocks until fewer than max_in_flight items are unanswered, then counts
  // one more. Each call must be matched by exactly one Post.
  void WaitForRoom();

  // Queues the reply of one item; it runs on the writer thread, after the
  // replies posted before it, and then frees the item's slot.
  void Post(std::function<void()> reply);

  // Waits until every reserved item's reply has run and stops the thread.
  // No WaitForRoom after it. Idempotent.
  void Close();

  // Items reserved and not yet answered.
  int in_flight() const;

 private:
  void Run();

  const int max_in_flight_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> replies_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace facet

#endif  // FACET_SERVER_SERVICE_PARSE_STREAM_H_
