#include "probe/daemon/site_incidents.h"

#include <algorithm>

#include "common/time_format.h"
#include "probe/health/maintenance_window.h"
#include "probe/incidents/incident_report.h"

namespace synthprobe {
namespace {

constexpr std::size_t kResolvedKept = 100;

// The checks whose evidence one tick may reassess (a description of each, its latest result copied).
// Sites past it wait for the next ticks, taken in turn: in a large outage, hundreds of open incidents,
// the loop spends the same on evidence each second as with a few, and every site still gets its turn
// within seconds.
constexpr std::size_t kEvidenceChecksPerTick = 2000;

}  // namespace

SiteIncidents::SiteIncidents(Deps deps) : deps_(std::move(deps)), board_(std::make_shared<const IncidentBoard>()) {}

void SiteIncidents::restore(const store::RestoredState& restored) {
  for (const auto& [site, saved] : restored.trackers) {
    if (auto t = IncidentTracker::restore(saved))
      restored_.insert_or_assign(site, std::move(*t));
    else
      deps_.logger.log(LogLevel::error, "the saved incident state of a site is unreadable; starting it afresh",
                       {{"site", site}});
  }
  for (const auto& in : restored.recent_resolved) resolved_.push_back(std::make_shared<const Incident>(in));
  while (resolved_.size() > kResolvedKept) resolved_.pop_front();
  board_dirty_ = true;
}

std::optional<std::uint32_t> SiteIncidents::site_index(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void SiteIncidents::configure(const config::Config& config, const std::vector<Member>& members, Clock::time_point now) {
  probe_ = config.probe.name;
  region_ = config.probe.region;
  maintenance_ = config.maintenance;

  // Trackers by site name: the ones running now, then those restored from the store.
  std::map<std::string, std::unique_ptr<Site>, std::less<>> old;
  for (auto& [name, i] : index_) old.emplace(name, std::move(sites_[i]));
  for (auto& [name, tracker] : restored_)
    if (!old.contains(name)) old.emplace(name, std::make_unique<Site>(std::move(tracker)));
  restored_.clear();

  std::vector<std::unique_ptr<Site>> next;
  std::map<std::string, std::uint32_t, std::less<>> next_index;
  for (const auto& s : config.sites) {
    IncidentContext context{s.name, probe_, region_, s.labels};
    context.recovery_watch = s.recovery_watch;
    context.comms_deadline = s.comms_deadline;
    context.team = s.team;
    context.shard = config.probe.shard_name();
    std::unique_ptr<Site> site;
    if (auto it = old.find(s.name); it != old.end()) {
      site = std::move(it->second);
      old.erase(it);
      site->tracker.set_context(context);
      *site = Site(std::move(site->tracker));
    } else {
      site = std::make_unique<Site>(IncidentTracker(context));
    }
    site->tracker.set_probe_saturated(saturated_);
    changed(*site);
    next_index.emplace(s.name, static_cast<std::uint32_t>(next.size()));
    next.push_back(std::move(site));
  }
  sites_ = std::move(next);
  index_ = std::move(next_index);
  for (const Member& m : members) {
    auto it = index_.find(m.site);
    if (it == index_.end()) continue;
    Site& site = *sites_[it->second];
    site.members.push_back(m.id);
    site.counts.add(m.status);
  }

  // Sites no longer configured close their incident and leave the store.
  for (auto& [name, site] : old) {
    const auto actions = site->tracker.force_resolve(now, "site removed from config");
    for (const auto& a : actions) {
      deps_.metrics.set_open(a.incident.site, "");
      deps_.logger.log(LogLevel::info, "incident resolved", {{"incident", a.incident.id}, {"why", "site removed"}});
      resolved(a.incident);
    }
    const std::string removed = name;
    const std::uint64_t seq = deps_.store.stage([&](store::PendingWrites& w) {
      w.trackers[removed] = std::nullopt;
      for (const auto& a : actions) {
        w.incidents.insert_or_assign(a.incident.id, a.incident);
        deps_.dispatcher.announce(a.incident, a.kind, w, now);
      }
    });
    deps_.dispatcher.send_when_committed(seq);
  }
  for (const auto& s : config.sites) {
    const auto open = sites_[index_.at(s.name)]->tracker.open_incident();
    deps_.metrics.set_open(s.name, open ? std::string(severity_name(open->severity)) : "");
    deps_.metrics.set_comms_overdue(s.name, open && open->comms_overdue);
    deps_.metrics.relapsed_seen(s.name);
  }
  for (auto& site : sites_) {
    // Evidence first: a restored incident's failing checks stay until a run says otherwise.
    settle(*site, now);
  }
  board_dirty_ = true;
  tick(now);
}

SiteAssessment SiteIncidents::assess_site(const Site& site) const {
  std::vector<CheckHealth> checks;
  checks.reserve(site.members.size());
  for (std::uint32_t id : site.members) checks.push_back(deps_.describe(id));
  return assess(site.tracker.context().site, checks);
}

void SiteIncidents::settle(Site& site, Clock::time_point now) {
  const SiteVerdict v = site.counts.verdict();
  if (site.tracker.needs_assessment(v)) {
    handle(site, site.tracker.update(assess_site(site), now), now);
    changed(site);
  } else {
    site.tracker.settle(v);
  }
}

void SiteIncidents::on_transition(std::uint32_t site, std::string_view check, std::string_view area, CheckState from,
                                  CheckState to, std::optional<Reason> reason, std::string_view message,
                                  Clock::time_point now) {
  if (site >= sites_.size()) return;
  Site& s = *sites_[site];
  s.tracker.check_transition(check, area, from, to, reason, message, now);
  changed(s);
}

void SiteIncidents::on_run(std::uint32_t site, const MemberStatus& before, const MemberStatus& after,
                           Clock::time_point now) {
  if (site >= sites_.size()) return;
  Site& s = *sites_[site];
  s.counts.change(before, after);
  const SiteVerdict v = s.counts.verdict();
  if (s.tracker.needs_assessment(v)) {
    handle(s, s.tracker.update(assess_site(s), now), now);
    changed(s);
  } else {
    s.tracker.settle(v);
  }
  if (s.tracker.open_incident()) s.evidence_stale = true;
}

void SiteIncidents::handle(Site& site, const std::vector<IncidentAction>& actions, Clock::time_point now) {
  if (actions.empty()) return;
  for (const auto& a : actions) {
    const Incident& in = a.incident;
    const std::string severity(severity_name(in.severity));
    switch (a.kind) {
      case IncidentAction::Kind::open:
        deps_.metrics.opened(in.site, severity);
        deps_.metrics.set_open(in.site, severity);
        deps_.logger.log(LogLevel::warn, "incident opened",
                         {{"incident", in.id}, {"severity", severity}, {"extent", to_string(in.extent)},
                          {"summary", in.summary}, {"probe_saturated", in.probe_saturated ? "true" : "false"}});
        break;
      case IncidentAction::Kind::update:
        deps_.metrics.set_open(in.site, severity);
        deps_.logger.log(LogLevel::warn, "incident updated",
                         {{"incident", in.id}, {"severity", severity}, {"extent", to_string(in.extent)},
                          {"summary", in.summary}});
        break;
      case IncidentAction::Kind::resolve:
        deps_.metrics.set_open(in.site, "");
        deps_.metrics.set_comms_overdue(in.site, false);
        deps_.logger.log(LogLevel::info, "incident resolved", {{"incident", in.id}});
        resolved(in);
        break;
      case IncidentAction::Kind::relapse:
        deps_.metrics.relapsed(in.site);
        deps_.metrics.set_open(in.site, severity);
        deps_.metrics.set_comms_overdue(in.site, in.comms_overdue);
        deps_.logger.log(LogLevel::warn, "incident relapsed: reopened within its recovery watch",
                         {{"incident", in.id}, {"severity", severity}, {"relapses", std::to_string(in.relapses)}});
        std::erase_if(resolved_, [&](const auto& r) { return r->id == in.id; });
        break;
      case IncidentAction::Kind::comms_overdue:
        deps_.metrics.set_comms_overdue(in.site, true);
        deps_.logger.log(LogLevel::warn, "customer update overdue",
                         {{"incident", in.id},
                          {"due", in.customer_update_due ? format_rfc3339(*in.customer_update_due) : std::string()}});
        break;
    }
  }
  // One batch: the tracker, the incident and the notifications it causes reach the disk together, so a
  // crash never leaves an announced incident the tracker does not know (or the reverse).
  const std::uint64_t seq = deps_.store.stage([&](store::PendingWrites& w) {
    w.trackers[site.tracker.context().site] = site.tracker.save();
    if (deps_.stage_streaks) deps_.stage_streaks(w);
    for (const auto& a : actions) {
      w.incidents.insert_or_assign(a.incident.id, a.incident);
      deps_.dispatcher.announce(a.incident, a.kind, w, now);
      if (a.kind == IncidentAction::Kind::resolve)
        w.files.emplace_back("incidents/" + a.incident.id + ".md", render_review_markdown(a.incident));
    }
  });
  deps_.dispatcher.send_when_committed(seq);
  changed(site);
  site.dirty = false;  // staged above
  publish();
  if (auto i = site_index(site.tracker.context().site)) update_watch(*i, now);
}

void SiteIncidents::update_watch(std::uint32_t index, Clock::time_point now) {
  Site& site = *sites_[index];
  const bool watching = site.tracker.watching(now);
  if (watching == site.watching) return;
  site.watching = watching;
  if (deps_.on_watch) deps_.on_watch(index, watching);
}

bool SiteIncidents::record_comms(const std::string& incident_id, std::string message, std::string source,
                                 Clock::time_point now) {
  for (auto& site : sites_) {
    const auto& open = site->tracker.open_incident();
    if (!open || open->id != incident_id) continue;
    const bool first = open->comms.empty();
    site->tracker.record_comms(std::move(message), source, now);
    changed(*site);
    if (first && open->comms_overdue) deps_.metrics.set_comms_overdue(open->site, false);
    deps_.logger.log(LogLevel::info, "customer update recorded", {{"incident", incident_id}, {"source", source}});
    publish();
    return true;
  }
  return false;
}

void SiteIncidents::resolved(const Incident& incident) {
  resolved_.push_back(std::make_shared<const Incident>(incident));
  while (resolved_.size() > kResolvedKept) resolved_.pop_front();
}

void SiteIncidents::on_delivery(const OutboxEntry& entry, DeliveryResult result, const std::string& detail,
                                Clock::time_point now) {
  const bool ok = result == DeliveryResult::delivered;
  const std::string event(to_string(entry.event.kind));
  const std::string what = result == DeliveryResult::expired ? "expired: " + detail : detail;
  const Incident* updated = nullptr;
  for (auto& site : sites_) {
    updated = site->tracker.record_notification(entry.incident_id, entry.notifier, event, ok, now, ok ? "" : what);
    if (updated) {
      changed(*site);
      break;
    }
  }
  std::optional<Incident> late;
  if (!updated || updated->resolved_at) {
    // A delivery after the resolve (the resolve itself, or a late retry) changes the resolved copy.
    for (auto& r : resolved_) {
      if (r->id != entry.incident_id) continue;
      Incident copy = updated ? *updated : *r;
      if (!updated) append_event(copy, {now, ok ? TimelineEvent::notified : TimelineEvent::notify_failed,
                                        entry.notifier + ": " + event + (ok ? " delivered" : " failed: " + what)});
      r = std::make_shared<const Incident>(copy);
      late = std::move(copy);
    }
  }
  if (late) deps_.store.stage([&](store::PendingWrites& w) { w.incidents.insert_or_assign(late->id, *late); });
  publish();  // rare, and the API should show it at once
}

void SiteIncidents::tick(Clock::time_point now) {
  for (std::uint32_t i = 0; i < sites_.size(); ++i) {
    Site& site = *sites_[i];
    const std::string& name = site.tracker.context().site;
    const config::MaintenanceWindow* window = active_maintenance(name, maintenance_, now);
    if ((window != nullptr) != site.tracker.in_maintenance()) {
      site.tracker.set_in_maintenance(window != nullptr);
      changed(site);
      if (window) {
        const std::string when = window->weekly.empty()
                                     ? format_rfc3339(*window->start) + "/" + format_rfc3339(*window->end)
                                     : window->weekly + " " + window->time_zone;
        deps_.logger.log(LogLevel::info, "site entered maintenance", {{"site", name}, {"window", when}, {"reason", window->reason}});
      } else {
        deps_.logger.log(LogLevel::info, "site left maintenance", {{"site", name}});
      }
      settle(site, now);
    }
    if (auto overdue = site.tracker.check_comms(now)) handle(site, {*overdue}, now);
    update_watch(i, now);
  }
  refresh_some_evidence();
  save_dirty();
  if (board_dirty_) publish();
}

void SiteIncidents::refresh_some_evidence() {
  const std::size_t n = sites_.size();
  std::size_t checks = 0;
  std::size_t examined = 0;
  while (examined < n && checks < kEvidenceChecksPerTick) {
    Site& site = *sites_[(evidence_cursor_ + examined) % n];
    ++examined;
    if (!site.evidence_stale) continue;
    site.evidence_stale = false;
    if (!site.tracker.open_incident()) continue;
    checks += site.members.size();
    if (site.tracker.refresh_evidence(assess_site(site))) changed(site);
  }
  if (n > 0) evidence_cursor_ = (evidence_cursor_ + examined) % n;
}

void SiteIncidents::save_dirty() {
  bool any = false;
  for (const auto& site : sites_) any = any || site->dirty;
  if (!any) return;
  deps_.store.stage([&](store::PendingWrites& w) {
    for (auto& site : sites_) {
      if (!site->dirty) continue;
      site->dirty = false;
      w.trackers[site->tracker.context().site] = site->tracker.save();
      if (const auto& open = site->tracker.open_incident()) w.incidents.insert_or_assign(open->id, *open);
      if (const auto& last = site->tracker.last_resolved()) w.incidents.insert_or_assign(last->id, *last);
    }
  });
}

void SiteIncidents::set_saturated(bool saturated) {
  saturated_ = saturated;
  for (auto& site : sites_) site->tracker.set_probe_saturated(saturated);
}

void SiteIncidents::probe_started(std::optional<Clock::time_point> stopped_at, bool stopped_cleanly,
                                  Clock::time_point now) {
  if (!stopped_at) return;
  for (auto& site : sites_) {
    if (!site->tracker.open_incident() && !site->tracker.first_failure_at()) continue;
    // A crash could not say it stopped: its last sign of life stands in.
    if (!stopped_cleanly) site->tracker.probe_stopped(*stopped_at);
    site->tracker.probe_started(*stopped_at, now);
    changed(*site);
  }
  board_dirty_ = true;
  save_dirty();
  publish();
}

void SiteIncidents::probe_stopping(Clock::time_point now) {
  for (auto& site : sites_) {
    if (!site->tracker.open_incident() && !site->tracker.first_failure_at()) continue;
    site->tracker.probe_stopped(now);
    changed(*site);
  }
  save_dirty();
}

std::vector<const Incident*> SiteIncidents::open_incidents() const {
  std::vector<const Incident*> out;
  for (const auto& site : sites_)
    if (const auto& open = site->tracker.open_incident()) out.push_back(&*open);
  return out;
}

void SiteIncidents::changed(Site& site) {
  site.dirty = true;
  site.shown_stale = true;
  board_dirty_ = true;
}

void SiteIncidents::publish() {
  auto board = std::make_shared<IncidentBoard>();
  for (const auto& site : sites_) {
    const auto& open = site->tracker.open_incident();
    if (!open) {
      site->shown.reset();
      continue;
    }
    // Only an incident that changed since the last board is copied again; the others are shared with it.
    if (site->shown_stale || !site->shown) site->shown = std::make_shared<const Incident>(*open);
    site->shown_stale = false;
    board->open_by_site.emplace(open->site, site->shown);
    board->incidents.push_back(site->shown);
  }
  board->incidents.insert(board->incidents.end(), resolved_.rbegin(), resolved_.rend());
  std::stable_sort(board->incidents.begin(), board->incidents.end(),
                   [](const auto& a, const auto& b) { return a->opened_at > b->opened_at; });
  std::lock_guard lock(board_mutex_);
  board_ = std::move(board);
  board_dirty_ = false;
}

std::shared_ptr<const IncidentBoard> SiteIncidents::board() const {
  std::lock_guard lock(board_mutex_);
  return board_;
}

}  // namespace synthprobe
