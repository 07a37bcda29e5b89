// The demo's story as timing, pure: DemoScript::standard() read against the incident settings of the
// shipped config/examples/demo.toml (so the two cannot drift apart), with the worst case of when the probe
// sees each change; and the fast motion (demo_time_scale.h) the end-to-end test plays the demo in.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "probe/demo/demo_script.h"
#include "probe/demo/demo_time_scale.h"

using namespace synthprobe;
using namespace synthprobe::demo;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

std::string source_dir() {
  if (const char* dir = std::getenv("SYNTHPROBE_SOURCE_DIR")) return dir;
  std::string file = __FILE__;  // .../tests/demo_timeline_test.cpp
  file.erase(file.rfind('/'));
  return file.substr(0, file.rfind('/'));
}

config::Config shipped_demo_config() {
  config::LoadResult loaded = config::load_config_file(source_dir() + "/config/examples/demo.toml");
  REQUIRE(loaded.config);
  REQUIRE(loaded.errors.empty());
  return std::move(*loaded.config);
}

std::vector<DemoPhase> phases_of(const DemoScript& script, DemoPhaseKind kind) {
  std::vector<DemoPhase> out;
  for (const DemoPhase& p : script.phases())
    if (p.kind == kind) out.push_back(p);
  std::sort(out.begin(), out.end(), [](const DemoPhase& a, const DemoPhase& b) { return a.start < b.start; });
  return out;
}

milliseconds end_of(const DemoPhase& p) { return p.start + p.duration; }

// The site's checks and flows, with the longest gap between two runs of one of them while it fails or is
// watched (interval_when_failing, else interval) and the shortest while it is healthy.
struct Cadence {
  milliseconds longest{0};
  milliseconds shortest{milliseconds::max()};
};

Cadence cadence_of(const config::Config& c, const std::string& site) {
  Cadence out;
  for (const config::Check& check : c.checks) {
    if (check.site != site) continue;
    const milliseconds failing = check.settings.interval_when_failing.value_or(check.settings.interval);
    out.longest = std::max({out.longest, failing, check.settings.interval});
    out.shortest = std::min({out.shortest, failing, check.settings.interval});
  }
  return out;
}

}  // namespace

TEST_CASE("demo story: with demo.toml's settings the standard script opens P2, escalates, resolves, relapses inside the recovery watch, then a P3 of its own") {
  const config::Config c = shipped_demo_config();
  const config::Site* site = c.find_site("demo-shop");
  REQUIRE(site != nullptr);
  const Cadence cadence = cadence_of(c, site->name);
  REQUIRE(cadence.longest > 0ms);
  const milliseconds I = cadence.longest;
  const int open_after = site->open_after;
  const int resolve_after = site->resolve_after;
  for (const config::Check& check : c.checks) {
    if (check.site != site->name) continue;
    CAPTURE(check.name);
    CHECK(check.open_after == open_after);
    CHECK(check.resolve_after == resolve_after);
  }

  const DemoScript script = DemoScript::standard();
  const auto checkout = phases_of(script, DemoPhaseKind::checkout_503);
  const auto down = phases_of(script, DemoPhaseKind::down);
  const auto slow = phases_of(script, DemoPhaseKind::slow);
  REQUIRE(checkout.size() == 2);
  REQUIRE(down.size() == 1);
  REQUIRE(slow.size() == 1);
  const DemoPhase& outage = checkout[0];
  const DemoPhase& relapse = checkout[1];
  CAPTURE(I.count());
  CAPTURE(site->recovery_watch.count());
  CAPTURE(site->comms_deadline.count());

  // Checkout fails long enough to open the incident (P2), and the shop goes down before it could resolve.
  const milliseconds opened_by = outage.start + open_after * I;
  CHECK(outage.duration >= open_after * I);
  CHECK(down[0].start <= end_of(outage));
  CHECK(down[0].duration >= open_after * I);  // the storefront goes down too: P1

  // The recovery: everything passes from the end of the down phase; the incident resolves after
  // resolve_after passing runs, so between these two instants.
  const milliseconds recovery = end_of(down[0]);
  const milliseconds resolved_earliest = recovery + (resolve_after - 1) * I;
  const milliseconds resolved_latest = recovery + resolve_after * I;

  // The customer update falls due while the incident is still open: the view counts down, then says overdue.
  CHECK(opened_by + site->comms_deadline < resolved_earliest);

  // The relapse: checkout fails again only after the incident has resolved, and goes down again before
  // the recovery watch that began at the resolve is over; so the same incident reopens.
  CHECK(relapse.start >= resolved_latest);
  CHECK(relapse.duration >= open_after * I);
  CHECK(relapse.start + open_after * I < resolved_earliest + site->recovery_watch);

  // Slow pages come after that watch has ended (a new incident, not a second relapse) and last long
  // enough to mark pages degraded; the delay is past degraded_latency and within the timeout.
  CHECK(slow[0].start >= end_of(relapse) + resolve_after * I + site->recovery_watch);
  CHECK(slow[0].duration >= open_after * I);
  for (const config::Check& check : c.checks) {
    if (check.site != site->name || !check.settings.expect.degraded_latency) continue;
    CAPTURE(check.name);
    CHECK(slow[0].delay > *check.settings.expect.degraded_latency);
    CHECK(slow[0].delay < check.settings.timeout);
  }
  CHECK(script.period() >= end_of(slow[0]) + resolve_after * I);  // it resolves before the next loop starts
}

