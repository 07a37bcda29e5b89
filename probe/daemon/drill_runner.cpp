#include "probe/daemon/drill_runner.h"

#include <algorithm>
#include <tuple>

#include <boost/json/parse.hpp>

#include "common/json_format.h"
#include "common/time_format.h"
#include "config/duration.h"
#include "exporters/notify/drill_review.h"
#include "probe/health/site_severity.h"

namespace synthprobe {
namespace json = boost::json;

namespace {

std::string outcome_line(const DrillReport& r) {
  std::size_t delivered = 0;
  for (const auto& d : r.deliveries) delivered += d.open.ok() && d.resolve.ok();
  return std::to_string(delivered) + " of " + std::to_string(r.deliveries.size()) + " notifiers delivered";
}

// Each notifier named, with its number of delivery targets in `config`.
std::vector<std::pair<std::string, std::size_t>> with_targets(const std::vector<std::string>& told,
                                                              const config::Config& config) {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const std::string& name : told) {
    const auto n = std::find_if(config.notifiers.begin(), config.notifiers.end(),
                                [&](const config::Notifier& x) { return x.name == name; });
    out.emplace_back(name, n == config.notifiers.end() ? 1 : delivery_targets(*n).size());
  }
  return out;
}

}  // namespace

std::optional<DrillRunner::Request> parse_drill_request(std::string_view body, std::string& why) {
  const std::string usage = "send JSON: {\"site\": \"shop\", \"severity\": \"P1\", \"duration\": \"1m\", \"wait\": \"2m\"}";
  json::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    why = usage;
    return std::nullopt;
  }
  const json::object& o = v.get_object();
  for (const auto& field : o) {
    if (field.key() != "site" && field.key() != "severity" && field.key() != "duration" && field.key() != "wait") {
      why = "unknown field \"" + std::string(field.key()) + "\"; " + usage;
      return std::nullopt;
    }
    if (!field.value().is_string()) {
      why = "\"" + std::string(field.key()) + "\" must be a string; " + usage;
      return std::nullopt;
    }
  }
  DrillRunner::Request r;
  const json::value* site = o.if_contains("site");
  if (!site || site->get_string().empty()) {
    why = "\"site\" is required; " + usage;
    return std::nullopt;
  }
  r.site = std::string(site->get_string());
  if (const json::value* s = o.if_contains("severity")) {
    auto sev = parse_severity_name(s->get_string());
    if (!sev) {
      why = "\"severity\" must be P1, P2 or P3";
      return std::nullopt;
    }
    r.severity = *sev;
  }
  for (const auto& [key, max, out] : {std::tuple{"duration", DrillRunner::kMaxDuration, &r.duration},
                                      std::tuple{"wait", DrillRunner::kMaxWait, &r.wait}}) {
    const json::value* d = o.if_contains(key);
    if (!d) continue;
    std::string error;
    const auto ms = config::parse_duration(d->get_string(), error);
    if (!ms || *ms < std::chrono::seconds(1) || *ms > max) {
      why = "\"" + std::string(key) + "\" must be a duration from 1s to 1h, like \"2m\"" + (error.empty() ? "" : ": " + error);
      return std::nullopt;
    }
    *out = std::chrono::duration_cast<std::chrono::seconds>(*ms);
  }
  return r;
}

DrillRunner::Started DrillRunner::start(const Request& request, const config::Config& config,
                                        const DrillIdentity& identity, Clock::time_point now) {
  const config::Site* site = config.find_site(request.site);
  if (!site) return {404, "", "no site named \"" + request.site + "\" in the config"};
  for (const auto& [id, running] : running_)
    if (running.incident.site == request.site)
      return {409, "", "a drill of site \"" + request.site + "\" is running: " + id};

  DrillReport report;
  report.incident = make_drill_incident(*site, identity, request.severity, request.duration, now);
  if (running_.contains(report.incident.id) || published_contains(report.incident.id))
    return {409, "", "a drill of site \"" + request.site + "\" started this second; try again"};
  report.resolves_at = now + request.duration;
  report.wait_until = report.resolves_at + request.wait;
  const std::uint64_t seq = deps_.store.stage([&](store::PendingWrites& w) {
    const std::vector<std::string> told =
        deps_.dispatcher.announce(report.incident, IncidentAction::Kind::open, w, now);
    report.opened(with_targets(told, config), now);
    if (told.empty()) {
      report.note = "no notifier receives a " + std::string(severity_name(request.severity)) + " of site \"" +
                    request.site + "\" (check min_severity): nothing was tested";
      report.incident = resolve_drill_incident(std::move(report.incident), now);
      report.finished = true;
    }
    save(report, w);
  });
  deps_.dispatcher.send_when_committed(seq);
  deps_.logger.log(LogLevel::info, "drill started",
                   {{"drill", report.incident.id}, {"site", request.site},
                    {"severity", std::string(severity_name(request.severity))},
                    {"notifiers", std::to_string(report.deliveries.size())}});
  publish(report);
  const std::string id = report.incident.id;
  if (!report.finished) running_.emplace(id, std::move(report));
  return {201, id, ""};
}

bool DrillRunner::published_contains(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return published_.contains(id);
}

