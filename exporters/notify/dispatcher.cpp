#include "exporters/notify/dispatcher.h"

#include <algorithm>
#include <memory>

#include "exporters/notify/delivery_policy.h"
#include "probe/engine/http_post.h"
#include "common/time_format.h"
#include "probe/health/site_severity.h"

namespace synthprobe {
namespace {

using namespace std::chrono;

std::int64_t to_ms(Dispatcher::Clock::time_point t) { return duration_cast<milliseconds>(t.time_since_epoch()).count(); }
Dispatcher::Clock::time_point from_ms(std::int64_t ms) { return Dispatcher::Clock::time_point(milliseconds(ms)); }

// A receiver's explanation ("channel_is_archived", {"error":"invalid_payload"}) for the log and the
// timeline: one line of printable ASCII, short.
std::string excerpt(std::string_view body) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (char c : body) {
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string describe(const HttpPostResult& r) {
  if (!r.status) return r.error;
  std::string text = "HTTP " + std::to_string(*r.status);
  if (*r.status >= 300 && !r.body.empty()) text += ": " + excerpt(r.body);
  return text;
}

store::OutboxRow row_of(const OutboxEntry& e) {
  store::OutboxRow r;
  r.id = e.id;
  r.notifier = e.notifier;
  r.target = e.target;
  r.dedup_key = e.dedup_key;
  r.incident_id = e.incident_id;
  r.event_json = event_to_json_text(e.event);
  r.attempts = e.attempts;
  r.next_attempt_at_ms = to_ms(e.next_attempt_at);
  r.created_at_ms = to_ms(e.created_at);
  return r;
}

}  // namespace

Dispatcher::Dispatcher(boost::asio::io_context& io, CurlMulti& multi, store::StateStore& store, const Logger& logger,
                       Hooks hooks)
    : multi_(multi), store_(store), logger_(logger), hooks_(std::move(hooks)), timer_(io) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::stop() {
  stopped_ = true;
  timer_.cancel();
}

void Dispatcher::configure(const std::vector<config::Notifier>& notifiers) {
  notifiers_ = notifiers;
  for (const auto& n : notifiers_) report_queue(n.name);
  pump();
}

const config::Notifier* Dispatcher::find(const std::string& name) const {
  for (const auto& n : notifiers_)
    if (n.name == name) return &n;
  return nullptr;
}

void Dispatcher::report_queue(const std::string& notifier) {
  if (hooks_.queue) hooks_.queue(notifier, outbox_.pending_count(notifier));
}

store::ProgressRow Dispatcher::progress_row(const ProgressKey& key, const Progress& p) {
  return {key.first, key.second, p.opened, p.sequence,
          p.last_severity ? std::string(severity_name(*p.last_severity)) : std::string(), to_ms(p.last_sent),
          p.resolved && p.keep_until ? to_ms(*p.keep_until) : 0};
}

void Dispatcher::restore(const store::RestoredState& restored) {
  for (const auto& row : restored.progress) {
    Progress p;
    p.opened = row.opened;
    p.sequence = row.sequence;
    p.last_severity = parse_severity_name(row.last_severity);
    p.last_sent = from_ms(row.last_sent_ms);
    if (row.keep_until_ms > 0) {
      p.resolved = true;
      p.keep_until = from_ms(row.keep_until_ms);
    }
    progress_[{row.notifier, row.incident_id}] = p;
  }
  next_id_ = std::max(next_id_, restored.next_outbox_id);
  for (const auto& row : restored.outbox) {
    auto event = event_from_json_text(row.event_json);
    if (!event) {
      logger_.log(LogLevel::error, "dropping an undelivered notification this version cannot read",
                  {{"notifier", row.notifier}, {"incident", row.incident_id}});
      store_.stage([&](store::PendingWrites& w) { w.outbox[row.id] = std::nullopt; });
      continue;
    }
    OutboxEntry e;
    e.id = row.id;
    e.notifier = row.notifier;
    e.target = row.target;
    e.dedup_key = row.dedup_key;
    e.incident_id = row.incident_id;
    e.event = std::move(*event);
    e.attempts = static_cast<int>(row.attempts);
    e.next_attempt_at = from_ms(row.next_attempt_at_ms);
    e.created_at = from_ms(row.created_at_ms);
    next_id_ = std::max(next_id_, e.id + 1);
    outbox_.add(std::move(e), true);
  }
  if (!restored.outbox.empty())
    logger_.log(LogLevel::info, "notifications pending from before the restart",
                {{"count", std::to_string(restored.outbox.size())}});
}

std::vector<std::string> Dispatcher::announce(const Incident& incident, IncidentAction::Kind kind,
                                              store::PendingWrites& writes, Clock::time_point now) {
  std::vector<std::string> told;
  for (const auto& n : notifiers_) {
    const ProgressKey key{n.name, incident.id};
    auto it = progress_.find(key);
    if (kind == IncidentAction::Kind::comms_overdue) {
      // Only who asked for it, and only where the incident was announced.
      if (n.notify_on_comms_overdue && it != progress_.end() && it->second.opened) {
        enqueue(n, incident, NotificationKind::update, it->second, writes, now);
        told.push_back(n.name);
      }
      continue;
    }
    if (kind == IncidentAction::Kind::resolve) {
      if (it != progress_.end() && it->second.opened) {  // a resolve goes only where an open went
        enqueue(n, incident, NotificationKind::resolve, it->second, writes, now);
        told.push_back(n.name);
        if (n.type == "alertmanager") {
          ResolvedAlert& r = resolved_alerts_[key];
          r.incident = incident;
          r.until = now + kResolveResendFor;
          r.sequence = it->second.sequence;
          for (const auto& target : delivery_targets(n)) r.last_sent[target] = now;
        }
      }
      continue;
    }
    if (it == progress_.end() || !it->second.opened) {
      // The first event at or above min_severity is the open; a drop below it later never resolves early.
      // Every min_severity admits a P1, so the P1 open reaches every role's notifier with no rule of its own.
      if (more_severe(n.min_severity, incident.severity)) continue;
      enqueue(n, incident, NotificationKind::open, progress_[key], writes, now);
      told.push_back(n.name);
      continue;
    }
    // An update, or a relapse of a resolved incident (the same dedup key fires again: PagerDuty re-triggers,
    // Alertmanager fires the same labels).
    resolved_alerts_.erase(key);
    it->second.resolved = false;
    enqueue(n, incident, NotificationKind::update, it->second, writes, now);
    told.push_back(n.name);
  }
  return told;
}

void Dispatcher::enqueue(const config::Notifier& n, const Incident& incident, NotificationKind kind, Progress& p,
                         store::PendingWrites& writes, Clock::time_point now, std::optional<std::string> only_target) {
  NotificationEvent event;
  event.kind = kind;
  event.sequence = ++p.sequence;
  event.event_id = incident.id + "/" + n.name + "/" + std::to_string(event.sequence);
  event.incident = to_json(incident);
  event.detected_at = now;
  if (p.last_severity && *p.last_severity != incident.severity) event.previous_severity = p.last_severity;
  p.opened = true;
  p.last_severity = incident.severity;
  p.last_sent = now;
  writes.progress[{n.name, incident.id}] = progress_row({n.name, incident.id}, p);

  for (const std::string& target : delivery_targets(n)) {
    if (only_target && target != *only_target) continue;
    OutboxEntry e;
    e.id = next_id_++;
    e.notifier = n.name;
    e.target = target;
    e.dedup_key = incident.dedup_key;
    e.incident_id = incident.id;
    e.event = event;
    e.created_at = now;
    writes.outbox[e.id] = row_of(e);
    awaiting_commit_.push_back(e.id);
    last_sent_to_target_[{n.name, incident.id, target}] = now;
    outbox_.add(std::move(e), false);
  }
  report_queue(n.name);
}

void Dispatcher::send_when_committed(std::uint64_t seq) {
  if (awaiting_commit_.empty()) return;
  store_.when_committed(seq, [this, ids = std::exchange(awaiting_commit_, {})](bool committed) {
    if (!committed)
      logger_.log(LogLevel::error, "notifications are sent before they are on disk: a crash now could lose them",
                  {{"count", std::to_string(ids.size())}});
    for (auto id : ids) outbox_.mark_durable(id);  // paging goes on even when the disk does not
    pump();
  });
}

void Dispatcher::resend(const std::vector<const Incident*>& open, Clock::time_point now) {
  // Progress kept through a recovery watch that ended without a relapse.
  std::vector<ProgressKey> done;
  for (const auto& [key, p] : progress_)
    if (p.resolved && p.keep_until && now >= *p.keep_until && outbox_.pending_for_incident(key.first, key.second) == 0)
      done.push_back(key);
  if (!done.empty()) {
    for (const auto& key : done) progress_.erase(key);
    store_.stage([&](store::PendingWrites& w) {
      for (const auto& key : done) w.progress[key] = std::nullopt;
    });
  }
  std::vector<std::tuple<const config::Notifier*, const Incident*, std::string>> due;
  for (const auto& n : notifiers_) {
    if (n.type != "alertmanager") continue;
    for (const Incident* inc : open) {
      auto p = progress_.find({n.name, inc->id});
      if (p == progress_.end() || !p->second.opened) continue;
      for (const std::string& target : delivery_targets(n)) {
        auto last = last_sent_to_target_.find({n.name, inc->id, target});
        const auto sent = last == last_sent_to_target_.end() ? p->second.last_sent : last->second;
        if (now - sent < n.resend_interval) continue;
        // Decided per target: a dead Alertmanager's backlog must not stop the healthy one's re-sends.
        if (outbox_.pending_in_queue(n.name, target, inc->dedup_key) > 0) continue;
        due.emplace_back(&n, inc, target);
      }
    }
  }
  // Resolved alerts, repeated as resolved for a few minutes.
  std::vector<std::tuple<const config::Notifier*, ResolvedAlert*, std::string>> resolved_due;
  for (auto it = resolved_alerts_.begin(); it != resolved_alerts_.end();) {
    const config::Notifier* n = find(it->first.first);
    if (!n || now >= it->second.until) {
      it = resolved_alerts_.erase(it);
      continue;
    }
    for (auto& [target, sent] : it->second.last_sent) {
      if (now - sent < n->resend_interval) continue;
      if (outbox_.pending_in_queue(n->name, target, it->second.incident.dedup_key) > 0) continue;
      resolved_due.emplace_back(n, &it->second, target);
    }
    ++it;
  }
  if (due.empty() && resolved_due.empty()) return;
  const std::uint64_t seq = store_.stage([&](store::PendingWrites& w) {
    for (auto& [n, inc, target] : due)
      enqueue(*n, *inc, NotificationKind::update, progress_[{n->name, inc->id}], w, now, target);
    for (auto& [n, r, target] : resolved_due) {
      Progress p;  // a repeat of the resolve: the notifier's progress for the incident is already done
      p.opened = true;
      p.sequence = r->sequence++;
      p.last_severity = r->incident.severity;
      enqueue(*n, r->incident, NotificationKind::resolve, p, w, now, target);
      w.progress.erase({n->name, r->incident.id});
      r->last_sent[target] = now;
      r->sequence = p.sequence;
    }
  });
  send_when_committed(seq);
}

void Dispatcher::arm() {
  if (stopped_) return;
  const auto due = outbox_.next_due();
  if (!due) return;
  const auto wait = std::max(milliseconds(0), duration_cast<milliseconds>(*due - now()));
  timer_.expires_after(wait);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) pump();
  });
}

