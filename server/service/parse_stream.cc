#include "server/service/parse_stream.h"

#include <algorithm>
#include <utility>

namespace facet {

ParseStreamWriter::ParseStreamWriter(int max_in_flight)
    : max_in_flight_(std::max(1, max_in_flight)) {
  thread_ = std::thread([this] { Run(); });
}

ParseStreamWriter::~ParseStreamWriter() { Close(); }

void ParseStreamWriter::WaitForRoom() {
  absl::MutexLock lock(&mu_);
  auto room = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return in_flight_ < max_in_flight_;
  };
  mu_.Await(absl::Condition(&room));
  ++in_flight_;
}

void ParseStreamWriter::Post(std::function<void()> reply) {
  absl::MutexLock lock(&mu_);
  replies_.push_back(std::move(reply));
}

void ParseStreamWriter::Close() {
  {
    absl::MutexLock lock(&mu_);
    reading_done_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int ParseStreamWriter::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

void ParseStreamWriter::Run() {
  while (true) {
    std::function<void()> reply;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return !replies_.empty() || (reading_done_ && in_flight_ == 0);
      };
      mu_.Await(absl::Condition(&ready));
      if (replies_.empty()) return;
      reply = std::move(replies_.front());
      replies_.pop_front();
    }
    reply();
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }
}

}  // namespace facet
