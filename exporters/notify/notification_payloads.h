#pragma once
// What each notifier type sends for one incident event: pure functions from (notifier, event, now) to the
// HTTP requests, no sockets and no clock of their own. The daemon sends them (POST, in order) and feeds
// the answers to delivery_policy; the outbox stores the NotificationEvent, never the requests, so secrets
// (routing keys, API keys, header values) stay out of the state directory and a rotated key applies to
// events queued before a reload.
//
// Formats (contract section 8):
// - pagerduty: Events API v2 at `url`: routing_key, event_action (trigger for open and update, resolve),
//   dedup_key, and for triggers payload{summary, source = probe, severity critical/error/warning for
//   P1/P2/P3, timestamp = when the probe detected it, component = site, group = region, class = extent, custom_details = the
//   incident}.
// - opsgenie: Alert API v2. open/update: POST `url` {message (summary, at most 130 bytes), alias = dedup
//   key, description, priority P1/P2/P3, tags, details (flat string map, at most 8,000 characters in all;
//   the team's roles that are set as commander, technical_lead, communications_lead, support_lead),
//   entity = site, source = probe}; an update then adds what changed as a note on the alias (a repeated
//   create of an open alias is deduplicated and changes nothing else) and, when the severity changed,
//   PUTs the priority; resolve: POST `url`/<alias, percent-encoded>/close?identifierType=alias {source,
//   user, note}. Header `Authorization: GenieKey <api_key>`.
// - alertmanager: one POST <base>/api/v2/alerts per base in `urls`, body an array of alerts: labels
//   {alertname="SiteDown", site, severity, region, probe, then the incident's labels (never overriding
//   those five)}, annotations {summary, description (the evidence), incident_id, and each team role that is
//   set: commander, technical_lead, communications_lead, support_lead}, startsAt = opened_at,
//   endsAt = now + 4 x resend_interval while open, now on resolve. An event whose severity differs from
//   `previous_severity` sends the old alert (old severity label, endsAt = now) first, then the new one.
// - webhook: POST `url` {"version": "1", "event_id", "sequence", "event", "incident"} plus the configured
//   headers (a configured Content-Type wins over ours).
// - slack: incoming webhook {"text": two plain lines, no emoji}, e.g.
//   "[P2] shop: checkout down (status 503) — opened 10:15:00Z"
//   "Partial outage (checkout); seen by probe eu-west-1a in eu-west; incident shop-eu-west-20261127T101500Z"
//   and "[P1] ... — updated (was P2), opened ...", "Resolved: [P2] ... — opened ..., resolved ... (27m)";
//   a third line when the incident has a team: "Team: commander Ana Ruiz; technical lead https://rota...".

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "config/config_model.h"

namespace synthprobe {

enum class NotificationKind { open, update, resolve };
// "open", "update", "resolve": the webhook's `event` and the `event` label of synthprobe_notifications_total.
std::string_view to_string(NotificationKind kind);
std::optional<NotificationKind> parse_notification_kind(std::string_view text);

// One incident event for one notifier: everything needed to (re)build its requests at any later time.
struct NotificationEvent {
  NotificationKind kind = NotificationKind::open;
  std::uint64_t sequence = 0;  // per notifier and incident, from 1
  std::string event_id;        // unique per event; receivers deduplicate by it
  boost::json::object incident;  // the contract section 7 object
  // The severity last sent to this notifier, when this event changes it (alertmanager resolves the alert
  // with the old severity label). nullopt or equal to the incident's: no change.
  std::optional<config::Severity> previous_severity;
  // When the probe detected what the event announces (PagerDuty's payload.timestamp): not when a retry
  // happens to be sent. nullopt: the send time.
  std::optional<std::chrono::system_clock::time_point> detected_at;
};

// The requests of one event go one after the other, in order; the first that is not accepted ends the
// attempt (and the whole event is tried again, receivers deduplicate).
struct OutgoingRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type included
  std::string body;                                          // the request body
  std::string method = "POST";
};

// The requests, in the order they must be sent, or why none can be built (an unknown notifier type, an
// incident without id, site, dedup_key, summary or a P1-P3 severity). Messages name the notifier and the
// missing field, never a secret.
struct BuiltRequests {
  std::vector<OutgoingRequest> requests;
  std::string error;
  bool ok() const { return error.empty(); }
};

// Builds the requests for `event` as `notifier` sends it at `now` (wall clock). Build at each attempt
// with the send time as `now`: alertmanager's endsAt counts from it, so a late retry is not already
// expired on arrival.
//
// `target`: "" for all requests; else only those for one delivery target of delivery_targets() (an
// alertmanager base URL), so each Alertmanager gets its own ordered queue and one that is down does not
// hold back the others.
BuiltRequests build_requests(const config::Notifier& notifier, const NotificationEvent& event,
                             std::chrono::system_clock::time_point now, std::string_view target = {});

// Where a notifier delivers: its `urls` for alertmanager, else one target "" (its `url`).
std::vector<std::string> delivery_targets(const config::Notifier& notifier);

}  // namespace synthprobe