void Dispatcher::drop(const OutboxEntry& entry, DeliveryResult result, const std::string& detail) {
  const OutboxEntry copy = entry;
  outbox_.remove(copy.id);
  std::optional<ProgressKey> finished_progress;
  // A resolve that is done (on every target) ends what this notifier keeps of the incident, unless a
  // relapse may still reopen it: then its sequence must carry on, so receivers never see an event id twice.
  if (copy.event.kind == NotificationKind::resolve && outbox_.pending_for_incident(copy.notifier, copy.incident_id) == 0) {
    const ProgressKey key{copy.notifier, copy.incident_id};
    std::optional<Clock::time_point> watch;
    if (const auto* w = copy.event.incident.if_contains("recovery_watch_until"); w && w->is_string())
      if (auto t = parse_rfc3339(w->get_string())) watch = *t;
    auto p = progress_.find(key);
    if (watch && *watch > now() && p != progress_.end()) {
      p->second.resolved = true;
      p->second.keep_until = *watch;
      const store::ProgressRow row = progress_row(key, p->second);
      store_.stage([&](store::PendingWrites& w) { w.progress[key] = row; });
    } else {
      finished_progress = key;
    }
  }
  store_.stage([&](store::PendingWrites& w) {
    w.outbox[copy.id] = std::nullopt;
    if (finished_progress) w.progress[*finished_progress] = std::nullopt;
  });
  if (finished_progress) {
    progress_.erase(*finished_progress);
    for (auto it = last_sent_to_target_.begin(); it != last_sent_to_target_.end();)
      it = std::get<0>(it->first) == copy.notifier && std::get<1>(it->first) == copy.incident_id
               ? last_sent_to_target_.erase(it)
               : std::next(it);
  }
  if (hooks_.attempt) hooks_.attempt(copy.notifier, copy.event.kind, result);
  if (hooks_.outcome) hooks_.outcome(copy, result, detail, now());
  report_queue(copy.notifier);
}

