#include "probe/engine/saturation_meter.h"

namespace synthprobe {

std::int64_t SaturationMeter::second_of(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

SaturationMeter::Bucket& SaturationMeter::bucket(std::int64_t second) {
  Bucket& b = buckets_[static_cast<std::size_t>(second % static_cast<std::int64_t>(kWindowSeconds))];
  if (b.second != second) b = Bucket{second, 0, 0};
  return b;
}

void SaturationMeter::record(TimePoint now, std::uint64_t started, std::uint64_t skipped) {
  if (started == 0 && skipped == 0) return;
  Bucket& b = bucket(second_of(now));
  b.started += started;
  b.skipped += skipped;
}

double SaturationMeter::skipped_share(TimePoint now) {
  const std::int64_t current = second_of(now);
  std::uint64_t started = 0, skipped = 0;
  for (const Bucket& b : buckets_) {
    if (b.second < 0 || b.second <= current - static_cast<std::int64_t>(kWindowSeconds) || b.second > current) continue;
    started += b.started;
    skipped += b.skipped;
  }
  const std::uint64_t due = started + skipped;
  return due == 0 ? 0.0 : static_cast<double>(skipped) / static_cast<double>(due);
}

}  // namespace synthprobe
