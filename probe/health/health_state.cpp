#include "probe/health/health_state.h"

namespace synthprobe {

std::string_view to_string(CheckState state) {
  switch (state) {
    case CheckState::up: return "up";
    case CheckState::failing: return "failing";
    case CheckState::down: return "down";
    case CheckState::degraded: return "degraded";
    case CheckState::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<CheckState> parse_check_state(std::string_view text) {
  for (CheckState c : {CheckState::up, CheckState::failing, CheckState::down, CheckState::degraded, CheckState::unknown})
    if (to_string(c) == text) return c;
  return std::nullopt;
}

Transition observe(HealthState& h, bool passed, bool degraded, const HealthThresholds& t) {
  const CheckState from = h.state;
  const auto open_after = static_cast<std::uint32_t>(t.open_after < 1 ? 1 : t.open_after);
  const auto resolve_after = static_cast<std::uint32_t>(t.resolve_after < 1 ? 1 : t.resolve_after);
  if (!passed) {
    ++h.failed_streak;
    h.passed_streak = 0;
    h.degraded_streak = 0;
    if (h.state != CheckState::down) h.state = h.failed_streak >= open_after ? CheckState::down : CheckState::failing;
    return {from, h.state};
  }
  h.failed_streak = 0;
  ++h.passed_streak;
  h.degraded_streak = degraded ? h.degraded_streak + 1 : 0;
  // Hysteresis: a down check needs resolve_after passes in a row before it counts as up again.
  if (h.state == CheckState::down && h.passed_streak < resolve_after) return {from, h.state};
  h.state = h.degraded_streak >= open_after ? CheckState::degraded : CheckState::up;
  return {from, h.state};
}

}  // namespace synthprobe