void Dispatcher::pump() {
  if (stopped_) return;
  const auto now = this->now();
  for (const OutboxEntry& entry : outbox_.next_ready(now)) {
    const config::Notifier* n = find(entry.notifier);
    if (!n) {
      logger_.log(LogLevel::warn, "dropping a notification for a notifier no longer configured",
                  {{"notifier", entry.notifier}, {"incident", entry.incident_id}});
      drop(entry, DeliveryResult::permanent_failure, "notifier no longer configured");
      continue;
    }
    if (now - entry.created_at > n->max_delivery_age) {
      logger_.log(LogLevel::error, "notification expired undelivered",
                  {{"notifier", n->name}, {"event", to_string(entry.event.kind)}, {"incident", entry.incident_id},
                   {"attempts", std::to_string(entry.attempts)}});
      drop(entry, DeliveryResult::expired, "not delivered within max_delivery_age");
      continue;
    }
    BuiltRequests built = build_requests(*n, entry.event, now, entry.target);
    if (!built.ok()) {
      logger_.log(LogLevel::error, "cannot build the notification", {{"notifier", n->name}, {"error", built.error}});
      drop(entry, DeliveryResult::permanent_failure, built.error);
      continue;
    }
    if (built.requests.empty()) {
      drop(entry, DeliveryResult::delivered, "");
      continue;
    }
    if (!outbox_.begin_send(entry.id)) continue;
    send_in_order(entry.id, std::make_shared<std::vector<OutgoingRequest>>(std::move(built.requests)), 0, n->timeout);
  }
  arm();
}

