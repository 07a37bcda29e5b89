#include "probe/daemon/incident_service.h"

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include "common/time_format.h"
#include "exporters/notify/delivery_policy.h"
#include "exporters/notify/notification_payloads.h"
#include "exporters/store/durable_file.h"
#include "probe/engine/http_post.h"
#include "probe/engine/result_json.h"
#include "probe/health/maintenance_window.h"
#include "probe/incidents/incident_report.h"

namespace synthprobe {
namespace net = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using SystemClock = std::chrono::system_clock;

namespace {

constexpr auto kHousekeepingEvery = std::chrono::seconds(1);
constexpr std::size_t kResolvedKept = 100;

std::string progress_key(const std::string& notifier, const std::string& incident) {
  return notifier + '\n' + incident;
}

NotificationKind notification_kind(IncidentAction::Kind k) {
  switch (k) {
    case IncidentAction::Kind::open: return NotificationKind::open;
    case IncidentAction::Kind::update: return NotificationKind::update;
    case IncidentAction::Kind::resolve: return NotificationKind::resolve;
  }
  return NotificationKind::update;
}

}  // namespace

IncidentService::IncidentService(net::io_context& io, CurlMulti& multi, const Logger& logger,
                                 prometheus::Registry& registry, const ProbeIdentity& who)
    : io_(io), multi_(multi), logger_(logger), metrics_(registry, who), pump_timer_(io), housekeeping_timer_(io) {}

IncidentService::~IncidentService() { stop(); }

void IncidentService::stop() {
  if (stopped_) return;
  stopped_ = true;
  pump_timer_.cancel();
  housekeeping_timer_.cancel();
  if (loaded_) save_state();
}

// ---- configuration and state -------------------------------------------------------------------

void IncidentService::configure(const config::Config& config) {
  probe_ = config.probe.name;
  region_ = config.probe.region;
  notifiers_ = config.notifiers;
  heartbeats_ = config.heartbeats;
  maintenance_ = config.maintenance;
  next_heartbeat_.assign(heartbeats_.size(), SystemClock::now());
  if (!loaded_) {
    state_dir_ = config.probe.state_dir;
    load_state();
    loaded_ = true;
    housekeeping();
  }

  std::vector<IncidentAction> actions;
  {
    std::lock_guard lock(mutex_);
    for (auto it = trackers_.begin(); it != trackers_.end();) {
      const config::Site* site = config.find_site(it->first);
      if (site) {
        it->second.set_context({site->name, probe_, region_, site->labels});
        ++it;
        continue;
      }
      for (auto& a : it->second.force_resolve(SystemClock::now(), "site removed from config")) actions.push_back(std::move(a));
      it = trackers_.erase(it);
    }
    for (const auto& site : config.sites)
      if (!trackers_.contains(site.name))
        trackers_.emplace(site.name, IncidentTracker({site.name, probe_, region_, site.labels}));
  }
  apply_maintenance(SystemClock::now());
  for (const auto& n : notifiers_) metrics_.set_queue(n.name, outbox_ ? static_cast<double>(outbox_->pending_count(n.name)) : 0);
  for (const auto& site : config.sites) {
    const auto open = open_incident(site.name);
    metrics_.set_open(site.name, open ? std::string(open->at("severity").as_string()) : "");
  }
  for (const auto& a : actions) handle(a);
  arm_pump();
}

std::optional<HealthState> IncidentService::restored_health(const std::string& check) {
  auto it = restored_health_.find(check);
  if (it == restored_health_.end()) return std::nullopt;
  HealthState h = it->second;
  restored_health_.erase(it);
  return h;
}

void IncidentService::load_state() {
  std::error_code ec;
  fs::create_directories(fs::path(state_dir_) / "incidents", ec);
  if (ec) logger_.log(LogLevel::error, "cannot create state_dir", {{"path", state_dir_}, {"error", ec.message()}});
  outbox_ = std::make_unique<Outbox>(fs::path(state_dir_) / "outbox");
  OutboxLoad loaded = outbox_->load();
  if (!loaded.status.ok()) logger_.log(LogLevel::error, "cannot read the outbox", {{"error", loaded.status.error()}});
  for (const auto& w : loaded.warnings) logger_.log(LogLevel::warn, "outbox repaired", {{"detail", w}});
  if (!loaded.pending.empty())
    logger_.log(LogLevel::info, "notifications pending from before the restart",
                {{"count", std::to_string(loaded.pending.size())}});

  read_saved_state();
  reconcile_with_outbox(loaded.pending);
}

void IncidentService::read_saved_state() {
  std::ifstream in(fs::path(state_dir_) / "state.json");
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code jec;
  const json::value doc = json::parse(text.str(), jec);
  if (jec || !doc.is_object()) {
    logger_.log(LogLevel::error, "state.json is unreadable; starting without saved state", {{"error", jec.message()}});
    return;
  }
  const json::object& root = doc.as_object();
  std::lock_guard lock(mutex_);
  if (const auto* sites = root.if_contains("sites"); sites && sites->is_object()) {
    for (const auto& [name, saved] : sites->as_object())
      if (auto t = IncidentTracker::restore(saved)) trackers_.emplace(std::string(name), std::move(*t));
  }
  if (const auto* progress = root.if_contains("notifications"); progress && progress->is_object()) {
    for (const auto& [key, p] : progress->as_object()) {
      if (!p.is_object()) continue;
      NotifierProgress np;
      np.opened = p.as_object().contains("opened") && p.at("opened").is_bool() && p.at("opened").as_bool();
      if (const auto* s = p.as_object().if_contains("sequence"); s && s->is_number()) np.sequence = s->to_number<std::uint64_t>();
      if (const auto* s = p.as_object().if_contains("last_severity"); s && s->is_string())
        np.last_severity = parse_severity_name(s->as_string());
      progress_[std::string(key)] = np;
    }
  }
  if (const auto* checks = root.if_contains("checks"); checks && checks->is_object()) {
    for (const auto& [name, c] : checks->as_object()) {
      if (!c.is_object()) continue;
      HealthState h;
      if (const auto* s = c.as_object().if_contains("state"); s && s->is_string())
        h.state = parse_check_state(s->as_string()).value_or(CheckState::unknown);
      auto number = [&](const char* key) -> std::uint32_t {
        const auto* v = c.as_object().if_contains(key);
        return v && v->is_number() ? v->to_number<std::uint32_t>() : 0;
      };
      h.failed_streak = number("failed_streak");
      h.passed_streak = number("passed_streak");
      h.degraded_streak = number("degraded_streak");
      restored_health_[std::string(name)] = h;
    }
  }
  if (const auto* resolved = root.if_contains("resolved"); resolved && resolved->is_array()) {
    for (const auto& r : resolved->as_array())
      if (auto inc = incident_from_json(r)) resolved_.push_back(std::move(*inc));
  }
}

// The outbox is fsynced before state.json is rewritten, so a crash between the two leaves events the
// state does not know of. The outbox wins: its sequences continue, and an incident it announced but the
// state lost is adopted as the open one instead of being opened again under a second id.
void IncidentService::reconcile_with_outbox(const std::vector<OutboxEntry>& pending) {
  std::lock_guard lock(mutex_);
  for (const OutboxEntry& e : pending) {
    NotifierProgress& p = progress_[progress_key(e.notifier, e.incident_id)];
    p.sequence = std::max(p.sequence, e.event.sequence);
    p.opened = true;
    if (const auto* sev = e.event.incident.if_contains("severity"); sev && sev->is_string())
      p.last_severity = parse_severity_name(sev->as_string());
    if (e.event.kind == NotificationKind::resolve) continue;
    const auto* site_field = e.event.incident.if_contains("site");
    if (!site_field || !site_field->is_string()) continue;
    auto tracker = trackers_.find(std::string(site_field->as_string()));
    const bool resolved_known = std::any_of(resolved_.begin(), resolved_.end(), [&](const Incident& r) { return r.id == e.incident_id; });
    if (resolved_known) continue;
    if (tracker != trackers_.end() && tracker->second.open_incident()) continue;  // the state already has one
    json::object saved = tracker != trackers_.end() ? tracker->second.save() : json::object{};
    if (tracker == trackers_.end()) {
      saved = IncidentTracker({std::string(site_field->as_string()), probe_, region_, {}}).save();
    }
    saved["incident"] = e.event.incident;
    if (auto adopted = IncidentTracker::restore(saved)) {
      logger_.log(LogLevel::warn, "adopting an incident found only in the outbox", {{"incident", e.incident_id}});
      trackers_.insert_or_assign(std::string(site_field->as_string()), std::move(*adopted));
      dirty_ = true;
    }
  }
}

void IncidentService::save_state() {
  if (state_dir_.empty()) return;
  json::object root;
  root["version"] = 1;
  json::object sites, notifications, checks;
  json::array resolved;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, t] : trackers_) sites[name] = t.save();
    for (const auto& r : resolved_) resolved.push_back(to_json(r));
  }
  for (const auto& [key, p] : progress_) {
    json::object o{{"opened", p.opened}, {"sequence", p.sequence}};
    if (p.last_severity) o["last_severity"] = std::string(severity_name(*p.last_severity));
    notifications[key] = std::move(o);
  }
  // Streaks restored but not yet handed to the daemon (the first save runs before its first apply)
  // are written back as they were, so a crash right after start loses none.
  std::map<std::string, HealthState> health = restored_health_;
  if (health_source_)
    for (auto& [name, h] : health_source_()) health.insert_or_assign(name, h);
  {
    for (const auto& [name, h] : health) {
      checks[name] = json::object{{"state", std::string(to_string(h.state))},
                                  {"failed_streak", h.failed_streak},
                                  {"passed_streak", h.passed_streak},
                                  {"degraded_streak", h.degraded_streak}};
    }
  }
  root["sites"] = std::move(sites);
  root["notifications"] = std::move(notifications);
  root["checks"] = std::move(checks);
  root["resolved"] = std::move(resolved);
  if (std::string error = replace_file_durably(fs::path(state_dir_) / "state.json", serialize_json(root)); !error.empty())
    logger_.log(LogLevel::error, "cannot save state", {{"error", error}});
  dirty_ = false;
  last_save_ = SystemClock::now();
}

