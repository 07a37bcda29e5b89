#pragma once
// A check's passed/total run counts over the last 24 hours in 5-minute buckets: enough for the status
// page's 1h and 24h uptime in about 1 KiB per check (it counts against the per-check memory budget).

#include <array>
#include <cstdint>
#include <optional>

namespace synthprobe {

class UptimeHistory {
 public:
  static constexpr std::int64_t kBucketSeconds = 300;
  static constexpr std::size_t kBuckets = 24 * 3600 / kBucketSeconds;

  void record(std::int64_t unix_seconds, bool passed);
  // A hint, no effect: starts loading what record(unix_seconds) will touch (common/prefetch.h). Reads
  // nothing, so it may run while another thread reads the history under the owner's lock.
  void prefetch(std::int64_t unix_seconds) const {
    __builtin_prefetch(&newest_);
    if (unix_seconds >= 0)
      __builtin_prefetch(&buckets_[static_cast<std::size_t>((unix_seconds / kBucketSeconds) % static_cast<std::int64_t>(kBuckets))]);
  }
  // Share of passed runs in the `window_seconds` before `now` (to bucket precision); nullopt without runs.
  std::optional<double> uptime(std::int64_t now_unix_seconds, std::int64_t window_seconds) const;

 private:
  struct Bucket {
    std::uint16_t passed = 0;  // saturating: 65,535 runs in 5 minutes is one run every 5 ms
    std::uint16_t total = 0;
  };
  Bucket& at(std::int64_t index) { return buckets_[static_cast<std::size_t>(index % static_cast<std::int64_t>(kBuckets))]; }

  // The ring holds the buckets (newest_ - kBuckets, newest_]; older slots were cleared on the way.
  std::int64_t newest_ = -1;
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace synthprobe
