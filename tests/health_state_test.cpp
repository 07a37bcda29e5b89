#include <doctest/doctest.h>

#include "probe/health/health_state.h"

using namespace synthprobe;

namespace {
CheckState feed(HealthState& h, const char* outcomes, HealthThresholds t = {}) {
  // 'p' passed, 'f' failed, 'd' passed but degraded
  for (const char* c = outcomes; *c; ++c) observe(h, *c != 'f', *c == 'd', t);
  return h.state;
}
}  // namespace

TEST_CASE("unknown until the first run") {
  HealthState h;
  CHECK(h.state == CheckState::unknown);
  CHECK(feed(h, "p") == CheckState::up);
}

TEST_CASE("failing, then down after open_after consecutive failures") {
  HealthState h;
  CHECK(feed(h, "f") == CheckState::failing);
  CHECK(feed(h, "f") == CheckState::failing);
  Transition t = observe(h, false, false, {});
  CHECK(t.from == CheckState::failing);
  CHECK(t.to == CheckState::down);
  CHECK(t.changed());
}

TEST_CASE("a pass while failing resets to up; the streak starts over") {
  HealthState h;
  CHECK(feed(h, "ffpff") == CheckState::failing);
  CHECK(feed(h, "f") == CheckState::down);
}

TEST_CASE("down needs resolve_after consecutive passes: no flapping") {
  HealthState h;
  CHECK(feed(h, "fff") == CheckState::down);
  CHECK(feed(h, "p") == CheckState::down);
  CHECK(feed(h, "f") == CheckState::down);
  CHECK(feed(h, "p") == CheckState::down);
  CHECK(feed(h, "p") == CheckState::up);
}

TEST_CASE("degraded after open_after consecutive degraded runs, up after a normal one") {
  HealthState h;
  CHECK(feed(h, "dd") == CheckState::up);
  CHECK(feed(h, "d") == CheckState::degraded);
  CHECK(feed(h, "p") == CheckState::up);
  CHECK(feed(h, "dddf") == CheckState::failing);
}

TEST_CASE("open_after = 1 goes down on the first failure; the failing interval applies while failing or down") {
  HealthState h;
  CHECK(feed(h, "f", {1, 1}) == CheckState::down);
  CHECK(uses_failing_interval(h));
  CHECK(feed(h, "p", {1, 1}) == CheckState::up);
  CHECK_FALSE(uses_failing_interval(h));
}
