#include "exporters/notify/notification_payloads.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "common/json_format.h"
#include "common/text.h"
#include "common/time_format.h"
#include "probe/health/site_severity.h"

namespace synthprobe {
namespace {

namespace json = boost::json;
using TimePoint = std::chrono::system_clock::time_point;

// The service limits we must stay under (Opsgenie rejects longer fields; PagerDuty truncates).
constexpr std::size_t kPagerDutySummaryMax = 1024;
constexpr std::size_t kOpsgenieMessageMax = 130;
constexpr std::size_t kOpsgenieDescriptionMax = 15000;
constexpr std::size_t kOpsgenieTagMax = 50;
constexpr std::size_t kOpsgenieTagsMax = 20;
constexpr std::size_t kOpsgenieSourceMax = 100;
constexpr std::size_t kOpsgenieNoteMax = 25000;
constexpr std::size_t kOpsgenieDetailMax = 1000;     // per value
constexpr std::size_t kOpsgenieDetailsTotal = 7500;  // the service allows 8,000 characters in all

struct Evidence {
  std::string name;
  std::string area;
  std::string reason;
  std::string message;
  std::optional<std::int64_t> status_code;
};

// The incident fields the payloads use, read once.
struct IncidentFacts {
  std::string id;
  std::string site;
  std::string dedup_key;
  std::string probe;
  std::string region;
  std::string summary;
  std::string extent;
  std::string opened_at;
  std::string resolved_at;
  config::Severity severity = config::Severity::P3;
  bool drill = false;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::string> areas;
  std::vector<Evidence> failing;
  // The roles that are set, in config::kTeamRoles order: (role, name or rota URL).
  std::vector<std::pair<std::string_view, std::string>> team;
};

std::string string_field(const json::object& o, std::string_view key) {
  if (auto it = o.find(key); it != o.end()) {
    if (const json::string* s = it->value().if_string()) return std::string(*s);
  }
  return {};
}

// A label or detail value as text: strings as they are, anything else as its JSON.
std::string as_text(const json::value& v) {
  if (const json::string* s = v.if_string()) return std::string(*s);
  if (v.is_null()) return {};
  return serialize_json(v);
}

std::optional<IncidentFacts> read_incident(const json::object& o, const NotificationEvent& event,
                                      std::string& error) {
  IncidentFacts in;
  using Required = std::pair<const char*, std::string*>;
  for (auto [key, out] : {Required{"id", &in.id}, Required{"site", &in.site},
                          Required{"dedup_key", &in.dedup_key}, Required{"summary", &in.summary}}) {
    *out = string_field(o, key);
    if (out->empty()) {
      error = std::string("incident has no string \"") + key + "\"";
      return std::nullopt;
    }
  }
  in.probe = string_field(o, "probe");
  in.region = string_field(o, "region");
  in.extent = string_field(o, "extent");
  in.opened_at = string_field(o, "opened_at");
  in.resolved_at = string_field(o, "resolved_at");
  if (auto it = o.find("drill"); it != o.end() && it->value().is_bool()) in.drill = it->value().get_bool();
  // A resolved incident may no longer carry a severity: the one last sent is then what resolves.
  if (auto s = parse_severity_name(string_field(o, "severity"))) {
    in.severity = *s;
  } else if (event.previous_severity) {
    in.severity = *event.previous_severity;
  } else {
    error = "incident " + in.id + " has no severity P1, P2 or P3";
    return std::nullopt;
  }
  if (auto it = o.find("labels"); it != o.end() && it->value().is_object()) {
    for (const auto& kv : it->value().get_object())
      in.labels.emplace_back(std::string(kv.key()), as_text(kv.value()));
  }
  if (auto it = o.find("areas"); it != o.end() && it->value().is_array()) {
    for (const auto& a : it->value().get_array())
      if (const json::string* s = a.if_string()) in.areas.emplace_back(*s);
  }
  if (auto it = o.find("team"); it != o.end() && it->value().is_object()) {
    const json::object& team = it->value().get_object();
    for (std::string_view role : config::kTeamRoles) {
      auto m = team.find(role);
      if (m == team.end() || !m->value().is_object()) continue;  // null: the role is not set
      if (std::string name = string_field(m->value().get_object(), "name"); !name.empty())
        in.team.emplace_back(role, std::move(name));
    }
  }
  if (auto it = o.find("failing_checks"); it != o.end() && it->value().is_array()) {
    for (const auto& c : it->value().get_array()) {
      const json::object* co = c.if_object();
      if (!co) continue;
      Evidence f{string_field(*co, "name"), string_field(*co, "area"), string_field(*co, "reason"),
                     string_field(*co, "message"), std::nullopt};
      if (auto sc = co->find("status_code"); sc != co->end()) {
        if (sc->value().is_int64()) f.status_code = sc->value().get_int64();
        else if (sc->value().is_uint64()) f.status_code = static_cast<std::int64_t>(sc->value().get_uint64());
      }
      in.failing.push_back(std::move(f));
    }
  }
  return in;
}

// At most `max` bytes, cut on a UTF-8 character boundary, "..." marking a cut.
std::string truncate_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  const std::string_view ellipsis = "...";
  std::size_t cut = max > ellipsis.size() ? max - ellipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  std::string out(s.substr(0, cut));
  if (max >= ellipsis.size()) out += ellipsis;
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

// base + "/" + path, keeping a query the base may carry (a proxy's) after the new path.
std::string join_url(std::string_view base, std::string_view path, std::string_view query = {}) {
  std::string_view existing_query;
  if (auto q = base.find('?'); q != std::string_view::npos) {
    existing_query = base.substr(q + 1);
    base = base.substr(0, q);
  }
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string url(base);
  url += '/';
  url += path;
  if (!existing_query.empty() || !query.empty()) {
    url += '?';
    url += existing_query;
    if (!existing_query.empty() && !query.empty()) url += '&';
    url += query;
  }
  return url;
}

std::tm utc_tm(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

// "10:15:00Z" on the day of `now`, else "2026-11-26 23:59:00Z"; the text as given when unreadable.
std::string short_time(std::string_view iso, TimePoint now) {
  auto t = parse_rfc3339(iso);
  if (!t) return std::string(iso);
  const std::tm a = utc_tm(*t);
  const std::tm b = utc_tm(now);
  char buf[40];
  if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
    std::strftime(buf, sizeof buf, "%H:%M:%SZ", &a);
  else
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &a);
  return buf;
}

// One line per failing check: "checkout: status 503 not in [2xx] (reason: status)", the area when it is
// not the check's own name, the status code when the message does not already say it.
std::vector<std::string> evidence_lines(const IncidentFacts& in) {
  std::vector<std::string> lines;
  for (const auto& f : in.failing) {
    std::string line = f.name.empty() ? "(unnamed check)" : f.name;
    if (!f.area.empty() && f.area != f.name) line += " (area " + f.area + ")";
    line += ": " + (f.message.empty() ? std::string("failing") : f.message);
    std::vector<std::string> facts;
    if (!f.reason.empty()) facts.push_back("reason: " + f.reason);
    if (f.status_code && *f.status_code > 0 && f.message.find(std::to_string(*f.status_code)) == std::string::npos)
      facts.push_back("HTTP " + std::to_string(*f.status_code));
    if (!facts.empty()) line += " (" + join(facts, ", ") + ")";
    lines.push_back(std::move(line));
  }
  return lines;
}

// "Partial outage (checkout); seen by probe eu-west-1a in eu-west; incident shop-eu-west-...": the facts
// under the summary.
std::string context_line(const IncidentFacts& in) {
  std::vector<std::string> parts;
  const std::string areas = in.areas.empty() ? "" : " (" + join(in.areas, ", ") + ")";
  if (in.extent == "full") parts.push_back("Full outage");
  else if (in.extent == "partial") parts.push_back("Partial outage" + areas);
  else if (in.extent == "degraded") parts.push_back("Degraded" + areas);
  else if (!in.extent.empty()) parts.push_back("Extent " + in.extent + areas);
  if (!in.probe.empty()) parts.push_back("seen by probe " + in.probe + (in.region.empty() ? "" : " in " + in.region));
  else if (!in.region.empty()) parts.push_back("seen in " + in.region);
  parts.push_back("incident " + in.id);
  std::string line = join(parts, "; ");
  line[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(line[0])));
  return line;
}

// The evidence as one text: severity and context, times, then the failing checks.
std::string description(const IncidentFacts& in) {
  std::string text = std::string(severity_name(in.severity)) + ": " + context_line(in) + ".";
  if (!in.opened_at.empty()) text += "\nOpened " + in.opened_at + ".";
  if (!in.resolved_at.empty()) text += "\nResolved " + in.resolved_at + ".";
  const auto lines = evidence_lines(in);
  if (!lines.empty()) text += "\nFailing checks:\n- " + join(lines, "\n- ");
  return text;
}

std::vector<std::pair<std::string, std::string>> json_headers() {
  return {{"Content-Type", "application/json"}};
}

std::string_view pagerduty_severity(config::Severity s) {
  switch (s) {
    case config::Severity::P1: return "critical";
    case config::Severity::P2: return "error";
    case config::Severity::P3: return "warning";
  }
  return "warning";
}

OutgoingRequest pagerduty(const config::Notifier& n, const NotificationEvent& event, const IncidentFacts& in,
                          TimePoint now) {
  json::object body;
  body["routing_key"] = n.routing_key;
  body["event_action"] = event.kind == NotificationKind::resolve ? "resolve" : "trigger";
  body["dedup_key"] = in.dedup_key;
  if (event.kind != NotificationKind::resolve) {
    json::object payload;
    payload["summary"] = truncate_utf8(in.summary, kPagerDutySummaryMax);
    payload["source"] = in.probe.empty() ? std::string("synthprobe") : in.probe;
    payload["severity"] = pagerduty_severity(in.severity);
    payload["timestamp"] = format_rfc3339(event.detected_at.value_or(now));
    payload["component"] = in.site;
    if (!in.region.empty()) payload["group"] = in.region;
    if (!in.extent.empty()) payload["class"] = in.extent;
    payload["custom_details"] = event.incident;
    body["payload"] = std::move(payload);
  }
  body["client"] = "synthprobe";
  return {n.url, json_headers(), serialize_json(body)};
}

std::vector<OutgoingRequest> opsgenie(const config::Notifier& n, const NotificationEvent& event,
                                      const IncidentFacts& in) {
  auto headers = json_headers();
  headers.emplace_back("Authorization", "GenieKey " + n.api_key);
  const std::string source = truncate_utf8(in.probe.empty() ? "synthprobe" : in.probe, kOpsgenieSourceMax);
  json::object body;
  if (event.kind == NotificationKind::resolve) {
    body["source"] = source;
    body["user"] = "synthprobe";
    body["note"] = "Resolved: " + in.summary + (in.resolved_at.empty() ? "" : " at " + in.resolved_at);
    return {{join_url(n.url, text::percent_encode(in.dedup_key) + "/close", "identifierType=alias"),
             std::move(headers), serialize_json(body)}};
  }
  body["message"] = truncate_utf8(in.summary, kOpsgenieMessageMax);
  body["alias"] = in.dedup_key;
  body["description"] = truncate_utf8(description(in), kOpsgenieDescriptionMax);
  body["priority"] = severity_name(in.severity);
  json::array tags;
  auto add_tag = [&](std::string tag) {
    if (tags.size() < kOpsgenieTagsMax) tags.emplace_back(truncate_utf8(tag, kOpsgenieTagMax));
  };
  add_tag("synthprobe");
  add_tag("site:" + in.site);
  if (!in.region.empty()) add_tag("region:" + in.region);
  for (const auto& [k, v] : in.labels) add_tag(k + ":" + v);
  body["tags"] = std::move(tags);
  json::object details;
  std::size_t budget = kOpsgenieDetailsTotal;  // a 4xx for our own oversized payload must never stop a page
  auto detail = [&](std::string_view key, std::string value) {
    if (value.empty() || details.contains(key) || budget <= key.size() + 8) return;
    value = truncate_utf8(value, std::min(kOpsgenieDetailMax, budget - key.size() - 8));
    budget -= key.size() + value.size();
    details[key] = std::move(value);
  };
  detail("incident_id", in.id);
  detail("site", in.site);
  detail("region", in.region);
  detail("probe", in.probe);
  detail("severity", std::string(severity_name(in.severity)));
  detail("extent", in.extent);
  detail("areas", join(in.areas, ", "));
  detail("opened_at", in.opened_at);
  for (const auto& [role, name] : in.team) detail(role, name);  // short, and who to call: before the evidence
  detail("failing_checks", join(evidence_lines(in), "; "));
  for (const auto& [k, v] : in.labels) detail(k, v);
  body["details"] = std::move(details);
  body["entity"] = in.site;
  body["source"] = source;
  body["user"] = "synthprobe";
  std::string note;
  if (event.kind == NotificationKind::update) {
    note = "Updated: " + std::string(severity_name(in.severity));
    if (event.previous_severity && *event.previous_severity != in.severity)
      note += " (was " + std::string(severity_name(*event.previous_severity)) + ")";
    if (!in.extent.empty()) note += ", " + in.extent;
    note += ". " + in.summary;
    body["note"] = note;
  }
  std::vector<OutgoingRequest> out{{n.url, headers, serialize_json(body)}};
  if (event.kind == NotificationKind::update) {
    // The create above is deduplicated for an open alias: what changed reaches the alert as a note.
    json::object add_note{{"user", "synthprobe"}, {"source", source}, {"note", truncate_utf8(note, kOpsgenieNoteMax)}};
    out.push_back({join_url(n.url, text::percent_encode(in.dedup_key) + "/notes", "identifierType=alias"), headers,
                   serialize_json(add_note)});
  }
  // A create for an alias that is still open is deduplicated by Opsgenie and keeps the old priority:
  // an escalation (or de-escalation) also sets the priority explicitly.
  if (event.kind == NotificationKind::update && event.previous_severity && *event.previous_severity != in.severity) {
    json::object priority{{"priority", std::string(severity_name(in.severity))}};
    out.push_back({join_url(n.url, text::percent_encode(in.dedup_key) + "/priority", "identifierType=alias"),
                   std::move(headers), serialize_json(priority), "PUT"});
  }
  return out;
}

json::object alertmanager_alert(const IncidentFacts& in, config::Severity severity, TimePoint ends_at) {
  json::object labels;
  labels["alertname"] = "SiteDown";
  labels["site"] = in.site;
  labels["severity"] = severity_name(severity);
  labels["region"] = in.region;
  labels["probe"] = in.probe;
  if (in.drill) {
    labels["drill"] = "true";  // routes can send drills to a test receiver, or silence them
    // Each drill its own alert: the previous drill's resolve, re-sent for minutes, never ends the next one.
    labels["drill_id"] = in.id;
  }
  for (const auto& [k, v] : in.labels)
    if (!labels.contains(k)) labels[k] = v;
  json::object annotations;
  annotations["summary"] = in.summary;
  annotations["description"] = description(in);
  annotations["incident_id"] = in.id;
  for (const auto& [role, name] : in.team) annotations[role] = name;
  json::object alert;
  alert["labels"] = std::move(labels);
  alert["annotations"] = std::move(annotations);
  if (!in.opened_at.empty()) alert["startsAt"] = in.opened_at;
  alert["endsAt"] = format_rfc3339(ends_at);
  return alert;
}

std::string alertmanager_body(const config::Notifier& n, const NotificationEvent& event, const IncidentFacts& in,
                              TimePoint now) {
  json::array alerts;
  const bool changed = event.previous_severity && *event.previous_severity != in.severity;
  if (event.kind == NotificationKind::resolve) {
    if (changed) alerts.push_back(alertmanager_alert(in, *event.previous_severity, now));
    alerts.push_back(alertmanager_alert(in, in.severity, now));
  } else {
    // Severity is an identifying label: the old alert must end, or it fires on until its endsAt.
    // (An open carries no previous severity, unless the caller says one was sent.)
    if (changed) alerts.push_back(alertmanager_alert(in, *event.previous_severity, now));
    const auto ends_at = now + 4 * std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                       n.resend_interval);
    alerts.push_back(alertmanager_alert(in, in.severity, ends_at));
  }
  return serialize_json(alerts);
}

