#include "probe/health/site_severity.h"

#include <algorithm>
#include <set>

namespace synthprobe {
namespace {

// A check without an area still needs a name in summaries; its own name is the best one.
const std::string& area_of(const CheckHealth& c) { return c.area.empty() ? c.name : c.area; }

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

// A summary is one line a person reads: at most a handful of names, then how many more.
std::string join_some(const std::vector<std::string>& parts, std::size_t at_most = 5) {
  if (parts.size() <= at_most) return join(parts, ", ");
  const std::vector<std::string> head(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(at_most));
  return join(head, ", ") + " and " + std::to_string(parts.size() - at_most) + " more";
}

std::vector<std::string> sorted_areas(const std::vector<const CheckHealth*>& checks) {
  std::set<std::string> unique;
  for (const auto* c : checks) unique.insert(area_of(*c));
  return {unique.begin(), unique.end()};
}

// Values in order of decreasing count, ties in order of first appearance: the common cause first.
struct Tally {
  struct Entry {
    std::string key;
    std::size_t count = 0;
    std::set<std::string> areas;
  };
  std::vector<Entry> entries;

  void add(std::string key, const std::string& area) {
    if (key.empty()) return;
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
    if (it == entries.end()) it = entries.insert(entries.end(), Entry{std::move(key), 0, {}});
    ++it->count;
    it->areas.insert(area);
  }
  void sort() {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.count > b.count; });
  }
};

std::string reasons_in_parens(const std::vector<const CheckHealth*>& checks) {
  Tally tally;
  for (const auto* c : checks) tally.add(describe_reason(c->reason, c->status_code), area_of(*c));
  tally.sort();
  std::vector<std::string> keys;
  for (const auto& e : tally.entries) keys.push_back(e.key);
  return keys.empty() ? "" : " (" + join(keys, ", ") + ")";
}

// The triage grouping: status codes by class, because "5xx" and "4xx" point at different teams.
std::string symptom(const CheckHealth& c) {
  if (!c.reason) return "";
  if (*c.reason == Reason::status) {
    if (c.status_code >= 500 && c.status_code <= 599) return "5xx";
    if (c.status_code >= 400 && c.status_code <= 499) return "4xx";
    return "status";
  }
  return std::string(to_string(*c.reason));
}

std::string_view reading(std::string_view symptom, bool whole_site, bool one_check) {
  if (symptom == "connect") return one_check ? "its host refuses connections" : "server or load balancer down";
  if (symptom == "dns") return "name not resolving (DNS record or provider)";
  if (symptom == "tls") return "certificate or TLS setup";
  if (symptom == "timeout") return "server overloaded or network path dropping traffic";
  if (symptom == "5xx") return whole_site ? "application or shared backend failing" : "application fault";
  if (symptom == "4xx") return "pages missing or access refused";
  if (symptom == "status") return "unexpected status (redirect or routing change)";
  if (symptom == "protocol") return "malformed or reset responses (proxy or server bug)";
  if (symptom == "assertion") return "wrong content (error page, or the page changed)";
  if (symptom == "latency") return "too slow (overload or a slow dependency)";
  if (symptom == "extraction") return "expected value missing (page or API changed)";
  return "";
}

std::string triage_hint(const std::vector<const CheckHealth*>& down, const std::vector<const CheckHealth*>& slow,
                        std::size_t n) {
  if (down.empty()) {
    if (slow.empty()) return "";
    return join_some(sorted_areas(slow)) + " passing but slow - capacity or a slow dependency";
  }
  Tally tally;
  for (const auto* c : down) tally.add(symptom(*c), area_of(*c));
  tally.sort();
  if (tally.entries.empty()) return std::to_string(down.size()) + " of " + std::to_string(n) +
                                    " checks down, latest runs passing - recovering";
  const auto& top = tally.entries.front();
  const bool whole_site = top.count == n && n >= 2;
  std::string out;
  if ((top.key == "5xx" || top.key == "4xx") && top.areas.size() == 1 && top.count < n) {
    out = top.key + " on " + *top.areas.begin() + " only";
  } else {
    out = (whole_site ? "all " + std::to_string(n) : std::to_string(top.count) + " of " + std::to_string(n)) +
          " checks: " + top.key;
  }
  std::vector<std::string> others;
  for (std::size_t i = 1; i < tally.entries.size(); ++i)
    others.push_back(std::to_string(tally.entries[i].count) + " " + tally.entries[i].key);
  if (!others.empty()) out += " (also " + join(others, ", ") + ")";
  const auto why = reading(top.key, whole_site, top.count == 1);
  if (!why.empty()) out += " - " + std::string(why);
  return out;
}

