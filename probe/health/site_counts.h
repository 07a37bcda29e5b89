#pragma once
// A site's enabled checks counted by state, kept current from each check's own changes, so that the site's
// severity and extent (contract section 7) cost O(1) per run whatever the site's size or the outage. The
// full picture (areas, evidence, summary, hint) is still assess()'s, computed only when a verdict asks for
// it (site_severity.h).

#include <cstdint>
#include <optional>

#include "config/config_model.h"
#include "probe/health/health_state.h"
#include "probe/health/site_severity.h"

namespace synthprobe {

// What the counts need to know of one check.
struct MemberStatus {
  CheckState state = CheckState::unknown;
  bool troubled = false;  // its latest run failed or was degraded
  config::Severity severity = config::Severity::P3;  // as configured
  bool operator==(const MemberStatus&) const = default;
};

// The part of a SiteAssessment that decides whether anything happens: equal to assess()'s severity,
// extent and clean for the same checks.
struct SiteVerdict {
  std::optional<config::Severity> severity;
  Extent extent = Extent::degraded;
  bool clean = true;
  bool all_known = true;  // every check has run since start: only then may an open incident change
  bool operator==(const SiteVerdict&) const = default;
};

class SiteCounts {
 public:
  void add(const MemberStatus& m) { apply(m, 1); }
  void remove(const MemberStatus& m) { apply(m, -1); }
  void change(const MemberStatus& before, const MemberStatus& after) {
    if (before == after) return;
    apply(before, -1);
    apply(after, 1);
  }

  SiteVerdict verdict() const;

  std::uint32_t checks() const { return checks_; }
  std::uint32_t down() const { return down_; }
  std::uint32_t degraded() const { return degraded_; }
  std::uint32_t failing() const { return failing_; }
  std::uint32_t unknown() const { return unknown_; }

 private:
  void apply(const MemberStatus& m, int sign);

  std::uint32_t checks_ = 0;
  std::uint32_t down_ = 0;
  std::uint32_t degraded_ = 0;
  std::uint32_t failing_ = 0;
  std::uint32_t unknown_ = 0;
  std::uint32_t troubled_ = 0;
  std::uint32_t down_p1_ = 0;
  std::uint32_t down_p2_ = 0;
};

}  // namespace synthprobe
