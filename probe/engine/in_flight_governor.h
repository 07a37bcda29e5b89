#pragma once
// How many runs the check loop lets run at once: max_in_flight while the loop has CPU to spare, fewer
// while it is CPU-bound and runs wait for a slot. Pure logic: the daemon samples the loop and applies
// limit() to the scheduler; tests feed samples directly.
//
// Why: one check loop has one core. Once it is busy all the time, more concurrent transfers cannot
// complete more runs a second; they only make each run dearer (more sockets in the reactor, more live
// curl handles and buffers to walk and miss in cache). Measured on the overload benchmark (20,000 checks
// due a second against a local nginx): 1,000 in flight cost 66 µs of loop CPU a run, 64 in flight 57 µs.
// So while the loop is busy and runs are queued, the limit steps down; as soon as the loop has idle time
// while runs still wait (slow targets hold slots without using CPU), it steps back up, so a site that
// times out keeps all the concurrency it needs.
//
// Rules, one step per sample:
// - nothing waiting for a slot: the cap limits nothing, step up (back to max_in_flight within seconds);
// - runs waiting and the loop busy (>= kBusy of the sample's wall time on its CPU): step down by a
//   quarter, never below the floor (min(kFloor, max_in_flight));
// - runs waiting and the loop idle part of the time (< kIdle): step up by a quarter, at most max;
// - in between: hold.

#include <chrono>
#include <cstddef>
#include <optional>

namespace synthprobe {

class InFlightGovernor {
 public:
  static constexpr double kBusy = 0.95;
  static constexpr double kIdle = 0.85;
  static constexpr std::size_t kFloor = 32;

  struct Sample {
    double loop_busy = 0;     // the loop thread's CPU time over the sample's wall time, 0..1
    std::size_t waiting = 0;  // runs due and still queued for a slot after the scheduler filled every free one
  };

  // A max_in_flight of 0 is taken as 1. Starts at max_in_flight.
  explicit InFlightGovernor(std::size_t max_in_flight);

  // A reload: the ceiling changes now. A limit at the old ceiling moves to the new one; a stepped-down
  // limit is clamped to it and reaches a higher ceiling by steps.
  void set_max(std::size_t max_in_flight);

  // One step; returns the new limit.
  std::size_t update(const Sample& sample);

  // One step from the loop's clocks: `now` (steady) and `loop_cpu`, the loop thread's CPU time so far.
  // The busy share is the CPU time since the previous call over the wall time since then; the first call
  // only remembers the clocks. Returns true when the limit rose (slots are free now).
  bool sample(std::chrono::steady_clock::time_point now, std::chrono::nanoseconds loop_cpu, std::size_t waiting);

  std::size_t limit() const { return limit_; }
  std::size_t max() const { return max_; }
  std::size_t floor() const { return max_ < kFloor ? max_ : kFloor; }

 private:
  void step_up();
  void step_down();

  struct Clocks {
    std::chrono::steady_clock::time_point wall;
    std::chrono::nanoseconds cpu;
  };

  std::size_t max_;
  std::size_t limit_;
  std::optional<Clocks> last_;  // the previous sample()'s clocks
};

}  // namespace synthprobe
