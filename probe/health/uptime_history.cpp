#include "probe/health/uptime_history.h"

#include <algorithm>

namespace synthprobe {

void UptimeHistory::record(std::int64_t unix_seconds, bool passed) {
  const std::int64_t index = unix_seconds / kBucketSeconds;
  if (newest_ >= 0 && index <= newest_ - static_cast<std::int64_t>(kBuckets)) return;  // older than a day
  if (index > newest_) {
    // Clear the slots between the old newest and this one: they belong to buckets a day old.
    const std::int64_t first = std::max(newest_ + 1, index - static_cast<std::int64_t>(kBuckets) + 1);
    for (std::int64_t i = first; i <= index; ++i) at(i) = Bucket{};
    newest_ = index;
  }
  Bucket& b = at(index);
  if (b.total < UINT16_MAX) {
    ++b.total;
    if (passed) ++b.passed;
  }
}

std::optional<double> UptimeHistory::uptime(std::int64_t now_unix_seconds, std::int64_t window_seconds) const {
  if (newest_ < 0) return std::nullopt;
  const std::int64_t now_index = now_unix_seconds / kBucketSeconds;
  const std::int64_t count = (window_seconds + kBucketSeconds - 1) / kBucketSeconds;
  // Buckets both inside the window and still held by the ring.
  const std::int64_t from = std::max(now_index - count + 1, newest_ - static_cast<std::int64_t>(kBuckets) + 1);
  const std::int64_t to = std::min(now_index, newest_);
  std::uint64_t passed = 0, total = 0;
  for (std::int64_t i = from; i <= to; ++i) {
    const Bucket& b = buckets_[static_cast<std::size_t>(i % static_cast<std::int64_t>(kBuckets))];
    passed += b.passed;
    total += b.total;
  }
  if (total == 0) return std::nullopt;
  return static_cast<double>(passed) / static_cast<double>(total);
}

}  // namespace synthprobe
