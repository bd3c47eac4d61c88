// QueueReservation: a place in the Batcher's queue held for one request
// while it is prepared (decoded), from Batcher::Reserve until the request's
// task is handed over with Batcher::Enqueue; the queued task then holds the
// same place until it leaves the queue, so a place is never counted twice.
// A reservation that is dropped instead (the request failed, or any early
// return) gives its place back on destruction, so no path can leak one.
//
// Move-only; a moved-from or default-constructed reservation holds nothing.
// Must not outlive the Batcher that made it.
//
// Thread safety: one reservation is used by one thread at a time; different
// reservations of one Batcher may be used and destroyed concurrently.
#ifndef FACET_SERVER_BATCHING_QUEUE_RESERVATION_H_
#define FACET_SERVER_BATCHING_QUEUE_RESERVATION_H_

#include <atomic>

namespace facet {

class QueueReservation {
 public:
  QueueReservation() = default;
  QueueReservation(QueueReservation&& other) noexcept : places_(other.places_) {
    other.places_ = nullptr;
  }
  QueueReservation& operator=(QueueReservation&& other) noexcept {
    if (this != &other) {
      Reset();
      places_ = other.places_;
      other.places_ = nullptr;
    }
    return *this;
  }
  QueueReservation(const QueueReservation&) = delete;
  QueueReservation& operator=(const QueueReservation&) = delete;
  ~QueueReservation() { Reset(); }

  // True while the place is held.
  bool held() const { return places_ != nullptr; }

  // Gives the place back now (if held); the reservation then holds nothing.
  void Reset() {
    if (places_ != nullptr) places_->fetch_sub(1);
    places_ = nullptr;
  }

 private:
  friend class Batcher;
  // Takes over one place already counted in `*places`.
  explicit QueueReservation(std::atomic<int>* places) : places_(places) {}
  // The place passes to a queued task: held on, not given back.
  void TransferToQueue() { places_ = nullptr; }

  std::atomic<int>* places_ = nullptr;  // The batcher's count; null: none.
};

}  // namespace facet

#endif  // FACET_SERVER_BATCHING_QUEUE_RESERVATION_H_
