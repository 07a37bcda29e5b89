// The check loop's millisecond grid: curl's timeouts never early, the scheduler's wake-ups never more than
// a millisecond early, and both on the same points.
#include <doctest/doctest.h>

#include <chrono>

#include "probe/engine/wake_grid.h"

using namespace synthprobe;
using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

TEST_CASE("a time on the grid stays put both ways") {
  const TimePoint t(5000ms);
  CHECK(on_wake_grid(t) == t);
  CHECK(on_wake_grid_early(t) == t);
}

TEST_CASE("between two points: timeouts go to the later one, wake-ups to the earlier one") {
  const TimePoint t = TimePoint(5000ms) + 1ns;
  CHECK(on_wake_grid(t) == TimePoint(5001ms));
  CHECK(on_wake_grid_early(t) == TimePoint(5000ms));
  const TimePoint u = TimePoint(5001ms) - 1ns;
  CHECK(on_wake_grid(u) == TimePoint(5001ms));
  CHECK(on_wake_grid_early(u) == TimePoint(5000ms));
}

TEST_CASE("never early for a timeout, at most a millisecond early for a wake-up") {
  for (auto ns : {0ns, 1ns, 499999ns, 500000ns, 999999ns, 1000000ns, 123456789ns}) {
    const TimePoint t = TimePoint(7000ms) + ns;
    CHECK(on_wake_grid(t) >= t);
    CHECK(on_wake_grid(t) - t < 1ms);
    CHECK(on_wake_grid_early(t) <= t);
    CHECK(t - on_wake_grid_early(t) < 1ms);
  }
}
