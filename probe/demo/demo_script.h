#pragma once
// The demo shop's scripted outage timeline: which fault the shop shows at a given time since the
// script started. Pure logic: the caller passes the elapsed time in, so tests are exact.
//
// A script is a list of phases, each with a start offset and a duration; it loops with its period.
// Time no phase covers is healthy; where phases overlap, the one listed first wins.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace synthprobe::demo {

enum class DemoPhaseKind {
  healthy,         // everything works
  checkout_503,    // POST /cart and POST /checkout/* answer 503
  payment_errors,  // POST /graphql answers 200 with a GraphQL "payment declined" error
  down,            // the listening socket is closed: connections are refused
  slow,            // HTML pages answer after `delay`
};

// "healthy", "checkout_503", "payment_errors", "down", "slow".
std::string_view to_string(DemoPhaseKind kind);

struct DemoPhase {
  std::chrono::milliseconds start{0};     // offset from the start of each loop of the script
  std::chrono::milliseconds duration{0};  // <= 0: the phase never applies
  DemoPhaseKind kind = DemoPhaseKind::healthy;
  std::chrono::milliseconds delay{0};     // for slow: added before each page's answer
};

// A human name for a terminal: "healthy", "checkout API 503", "payment errors",
// "shop down (connection refused)", "slow pages (+1500ms)".
std::string describe(const DemoPhase& phase);

// Where the script stands at one moment.
struct ScriptPosition {
  DemoPhase phase;  // the phase in effect; uncovered time is a synthetic healthy phase spanning the gap
  std::chrono::milliseconds remaining{0};  // until the next change; hours(24 * 365) when nothing ever changes
  std::chrono::milliseconds cycle_offset{0};  // elapsed time modulo the period
};

class DemoScript {
 public:
  // Always healthy.
  DemoScript() = default;
  // `period` <= 0: the end of the last phase. Phases past the period are clipped to it.
  explicit DemoScript(std::vector<DemoPhase> phases, std::chrono::milliseconds period = std::chrono::milliseconds{0});

  // The 6-minute demo: 0-60s healthy, 60-120s checkout 503 (a P2 incident opens; its customer update
  // clock runs), 120-180s down (it escalates to P1), 180-210s healthy (it resolves), 210-235s checkout
  // 503 again (within the recovery watch: it relapses), 235-300s healthy, 300-350s slow pages (1.5s: a
  // degraded P3 incident of its own), 350-360s healthy; then again.
  static DemoScript standard();

  // `elapsed` < 0 counts as 0.
  ScriptPosition at(std::chrono::nanoseconds elapsed) const;
  DemoPhase phase_at(std::chrono::nanoseconds elapsed) const { return at(elapsed).phase; }

  std::chrono::milliseconds period() const { return period_; }
  const std::vector<DemoPhase>& phases() const { return phases_; }

 private:
  std::vector<DemoPhase> phases_;
  std::chrono::milliseconds period_{0};
};

}  // namespace synthprobe::demo
