#pragma once
// The daemon's record of one configured check or flow, indexed by its scheduler id.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "config/config_model.h"
#include "exporters/store/store_records.h"
#include "probe/health/check_status.h"
#include "probe/health/health_state.h"
#include "probe/health/site_counts.h"

namespace synthprobe {

struct CheckSlot {
  std::shared_ptr<const config::Check> check;
  std::uint32_t site = 0;  // SiteIncidents' index of its site
  HealthState health;
  MemberStatus member;     // what its site's counts hold for it
  store::StreakRow saved;  // the streaks as the store has them
  bool streak_dirty = false;
  bool scheduled_failing = false;  // what the scheduler was told: failing, or in its site's recovery watch
  // Runs since the last rollup flush, in the UTC hour `rollup_hour`.
  std::int64_t rollup_hour = 0;
  std::uint32_t rollup_passed = 0;
  std::uint32_t rollup_total = 0;
  // Written by the loop under the daemon's status mutex; the HTTP thread copies it under the same mutex.
  CheckStatus status;
  // The loop's: where its latest run waits among the parked status writes (1-based), 0 when written.
  std::size_t parked_at = 0;
};

// The streaks as saved: capped where the thresholds stop looking, so a check that stays up (or down)
// writes nothing run after run.
inline store::StreakRow streak_row(const HealthState& h, const config::Check& c) {
  const auto cap = [](std::uint32_t v, int limit) { return std::min<std::uint32_t>(v, static_cast<std::uint32_t>(std::max(limit, 1))); };
  return {h.state, cap(h.failed_streak, c.open_after), cap(h.passed_streak, c.resolve_after),
          cap(h.degraded_streak, c.open_after)};
}

}  // namespace synthprobe
