#include "probe/demo/demo_time_scale.h"

#include <algorithm>
#include <cmath>

namespace synthprobe::demo {

using std::chrono::milliseconds;

milliseconds scale_duration(milliseconds d, double factor) {
  if (d <= milliseconds{0}) return d;
  const auto scaled = static_cast<milliseconds::rep>(std::llround(static_cast<double>(d.count()) * factor));
  return milliseconds{std::max<milliseconds::rep>(scaled, 1)};
}

DemoScript scale_script(const DemoScript& script, double factor) {
  std::vector<DemoPhase> phases = script.phases();
  for (DemoPhase& p : phases) {
    p.start = scale_duration(p.start, factor);
    p.duration = scale_duration(p.duration, factor);
    p.delay = scale_duration(p.delay, factor);
  }
  return DemoScript(std::move(phases), scale_duration(script.period(), factor));
}

namespace {

void scale_optional(std::optional<milliseconds>& d, double factor) {
  if (d) d = scale_duration(*d, factor);
}

void scale_request(config::RequestSettings& r, double factor) {
  r.interval = scale_duration(r.interval, factor);
  scale_optional(r.interval_when_failing, factor);
  r.timeout = scale_duration(r.timeout, factor);
  scale_optional(r.expect.max_latency, factor);
  scale_optional(r.expect.degraded_latency, factor);
}

}  // namespace

void scale_timings(config::Config& config, double factor) {
  for (config::Check& check : config.checks) {
    scale_request(check.settings, factor);
    for (config::Step& step : check.steps) scale_request(step.request, factor);
  }
  for (config::Site& site : config.sites) {
    site.recovery_watch = scale_duration(site.recovery_watch, factor);
    site.comms_deadline = scale_duration(site.comms_deadline, factor);
  }
}

}  // namespace synthprobe::demo
