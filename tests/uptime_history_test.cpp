#include <doctest/doctest.h>

#include "probe/health/uptime_history.h"

using synthprobe::UptimeHistory;

TEST_CASE("no runs, no uptime") {
  UptimeHistory h;
  CHECK_FALSE(h.uptime(1'000'000, 3600).has_value());
}

TEST_CASE("uptime over the last hour and day") {
  UptimeHistory h;
  const std::int64_t now = 1'800'000'000;
  // A failed hour two hours ago, a healthy last hour: 60 runs per hour.
  for (int i = 0; i < 60; ++i) h.record(now - 3 * 3600 + i * 60, false);
  for (int i = 0; i < 60; ++i) h.record(now - 3600 + 1 + i * 60, true);
  CHECK(*h.uptime(now, 3600) == doctest::Approx(1.0));
  CHECK(*h.uptime(now, 24 * 3600) == doctest::Approx(0.5));
}

TEST_CASE("counts older than a day fall out, even when their slot is reused") {
  UptimeHistory h;
  const std::int64_t now = 1'800'000'000;
  h.record(now - 25 * 3600, false);
  h.record(now - 24 * 3600 - 10, false);
  h.record(now, true);
  CHECK(*h.uptime(now, 24 * 3600) == doctest::Approx(1.0));
  h.record(now + 24 * 3600, true);  // lands in the slot of `now`, a day later
  CHECK(*h.uptime(now + 24 * 3600, 3600) == doctest::Approx(1.0));
}
