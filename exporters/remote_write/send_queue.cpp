#include "exporters/remote_write/send_queue.h"

#include <utility>

namespace synthprobe::remote_write {

std::size_t SendQueue::push(EncodedBatch batch) {
  if (batch.samples > capacity_) return batch.samples;
  std::size_t dropped = 0;
  while (!batches_.empty() && samples_ + batch.samples > capacity_) {
    dropped += batches_.front().samples;
    drop_oldest();
  }
  samples_ += batch.samples;
  batches_.push_back(std::move(batch));
  return dropped;
}

EncodedBatch SendQueue::take() {
  EncodedBatch oldest = std::move(batches_.front());
  drop_oldest();
  return oldest;
}

void SendQueue::drop_oldest() {
  samples_ -= batches_.front().samples;
  batches_.pop_front();
}

std::size_t SendQueue::set_capacity(std::size_t capacity_samples) {
  capacity_ = capacity_samples;
  std::size_t dropped = 0;
  while (!batches_.empty() && samples_ > capacity_) {
    dropped += batches_.front().samples;
    drop_oldest();
  }
  return dropped;
}

std::size_t SendQueue::drop_older_than(std::int64_t cutoff_ms) {
  std::size_t dropped = 0;
  while (!batches_.empty() && batches_.front().oldest_ms < cutoff_ms) {
    dropped += batches_.front().samples;
    drop_oldest();
  }
  return dropped;
}

std::size_t SendQueue::clear() {
  const std::size_t held = samples_;
  batches_.clear();
  samples_ = 0;
  return held;
}

}  // namespace synthprobe::remote_write
