#pragma once
// The incident record of contract section 7: what the API, the webhook and every notifier show, and what
// state_dir keeps across restarts. Plain data plus its JSON form; the IncidentTracker decides its life.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/time_format.h"
#include "config/config_model.h"
#include "probe/health/site_severity.h"

namespace synthprobe {

// The contract's fixed set of timeline events.
enum class TimelineEvent : std::uint8_t {
  first_failure,
  check_down,
  check_up,
  check_degraded,
  opened,
  severity_changed,
  extent_changed,
  notified,
  notify_failed,
  resolved,
  probe_stopped,  // the probe was not running from here: no check ran, nothing was detected
  probe_started,  // ... until here
  relapsed,       // a check went down again within the recovery watch: the same incident reopened
  comms_update,   // customers were told (an operator's update, or the status page showing the message)
  comms_overdue,  // the customer update was not given by customer_update_due
};
std::string_view to_string(TimelineEvent event);
std::optional<TimelineEvent> parse_timeline_event(std::string_view name);

struct TimelineEntry {
  Timestamp at;
  TimelineEvent event = TimelineEvent::opened;
  std::string detail;
};

// An update customers were given, newest last.
struct CommsUpdate {
  Timestamp at;
  std::string message;
  std::string source;  // "operator" or "status page"
};

struct Incident {
  std::string id;         // incident_id(site, region, opened_at)
  std::string site;
  std::string dedup_key;  // incident_dedup_key(site, region)
  std::string probe;
  std::string region;
  std::map<std::string, std::string> labels;  // the site's
  config::Severity severity = config::Severity::P3;
  Extent extent = Extent::degraded;
  std::vector<std::string> areas;
  std::string summary;
  std::optional<Timestamp> first_failure_at;
  Timestamp opened_at;
  std::optional<Timestamp> resolved_at;  // nullopt while open
  std::vector<FailingCheck> failing_checks;  // at most kFailingChecksLimit, down checks first
  std::size_t failing_checks_omitted = 0;    // beyond the limit (a large site down)
  std::vector<TimelineEntry> timeline;  // bounded: see append_bounded
  // Opened while the probe skipped more than 5% of its due runs: its view may be late or partial.
  bool probe_saturated = false;
  // How long the probe was not running while this incident was open or pending (restarts, crashes).
  double probe_blind_seconds = 0;
  // The recovery watch: until then a relapse reopens this incident (set when it resolves).
  std::optional<Timestamp> watch_until;
  int relapses = 0;
  // The communications clock: customers must hear from us by customer_update_due.
  std::optional<Timestamp> customer_update_due;
  std::vector<CommsUpdate> comms;  // bounded like the timeline
  bool comms_overdue = false;      // the due time passed without an update
  config::IncidentTeam team;       // who handles it
  bool drill = false;              // a test of the paging path (synthprobe drill), not an outage
  // Not part of the JSON, whose fields are the contract's; reports show them.
  std::size_t timeline_omitted = 0;  // events dropped from the middle of the timeline to bound it
  std::string hint;                  // the triage hint of the latest assessment (SiteAssessment::hint)
};

// "<site>-<region>-<opened UTC yyyymmddThhmmssZ>", e.g. "shop-eu-west-20261127T101500Z".
std::string incident_id(std::string_view site, std::string_view region, Timestamp opened_at);
// "synthprobe/<site>/<region>": the same for every incident of a site seen from one region, so receivers
// (PagerDuty, Opsgenie) fold a reopened incident into the one they still show.
// With [probe] shard "K/N", "synthprobe/<site>/<region>/shard-K-of-N": each replica judges only its share
// of a site's checks, so one replica's resolve must not close a page another still needs.
std::string incident_dedup_key(std::string_view site, std::string_view region, std::string_view shard = {});

// opened_at - first_failure_at; nullopt without a first failure.
std::optional<double> time_to_detect_seconds(const Incident& incident);

// A timeline keeps its first kTimelineHead events (how it started) and the most recent ones, at most
// kTimelineLimit in all, so a flapping check cannot grow it without bound.
inline constexpr std::size_t kTimelineLimit = 200;
inline constexpr std::size_t kTimelineHead = 10;
void append_bounded(std::vector<TimelineEntry>& timeline, std::size_t& omitted, TimelineEntry entry);
inline void append_event(Incident& incident, TimelineEntry entry) {
  append_bounded(incident.timeline, incident.timeline_omitted, std::move(entry));
}

// The contract's object, fields in its order: id, site, dedup_key, probe, region, labels, severity,
// extent, areas, summary, first_failure_at, opened_at, resolved_at, time_to_detect_seconds,
// failing_checks [{name, area, reason, message, status_code, phases{resolve, connect, tls, processing,
// transfer}}], timeline [{at, event, detail}]; then ours: failing_checks_omitted, probe_saturated,
// probe_blind_seconds, recovery_watch_until, relapses, customer_update_due, customer_updates [{at, message,
// source}], comms_overdue, team {commander, technical_lead, communications_lead, support_lead: {name,
// notifier} or null}, drill. Times are RFC 3339 UTC; absent values (resolved_at while
// open, a passing check's reason and message, a status_code without response) are null. Serialize with
// serialize_json so seconds print as "10.0".
boost::json::object to_json(const Incident& incident);
boost::json::object to_json(const TimelineEntry& entry);

// The inverse of to_json, for incidents restored from state_dir. nullopt when a required field (id, site,
// severity, extent, opened_at) is missing or any field has the wrong type: a damaged file is reported by
// the caller, never a crash.
std::optional<Incident> incident_from_json(const boost::json::value& value);
std::optional<TimelineEntry> timeline_entry_from_json(const boost::json::value& value);

}  // namespace synthprobe
