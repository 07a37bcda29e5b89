#include "exporters/metrics/self_metrics.h"

#include <algorithm>

namespace synthprobe {

namespace {

prometheus::Gauge& gauge(prometheus::Registry& registry, const ProbeIdentity& who, const std::string& name,
                         const std::string& help, const prometheus::Labels& labels = {}) {
  return prometheus::BuildGauge().Name(name).Help(help).Labels(who.labels()).Register(registry).Add(labels);
}

// prometheus-cpp 1.0 writes counter names as given: the `_total` is ours.
prometheus::Counter& counter(prometheus::Registry& registry, const ProbeIdentity& who, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Labels(who.labels()).Register(registry).Add({});
}

}  // namespace

namespace {
prometheus::Labels build_labels(const std::string& version, const std::string& shard) {
  prometheus::Labels labels{{"version", version}};
  if (!shard.empty()) labels.emplace("shard", shard);
  return labels;
}
}  // namespace

SelfMetrics::SelfMetrics(prometheus::Registry& registry, const std::string& version, const ProbeIdentity& who,
                         const std::string& shard)
    : build_info_(gauge(registry, who, "synthprobe_build_info", "A metric with a constant '1' value labeled by the "
                                                           "version of synthprobe",
                        build_labels(version, shard))),
      checks_configured_(gauge(registry, who, "synthprobe_checks_configured", "Checks and flows in the loaded config")),
      checks_in_flight_(gauge(registry, who, "synthprobe_checks_in_flight", "Runs of checks and flows in progress")),
      in_flight_limit_(gauge(registry, who, "synthprobe_checks_in_flight_limit",
                             "How many runs may be in flight now: max_in_flight, or fewer while the check loop is "
                             "CPU-bound and runs wait for a slot")),
      scheduler_lag_(prometheus::BuildHistogram()
                         .Name("synthprobe_scheduler_lag_seconds")
                         .Help("How late runs start compared with their schedule, in seconds")
                         .Labels(who.labels())
                         .Register(registry)
                         .Add({}, prometheus::Histogram::BucketBoundaries(kLagBuckets.begin(), kLagBuckets.end()))),
      checks_delayed_(counter(registry, who, "synthprobe_checks_delayed_total",
                              "Runs that started after their due time (waited for a free slot or for their own "
                              "previous run)")),
      checks_skipped_(counter(registry, who, "synthprobe_checks_skipped_total",
                              "Runs that could not start before the next one of the same check was due, so were "
                              "skipped rather than stacked")),
      saturated_(gauge(registry, who, "synthprobe_probe_saturated",
                       "1 while more than 5% of due runs were skipped over the last minute: the probe has more "
                       "checks than it can run")),
      state_write_errors_(counter(registry, who, "synthprobe_state_write_errors_total",
                                  "Failed writes of the state store (state_dir); the data waits in memory and is "
                                  "written again")),
      reload_successful_(gauge(registry, who, "synthprobe_config_last_reload_successful",
                               "Whether the last config load or reload succeeded")),
      reload_success_timestamp_(gauge(registry, who, "synthprobe_config_last_reload_success_timestamp_seconds",
                                      "When the config was last loaded successfully, in seconds since the Unix epoch")) {
  build_info_.Set(1);
}

void SelfMetrics::set_checks_configured(std::size_t count) { checks_configured_.Set(static_cast<double>(count)); }

void SelfMetrics::set_checks_in_flight(std::size_t count) { checks_in_flight_.Set(static_cast<double>(count)); }

void SelfMetrics::set_in_flight_limit(std::size_t limit) { in_flight_limit_.Set(static_cast<double>(limit)); }

void SelfMetrics::observe_scheduler_lag(double seconds) { scheduler_lag_.Observe(std::max(0.0, seconds)); }

void SelfMetrics::add_checks_delayed(std::uint64_t count) { checks_delayed_.Increment(static_cast<double>(count)); }

void SelfMetrics::add_checks_skipped(std::uint64_t count) { checks_skipped_.Increment(static_cast<double>(count)); }

void SelfMetrics::set_saturated(bool saturated) { saturated_.Set(saturated ? 1 : 0); }

void SelfMetrics::set_state_write_errors(std::uint64_t total) {
  const double now = static_cast<double>(total);
  if (now > state_write_errors_.Value()) state_write_errors_.Increment(now - state_write_errors_.Value());
}

void SelfMetrics::config_reloaded(bool successful, double now_unix_seconds) {
  reload_successful_.Set(successful ? 1 : 0);
  if (successful) reload_success_timestamp_.Set(now_unix_seconds);
}

}  // namespace synthprobe