OutgoingRequest webhook(const config::Notifier& n, const NotificationEvent& event) {
  json::object body;
  body["version"] = "1";
  body["event_id"] = event.event_id;
  body["sequence"] = event.sequence;
  body["event"] = to_string(event.kind);
  body["incident"] = event.incident;
  std::vector<std::pair<std::string, std::string>> headers;
  bool has_content_type = false;
  for (const auto& [k, v] : n.headers) {
    has_content_type = has_content_type || text::iequals(k, "content-type");
  }
  if (!has_content_type) headers.emplace_back("Content-Type", "application/json");
  for (const auto& [k, v] : n.headers) headers.emplace_back(k, v);
  return {n.url, std::move(headers), serialize_json(body)};
}

// Slack reads &, < and > as markup.
std::string slack_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

// "Team: commander Ana Ruiz; technical lead https://rota.example.com/web": who is handling it.
std::string team_line(const IncidentFacts& in) {
  std::vector<std::string> parts;
  for (const auto& [role, name] : in.team) {
    std::string title(role);
    std::replace(title.begin(), title.end(), '_', ' ');
    parts.push_back(title + " " + name);
  }
  return "Team: " + join(parts, "; ");
}

std::string slack_text(const NotificationEvent& event, const IncidentFacts& in, TimePoint now) {
  const std::string sev = "[" + std::string(severity_name(in.severity)) + "] ";
  const std::string opened = in.opened_at.empty() ? "" : "opened " + short_time(in.opened_at, now);
  std::string first;
  switch (event.kind) {
    case NotificationKind::open:
      first = sev + in.summary + (opened.empty() ? "" : " — " + opened);
      break;
    case NotificationKind::update: {
      std::string what = "updated";
      if (event.previous_severity && *event.previous_severity != in.severity)
        what += " (was " + std::string(severity_name(*event.previous_severity)) + ")";
      first = sev + in.summary + " — " + what + (opened.empty() ? "" : ", " + opened);
      break;
    }
    case NotificationKind::resolve: {
      first = "Resolved: " + sev + in.summary;
      std::vector<std::string> when;
      if (!opened.empty()) when.push_back(opened);
      if (!in.resolved_at.empty()) {
        std::string resolved = "resolved " + short_time(in.resolved_at, now);
        auto a = parse_rfc3339(in.opened_at);
        auto b = parse_rfc3339(in.resolved_at);
        if (a && b)
          resolved += " (" + format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(*b - *a)) + ")";
        when.push_back(std::move(resolved));
      }
      if (!when.empty()) first += " — " + join(when, ", ");
      break;
    }
  }
  std::string text = first + "\n" + context_line(in);
  if (!in.team.empty()) text += "\n" + team_line(in);
  return slack_escape(text);
}