void IncidentService::write_review(const Incident& incident) {
  const fs::path path = fs::path(state_dir_) / "incidents" / (incident.id + ".md");
  if (std::string error = replace_file_durably(path, render_review_markdown(incident)); !error.empty())
    logger_.log(LogLevel::error, "cannot write the incident review", {{"error", error}});
  else
    logger_.log(LogLevel::info, "incident review written", {{"incident", incident.id}, {"path", path.string()}});
}

// ---- detection ---------------------------------------------------------------------------------

void IncidentService::on_transition(const std::string& site, const std::string& check, const std::string& area,
                                    CheckState from, CheckState to, std::optional<Reason> reason,
                                    const std::string& message) {
  std::lock_guard lock(mutex_);
  auto it = trackers_.find(site);
  if (it == trackers_.end()) return;
  it->second.check_transition(check, area, from, to, reason, message, SystemClock::now());
  dirty_ = true;
}

void IncidentService::on_site_checks(const std::string& site, std::span<const CheckHealth> checks) {
  std::vector<IncidentAction> actions;
  {
    std::lock_guard lock(mutex_);
    auto it = trackers_.find(site);
    if (it == trackers_.end()) return;
    actions = it->second.update(assess(site, checks), SystemClock::now());
  }
  for (const auto& a : actions) handle(a);
}