void DrillRunner::restore(const std::vector<store::DrillRow>& rows, Clock::time_point now) {
  for (const store::DrillRow& row : rows) {
    json::error_code ec;
    const json::value v = json::parse(row.body, ec);
    std::optional<DrillReport> report = ec ? std::nullopt : drill_report_from_json(v);
    if (!report) {
      deps_.logger.log(LogLevel::warn, "skipped an unreadable drill in the state store", {{"drill", row.id}});
      continue;
    }
    report->note = report->incident.resolved_at
                       ? "the probe restarted while the drill waited for deliveries"
                       : "the probe restarted during the drill, which was resolved at the next start";
    report->wait_until = std::max(report->wait_until, now + kRestartWait);
    publish(*report);
    running_.emplace(report->incident.id, std::move(*report));
  }
}

void DrillRunner::resolve_restored(const config::Config& config, Clock::time_point now) {
  for (auto& [id, report] : running_)
    if (!report.incident.resolved_at) {
      resolve(report, config, now);
      publish(report);
    }
}

void DrillRunner::resolve(DrillReport& report, const config::Config& config, Clock::time_point now) {
  report.incident = resolve_drill_incident(std::move(report.incident), now);
  const std::uint64_t seq = deps_.store.stage([&](store::PendingWrites& w) {
    report.resolved(with_targets(deps_.dispatcher.announce(report.incident, IncidentAction::Kind::resolve, w, now), config),
                    now);
    save(report, w);
  });
  deps_.dispatcher.send_when_committed(seq);
}

void DrillRunner::tick(const config::Config& config, Clock::time_point now) {
  for (auto it = running_.begin(); it != running_.end();) {
    DrillReport& report = it->second;
    bool changed = false;
    if (!report.incident.resolved_at && now >= report.resolves_at) {
      resolve(report, config, now);
      changed = true;
    }
    if (report.incident.resolved_at && (report.all_answered() || now >= report.wait_until)) {
      report.finished = true;
      save_now(report);
      deps_.logger.log(report.ok() ? LogLevel::info : LogLevel::warn, "drill finished",
                       {{"drill", report.incident.id}, {"result", report.ok() ? "ok" : "failed"},
                        {"delivered", outcome_line(report)}});
      publish(report);
      it = running_.erase(it);
      continue;
    }
    if (changed) publish(report);
    ++it;
  }
}

bool DrillRunner::on_delivery(const OutboxEntry& entry, DeliveryResult result, const std::string& detail,
                              Clock::time_point now) {
  auto it = running_.find(entry.incident_id);
  if (it == running_.end()) {
    // A late answer to a finished drill: no real incident's (whose id may start with "drill-" too).
    const boost::json::value* drill = entry.event.incident.if_contains("drill");
    return drill && drill->is_bool() && drill->get_bool();
  }
  it->second.delivery(entry.notifier, entry.target, entry.event.kind, result, detail, now);
  save_now(it->second);
  publish(it->second);
  return true;
}

std::vector<const Incident*> DrillRunner::open_incidents() const {
  std::vector<const Incident*> out;
  for (const auto& [id, report] : running_)
    if (!report.incident.resolved_at) out.push_back(&report.incident);
  return out;
}

void DrillRunner::save(const DrillReport& report, store::PendingWrites& writes) {
  store::DrillRow row;
  row.id = report.incident.id;
  row.site = report.incident.site;
  row.started_at_ms = unix_millis(report.incident.opened_at);
  row.finished = report.finished;
  row.body = serialize_json(to_json(report));
  writes.drills.insert_or_assign(row.id, std::move(row));
  if (report.finished)
    writes.files.emplace_back("drills/" + report.incident.id + ".md", render_drill_review_markdown(report));
}

void DrillRunner::save_now(const DrillReport& report) {
  deps_.store.stage([&](store::PendingWrites& w) { save(report, w); });
}

void DrillRunner::publish(const DrillReport& report) {
  std::string text = serialize_json(to_json(report));
  std::lock_guard lock(mutex_);
  auto [it, inserted] = published_.insert_or_assign(report.incident.id, std::move(text));
  if (inserted) order_.push_back(report.incident.id);
  // The oldest finished reports go first; a running drill's report stays, however many run.
  for (auto old = order_.begin(); order_.size() > kKeptReports && old != order_.end();) {
    if (running_.contains(*old) && *old != report.incident.id) {
      ++old;
      continue;
    }
    if (*old == report.incident.id && !report.finished) {
      ++old;
      continue;
    }
    published_.erase(*old);
    old = order_.erase(old);
  }
}

std::optional<std::string> DrillRunner::report_json(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = published_.find(id);
  if (it == published_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> DrillRunner::review_markdown(const std::string& id) const {
  const std::optional<std::string> text = report_json(id);
  if (!text) return std::nullopt;
  json::error_code ec;
  const json::value v = json::parse(*text, ec);
  const std::optional<DrillReport> report = ec ? std::nullopt : drill_report_from_json(v);
  if (!report) return std::nullopt;
  return render_drill_review_markdown(*report);
}

std::string DrillRunner::list_json() const {
  std::lock_guard lock(mutex_);
  std::string out = "[";
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    if (out.size() > 1) out += ",";
    out += published_.at(*it);
  }
  return out + "]";
}

}  // namespace synthprobe