OutgoingRequest slack(const config::Notifier& n, const NotificationEvent& event, const IncidentFacts& in,
                      TimePoint now) {
  json::object body;
  body["text"] = slack_text(event, in, now);
  return {n.url, json_headers(), serialize_json(body)};
}

}  // namespace

std::string_view to_string(NotificationKind kind) {
  switch (kind) {
    case NotificationKind::open: return "open";
    case NotificationKind::update: return "update";
    case NotificationKind::resolve: return "resolve";
  }
  return "open";
}

std::optional<NotificationKind> parse_notification_kind(std::string_view text) {
  if (text == "open") return NotificationKind::open;
  if (text == "update") return NotificationKind::update;
  if (text == "resolve") return NotificationKind::resolve;
  return std::nullopt;
}

std::vector<std::string> delivery_targets(const config::Notifier& notifier) {
  if (notifier.type == "alertmanager") return notifier.urls;
  return {std::string()};
}

BuiltRequests build_requests(const config::Notifier& notifier, const NotificationEvent& event,
                             std::chrono::system_clock::time_point now, std::string_view target) {
  BuiltRequests out;
  const std::string who = "notifier \"" + notifier.name + "\" (" + notifier.type + "): ";
  std::string error;
  auto incident = read_incident(event.incident, event, error);
  if (!incident) {
    out.error = who + error;
    return out;
  }
  const IncidentFacts& in = *incident;
  if (notifier.type == "alertmanager") {
    if (notifier.urls.empty()) {
      out.error = who + "no Alertmanager urls";
      return out;
    }
    const std::string body = alertmanager_body(notifier, event, in, now);
    for (const auto& base : notifier.urls) {
      if (!target.empty() && base != target) continue;
      out.requests.push_back({join_url(base, "api/v2/alerts"), json_headers(), body});
    }
    // No URL in the message: one may carry credentials.
    if (out.requests.empty()) out.error = who + "the target is no longer one of its urls";
    return out;
  }
  if (!target.empty()) {
    out.error = who + "has one target, the empty one";
    return out;
  }
  if (notifier.type == "pagerduty") out.requests.push_back(pagerduty(notifier, event, in, now));
  else if (notifier.type == "opsgenie") out.requests = opsgenie(notifier, event, in);
  else if (notifier.type == "webhook") out.requests.push_back(webhook(notifier, event));
  else if (notifier.type == "slack") out.requests.push_back(slack(notifier, event, in, now));
  else out.error = who + "unknown notifier type";
  return out;
}

}  // namespace synthprobe
