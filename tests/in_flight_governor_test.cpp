// InFlightGovernor: fewer concurrent runs while the check loop is CPU-bound and runs wait, all of them
// back as soon as the loop has time to spare or nothing waits.
#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>

#include "probe/engine/in_flight_governor.h"

using namespace synthprobe;

namespace {

constexpr InFlightGovernor::Sample busy_and_waiting{0.99, 500};
constexpr InFlightGovernor::Sample idle_but_waiting{0.40, 500};
constexpr InFlightGovernor::Sample busy_nothing_waiting{0.99, 0};

std::size_t steps_until(InFlightGovernor& g, const InFlightGovernor::Sample& s, std::size_t limit, int at_most) {
  int steps = 0;
  while (g.limit() != limit && steps < at_most) {
    g.update(s);
    ++steps;
  }
  return static_cast<std::size_t>(steps);
}

}  // namespace

TEST_CASE("starts at max_in_flight and stays there while the loop has time to spare") {
  InFlightGovernor g(1000);
  CHECK(g.limit() == 1000);
  for (int i = 0; i < 50; ++i) g.update(idle_but_waiting);  // a site timing out: slots held, CPU idle
  CHECK(g.limit() == 1000);
  for (int i = 0; i < 50; ++i) g.update({0.2, 0});
  CHECK(g.limit() == 1000);
}

TEST_CASE("a busy loop with runs waiting steps down to the floor within seconds, never below it") {
  InFlightGovernor g(1000);
  const std::size_t first = g.update(busy_and_waiting);
  CHECK(first < 1000);
  CHECK(first >= 700);  // a quarter at a time, not all at once
  // 250 ms samples: from 1,000 to the floor in under 4 s.
  CHECK(steps_until(g, busy_and_waiting, InFlightGovernor::kFloor, 100) <= 16);
  CHECK(g.limit() == InFlightGovernor::kFloor);
  for (int i = 0; i < 20; ++i) g.update(busy_and_waiting);
  CHECK(g.limit() == InFlightGovernor::kFloor);
}

TEST_CASE("idle time while runs wait steps back up to max_in_flight, and never past it") {
  InFlightGovernor g(1000);
  steps_until(g, busy_and_waiting, InFlightGovernor::kFloor, 100);
  const std::size_t floor = g.limit();
  g.update(idle_but_waiting);
  CHECK(g.limit() > floor);
  CHECK(steps_until(g, idle_but_waiting, 1000, 100) <= 20);
  g.update(idle_but_waiting);
  CHECK(g.limit() == 1000);
}

TEST_CASE("nothing waiting for a slot: the cap limits nothing, so it goes back up even on a busy loop") {
  InFlightGovernor g(400);
  steps_until(g, busy_and_waiting, InFlightGovernor::kFloor, 100);
  CHECK(steps_until(g, busy_nothing_waiting, 400, 100) <= 20);
  CHECK(g.limit() == 400);
}

TEST_CASE("between busy and idle it holds") {
  InFlightGovernor g(1000);
  for (int i = 0; i < 3; ++i) g.update(busy_and_waiting);
  const std::size_t held = g.limit();
  const double between = (InFlightGovernor::kIdle + InFlightGovernor::kBusy) / 2;
  for (int i = 0; i < 10; ++i) g.update({between, 100});
  CHECK(g.limit() == held);
  g.update({InFlightGovernor::kBusy, 100});  // the threshold itself counts as busy
  CHECK(g.limit() < held);
}

TEST_CASE("a max_in_flight below the floor is its own floor; 0 is taken as 1") {
  InFlightGovernor small(10);
  for (int i = 0; i < 10; ++i) small.update(busy_and_waiting);
  CHECK(small.limit() == 10);
  InFlightGovernor zero(0);
  CHECK(zero.limit() == 1);
  zero.update(busy_and_waiting);
  zero.update(idle_but_waiting);
  CHECK(zero.limit() == 1);
}

TEST_CASE("a reload: a limit at its ceiling follows the new one; a stepped-down one is clamped, and climbs by steps") {
  InFlightGovernor g(1000);
  g.set_max(100);
  CHECK(g.limit() == 100);
  g.set_max(2000);  // never stepped down: the new ceiling at once
  CHECK(g.limit() == 2000);
  for (int i = 0; i < 3; ++i) g.update(busy_and_waiting);
  const std::size_t stepped = g.limit();
  REQUIRE(stepped < 1500);
  g.set_max(1500);
  CHECK(g.limit() == stepped);
  g.set_max(3000);
  CHECK(g.limit() == stepped);
  CHECK(steps_until(g, idle_but_waiting, 3000, 100) <= 20);
  // Lowered below the current limit while stepped down: clamped to it, and the floor still holds.
  steps_until(g, busy_and_waiting, InFlightGovernor::kFloor, 100);
  g.set_max(500);
  CHECK(g.limit() == InFlightGovernor::kFloor);
  g.set_max(20);
  CHECK(g.limit() == 20);
}

TEST_CASE("one small step at a time near the floor still moves") {
  InFlightGovernor g(40);
  g.update(busy_and_waiting);
  CHECK(g.limit() == 32);  // 40 - 40/4 = 30, clamped to the floor
  g.update(idle_but_waiting);
  CHECK(g.limit() == 40);  // 32 + 8
  InFlightGovernor tiny(3);
  tiny.update(busy_and_waiting);
  CHECK(tiny.limit() == 3);
}

TEST_CASE("sample(): the busy share is the loop's CPU time over the wall time between two calls") {
  using namespace std::chrono_literals;
  const std::chrono::steady_clock::time_point t0(100s);
  InFlightGovernor g(1000);
  CHECK_FALSE(g.sample(t0, 10s, 500));  // the first call only remembers the clocks
  CHECK(g.limit() == 1000);
  CHECK_FALSE(g.sample(t0 + 250ms, 10s + 245ms, 500));  // 98% busy, runs waiting: a step down
  CHECK(g.limit() == 750);
  CHECK_FALSE(g.sample(t0 + 500ms, 10s + 467ms, 500));  // 88.8%: between busy and idle, hold
  CHECK(g.limit() == 750);
  CHECK(g.sample(t0 + 750ms, 10s + 517ms, 500));  // 20%: a step up, and it says so
  CHECK(g.limit() == 937);
  CHECK_FALSE(g.sample(t0 + 750ms, 10s + 600ms, 500));  // no wall time passed: no step
  CHECK(g.limit() == 937);
  CHECK(g.sample(t0 + 1s, 10s + 850ms, 0));  // busy, but nothing waits: up
  CHECK(g.limit() == 1000);
  CHECK_FALSE(g.sample(t0 + 1250ms, 11s + 100ms, 0));  // already at the ceiling: not a rise
}
