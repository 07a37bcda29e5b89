#pragma once
// Writes from a thread that must never wait (the check loop) into state that another thread reads under a
// lock (the HTTP thread copying status rows). A write finds the lock free and lands at once, or finds it
// held and is parked; parked writes land, in the order they were made, with the next write or flush that
// finds the lock free. Only past `max_parked` does a write wait for the lock, so a reader stuck holding
// it cannot make the writer's memory grow without bound.

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace synthprobe {

template <typename Update>
class ParkedWrites {
 public:
  ParkedWrites(std::mutex& mutex, std::size_t max_parked) : mutex_(mutex), max_parked_(max_parked) {}

  // `write(Update&&)` runs under the lock, for the parked writes first, then for `u`. True when `u` was
  // parked instead (it is then parked().back()).
  template <typename Write>
  bool write(Update&& u, Write&& write_one) {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock && parked_.size() < max_parked_) {
      parked_.push_back(std::move(u));
      return true;
    }
    if (!lock) lock.lock();
    land_parked(write_one);
    write_one(std::move(u));
    return false;
  }

  // Lands the parked writes if the lock is free; for when no write has come after them for a while.
  template <typename Write>
  void flush_if_free(Write&& write_one) {
    if (parked_.empty()) return;
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (lock) land_parked(write_one);
  }

  // Lands the parked writes; the caller holds the lock.
  template <typename Write>
  void land_parked(Write&& write_one) {
    for (auto& u : parked_) write_one(std::move(u));
    parked_.clear();
  }

  // The writes not landed yet, oldest first (the writer's thread only).
  const std::vector<Update>& parked() const { return parked_; }

 private:
  std::mutex& mutex_;
  std::size_t max_parked_;
  std::vector<Update> parked_;
};

}  // namespace synthprobe
