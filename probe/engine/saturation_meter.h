#pragma once
// Whether the probe is saturated: more than 5% of the runs that came due over the last minute were
// skipped because they could not start in time (contract section 6, synthprobe_probe_saturated). A
// ring of one-second buckets; the caller passes the time (steady clock), so tests drive it directly.

#include <array>
#include <chrono>
#include <cstdint>

namespace synthprobe {

class SaturationMeter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kWindowSeconds = 60;
  static constexpr double kThreshold = 0.05;

  // `started` runs began and `skipped` were skipped at `now`.
  void record(TimePoint now, std::uint64_t started, std::uint64_t skipped);
  // The share of skipped runs among due ones (started + skipped) over the last minute; 0 without any.
  double skipped_share(TimePoint now);
  bool saturated(TimePoint now) { return skipped_share(now) > kThreshold; }

 private:
  struct Bucket {
    std::int64_t second = -1;
    std::uint64_t started = 0;
    std::uint64_t skipped = 0;
  };
  Bucket& bucket(std::int64_t second);
  static std::int64_t second_of(TimePoint t);

  std::array<Bucket, kWindowSeconds> buckets_{};
};

}  // namespace synthprobe