void IncidentService::handle(const IncidentAction& action) {
  const Incident& inc = action.incident;
  const std::string severity(severity_name(inc.severity));
  switch (action.kind) {
    case IncidentAction::Kind::open:
      metrics_.opened(inc.site, severity);
      metrics_.set_open(inc.site, severity);
      logger_.log(LogLevel::warn, "incident opened",
                  {{"incident", inc.id}, {"severity", severity}, {"extent", to_string(inc.extent)}, {"summary", inc.summary}});
      break;
    case IncidentAction::Kind::update:
      metrics_.set_open(inc.site, severity);
      logger_.log(LogLevel::warn, "incident updated",
                  {{"incident", inc.id}, {"severity", severity}, {"extent", to_string(inc.extent)}, {"summary", inc.summary}});
      break;
    case IncidentAction::Kind::resolve: {
      metrics_.set_open(inc.site, "");
      logger_.log(LogLevel::info, "incident resolved", {{"incident", inc.id}});
      std::lock_guard lock(mutex_);
      resolved_.push_back(inc);
      if (resolved_.size() > kResolvedKept) resolved_.erase(resolved_.begin());
      break;
    }
  }
  notify(inc, action.kind);
  if (action.kind == IncidentAction::Kind::resolve) write_review(inc);
  save_state();
  pump();
}

