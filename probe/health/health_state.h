#pragma once
// A check's state from its run outcomes: thresholds with hysteresis, a pure state machine.
//
// unknown: not yet run since start. failing: 1 to open_after-1 consecutive failed runs. down: open_after
// or more, until resolve_after consecutive passed runs. degraded: passing, but degraded for open_after
// consecutive runs. Degraded runs count as passed.

#include <cstdint>
#include <optional>
#include <string_view>

namespace synthprobe {

enum class CheckState : std::uint8_t { up = 0, failing = 1, down = 2, degraded = 3, unknown = 4 };
std::string_view to_string(CheckState state);
// The inverse of to_string; nullopt for anything else.
std::optional<CheckState> parse_check_state(std::string_view text);

struct HealthThresholds {
  int open_after = 3;
  int resolve_after = 2;
};

struct HealthState {
  CheckState state = CheckState::unknown;
  std::uint32_t failed_streak = 0;    // consecutive failed runs
  std::uint32_t passed_streak = 0;    // consecutive passed runs
  std::uint32_t degraded_streak = 0;  // consecutive degraded (passed) runs
};

struct Transition {
  CheckState from;
  CheckState to;
  bool changed() const { return from != to; }
};

// Folds one run's outcome into `h` and says how the state moved.
Transition observe(HealthState& h, bool passed, bool degraded, const HealthThresholds& t);

// The interval that applies: the failing one from the first failed run until the check is up again.
inline bool uses_failing_interval(const HealthState& h) {
  return h.state == CheckState::failing || h.state == CheckState::down;
}

}  // namespace synthprobe
