#include "probe/incidents/incident.h"

#include <array>
#include <cmath>
#include <limits>

namespace synthprobe {
namespace {

namespace json = boost::json;

constexpr std::array<std::pair<TimelineEvent, std::string_view>, 15> kEventNames{{
    {TimelineEvent::first_failure, "first_failure"},
    {TimelineEvent::check_down, "check_down"},
    {TimelineEvent::check_up, "check_up"},
    {TimelineEvent::check_degraded, "check_degraded"},
    {TimelineEvent::opened, "opened"},
    {TimelineEvent::severity_changed, "severity_changed"},
    {TimelineEvent::extent_changed, "extent_changed"},
    {TimelineEvent::notified, "notified"},
    {TimelineEvent::notify_failed, "notify_failed"},
    {TimelineEvent::resolved, "resolved"},
    {TimelineEvent::probe_stopped, "probe_stopped"},
    {TimelineEvent::probe_started, "probe_started"},
    {TimelineEvent::relapsed, "relapsed"},
    {TimelineEvent::comms_update, "comms_update"},
    {TimelineEvent::comms_overdue, "comms_overdue"},
}};


std::optional<config::TeamMember>& member(config::IncidentTeam& t, std::size_t i) {
  switch (i) {
    case 0: return t.commander;
    case 1: return t.technical_lead;
    case 2: return t.communications_lead;
    default: return t.support_lead;
  }
}

const std::optional<config::TeamMember>& member(const config::IncidentTeam& t, std::size_t i) {
  return member(const_cast<config::IncidentTeam&>(t), i);  // the same field, read only
}

json::object team_to_json(const config::IncidentTeam& team) {
  json::object o;
  for (std::size_t i = 0; i < config::kTeamRoles.size(); ++i) {
    const auto& m = member(team, i);
    if (!m) {
      o.emplace(config::kTeamRoles[i], nullptr);
      continue;
    }
    o.emplace(config::kTeamRoles[i], json::object{{"name", m->name},
                                      {"notifier", m->notifier.empty() ? json::value(nullptr) : json::value(m->notifier)}});
  }
  return o;
}

// curl measures in microseconds; anything finer is float noise (as in result_json).
double micro_rounded(double s) { return std::round(s * 1e6) / 1e6; }

json::value time_or_null(const std::optional<Timestamp>& t) {
  if (!t) return nullptr;
  return json::string(format_rfc3339(*t));
}

json::object phases_to_json(const Phases& p) {
  json::object o;
  o.reserve(5);
  o.emplace("resolve", micro_rounded(p.resolve));
  o.emplace("connect", micro_rounded(p.connect));
  o.emplace("tls", micro_rounded(p.tls));
  o.emplace("processing", micro_rounded(p.processing));
  o.emplace("transfer", micro_rounded(p.transfer));
  return o;
}

json::object failing_check_to_json(const FailingCheck& c) {
  json::object o;
  o.reserve(6);
  o.emplace("name", c.name);
  o.emplace("area", c.area);
  o.emplace("reason", c.reason ? json::value(json::string(to_string(*c.reason))) : json::value(nullptr));
  o.emplace("message", c.reason ? json::value(json::string(c.message)) : json::value(nullptr));
  o.emplace("status_code", c.status_code > 0 ? json::value(static_cast<std::int64_t>(c.status_code))
                                              : json::value(nullptr));
  o.emplace("phases", phases_to_json(c.phases));
  return o;
}

// Readers for incident_from_json: each returns false on a wrong type, leaving `out` alone when absent.
const json::value* field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

bool read_string(const json::object& o, std::string_view key, std::string& out, bool required = false) {
  const auto* v = field(o, key);
  if (!v || v->is_null()) return !required;
  if (!v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}

bool read_time(const json::object& o, std::string_view key, std::optional<Timestamp>& out) {
  const auto* v = field(o, key);
  if (!v || v->is_null()) return true;
  if (!v->is_string()) return false;
  out = parse_rfc3339(v->get_string());
  return out.has_value();
}

bool read_double(const json::value& v, double& out) {
  if (v.is_double()) out = v.get_double();
  else if (v.is_int64()) out = static_cast<double>(v.get_int64());
  else if (v.is_uint64()) out = static_cast<double>(v.get_uint64());
  else return false;
  return std::isfinite(out);  // 1e999 parses as infinity, which to_json could only write as null
}

std::optional<Reason> parse_reason(std::string_view name) {
  for (Reason r : kAllReasons)
    if (to_string(r) == name) return r;
  return std::nullopt;
}

std::optional<FailingCheck> failing_check_from_json(const json::value& value) {
  if (!value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  FailingCheck c;
  std::string reason;
  if (!read_string(o, "name", c.name, true) || !read_string(o, "area", c.area) ||
      !read_string(o, "reason", reason) || !read_string(o, "message", c.message))
    return std::nullopt;
  if (!reason.empty()) {
    c.reason = parse_reason(reason);
    if (!c.reason) return std::nullopt;
  }
  if (const auto* code = field(o, "status_code"); code && !code->is_null()) {
    if (!code->is_int64()) return std::nullopt;
    c.status_code = static_cast<long>(code->get_int64());
  }
  if (const auto* p = field(o, "phases"); p && !p->is_null()) {
    if (!p->is_object()) return std::nullopt;
    const auto& po = p->get_object();
    const std::array<std::pair<std::string_view, double*>, 5> parts{{{"resolve", &c.phases.resolve},
                                                                      {"connect", &c.phases.connect},
                                                                      {"tls", &c.phases.tls},
                                                                      {"processing", &c.phases.processing},
                                                                      {"transfer", &c.phases.transfer}}};
    for (const auto& [key, target] : parts)
      if (const auto* v = field(po, key); v && !read_double(*v, *target)) return std::nullopt;
  }
  return c;
}

}  // namespace

std::string_view to_string(TimelineEvent event) {
  for (const auto& [e, name] : kEventNames)
    if (e == event) return name;
  return "opened";  // unreachable for a valid enumerator
}

std::optional<TimelineEvent> parse_timeline_event(std::string_view name) {
  for (const auto& [e, n] : kEventNames)
    if (n == name) return e;
  return std::nullopt;
}

std::string incident_id(std::string_view site, std::string_view region, Timestamp opened_at) {
  return std::string(site) + "-" + std::string(region) + "-" + format_compact_utc(opened_at);
}

std::string incident_dedup_key(std::string_view site, std::string_view region, std::string_view shard) {
  std::string key = "synthprobe/" + std::string(site) + "/" + std::string(region);
  if (const auto slash = shard.find('/'); slash != std::string_view::npos)
    key += "/shard-" + std::string(shard.substr(0, slash)) + "-of-" + std::string(shard.substr(slash + 1));
  return key;
}

std::optional<double> time_to_detect_seconds(const Incident& incident) {
  if (!incident.first_failure_at) return std::nullopt;
  return seconds_between(*incident.first_failure_at, incident.opened_at);
}

void append_bounded(std::vector<TimelineEntry>& timeline, std::size_t& omitted, TimelineEntry entry) {
  if (timeline.size() >= kTimelineLimit) {
    // The oldest event after the head goes: the start and the latest state are what a responder reads.
    timeline.erase(timeline.begin() + static_cast<std::ptrdiff_t>(kTimelineHead));
    ++omitted;
  }
  timeline.push_back(std::move(entry));
}

json::object to_json(const TimelineEntry& entry) {
  json::object o;
  o.reserve(3);
  o.emplace("at", format_rfc3339(entry.at));
  o.emplace("event", to_string(entry.event));
  o.emplace("detail", entry.detail);
  return o;
}

json::object to_json(const Incident& in) {
  json::object o;
  o.reserve(16);
  o.emplace("id", in.id);
  o.emplace("site", in.site);
  o.emplace("dedup_key", in.dedup_key);
  o.emplace("probe", in.probe);
  o.emplace("region", in.region);
  json::object labels;
  for (const auto& [k, v] : in.labels) labels.emplace(k, v);
  o.emplace("labels", std::move(labels));
  o.emplace("severity", severity_name(in.severity));
  o.emplace("extent", to_string(in.extent));
  json::array areas;
  for (const auto& a : in.areas) areas.emplace_back(a);
  o.emplace("areas", std::move(areas));
  o.emplace("summary", in.summary);
  o.emplace("first_failure_at", time_or_null(in.first_failure_at));
  o.emplace("opened_at", format_rfc3339(in.opened_at));
  o.emplace("resolved_at", time_or_null(in.resolved_at));
  const auto ttd = time_to_detect_seconds(in);
  o.emplace("time_to_detect_seconds", ttd ? json::value(*ttd) : json::value(nullptr));
  json::array failing;
  failing.reserve(in.failing_checks.size());
  for (const auto& c : in.failing_checks) failing.emplace_back(failing_check_to_json(c));
  o.emplace("failing_checks", std::move(failing));
  json::array timeline;
  timeline.reserve(in.timeline.size());
  for (const auto& e : in.timeline) timeline.emplace_back(to_json(e));
  o.emplace("timeline", std::move(timeline));
  o.emplace("failing_checks_omitted", in.failing_checks_omitted);
  o.emplace("probe_saturated", in.probe_saturated);
  o.emplace("probe_blind_seconds", in.probe_blind_seconds);
  o.emplace("recovery_watch_until", time_or_null(in.watch_until));
  o.emplace("relapses", in.relapses);
  o.emplace("customer_update_due", time_or_null(in.customer_update_due));
  json::array comms;
  for (const auto& c : in.comms)
    comms.emplace_back(json::object{{"at", format_rfc3339(c.at)}, {"message", c.message}, {"source", c.source}});
  o.emplace("customer_updates", std::move(comms));
  o.emplace("comms_overdue", in.comms_overdue);
  o.emplace("team", team_to_json(in.team));
  o.emplace("drill", in.drill);
  return o;
}

std::optional<TimelineEntry> timeline_entry_from_json(const json::value& value) {
  if (!value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  std::optional<Timestamp> at;
  std::string event;
  TimelineEntry entry;
  if (!read_time(o, "at", at) || !at || !read_string(o, "event", event, true) ||
      !read_string(o, "detail", entry.detail))
    return std::nullopt;
  const auto kind = parse_timeline_event(event);
  if (!kind) return std::nullopt;
  entry.at = *at;
  entry.event = *kind;
  return entry;
}

std::optional<Incident> incident_from_json(const json::value& value) {
  if (!value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  Incident in;
  std::string severity, extent;
  std::optional<Timestamp> opened;
  if (!read_string(o, "id", in.id, true) || !read_string(o, "site", in.site, true) ||
      !read_string(o, "dedup_key", in.dedup_key) || !read_string(o, "probe", in.probe) ||
      !read_string(o, "region", in.region) || !read_string(o, "severity", severity, true) ||
      !read_string(o, "extent", extent, true) || !read_string(o, "summary", in.summary) ||
      !read_time(o, "first_failure_at", in.first_failure_at) || !read_time(o, "opened_at", opened) || !opened ||
      !read_time(o, "resolved_at", in.resolved_at))
    return std::nullopt;
  const auto sev = parse_severity_name(severity);
  const auto ext = parse_extent(extent);
  if (!sev || !ext) return std::nullopt;
  in.severity = *sev;
  in.extent = *ext;
  in.opened_at = *opened;
  // time_to_detect_seconds is derived from the two times above, so it is not read back.
  if (const auto* labels = field(o, "labels"); labels && !labels->is_null()) {
    if (!labels->is_object()) return std::nullopt;
    for (const auto& kv : labels->get_object()) {
      if (!kv.value().is_string()) return std::nullopt;
      in.labels.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
    }
  }
  if (const auto* areas = field(o, "areas"); areas && !areas->is_null()) {
    if (!areas->is_array()) return std::nullopt;
    for (const auto& a : areas->get_array()) {
      if (!a.is_string()) return std::nullopt;
      in.areas.emplace_back(a.get_string());
    }
  }
  if (const auto* failing = field(o, "failing_checks"); failing && !failing->is_null()) {
    if (!failing->is_array()) return std::nullopt;
    for (const auto& c : failing->get_array()) {
      auto check = failing_check_from_json(c);
      if (!check) return std::nullopt;
      in.failing_checks.push_back(std::move(*check));
    }
  }
  if (const auto* timeline = field(o, "timeline"); timeline && !timeline->is_null()) {
    if (!timeline->is_array()) return std::nullopt;
    for (const auto& e : timeline->get_array()) {
      auto entry = timeline_entry_from_json(e);
      if (!entry) return std::nullopt;
      in.timeline.push_back(std::move(*entry));
    }
  }
  if (const auto* omitted = field(o, "failing_checks_omitted"); omitted && !omitted->is_null()) {
    if (!omitted->is_number()) return std::nullopt;
    json::error_code ec;  // to_number without one throws on -1 or 0.5
    in.failing_checks_omitted = omitted->to_number<std::size_t>(ec);
    if (ec) return std::nullopt;
  }
  if (const auto* saturated = field(o, "probe_saturated"); saturated && !saturated->is_null()) {
    if (!saturated->is_bool()) return std::nullopt;
    in.probe_saturated = saturated->get_bool();
  }
  if (const auto* blind = field(o, "probe_blind_seconds"); blind && !blind->is_null()) {
    // At most the span of the timestamps parse_rfc3339 reads: a report converts it to milliseconds.
    constexpr double kMaxSeconds = (kLastYear - kFirstYear + 1) * 366.0 * 86400;
    if (!read_double(*blind, in.probe_blind_seconds) || in.probe_blind_seconds < 0 ||
        in.probe_blind_seconds > kMaxSeconds)
      return std::nullopt;
  }
  if (!read_time(o, "recovery_watch_until", in.watch_until) || !read_time(o, "customer_update_due", in.customer_update_due))
    return std::nullopt;
  if (const auto* relapses = field(o, "relapses"); relapses && !relapses->is_null()) {
    // An int with room for the next relapse the tracker adds: a damaged 2^40 or INT_MAX would wrap or overflow.
    if (!relapses->is_int64() || relapses->get_int64() < 0 || relapses->get_int64() >= std::numeric_limits<int>::max())
      return std::nullopt;
    in.relapses = static_cast<int>(relapses->get_int64());
  }
  if (const auto* overdue = field(o, "comms_overdue"); overdue && !overdue->is_null()) {
    if (!overdue->is_bool()) return std::nullopt;
    in.comms_overdue = overdue->get_bool();
  }
  if (const auto* comms = field(o, "customer_updates"); comms && !comms->is_null()) {
    if (!comms->is_array()) return std::nullopt;
    for (const auto& c : comms->get_array()) {
      if (!c.is_object()) return std::nullopt;
      CommsUpdate u;
      std::optional<Timestamp> at;
      if (!read_time(c.get_object(), "at", at) || !at || !read_string(c.get_object(), "message", u.message) ||
          !read_string(c.get_object(), "source", u.source))
        return std::nullopt;
      u.at = *at;
      in.comms.push_back(std::move(u));
    }
  }
  if (const auto* drill = field(o, "drill"); drill && !drill->is_null()) {
    if (!drill->is_bool()) return std::nullopt;
    in.drill = drill->get_bool();
  }
  if (const auto* team = field(o, "team"); team && !team->is_null()) {
    if (!team->is_object()) return std::nullopt;
    for (std::size_t i = 0; i < config::kTeamRoles.size(); ++i) {
      const auto* m = field(team->get_object(), config::kTeamRoles[i]);
      if (!m || m->is_null()) continue;
      if (!m->is_object()) return std::nullopt;
      config::TeamMember tm;
      if (!read_string(m->get_object(), "name", tm.name, true) || !read_string(m->get_object(), "notifier", tm.notifier))
        return std::nullopt;
      member(in.team, i) = std::move(tm);
    }
  }
  return in;
}

}  // namespace synthprobe
