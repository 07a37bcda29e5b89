#include "probe/demo/demo_script.h"

#include <algorithm>
#include <utility>

namespace synthprobe::demo {

using std::chrono::milliseconds;

namespace {

constexpr milliseconds kForever = std::chrono::hours(24 * 365);

milliseconds end_of(const DemoPhase& p) { return p.start + p.duration; }

}  // namespace

std::string_view to_string(DemoPhaseKind kind) {
  switch (kind) {
    case DemoPhaseKind::healthy: return "healthy";
    case DemoPhaseKind::checkout_503: return "checkout_503";
    case DemoPhaseKind::payment_errors: return "payment_errors";
    case DemoPhaseKind::down: return "down";
    case DemoPhaseKind::slow: return "slow";
  }
  return "unknown";
}

std::string describe(const DemoPhase& phase) {
  switch (phase.kind) {
    case DemoPhaseKind::healthy: return "healthy";
    case DemoPhaseKind::checkout_503: return "checkout API 503";
    case DemoPhaseKind::payment_errors: return "payment errors";
    case DemoPhaseKind::down: return "shop down (connection refused)";
    case DemoPhaseKind::slow: return "slow pages (+" + std::to_string(phase.delay.count()) + "ms)";
  }
  return "unknown";
}

DemoScript::DemoScript(std::vector<DemoPhase> phases, milliseconds period) {
  milliseconds last_end{0};
  for (DemoPhase p : phases) {
    if (p.start < milliseconds{0}) {
      p.duration += p.start;
      p.start = milliseconds{0};
    }
    if (p.duration <= milliseconds{0}) continue;
    last_end = std::max(last_end, end_of(p));
    phases_.push_back(p);
  }
  period_ = period > milliseconds{0} ? period : last_end;
  // Clip to the period, so a phase never spills into the next loop.
  std::erase_if(phases_, [this](const DemoPhase& p) { return p.start >= period_; });
  for (DemoPhase& p : phases_) p.duration = std::min(end_of(p), period_) - p.start;
}

DemoScript DemoScript::standard() {
  using std::chrono::seconds;
  return DemoScript({
                        {seconds(60), seconds(60), DemoPhaseKind::checkout_503, milliseconds{0}},
                        {seconds(120), seconds(60), DemoPhaseKind::down, milliseconds{0}},
                        {seconds(210), seconds(25), DemoPhaseKind::checkout_503, milliseconds{0}},
                        {seconds(300), seconds(50), DemoPhaseKind::slow, milliseconds(1500)},
                    },
                    seconds(360));
}

ScriptPosition DemoScript::at(std::chrono::nanoseconds elapsed) const {
  const milliseconds ms = std::max(milliseconds{0}, std::chrono::duration_cast<milliseconds>(elapsed));
  if (period_ <= milliseconds{0}) return {DemoPhase{milliseconds{0}, kForever, DemoPhaseKind::healthy, {}}, kForever, ms};
  const milliseconds t = ms % period_;

  // The first listed phase covering t wins; it lasts until it ends or an earlier-listed phase starts.
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const DemoPhase& p = phases_[i];
    if (t < p.start || t >= end_of(p)) continue;
    milliseconds until = end_of(p);
    for (std::size_t j = 0; j < i; ++j)
      if (phases_[j].start > t) until = std::min(until, phases_[j].start);
    return {p, until - t, t};
  }

  // Uncovered: healthy from the last phase end before t to the next phase start after it.
  milliseconds gap_start{0};
  milliseconds gap_end = period_;
  for (const DemoPhase& p : phases_) {
    if (end_of(p) <= t) gap_start = std::max(gap_start, end_of(p));
    if (p.start > t) gap_end = std::min(gap_end, p.start);
  }
  return {DemoPhase{gap_start, gap_end - gap_start, DemoPhaseKind::healthy, {}}, gap_end - t, t};
}

}  // namespace synthprobe::demo