std::string summary_of(std::string_view site, const std::vector<const CheckHealth*>& down,
                       const std::vector<const CheckHealth*>& slow, const std::vector<const CheckHealth*>& failing,
                       std::size_t n) {
  std::string out = std::string(site) + ": ";
  if (!down.empty()) {
    if (down.size() == n && n >= 2)
      out += "all " + std::to_string(n) + " checks down";
    else
      out += join_some(sorted_areas(down)) + " down";
    out += reasons_in_parens(down);
    if (!slow.empty()) out += "; " + join_some(sorted_areas(slow)) + " slow";
    return out;
  }
  if (!slow.empty()) return out + join_some(sorted_areas(slow)) + " slow (degraded)";
  if (!failing.empty()) return out + join_some(sorted_areas(failing)) + " failing" + reasons_in_parens(failing);
  return out + "up";
}

FailingCheck evidence(const CheckHealth& c) {
  return {c.name, c.area, c.reason, c.reason ? c.message : std::string(), c.status_code, c.phases};
}

}  // namespace

std::string_view severity_name(config::Severity severity) {
  switch (severity) {
    case config::Severity::P1: return "P1";
    case config::Severity::P2: return "P2";
    case config::Severity::P3: return "P3";
  }
  return "P3";
}

std::optional<config::Severity> parse_severity_name(std::string_view name) {
  if (name == "P1") return config::Severity::P1;
  if (name == "P2") return config::Severity::P2;
  if (name == "P3") return config::Severity::P3;
  return std::nullopt;
}

std::string_view to_string(Extent extent) {
  switch (extent) {
    case Extent::full: return "full";
    case Extent::partial: return "partial";
    case Extent::degraded: return "degraded";
  }
  return "degraded";
}

std::optional<Extent> parse_extent(std::string_view name) {
  if (name == "full") return Extent::full;
  if (name == "partial") return Extent::partial;
  if (name == "degraded") return Extent::degraded;
  return std::nullopt;
}

std::string describe_reason(std::optional<Reason> reason, long status_code) {
  if (!reason) return "";
  if (*reason == Reason::status && status_code > 0) return "status " + std::to_string(status_code);
  return std::string(to_string(*reason));
}

SiteAssessment assess(std::string_view site, std::span<const CheckHealth> checks) {
  SiteAssessment a;
  a.site = std::string(site);
  a.checks = checks.size();
  std::vector<const CheckHealth*> down, slow, failing;
  bool down_p1 = false, down_p2 = false;
  for (const auto& c : checks) {
    if (c.state == CheckState::down) {
      down.push_back(&c);
      down_p1 |= c.severity == config::Severity::P1;
      down_p2 |= c.severity == config::Severity::P2;
    } else if (c.state == CheckState::degraded) {
      slow.push_back(&c);
    } else if (c.state == CheckState::failing) {
      failing.push_back(&c);
    }
    if (c.state == CheckState::unknown) ++a.unknown;
    const bool troubled = c.reason || c.degraded;
    if (troubled || (c.state != CheckState::up && c.state != CheckState::unknown)) a.clean = false;
    if (troubled && a.first_problem.empty()) {
      const auto what = c.reason ? (c.message.empty() ? describe_reason(c.reason, c.status_code) : c.message)
                                 : std::string("degraded");
      a.first_problem = c.name + ": " + what;
    }
  }
  // A check can be down while its latest run passed (resolve_after not reached yet): still a problem.
  if (a.first_problem.empty() && !a.clean) {
    const auto* c = !down.empty() ? down.front() : !failing.empty() ? failing.front() : slow.front();
    a.first_problem = c->name + ": " + std::string(to_string(c->state));
  }
  const std::size_t n = checks.size(), d = down.size();
  a.down = d;
  a.degraded = slow.size();
  a.failing = failing.size();

  if ((n >= 2 && d == n) || down_p1)
    a.severity = config::Severity::P1;
  else if (down_p2 || (n >= 2 && 2 * d >= n))
    a.severity = config::Severity::P2;
  else if (d >= 1 || !slow.empty())
    a.severity = config::Severity::P3;

  a.extent = d == 0 ? Extent::degraded : d == n ? Extent::full : Extent::partial;
  a.areas = sorted_areas(d > 0 ? down : slow);
  for (const auto* list : {&down, &slow})
    for (const auto* c : *list) {
      if (a.failing_checks.size() < kFailingChecksLimit)
        a.failing_checks.push_back(evidence(*c));
      else
        ++a.failing_checks_omitted;
    }
  a.summary = summary_of(site, down, slow, failing, n);
  if (a.severity) a.hint = triage_hint(down, slow, n);
  return a;
}

}  // namespace synthprobe
