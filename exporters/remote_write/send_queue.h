#pragma once
// The batches waiting for a remote-write receiver, oldest first, bounded in samples: when a new batch
// would not fit, the oldest go (recent samples are worth more to an alert than old ones).

#include <cstddef>
#include <cstdint>
#include <deque>

#include "exporters/remote_write/write_request_encoder.h"

namespace synthprobe::remote_write {

class SendQueue {
 public:
  explicit SendQueue(std::size_t capacity_samples) : capacity_(capacity_samples) {}

  // Appends `batch`; returns how many samples were dropped to make room (the batch itself when it is
  // larger than the whole capacity).
  std::size_t push(EncodedBatch batch);
  bool empty() const { return batches_.empty(); }
  // Takes the oldest batch out (the sender keeps it until it is delivered or given up).
  EncodedBatch take();
  std::size_t samples() const { return samples_; }
  // Empties the queue; returns the samples it held.
  std::size_t clear();
  // A new bound (a reload); returns the samples dropped, oldest first, to keep within it.
  std::size_t set_capacity(std::size_t capacity_samples);
  // Drops the batches whose oldest sample was taken before `cutoff_ms`; returns their samples.
  std::size_t drop_older_than(std::int64_t cutoff_ms);

 private:
  std::size_t capacity_;
  std::size_t samples_ = 0;
  std::deque<EncodedBatch> batches_;

  void drop_oldest();
};

}  // namespace synthprobe::remote_write
