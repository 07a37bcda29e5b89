#include "probe/uptime_history.h"

namespace synthprobe {

void UptimeHistory::record(std::int64_t unix_seconds, bool passed) {
  const std::int64_t index = unix_seconds / kBucketSeconds;
  Bucket& b = buckets_[static_cast<std::size_t>(index % static_cast<std::int64_t>(kBuckets))];
  if (b.index != index) b = Bucket{index, 0, 0};  // a slot last used a day ago starts over
  b.total += 1;
  b.passed += passed ? 1 : 0;
}

std::optional<double> UptimeHistory::uptime(std::int64_t now_unix_seconds, std::int64_t window_seconds) const {
  const std::int64_t newest = now_unix_seconds / kBucketSeconds;
  const std::int64_t count = (window_seconds + kBucketSeconds - 1) / kBucketSeconds;
  std::uint64_t passed = 0, total = 0;
  for (const Bucket& b : buckets_) {
    if (b.index > newest - count && b.index <= newest) {
      passed += b.passed;
      total += b.total;
    }
  }
  if (total == 0) return std::nullopt;
  return static_cast<double>(passed) / static_cast<double>(total);
}

}  // namespace synthprobe