TEST_CASE("fast motion: durations scale to the millisecond, a positive one stays positive") {
  CHECK(scale_duration(60s, 0.1) == 6s);
  CHECK(scale_duration(1500ms, 0.1) == 150ms);
  CHECK(scale_duration(5ms, 0.25) == 1ms);  // 1.25ms
  CHECK(scale_duration(1ms, 0.1) == 1ms);
  CHECK(scale_duration(0ms, 0.1) == 0ms);
  CHECK(scale_duration(45s, 1.0) == 45s);
}

TEST_CASE("fast motion: the script's phases, delays and period") {
  const DemoScript fast = scale_script(DemoScript::standard(), 0.1);
  const DemoScript real = DemoScript::standard();
  CHECK(fast.period() == 36s);
  REQUIRE(fast.phases().size() == real.phases().size());
  for (std::size_t i = 0; i < real.phases().size(); ++i) {
    CAPTURE(i);
    CHECK(fast.phases()[i].kind == real.phases()[i].kind);
    CHECK(fast.phases()[i].start * 10 == real.phases()[i].start);
    CHECK(fast.phases()[i].duration * 10 == real.phases()[i].duration);
    CHECK(fast.phases()[i].delay * 10 == real.phases()[i].delay);
  }
  CHECK(fast.phase_at(21s).kind == DemoPhaseKind::checkout_503);  // the relapse, at 210s in real time
  CHECK(fast.phase_at(32s).delay == 150ms);
}

TEST_CASE("fast motion: the checks' cadence, timeouts and latency limits and the sites' incident clocks; notifiers keep theirs") {
  config::Config c = shipped_demo_config();
  const config::Config real = c;
  scale_timings(c, 0.1);
  REQUIRE(c.checks.size() == real.checks.size());
  for (std::size_t i = 0; i < c.checks.size(); ++i) {
    CAPTURE(c.checks[i].name);
    CHECK(c.checks[i].settings.interval * 10 == real.checks[i].settings.interval);
    CHECK(c.checks[i].settings.timeout * 10 == real.checks[i].settings.timeout);
    CHECK(c.checks[i].settings.expect.degraded_latency.has_value() ==
          real.checks[i].settings.expect.degraded_latency.has_value());
    if (c.checks[i].settings.expect.degraded_latency)
      CHECK(*c.checks[i].settings.expect.degraded_latency * 10 == *real.checks[i].settings.expect.degraded_latency);
    REQUIRE(c.checks[i].steps.size() == real.checks[i].steps.size());
    for (std::size_t s = 0; s < c.checks[i].steps.size(); ++s) {
      CHECK(c.checks[i].steps[s].request.interval * 10 == real.checks[i].steps[s].request.interval);
      CHECK(c.checks[i].steps[s].request.timeout * 10 == real.checks[i].steps[s].request.timeout);
    }
    CHECK(c.checks[i].open_after == real.checks[i].open_after);  // counts, not times
  }
  const config::Site* site = c.find_site("demo-shop");
  REQUIRE(site != nullptr);
  CHECK(site->recovery_watch * 10 == real.find_site("demo-shop")->recovery_watch);
  CHECK(site->comms_deadline * 10 == real.find_site("demo-shop")->comms_deadline);
  REQUIRE(c.notifiers.size() == real.notifiers.size());
  CHECK(c.notifiers[0].timeout == real.notifiers[0].timeout);

  config::Config once = shipped_demo_config();
  scale_timings(once, 1.0);
  CHECK(once.checks[0].settings.interval == real.checks[0].settings.interval);
  CHECK(once.find_site("demo-shop")->recovery_watch == real.find_site("demo-shop")->recovery_watch);
}