// ---- notifications -----------------------------------------------------------------------------

void IncidentService::notify(const Incident& incident, IncidentAction::Kind kind) {
  for (const auto& n : notifiers_) {
    NotifierProgress& p = progress_[progress_key(n.name, incident.id)];
    if (kind == IncidentAction::Kind::resolve) {
      if (p.opened) enqueue(n, incident, NotificationKind::resolve, p);  // a resolve goes only where an open went
      continue;
    }
    if (!p.opened) {
      // The first event at or above min_severity is the open; a drop below it later never resolves early.
      if (more_severe(n.min_severity, incident.severity)) continue;
      enqueue(n, incident, NotificationKind::open, p);
      continue;
    }
    enqueue(n, incident, notification_kind(kind == IncidentAction::Kind::open ? IncidentAction::Kind::update : kind), p);
  }
}

void IncidentService::enqueue(const config::Notifier& notifier, const Incident& incident, NotificationKind kind,
                              NotifierProgress& progress) {
  NotificationEvent event;
  event.kind = kind;
  event.sequence = ++progress.sequence;
  event.event_id = incident.id + "/" + notifier.name + "/" + std::to_string(event.sequence);
  event.incident = to_json(incident);
  if (progress.last_severity && *progress.last_severity != incident.severity) event.previous_severity = progress.last_severity;
  progress.opened = true;
  progress.last_severity = incident.severity;
  progress.last_sent = SystemClock::now();

  std::vector<OutboxEntry> entries;
  for (const std::string& target : delivery_targets(notifier)) {
    OutboxEntry e;
    e.notifier = notifier.name;
    e.target = target;
    e.incident_id = incident.id;
    e.event = event;
    entries.push_back(std::move(e));
  }
  // Written and fsynced before the first attempt: a crash from here on loses nothing.
  if (auto status = outbox_->append(entries); !status.ok())
    logger_.log(LogLevel::error, "outbox write failed; the notification stays queued in memory", {{"error", status.error()}});
  metrics_.set_queue(notifier.name, static_cast<double>(outbox_->pending_count(notifier.name)));
}

const config::Notifier* IncidentService::find_notifier(const std::string& name) const {
  for (const auto& n : notifiers_)
    if (n.name == name) return &n;
  return nullptr;
}

void IncidentService::pump() {
  if (stopped_ || !outbox_) return;
  const auto now = SystemClock::now();
  for (const OutboxEntry& entry : outbox_->next_ready(now)) {
    const config::Notifier* n = find_notifier(entry.notifier);
    if (!n) {
      logger_.log(LogLevel::warn, "dropping a notification for a notifier no longer configured",
                  {{"notifier", entry.notifier}, {"incident", entry.incident_id}});
      (void)outbox_->mark_done(entry.id, DeliveryResult::permanent_failure);
      continue;
    }
    BuiltRequests built = build_requests(*n, entry.event, now, entry.target);
    if (!built.ok()) {
      logger_.log(LogLevel::error, "cannot build the notification", {{"notifier", n->name}, {"error", built.error}});
      (void)outbox_->mark_done(entry.id, DeliveryResult::permanent_failure);
      metrics_.notification(n->name, std::string(to_string(entry.event.kind)), "permanent_failure");
      continue;
    }
    if (built.requests.empty()) {
      (void)outbox_->mark_done(entry.id, DeliveryResult::delivered);
      continue;
    }
    if (!outbox_->begin_send(entry.id)) continue;
    struct Pending {
      std::vector<DeliveryResult> results;
      std::string detail;
      std::size_t left;
    };
    auto pending = std::make_shared<Pending>(Pending{{}, {}, built.requests.size()});
    for (OutgoingRequest& r : built.requests) {
      HttpPostRequest req{std::move(r.method), std::move(r.url), std::move(r.headers), std::move(r.body), n->timeout};
      http_post(multi_, std::move(req), [this, entry, pending](HttpPostResult result) {
        pending->results.push_back(classify(result.status));
        if (pending->detail.empty())
          pending->detail = result.status ? "HTTP " + std::to_string(*result.status) : result.error;
        if (--pending->left == 0) delivered(entry, combine(pending->results), pending->detail);
      });
    }
  }
  update_queue_metrics();
  arm_pump();
}

