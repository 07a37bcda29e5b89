// The counts that make a run O(1) must always agree with the full assessment of contract section 7.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "probe/health/site_counts.h"
#include "probe/health/site_severity.h"

using namespace synthprobe;
using config::Severity;

namespace {

CheckHealth health_of(std::size_t i, const MemberStatus& m) {
  CheckHealth c;
  c.name = "c" + std::to_string(i);
  c.area = "a" + std::to_string(i % 3);
  c.severity = m.severity;
  c.state = m.state;
  if (m.troubled) c.reason = Reason::connect;
  return c;
}

SiteVerdict verdict_of(const SiteAssessment& a) { return {a.severity, a.extent, a.clean, a.unknown == 0}; }

}  // namespace

TEST_CASE("site counts agree with assess() through random changes, sites of 1 to 7 checks") {
  std::mt19937 rng(7);
  const CheckState states[] = {CheckState::up, CheckState::failing, CheckState::down, CheckState::degraded,
                               CheckState::unknown};
  const Severity severities[] = {Severity::P1, Severity::P2, Severity::P3, Severity::P3};
  for (std::size_t n = 1; n <= 7; ++n) {
    std::vector<MemberStatus> members(n);
    SiteCounts counts;
    for (std::size_t i = 0; i < n; ++i) {
      members[i].severity = severities[rng() % 4];
      counts.add(members[i]);
    }
    for (int step = 0; step < 3000; ++step) {
      const std::size_t i = rng() % n;
      MemberStatus next = members[i];
      next.state = states[rng() % 5];
      next.troubled = rng() % 2 == 0;
      if (rng() % 50 == 0) next.severity = severities[rng() % 4];  // a reload changed its severity
      counts.change(members[i], next);
      members[i] = next;

      std::vector<CheckHealth> checks;
      for (std::size_t k = 0; k < n; ++k) checks.push_back(health_of(k, members[k]));
      const SiteAssessment full = assess("shop", checks);
      CAPTURE(n);
      CAPTURE(step);
      REQUIRE(counts.verdict() == verdict_of(full));
      REQUIRE(counts.down() == full.down);
      REQUIRE(counts.degraded() == full.degraded);
      REQUIRE(counts.failing() == full.failing);
    }
  }
}

TEST_CASE("an empty site has no severity and is clean; removing a member undoes adding it") {
  SiteCounts counts;
  CHECK(counts.verdict() == SiteVerdict{std::nullopt, Extent::degraded, true, true});
  const MemberStatus down{CheckState::down, true, Severity::P1};
  counts.add(down);
  CHECK(counts.verdict().severity == Severity::P1);
  counts.remove(down);
  CHECK(counts.checks() == 0);
  CHECK(counts.verdict().clean);
}
