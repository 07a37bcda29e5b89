#pragma once
// The probe's own health (contract section 6, "Self"): build, configured and in-flight checks, scheduler
// lag, delayed runs and config reloads. Ordinary prometheus-cpp families registered once on the given
// registry; every setter is thread-safe and allocation-free.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "exporters/metrics/probe_identity.h"

namespace synthprobe {

class SelfMetrics {
 public:
  // Upper bounds of synthprobe_scheduler_lag_seconds, in seconds (+Inf is implicit).
  static constexpr std::array<double, 13> kLagBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1,     2.5,  5,     10};

  // Registers the families on `registry`, which must outlive this object. `version` labels
  // synthprobe_build_info; every series carries `who`'s probe and region. Reload metrics start as "no
  // reload yet": successful 0, timestamp 0.
  // `shard`: "K/N" with [probe] shard (a `shard` label on synthprobe_build_info), else "".
  SelfMetrics(prometheus::Registry& registry, const std::string& version, const ProbeIdentity& who,
              const std::string& shard = "");

  void set_checks_configured(std::size_t count);
  void set_checks_in_flight(std::size_t count);
  // How many runs may be in flight now: max_in_flight, or fewer while the loop is CPU-bound
  // (probe/engine/in_flight_governor.h).
  void set_in_flight_limit(std::size_t limit);
  // How late a run started compared with its schedule, in seconds (negative counts as 0).
  void observe_scheduler_lag(double seconds);
  // Runs that started after their due time (for instance because max_in_flight was reached).
  void add_checks_delayed(std::uint64_t count = 1);
  // Runs dropped because the check's next run came due before this one could start.
  void add_checks_skipped(std::uint64_t count = 1);
  void set_saturated(bool saturated);
  // The store's running count of failed writes (a counter kept by its writer thread).
  void set_state_write_errors(std::uint64_t total);
  // The outcome of a config load or reload; the success timestamp moves only on success.
  void config_reloaded(bool successful, double now_unix_seconds);

 private:
  prometheus::Gauge& build_info_;
  prometheus::Gauge& checks_configured_;
  prometheus::Gauge& checks_in_flight_;
  prometheus::Gauge& in_flight_limit_;
  prometheus::Histogram& scheduler_lag_;
  prometheus::Counter& checks_delayed_;
  prometheus::Counter& checks_skipped_;
  prometheus::Gauge& saturated_;
  prometheus::Counter& state_write_errors_;
  prometheus::Gauge& reload_successful_;
  prometheus::Gauge& reload_success_timestamp_;
};

}  // namespace synthprobe