void IncidentService::delivered(const OutboxEntry& entry, DeliveryResult result, const std::string& detail) {
  const auto now = SystemClock::now();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  if (auto status = outbox_->finish(entry.id, result, now, unit); !status.ok())
    logger_.log(LogLevel::error, "outbox write failed", {{"error", status.error()}});
  const std::string event(to_string(entry.event.kind));
  metrics_.notification(entry.notifier, event, std::string(to_string(result)));
  const std::string site = entry.event.incident.contains("site") && entry.event.incident.at("site").is_string()
                               ? std::string(entry.event.incident.at("site").as_string())
                               : "";
  const bool record = result == DeliveryResult::delivered || result == DeliveryResult::permanent_failure ||
                      entry.attempts == 0;  // a retrying receiver shows once in the timeline, not every try
  if (record) {
    std::lock_guard lock(mutex_);
    if (auto it = trackers_.find(site); it != trackers_.end()) {
      const Incident* changed =
          it->second.record_notification(entry.incident_id, entry.notifier, event, result == DeliveryResult::delivered,
                                         now, result == DeliveryResult::delivered ? "" : detail);
      // A delivery after the resolve (the resolve itself, or a late retry) changes the tracker's copy of the
      // resolved incident; the API and state.json read resolved_, so refresh it there too.
      if (changed && changed->resolved_at)
        for (auto& r : resolved_)
          if (r.id == changed->id) r = *changed;
    } else {
      for (auto& r : resolved_)  // a late delivery for an incident whose site is gone
        if (r.id == entry.incident_id)
          append_event(r, {now, result == DeliveryResult::delivered ? TimelineEvent::notified : TimelineEvent::notify_failed,
                           entry.notifier + ": " + event});
    }
    dirty_ = true;
  }
  if (result == DeliveryResult::permanent_failure)
    logger_.log(LogLevel::error, "notification failed permanently",
                {{"notifier", entry.notifier}, {"event", event}, {"incident", entry.incident_id}, {"detail", detail}});
  else if (result == DeliveryResult::retry)
    logger_.log(LogLevel::warn, "notification will be retried",
                {{"notifier", entry.notifier}, {"event", event}, {"incident", entry.incident_id}, {"detail", detail},
                 {"attempt", std::to_string(entry.attempts + 1)}});
  pump();
}

void IncidentService::update_queue_metrics() {
  for (const auto& n : notifiers_) metrics_.set_queue(n.name, static_cast<double>(outbox_->pending_count(n.name)));
}

void IncidentService::arm_pump() {
  if (stopped_ || !outbox_) return;
  const auto due = outbox_->next_due();
  if (!due) return;
  const auto wait = std::max(std::chrono::milliseconds(0),
                             std::chrono::duration_cast<std::chrono::milliseconds>(*due - SystemClock::now()));
  pump_timer_.expires_after(wait);
  pump_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) pump();
  });
}

