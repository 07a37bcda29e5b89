#pragma once
// A check's passed/total run counts over the last 24 hours in 5-minute buckets: enough for the status
// page's 1h and 24h uptime at about 1 KiB per check.

#include <array>
#include <cstdint>
#include <optional>

namespace synthprobe {

class UptimeHistory {
 public:
  static constexpr std::int64_t kBucketSeconds = 300;
  static constexpr std::size_t kBuckets = 24 * 3600 / kBucketSeconds;

  void record(std::int64_t unix_seconds, bool passed);
  // Share of passed runs in the `window_seconds` before `now` (to bucket precision); nullopt without runs.
  std::optional<double> uptime(std::int64_t now_unix_seconds, std::int64_t window_seconds) const;

 private:
  struct Bucket {
    std::int64_t index = -1;  // unix_seconds / kBucketSeconds of the counts held, -1 empty
    std::uint32_t passed = 0;
    std::uint32_t total = 0;
  };
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace synthprobe