// One request after the other: an Opsgenie note after its create, Alertmanager's fresh alert after the
// resolve of the old severity. The first that is not accepted ends the attempt.
void Dispatcher::send_in_order(std::uint64_t id, std::shared_ptr<std::vector<OutgoingRequest>> requests, std::size_t i,
                               std::chrono::milliseconds timeout) {
  OutgoingRequest& r = (*requests)[i];
  HttpPostRequest req{std::move(r.method), std::move(r.url), std::move(r.headers), std::move(r.body), timeout};
  http_post(multi_, std::move(req), [this, id, requests, i, timeout](HttpPostResult result) {
    const DeliveryResult outcome = classify(result.status);
    if (stopped_) return;
    if (outcome == DeliveryResult::delivered && i + 1 < requests->size()) {
      send_in_order(id, requests, i + 1, timeout);
      return;
    }
    finished(id, outcome, describe(result), result.retry_after);
  });
}

void Dispatcher::finished(std::uint64_t id, DeliveryResult result, const std::string& detail,
                          std::optional<std::chrono::seconds> retry_after) {
  const OutboxEntry* entry = outbox_.find(id);
  if (!entry) return;
  if (result != DeliveryResult::retry) {
    if (result == DeliveryResult::permanent_failure)
      logger_.log(LogLevel::error, "notification failed permanently",
                  {{"notifier", entry->notifier}, {"event", to_string(entry->event.kind)},
                   {"incident", entry->incident_id}, {"detail", detail}});
    drop(*entry, result, detail);
    pump();
    return;
  }
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  const auto now = this->now();
  const OutboxEntry* updated = outbox_.reschedule(id, now + retry_delay(entry->attempts + 1, unit, retry_after));
  logger_.log(LogLevel::warn, "notification will be retried",
              {{"notifier", updated->notifier}, {"event", to_string(updated->event.kind)},
               {"incident", updated->incident_id}, {"detail", detail}, {"attempt", std::to_string(updated->attempts)},
               {"retry_in", format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(updated->next_attempt_at - now))}});
  store_.stage([&](store::PendingWrites& w) { w.outbox[id] = row_of(*updated); });
  if (hooks_.attempt) hooks_.attempt(updated->notifier, updated->event.kind, DeliveryResult::retry);
  // A retrying receiver shows once in the timeline, not at every try.
  if (updated->attempts == 1 && hooks_.outcome) hooks_.outcome(*updated, DeliveryResult::retry, detail, now);
  pump();
}

}  // namespace synthprobe
