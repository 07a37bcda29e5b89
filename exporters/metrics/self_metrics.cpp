#include "exporters/metrics/self_metrics.h"

#include <algorithm>

namespace synthprobe {

namespace {

prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name, const std::string& help,
                         const prometheus::Labels& labels = {}) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
}

}  // namespace

SelfMetrics::SelfMetrics(prometheus::Registry& registry, const std::string& version)
    : build_info_(gauge(registry, "synthprobe_build_info", "A metric with a constant '1' value labeled by the "
                                                           "version of synthprobe",
                        {{"version", version}})),
      checks_configured_(gauge(registry, "synthprobe_checks_configured", "Checks and flows in the loaded config")),
      checks_in_flight_(gauge(registry, "synthprobe_checks_in_flight", "Runs of checks and flows in progress")),
      scheduler_lag_(prometheus::BuildHistogram()
                         .Name("synthprobe_scheduler_lag_seconds")
                         .Help("How late runs start compared with their schedule, in seconds")
                         .Register(registry)
                         .Add({}, prometheus::Histogram::BucketBoundaries(kLagBuckets.begin(), kLagBuckets.end()))),
      // prometheus-cpp 1.0 writes counter names as given: the `_total` is ours.
      checks_delayed_(prometheus::BuildCounter()
                          .Name("synthprobe_checks_delayed_total")
                          .Help("Runs that could not start on schedule")
                          .Register(registry)
                          .Add({})),
      reload_successful_(gauge(registry, "synthprobe_config_last_reload_successful",
                               "Whether the last config load or reload succeeded")),
      reload_success_timestamp_(gauge(registry, "synthprobe_config_last_reload_success_timestamp_seconds",
                                      "When the config was last loaded successfully, in seconds since the Unix epoch")) {
  build_info_.Set(1);
}

void SelfMetrics::set_checks_configured(std::size_t count) { checks_configured_.Set(static_cast<double>(count)); }

void SelfMetrics::set_checks_in_flight(std::size_t count) { checks_in_flight_.Set(static_cast<double>(count)); }

void SelfMetrics::observe_scheduler_lag(double seconds) { scheduler_lag_.Observe(std::max(0.0, seconds)); }

void SelfMetrics::add_checks_delayed(std::uint64_t count) { checks_delayed_.Increment(static_cast<double>(count)); }

void SelfMetrics::config_reloaded(bool successful, double now_unix_seconds) {
  reload_successful_.Set(successful ? 1 : 0);
  if (successful) reload_success_timestamp_.Set(now_unix_seconds);
}

}  // namespace synthprobe
