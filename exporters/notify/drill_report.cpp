#include "exporters/notify/drill_report.h"

#include <algorithm>

#include "common/time_format.h"
#include "probe/health/site_severity.h"

namespace synthprobe {
namespace json = boost::json;

namespace {

DrillDelivery* find(std::vector<DrillDelivery>& all, const std::string& notifier) {
  auto it = std::find_if(all.begin(), all.end(), [&](const DrillDelivery& d) { return d.notifier == notifier; });
  return it == all.end() ? nullptr : &*it;
}

json::object leg_to_json(const DrillLeg& leg) {
  json::object o;
  o["result"] = leg.result();
  o["seconds"] = leg.seconds ? json::value(*leg.seconds) : json::value(nullptr);
  o["detail"] = leg.detail;
  o["targets"] = leg.targets;
  o["delivered"] = leg.delivered;
  o["announced_at"] = leg.announced_at ? json::value(format_rfc3339(*leg.announced_at)) : json::value(nullptr);
  return o;
}

const json::string* text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? &v->get_string() : nullptr;
}

}  // namespace

std::string DrillLeg::result() const {
  if (ok()) return "delivered";
  if (failed) return "failed";
  if (expired) return "expired";
  if (!announced_at) return "not_sent";
  return "pending";
}

std::string DrillLeg::describe() const {
  if (ok()) {
    if (!seconds) return "delivered";
    const auto ms = static_cast<std::int64_t>(*seconds * 1000 + 0.5);
    return "delivered in " + (ms < 1000 ? std::to_string(ms) + " ms" : format_duration(std::chrono::milliseconds(ms)));
  }
  if (!failed && !expired && !announced_at) return "not sent";
  std::string text = failed || expired ? result() : "not delivered";
  if (!detail.empty()) text += ": " + detail;
  return text;
}

std::optional<DrillLeg> drill_leg_from_json(const json::value* v) {
  if (!v || !v->is_object()) return std::nullopt;
  const json::object& o = v->get_object();
  DrillLeg leg;
  const std::string result = text(o, "result") ? std::string(*text(o, "result")) : "";
  leg.failed = result == "failed";
  leg.expired = result == "expired";
  if (const json::value* s = o.if_contains("seconds"); s && s->is_number()) leg.seconds = s->to_number<double>();
  if (const json::string* d = text(o, "detail")) leg.detail = std::string(*d);
  json::error_code ec;
  if (const json::value* t = o.if_contains("targets"); t && t->is_number()) leg.targets = t->to_number<std::size_t>(ec);
  if (const json::value* t = o.if_contains("delivered"); t && t->is_number()) leg.delivered = t->to_number<std::size_t>(ec);
  if (ec || leg.targets == 0 || leg.targets > 1000 || leg.delivered > leg.targets) return std::nullopt;
  if (const json::string* at = text(o, "announced_at")) {
    leg.announced_at = parse_rfc3339(*at);
    if (!leg.announced_at) return std::nullopt;
  }
  return leg;
}

bool DrillReport::ok() const {
  if (deliveries.empty()) return false;
  return std::all_of(deliveries.begin(), deliveries.end(),
                     [](const DrillDelivery& d) { return d.open.ok() && d.resolve.ok(); });
}

bool DrillReport::all_answered() const {
  if (!incident.resolved_at) return false;
  return std::all_of(deliveries.begin(), deliveries.end(), [](const DrillDelivery& d) {
    // An open that failed for good has no resolve to wait for.
    return d.open.done() && (!d.open.ok() || d.resolve.done());
  });
}

void DrillReport::opened(const std::vector<std::pair<std::string, std::size_t>>& told, Timestamp now) {
  for (const auto& [name, targets] : told) {
    DrillDelivery d;
    d.notifier = name;
    d.open.targets = d.resolve.targets = std::max<std::size_t>(targets, 1);
    d.open.announced_at = now;
    deliveries.push_back(std::move(d));
  }
}

