#include "probe/health/site_counts.h"

namespace synthprobe {

void SiteCounts::apply(const MemberStatus& m, int sign) {
  const auto step = [sign](std::uint32_t& n) { n = static_cast<std::uint32_t>(static_cast<int>(n) + sign); };
  step(checks_);
  if (m.troubled) step(troubled_);
  switch (m.state) {
    case CheckState::down:
      step(down_);
      if (m.severity == config::Severity::P1) step(down_p1_);
      if (m.severity == config::Severity::P2) step(down_p2_);
      break;
    case CheckState::degraded: step(degraded_); break;
    case CheckState::failing: step(failing_); break;
    case CheckState::unknown: step(unknown_); break;
    case CheckState::up: break;
  }
}

SiteVerdict SiteCounts::verdict() const {
  SiteVerdict v;
  const std::uint32_t n = checks_, d = down_;
  if ((n >= 2 && d == n) || down_p1_ > 0)
    v.severity = config::Severity::P1;
  else if (down_p2_ > 0 || (n >= 2 && 2 * d >= n))
    v.severity = config::Severity::P2;
  else if (d >= 1 || degraded_ > 0)
    v.severity = config::Severity::P3;
  v.extent = d == 0 ? Extent::degraded : d == n ? Extent::full : Extent::partial;
  v.clean = troubled_ == 0 && down_ == 0 && degraded_ == 0 && failing_ == 0;
  v.all_known = unknown_ == 0;
  return v;
}

}  // namespace synthprobe
