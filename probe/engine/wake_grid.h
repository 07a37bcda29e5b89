#pragma once
// The check loop's timed wake-ups fall on a whole-millisecond grid of the steady clock: the runs the
// scheduler starts and the timeouts curl keeps, when due in the same millisecond, are handled in one
// wake-up of the reactor instead of one each. A loop with 1,000 runs a second against a site that times
// out otherwise wakes twice per run (its start, its timeout a second later), and on a virtual machine each
// wake-up costs more than the run's own work. A timeout fires at most 1 ms after its time, never before;
// the scheduler wakes at most 1 ms before a run's due time and starts it as if on time.

#include <chrono>

namespace synthprobe {

// For a deadline that must not fire early (curl's timeouts): the grid point at or after `t`.
inline std::chrono::steady_clock::time_point on_wake_grid(std::chrono::steady_clock::time_point t) {
  return std::chrono::steady_clock::time_point(std::chrono::ceil<std::chrono::milliseconds>(t.time_since_epoch()));
}

// For a wake-up that may come up to a millisecond early (the scheduler's, whose poll starts every run due
// within its start window, a millisecond or more, as if at its due time): the grid point at or before `t`.
inline std::chrono::steady_clock::time_point on_wake_grid_early(std::chrono::steady_clock::time_point t) {
  return std::chrono::steady_clock::time_point(std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()));
}

}  // namespace synthprobe