// Once a second: Alertmanager re-sends, heartbeats, and saving streaks that changed.
void IncidentService::housekeeping() {
  if (stopped_) return;
  const auto now = SystemClock::now();
  apply_maintenance(now);
  bool enqueued = false;
  {
    std::vector<Incident> open;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [site, t] : trackers_)
        if (t.open_incident()) open.push_back(*t.open_incident());
    }
    for (const auto& n : notifiers_) {
      if (n.type != "alertmanager") continue;
      for (const auto& inc : open) {
        NotifierProgress& p = progress_[progress_key(n.name, inc.id)];
        if (!p.opened || now - p.last_sent < n.resend_interval) continue;
        if (outbox_->pending_count(n.name) > 0) continue;  // a re-send would only queue behind the undelivered one
        enqueue(n, inc, NotificationKind::update, p);  // keeps endsAt in the future while the site is down
        enqueued = true;
      }
    }
  }
  for (std::size_t i = 0; i < heartbeats_.size(); ++i) {
    if (now < next_heartbeat_[i]) continue;
    next_heartbeat_[i] = now + heartbeats_[i].interval;
    if (!runs_since_heartbeat_) continue;  // nothing ran: stay silent so the dead man's switch fires
    const std::string url = heartbeats_[i].url;
    http_post(multi_, {"GET", url, {}, {}, std::chrono::seconds(10)}, [this](HttpPostResult r) {
      if (!r.status || *r.status >= 300)
        logger_.log(LogLevel::warn, "heartbeat failed", {{"detail", r.status ? "HTTP " + std::to_string(*r.status) : r.error}});
    });
  }
  if (!heartbeats_.empty()) {
    bool all_fired = true;
    for (const auto& t : next_heartbeat_) all_fired = all_fired && t > now;
    if (all_fired) runs_since_heartbeat_ = false;
  }
  if (enqueued) pump();
  // Streaks move on every run: save them with the next transition, or at least every half minute.
  if (dirty_ || now - last_save_ >= std::chrono::seconds(30)) save_state();
  housekeeping_timer_.expires_after(kHousekeepingEvery);
  housekeeping_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) housekeeping();
  });
}

// Windows start and end on the clock, so trackers are told here rather than when a check runs.
void IncidentService::apply_maintenance(SystemClock::time_point now) {
  std::vector<std::pair<std::string, const config::MaintenanceWindow*>> changed;
  {
    std::lock_guard lock(mutex_);
    for (auto& [site, tracker] : trackers_) {
      const config::MaintenanceWindow* window = active_maintenance(site, maintenance_, now);
      if ((window != nullptr) == tracker.in_maintenance()) continue;
      tracker.set_in_maintenance(window != nullptr);
      changed.emplace_back(site, window);
    }
  }
  for (const auto& [site, window] : changed) {
    if (!window) {
      logger_.log(LogLevel::info, "site left maintenance", {{"site", site}});
      continue;
    }
    const std::string when = window->weekly.empty()
                                 ? format_rfc3339(*window->start) + "/" + format_rfc3339(*window->end)
                                 : window->weekly + " " + window->time_zone;
    logger_.log(LogLevel::info, "site entered maintenance", {{"site", site}, {"window", when}, {"reason", window->reason}});
  }
}

// ---- HTTP thread ---------------------------------------------------------------------------------

std::string IncidentService::incidents_json() const {
  json::array list;
  std::lock_guard lock(mutex_);
  std::vector<const Incident*> all;
  for (const auto& [site, t] : trackers_)
    if (t.open_incident()) all.push_back(&*t.open_incident());
  for (const auto& r : resolved_) all.push_back(&r);
  std::stable_sort(all.begin(), all.end(), [](const Incident* a, const Incident* b) { return a->opened_at > b->opened_at; });
  for (const Incident* i : all) list.push_back(to_json(*i));
  return serialize_json(json::object{{"incidents", std::move(list)}});
}

std::optional<std::string> IncidentService::incident_json(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& [site, t] : trackers_)
    if (t.open_incident() && t.open_incident()->id == id) return serialize_json(to_json(*t.open_incident()));
  for (const auto& r : resolved_)
    if (r.id == id) return serialize_json(to_json(r));
  return std::nullopt;
}

std::optional<std::string> IncidentService::report_markdown(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& [site, t] : trackers_)
    if (t.open_incident() && t.open_incident()->id == id) return render_review_markdown(*t.open_incident());
  for (const auto& r : resolved_)
    if (r.id == id) return render_review_markdown(r);
  return std::nullopt;
}

std::optional<json::object> IncidentService::open_incident(const std::string& site) const {
  std::lock_guard lock(mutex_);
  auto it = trackers_.find(site);
  if (it == trackers_.end() || !it->second.open_incident()) return std::nullopt;
  return to_json(*it->second.open_incident());
}

}  // namespace synthprobe
