#include "probe/engine/in_flight_governor.h"

#include <algorithm>
#include <utility>

namespace synthprobe {

InFlightGovernor::InFlightGovernor(std::size_t max_in_flight)
    : max_(std::max<std::size_t>(max_in_flight, 1)), limit_(max_) {}

void InFlightGovernor::set_max(std::size_t max_in_flight) {
  const bool at_ceiling = limit_ == max_;
  max_ = std::max<std::size_t>(max_in_flight, 1);
  limit_ = at_ceiling ? max_ : std::clamp(limit_, floor(), max_);
}

std::size_t InFlightGovernor::update(const Sample& sample) {
  if (sample.waiting == 0 || sample.loop_busy < kIdle)
    step_up();
  else if (sample.loop_busy >= kBusy)
    step_down();
  return limit_;
}

bool InFlightGovernor::sample(std::chrono::steady_clock::time_point now, std::chrono::nanoseconds loop_cpu,
                              std::size_t waiting) {
  const std::optional<Clocks> last = std::exchange(last_, Clocks{now, loop_cpu});
  if (!last || now <= last->wall) return false;
  const double busy = std::chrono::duration<double>(loop_cpu - last->cpu).count() /
                      std::chrono::duration<double>(now - last->wall).count();
  const std::size_t before = limit_;
  return update({busy, waiting}) > before;
}

void InFlightGovernor::step_up() { limit_ = std::min(max_, limit_ + std::max<std::size_t>(1, limit_ / 4)); }

void InFlightGovernor::step_down() { limit_ = std::max(floor(), limit_ - limit_ / 4); }

}  // namespace synthprobe
