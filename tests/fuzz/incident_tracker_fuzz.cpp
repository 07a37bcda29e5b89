// Fuzzes IncidentTracker::restore (probe/incidents/incident_tracker.h) on arbitrary JSON text: a site's
// tracker as the state store reads it back after a restart.
//
// Properties beyond "no crash, no UB, no leak": a restored tracker saves to what restores as the same
// tracker, and it carries on as the daemon drives it after a restart: the probe starts again, every check
// runs again and is up (an open incident resolves), then a check goes down (an incident opens, under an id
// made from the saved state's last one when they share a second).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "common/json_format.h"
#include "probe/incidents/incident_tracker.h"
#include "tests/fuzz/fuzz_support.h"

namespace json = boost::json;
using synthprobe::fuzz::require;

namespace {

synthprobe::SiteAssessment site_with(synthprobe::CheckState state, const std::string& site) {
  synthprobe::CheckHealth check;
  check.name = "home";
  check.area = "storefront";
  check.state = state;
  if (state == synthprobe::CheckState::down) {
    check.reason = synthprobe::Reason::status;
    check.message = "status 503 not in [2xx]";
    check.status_code = 503;
  }
  const std::vector<synthprobe::CheckHealth> checks{check};
  return synthprobe::assess(site, checks);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  json::error_code ec;
  const json::value value = json::parse(synthprobe::fuzz::as_text(data, size), ec);
  if (ec) return 0;
  auto tracker = synthprobe::IncidentTracker::restore(value);
  if (!tracker) return 0;

  const std::string saved = synthprobe::serialize_json(tracker->save());
  const auto again = synthprobe::IncidentTracker::restore(json::parse(saved, ec));
  require(!ec && again.has_value(), "what save() writes restores");
  require(synthprobe::fuzz::same_json(synthprobe::serialize_json(again->save()), saved), "and restores the same tracker");

  // Restarted a minute after the last thing it knew, as the daemon does.
  synthprobe::Timestamp last{};
  if (const auto& open = tracker->open_incident()) last = open->opened_at;
  if (const auto& resolved = tracker->last_resolved(); resolved && resolved->resolved_at)
    last = std::max(last, *resolved->resolved_at);
  const synthprobe::Timestamp now = last + std::chrono::minutes(1);
  tracker->probe_started(last, now);
  const std::string& site = tracker->context().site;
  const auto up = tracker->update(site_with(synthprobe::CheckState::up, site), now);
  require(!tracker->open_incident().has_value(), "a site all up has no open incident");
  const auto down = tracker->update(site_with(synthprobe::CheckState::down, site), now);
  require(tracker->open_incident().has_value(), "a site down has an open incident");
  tracker->record_notification(tracker->open_incident()->id, "oncall", "open", true, now);
  tracker->force_resolve(now + std::chrono::seconds(1), "site removed from config");
  synthprobe::serialize_json(tracker->save());
  return 0;
}
