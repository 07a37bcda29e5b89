#pragma once
// A site's severity from the states of its enabled checks (contract section 7), with the words a
// responder reads first: a one-line summary and a triage hint. Pure: the caller passes the checks' states
// and latest results; recomputed after every run.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/run_result.h"
#include "probe/health/health_state.h"

namespace synthprobe {

// "P1", "P2", "P3".
std::string_view severity_name(config::Severity severity);
std::optional<config::Severity> parse_severity_name(std::string_view name);
// P1 is more severe than P2.
inline bool more_severe(config::Severity a, config::Severity b) { return static_cast<int>(a) < static_cast<int>(b); }

// full: every check down (D = N). partial: some (0 < D < N). degraded: none down, some degraded.
enum class Extent : std::uint8_t { full, partial, degraded };
std::string_view to_string(Extent extent);
std::optional<Extent> parse_extent(std::string_view name);

// What the assessment needs to know of one enabled check or flow.
struct CheckHealth {
  std::string name;
  std::string area;
  config::Severity severity = config::Severity::P3;  // as configured
  CheckState state = CheckState::unknown;
  // The latest run: reason is nullopt when it passed; degraded when it passed slowly.
  std::optional<Reason> reason;
  std::string message;
  long status_code = 0;  // 0: no response
  Phases phases;
  bool degraded = false;
};

// The evidence an incident shows for one check that counts towards the severity.
struct FailingCheck {
  std::string name;
  std::string area;
  std::optional<Reason> reason;  // nullopt for a degraded check, or a down one whose latest run passed
  std::string message;
  long status_code = 0;  // 0: no response
  Phases phases;         // seconds
};

struct SiteAssessment {
  std::string site;
  std::optional<config::Severity> severity;  // nullopt: no incident-worthy problem
  Extent extent = Extent::degraded;          // meaningful when severity is set
  // Sorted, unique areas of the checks down; when none is down, those of the degraded checks.
  std::vector<std::string> areas;
  std::size_t checks = 0;    // N
  std::size_t down = 0;      // D
  std::size_t degraded = 0;  // in state degraded
  std::size_t failing = 0;   // in state failing (not yet down)
  std::size_t unknown = 0;   // not run since the probe started (or since a reload added them)
  // Every check up or unknown and no latest run failed or was slow: the site is "all up" again, so the
  // next failure starts a new time-to-detect.
  bool clean = true;
  // Down checks first, then degraded ones, in input order; at most kFailingChecksLimit of them (a page or
  // payload naming 5,000 checks helps nobody), the rest counted.
  std::vector<FailingCheck> failing_checks;
  std::size_t failing_checks_omitted = 0;
  std::string summary;  // "shop: checkout down (status 503)"
  std::string hint;     // "5xx on checkout only: application fault in that area"
  // The first check (input order) whose latest run failed or was slow, as "checkout: <message>"; the
  // first_failure event's detail. Empty when clean.
  std::string first_problem;
};

inline constexpr std::size_t kFailingChecksLimit = 50;

// N = checks.size(): pass only enabled checks and flows.
//   P1: N >= 2 and D = N, or a down check is configured P1.
//   P2: a down check is configured P2, or N >= 2 and 2·D >= N.
//   P3: D >= 1, or a check is degraded.
// The highest rule that holds wins.
SiteAssessment assess(std::string_view site, std::span<const CheckHealth> checks);

// "status 503" for a status failure with a response, else the reason's name; empty without a reason.
std::string describe_reason(std::optional<Reason> reason, long status_code);

}  // namespace synthprobe
