#include "probe/incidents/incident_tracker.h"

#include <chrono>
#include <limits>
#include <utility>

namespace synthprobe {
namespace {

namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Timeline details stay one readable line even when hundreds of areas are down.
std::string join(const std::vector<std::string>& parts) {
  constexpr std::size_t kNamed = 10;
  std::string out;
  for (std::size_t i = 0; i < parts.size() && i < kNamed; ++i) out += (out.empty() ? "" : ", ") + parts[i];
  if (parts.size() > kNamed) out += " and " + std::to_string(parts.size() - kNamed) + " more";
  return out;
}

std::string severity_and_extent(config::Severity s, Extent e, const std::vector<std::string>& areas) {
  std::string out = std::string(severity_name(s)) + " " + std::string(to_string(e));
  if (!areas.empty()) out += ": " + join(areas);
  return out;
}

std::string check_label(std::string_view check, std::string_view area) {
  std::string out(check);
  if (!area.empty() && area != check) out += " (" + std::string(area) + ")";
  return out;
}

std::string failure_words(std::optional<Reason> reason, std::string_view message, CheckState to) {
  if (!message.empty()) return std::string(message);
  if (reason) return std::string(to_string(*reason));
  return std::string(to_string(to));
}

// While a down check passes towards resolve_after its latest run has no failure to show: keep the last
// evidence of why it went down rather than blanking the incident's failing_checks.
std::vector<FailingCheck> merge_evidence(std::vector<FailingCheck> fresh, const std::vector<FailingCheck>& old) {
  for (auto& c : fresh) {
    if (c.reason) continue;
    for (const auto& o : old)
      if (o.name == c.name && o.reason) {
        c = o;
        break;
      }
  }
  return fresh;
}

json::value time_or_null(const std::optional<Timestamp>& t) {
  if (!t) return nullptr;
  return json::string(format_rfc3339(*t));
}

json::object labels_to_json(const std::map<std::string, std::string>& labels) {
  json::object o;
  for (const auto& [k, v] : labels) o.emplace(k, v);
  return o;
}

const json::value* field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
  const auto* v = field(o, key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::size_t count_field(const json::object& o, std::string_view key) {
  const auto* v = field(o, key);
  if (v && v->is_int64() && v->get_int64() > 0) return static_cast<std::size_t>(v->get_int64());
  if (v && v->is_uint64()) return static_cast<std::size_t>(v->get_uint64());
  return 0;
}

}  // namespace

std::string_view to_string(IncidentAction::Kind kind) {
  switch (kind) {
    case IncidentAction::Kind::open: return "open";
    case IncidentAction::Kind::update: return "update";
    case IncidentAction::Kind::resolve: return "resolve";
    case IncidentAction::Kind::relapse: return "relapse";
    case IncidentAction::Kind::comms_overdue: return "comms_overdue";
  }
  return "update";
}

IncidentTracker::IncidentTracker(IncidentContext context) : context_(std::move(context)) {}

void IncidentTracker::set_context(IncidentContext context) {
  // Site and region are the incident's identity (id, dedup key); a reload keeps them for the open one.
  context_ = std::move(context);
}

void IncidentTracker::set_in_maintenance(bool in_maintenance) {
  in_maintenance_ = in_maintenance;
  if (in_maintenance_ && !open_) clear_pending();
}

void IncidentTracker::start_pending(Timestamp now, std::string detail) {
  first_failure_ = now;
  pending_.clear();
  pending_omitted_ = 0;
  append_bounded(pending_, pending_omitted_, {now, TimelineEvent::first_failure, std::move(detail)});
}

void IncidentTracker::clear_pending() {
  first_failure_.reset();
  pending_.clear();
  pending_omitted_ = 0;
}

void IncidentTracker::add_event(TimelineEvent event, Timestamp at, std::string detail) {
  if (open_)
    append_event(*open_, {at, event, std::move(detail)});
  else if (first_failure_)
    append_bounded(pending_, pending_omitted_, {at, event, std::move(detail)});
}

std::string IncidentTracker::next_id(Timestamp opened_at) {
  const std::string base = incident_id(context_.site, context_.region, opened_at);
  if (base != last_base_id_) {
    last_base_id_ = base;
    same_second_count_ = 1;
    return base;
  }
  return base + "-" + std::to_string(++same_second_count_);
}

void IncidentTracker::refresh(const SiteAssessment& a) {
  open_->probe = context_.probe;
  open_->labels = context_.labels;
  open_->team = context_.team;
  open_->areas = a.areas;
  open_->summary = a.summary;
  open_->hint = a.hint;
  open_->failing_checks = merge_evidence(a.failing_checks, open_->failing_checks);
  open_->failing_checks_omitted = a.failing_checks_omitted;
}

IncidentAction IncidentTracker::relapse(const SiteAssessment& a, Timestamp now) {
  open_ = std::move(*last_resolved_);
  last_resolved_.reset();
  const auto since = duration_cast<milliseconds>(now - *open_->resolved_at);
  open_->resolved_at.reset();
  open_->watch_until.reset();
  ++open_->relapses;
  // What happened since the resolve (the first failure, checks going down) belongs to this story.
  for (auto& e : pending_) append_event(*open_, std::move(e));
  clear_pending();
  open_->severity = *a.severity;
  open_->extent = a.extent;
  refresh(a);
  append_event(*open_, {now, TimelineEvent::relapsed,
                        severity_and_extent(open_->severity, open_->extent, open_->areas) + " (" +
                            format_duration(since) + " after it resolved, within the recovery watch)"});
  return {IncidentAction::Kind::relapse, *open_};
}

bool IncidentTracker::watching(Timestamp now) const {
  return !open_ && last_resolved_ && last_resolved_->watch_until && now < *last_resolved_->watch_until;
}

bool IncidentTracker::record_comms(std::string message, std::string source, Timestamp now) {
  if (!open_) return false;
  constexpr std::size_t kCommsKept = 50;
  append_event(*open_, {now, TimelineEvent::comms_update, source + ": " + message});
  if (open_->comms.size() >= kCommsKept) open_->comms.erase(open_->comms.begin() + 1);  // keep the first
  open_->comms.push_back({now, std::move(message), std::move(source)});
  return true;
}

std::optional<IncidentAction> IncidentTracker::check_comms(Timestamp now) {
  if (!open_ || !open_->customer_update_due || !open_->comms.empty() || open_->comms_overdue) return std::nullopt;
  if (now < *open_->customer_update_due) return std::nullopt;
  open_->comms_overdue = true;
  append_event(*open_, {now, TimelineEvent::comms_overdue,
                        "no customer update " + format_duration(duration_cast<milliseconds>(context_.comms_deadline)) +
                            " after opening"});
  return IncidentAction{IncidentAction::Kind::comms_overdue, *open_};
}

bool IncidentTracker::needs_assessment(const SiteVerdict& v) const {
  if (open_) return v.all_known && (!v.severity || *v.severity != open_->severity || v.extent != open_->extent);
  if (v.clean || in_maintenance_) return false;
  return !first_failure_ || v.severity.has_value();
}

void IncidentTracker::settle(const SiteVerdict& v) {
  if (!open_ && (v.clean || in_maintenance_)) clear_pending();
}

bool IncidentTracker::refresh_evidence(const SiteAssessment& a) {
  if (!open_) return false;
  refresh(a);
  return true;
}

void IncidentTracker::probe_stopped(Timestamp at) {
  add_event(TimelineEvent::probe_stopped, at, "probe " + context_.probe + " stopped: no checks run");
}

void IncidentTracker::probe_started(Timestamp stopped_at, Timestamp now) {
  const auto gap = duration_cast<milliseconds>(now - stopped_at);
  if (!open_ && !first_failure_) return;
  if (open_) open_->probe_blind_seconds += seconds_between(stopped_at, now);
  add_event(TimelineEvent::probe_started, now,
            "probe " + context_.probe + " started again after " + format_duration(gap) + " without checks");
}

IncidentAction IncidentTracker::open(const SiteAssessment& a, Timestamp now) {
  Incident in;
  in.id = next_id(now);
  in.site = context_.site;
  in.dedup_key = incident_dedup_key(context_.site, context_.region, context_.shard);
  in.probe = context_.probe;
  in.region = context_.region;
  in.labels = context_.labels;
  in.severity = *a.severity;
  in.extent = a.extent;
  in.areas = a.areas;
  in.summary = a.summary;
  in.hint = a.hint;
  in.failing_checks = a.failing_checks;
  in.failing_checks_omitted = a.failing_checks_omitted;
  in.probe_saturated = probe_saturated_;
  in.first_failure_at = first_failure_ ? first_failure_ : now;
  in.opened_at = now;
  in.customer_update_due = now + context_.comms_deadline;
  in.team = context_.team;
  in.timeline = std::move(pending_);
  in.timeline_omitted = pending_omitted_;
  clear_pending();
  append_event(in, {now, TimelineEvent::opened, severity_and_extent(in.severity, in.extent, in.areas)});
  open_ = std::move(in);
  return {IncidentAction::Kind::open, *open_};
}

IncidentAction IncidentTracker::resolve(Timestamp now, std::string detail) {
  open_->resolved_at = now;
  if (context_.recovery_watch.count() > 0) open_->watch_until = now + context_.recovery_watch;
  open_->probe = context_.probe;
  open_->labels = context_.labels;
  append_event(*open_, {now, TimelineEvent::resolved, std::move(detail)});
  IncidentAction action{IncidentAction::Kind::resolve, *open_};
  last_resolved_ = std::move(open_);
  open_.reset();
  clear_pending();
  return action;
}

std::vector<IncidentAction> IncidentTracker::update(const SiteAssessment& a, Timestamp now) {
  // After a restart (or a reload adding checks) some checks have not run yet: an open incident waits for
  // them rather than resolving or changing on what nobody has looked at.
  if (open_ && a.unknown > 0) return {};
  if (open_) {
    if (!a.severity) {
      const auto lasted = duration_cast<milliseconds>(now - open_->opened_at);
      std::vector<IncidentAction> actions{resolve(now, "recovered after " + format_duration(lasted))};
      // Checks still failing (not down) belong to whatever comes next; its time to detect can only count
      // from here, since the runs before were part of this incident.
      if (!a.clean && !in_maintenance_) start_pending(now, a.first_problem);
      return actions;
    }
    const config::Severity before_severity = open_->severity;
    const Extent before_extent = open_->extent;
    refresh(a);
    bool changed = false;
    if (*a.severity != before_severity) {
      open_->severity = *a.severity;
      add_event(TimelineEvent::severity_changed, now,
                std::string(severity_name(before_severity)) + " -> " + std::string(severity_name(*a.severity)));
      changed = true;
    }
    if (a.extent != before_extent) {
      open_->extent = a.extent;
      std::string detail = std::string(to_string(before_extent)) + " -> " + std::string(to_string(a.extent));
      if (!a.areas.empty()) detail += ": " + join(a.areas);
      add_event(TimelineEvent::extent_changed, now, std::move(detail));
      changed = true;
    }
    if (!changed) return {};
    return {{IncidentAction::Kind::update, *open_}};
  }
  if (a.severity && !in_maintenance_ && watching(now)) return {relapse(a, now)};
  if (a.clean || in_maintenance_) {
    clear_pending();
    return {};
  }
  if (!first_failure_) start_pending(now, a.first_problem);
  if (!a.severity) return {};
  return {open(a, now)};
}

void IncidentTracker::check_transition(std::string_view check, std::string_view area, CheckState from,
                                       CheckState to, std::optional<Reason> reason, std::string_view message,
                                       Timestamp now) {
  if (from == to) return;
  const bool problem = to == CheckState::failing || to == CheckState::down || to == CheckState::degraded;
  const std::string label = check_label(check, area);
  if (!open_ && !first_failure_) {
    if (!problem || in_maintenance_) return;
    start_pending(now, std::string(check) + ": " + failure_words(reason, message, to));
  }
  switch (to) {
    case CheckState::down:
      add_event(TimelineEvent::check_down, now, label + ": " + failure_words(reason, message, to));
      break;
    case CheckState::degraded:
      add_event(TimelineEvent::check_degraded, now, label + ": degraded");
      break;
    case CheckState::up:
      // failing -> up is a blip that never counted towards the severity; only recoveries that did are news.
      if (from == CheckState::down || from == CheckState::degraded)
        add_event(TimelineEvent::check_up, now, label + ": " + std::string(to_string(from)) + " -> up");
      break;
    case CheckState::failing:
    case CheckState::unknown:
      break;
  }
}

const Incident* IncidentTracker::record_notification(std::string_view incident_id, std::string_view notifier,
                                                     std::string_view event, bool delivered_ok, Timestamp now,
                                                     std::string_view detail) {
  Incident* in = nullptr;
  if (open_ && open_->id == incident_id)
    in = &*open_;
  else if (last_resolved_ && last_resolved_->id == incident_id)
    in = &*last_resolved_;
  if (!in) return nullptr;
  Timestamp since = in->opened_at;
  if (event == "resolve" && in->resolved_at) {
    since = *in->resolved_at;
  } else if (event == "update") {
    for (const auto& e : in->timeline)
      if ((e.event == TimelineEvent::severity_changed || e.event == TimelineEvent::extent_changed) && e.at <= now)
        since = e.at;
  }
  std::string text = std::string(notifier) + ": " + std::string(event) +
                     (delivered_ok ? " delivered after " : " failed after ") +
                     format_duration(duration_cast<milliseconds>(now - since));
  if (!detail.empty()) text += delivered_ok ? " (" + std::string(detail) + ")" : ": " + std::string(detail);
  append_event(*in, {now, delivered_ok ? TimelineEvent::notified : TimelineEvent::notify_failed, std::move(text)});
  return in;
}

std::vector<IncidentAction> IncidentTracker::force_resolve(Timestamp now, std::string_view why) {
  clear_pending();
  if (!open_) return {};
  return {resolve(now, std::string(why))};
}

json::object IncidentTracker::save() const {
  json::object o;
  o.emplace("version", 1);
  o.emplace("site", context_.site);
  o.emplace("probe", context_.probe);
  o.emplace("region", context_.region);
  o.emplace("labels", labels_to_json(context_.labels));
  o.emplace("first_failure_at", time_or_null(first_failure_));
  json::array pending;
  for (const auto& e : pending_) pending.emplace_back(to_json(e));
  o.emplace("pending", std::move(pending));
  o.emplace("pending_omitted", pending_omitted_);
  o.emplace("incident", open_ ? json::value(to_json(*open_)) : json::value(nullptr));
  o.emplace("incident_timeline_omitted", open_ ? open_->timeline_omitted : 0);
  o.emplace("incident_hint", open_ ? open_->hint : std::string());
  o.emplace("last_resolved", last_resolved_ ? json::value(to_json(*last_resolved_)) : json::value(nullptr));
  o.emplace("last_base_id", last_base_id_);
  o.emplace("same_second_count", same_second_count_);
  return o;
}

std::optional<IncidentTracker> IncidentTracker::restore(const json::value& saved) {
  if (!saved.is_object()) return std::nullopt;
  const auto& o = saved.get_object();
  const auto* version = field(o, "version");
  if (!version || !version->is_int64() || version->get_int64() != 1) return std::nullopt;
  IncidentContext context;
  auto site = string_field(o, "site");
  if (!site) return std::nullopt;
  context.site = std::move(*site);
  context.probe = string_field(o, "probe").value_or("");
  context.region = string_field(o, "region").value_or("");
  if (const auto* labels = field(o, "labels"); labels && labels->is_object())
    for (const auto& kv : labels->get_object())
      if (kv.value().is_string()) context.labels.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
  IncidentTracker t(std::move(context));

  if (const auto* ff = field(o, "first_failure_at")) {
    if (!ff->is_string()) return std::nullopt;
    t.first_failure_ = parse_rfc3339(ff->get_string());
    if (!t.first_failure_) return std::nullopt;
  }
  if (const auto* pending = field(o, "pending"); pending && pending->is_array())
    for (const auto& e : pending->get_array()) {
      auto entry = timeline_entry_from_json(e);
      if (!entry) return std::nullopt;
      t.pending_.push_back(std::move(*entry));
    }
  t.pending_omitted_ = count_field(o, "pending_omitted");
  if (const auto* in = field(o, "incident")) {
    t.open_ = incident_from_json(*in);
    if (!t.open_ || t.open_->resolved_at) return std::nullopt;
    t.open_->timeline_omitted = count_field(o, "incident_timeline_omitted");
    t.open_->hint = string_field(o, "incident_hint").value_or("");
  }
  if (const auto* last = field(o, "last_resolved")) {
    t.last_resolved_ = incident_from_json(*last);
    // Resolved, as resolve() leaves it: a relapse within its recovery watch measures from resolved_at.
    if (!t.last_resolved_ || !t.last_resolved_->resolved_at) return std::nullopt;
  }
  t.last_base_id_ = string_field(o, "last_base_id").value_or("");
  // next_id() adds one to it: a damaged 2^31 - 1 (or more, which would wrap) is refused, not overflowed.
  const std::size_t same_second = count_field(o, "same_second_count");
  if (same_second >= static_cast<std::size_t>(std::numeric_limits<int>::max())) return std::nullopt;
  t.same_second_count_ = static_cast<int>(same_second);
  return t;
}

}  // namespace synthprobe