void DrillReport::resolved(const std::vector<std::pair<std::string, std::size_t>>& told, Timestamp now) {
  for (const auto& [name, targets] : told)
    if (DrillDelivery* d = find(deliveries, name)) {
      d->resolve.announced_at = now;
      d->resolve.targets = std::max<std::size_t>(targets, 1);
    }
  for (DrillDelivery& d : deliveries) {
    const bool told_resolve = std::any_of(told.begin(), told.end(), [&](const auto& t) { return t.first == d.notifier; });
    if (told_resolve || !d.open.ok()) continue;
    d.resolve.failed = true;
    d.resolve.detail = "not sent: the notifier left the config before the drill resolved; its drill page may still be open";
  }
}

void DrillReport::delivery(const std::string& notifier, const std::string& target, NotificationKind kind, DeliveryResult result,
                           const std::string& detail, Timestamp now) {
  DrillDelivery* d = find(deliveries, notifier);
  if (!d || kind == NotificationKind::update) return;
  DrillLeg& leg = kind == NotificationKind::open ? d->open : d->resolve;
  if (leg.ok()) return;  // a re-send (Alertmanager) after it was delivered
  switch (result) {
    case DeliveryResult::delivered:
      if (!leg.delivered_to.insert(target).second) break;  // an Alertmanager re-send to the same target
      ++leg.delivered;
      if (leg.ok() && leg.announced_at) leg.seconds = seconds_between(*leg.announced_at, now);
      break;
    case DeliveryResult::retry:
      leg.detail = detail;
      break;
    case DeliveryResult::permanent_failure:
      leg.failed = true;
      leg.detail = detail;
      break;
    case DeliveryResult::expired:
      leg.expired = true;
      leg.detail = detail;
      break;
  }
}

json::object to_json(const DrillReport& r) {
  json::object o;
  o["id"] = r.incident.id;
  o["site"] = r.incident.site;
  o["severity"] = severity_name(r.incident.severity);
  o["started_at"] = format_rfc3339(r.incident.opened_at);
  o["resolves_at"] = format_rfc3339(r.resolves_at);
  o["resolved_at"] = r.incident.resolved_at ? json::value(format_rfc3339(*r.incident.resolved_at)) : json::value(nullptr);
  o["wait_until"] = format_rfc3339(r.wait_until);
  o["finished"] = r.finished;
  o["ok"] = r.ok();
  o["note"] = r.note;
  json::array deliveries;
  for (const DrillDelivery& d : r.deliveries)
    deliveries.push_back(json::object{{"notifier", d.notifier}, {"open", leg_to_json(d.open)}, {"resolve", leg_to_json(d.resolve)}});
  o["deliveries"] = std::move(deliveries);
  o["incident"] = to_json(r.incident);
  return o;
}

std::optional<DrillReport> drill_report_from_json(const json::value& value) {
  if (!value.is_object()) return std::nullopt;
  const json::object& o = value.get_object();
  DrillReport r;
  const json::value* incident = o.if_contains("incident");
  auto in = incident ? incident_from_json(*incident) : std::nullopt;
  if (!in || !in->drill) return std::nullopt;
  r.incident = std::move(*in);
  const json::string* resolves = text(o, "resolves_at");
  const json::string* wait = text(o, "wait_until");
  auto resolves_at = resolves ? parse_rfc3339(*resolves) : std::nullopt;
  auto wait_until = wait ? parse_rfc3339(*wait) : std::nullopt;
  if (!resolves_at || !wait_until) return std::nullopt;
  r.resolves_at = *resolves_at;
  r.wait_until = *wait_until;
  if (const json::value* f = o.if_contains("finished"); f && f->is_bool()) r.finished = f->get_bool();
  if (const json::string* note = text(o, "note")) r.note = std::string(*note);
  const json::value* deliveries = o.if_contains("deliveries");
  if (!deliveries || !deliveries->is_array()) return std::nullopt;
  for (const json::value& v : deliveries->get_array()) {
    if (!v.is_object()) return std::nullopt;
    const json::string* name = text(v.get_object(), "notifier");
    auto open = drill_leg_from_json(v.get_object().if_contains("open"));
    auto resolve = drill_leg_from_json(v.get_object().if_contains("resolve"));
    if (!name || !open || !resolve) return std::nullopt;
    r.deliveries.push_back({std::string(*name), std::move(*open), std::move(*resolve)});
  }
  return r;
}

}  // namespace synthprobe
