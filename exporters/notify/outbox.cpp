#include "exporters/notify/outbox.h"

#include <algorithm>

#include <boost/json/parse.hpp>

#include "common/json_format.h"
#include "common/time_format.h"
#include "probe/health/site_severity.h"

namespace synthprobe {
namespace {

namespace json = boost::json;

const json::string* string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : it->value().if_string();
}

}  // namespace

void Outbox::add(OutboxEntry entry, bool durable) {
  const std::uint64_t id = entry.id;
  QueueKey key{entry.notifier, entry.target, entry.dedup_key};
  ++per_notifier_[entry.notifier];
  queues_[std::move(key)].push_back(id);
  entries_.insert_or_assign(id, Slot{std::move(entry), durable, false});
}

void Outbox::mark_durable(std::uint64_t id) {
  if (auto it = entries_.find(id); it != entries_.end()) it->second.durable = true;
}

const Outbox::Slot* Outbox::head_if_ready(const std::deque<std::uint64_t>& queue) const {
  if (queue.empty()) return nullptr;
  auto it = entries_.find(queue.front());
  if (it == entries_.end() || !it->second.durable || it->second.in_flight) return nullptr;
  return &it->second;
}

std::vector<OutboxEntry> Outbox::next_ready(TimePoint now) const {
  std::vector<OutboxEntry> out;
  for (const auto& [key, queue] : queues_)
    if (const Slot* s = head_if_ready(queue); s && s->entry.next_attempt_at <= now) out.push_back(s->entry);
  std::sort(out.begin(), out.end(), [](const OutboxEntry& a, const OutboxEntry& b) { return a.id < b.id; });
  return out;
}

std::optional<Outbox::TimePoint> Outbox::next_due() const {
  std::optional<TimePoint> due;
  for (const auto& [key, queue] : queues_)
    if (const Slot* s = head_if_ready(queue); s && (!due || s->entry.next_attempt_at < *due)) due = s->entry.next_attempt_at;
  return due;
}

bool Outbox::begin_send(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.in_flight || !it->second.durable) return false;
  const OutboxEntry& e = it->second.entry;
  auto q = queues_.find(QueueKey{e.notifier, e.target, e.dedup_key});
  if (q == queues_.end() || q->second.empty() || q->second.front() != id) return false;
  it->second.in_flight = true;
  return true;
}

const OutboxEntry* Outbox::reschedule(std::uint64_t id, TimePoint next_attempt_at) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  it->second.in_flight = false;
  ++it->second.entry.attempts;
  it->second.entry.next_attempt_at = next_attempt_at;
  return &it->second.entry;
}

void Outbox::remove(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const OutboxEntry& e = it->second.entry;
  if (auto q = queues_.find(QueueKey{e.notifier, e.target, e.dedup_key}); q != queues_.end()) {
    std::erase(q->second, id);
    if (q->second.empty()) queues_.erase(q);
  }
  if (auto n = per_notifier_.find(e.notifier); n != per_notifier_.end() && --n->second == 0) per_notifier_.erase(n);
  entries_.erase(it);
}

const OutboxEntry* Outbox::find(std::uint64_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second.entry;
}

std::size_t Outbox::pending_count(std::string_view notifier) const {
  auto it = per_notifier_.find(notifier);
  return it == per_notifier_.end() ? 0 : it->second;
}

std::size_t Outbox::pending_in_queue(std::string_view notifier, std::string_view target,
                                     std::string_view dedup_key) const {
  auto q = queues_.find(QueueKey{std::string(notifier), std::string(target), std::string(dedup_key)});
  return q == queues_.end() ? 0 : q->second.size();
}

std::size_t Outbox::pending_for_incident(std::string_view notifier, std::string_view incident_id) const {
  std::size_t n = 0;
  for (const auto& [id, slot] : entries_) n += slot.entry.notifier == notifier && slot.entry.incident_id == incident_id;
  return n;
}

std::string event_to_json_text(const NotificationEvent& e) {
  json::object o;
  o["event"] = to_string(e.kind);
  o["sequence"] = e.sequence;
  o["event_id"] = e.event_id;
  o["previous_severity"] = e.previous_severity ? json::value(severity_name(*e.previous_severity)) : json::value(nullptr);
  o["incident"] = e.incident;
  if (e.detected_at)
    o["detected_at_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(e.detected_at->time_since_epoch()).count();
  return serialize_json(o);
}

std::optional<NotificationEvent> event_from_json_text(std::string_view text) {
  json::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  const json::string* kind = string_field(o, "event");
  const json::string* event_id = string_field(o, "event_id");
  const auto* sequence = o.if_contains("sequence");
  const auto* incident = o.if_contains("incident");
  if (!kind || !event_id || !sequence || !sequence->is_number() || !incident || !incident->is_object())
    return std::nullopt;
  NotificationEvent e;
  const auto parsed = parse_notification_kind(*kind);
  if (!parsed) return std::nullopt;
  e.kind = *parsed;
  e.event_id = std::string(*event_id);
  json::error_code nec;
  e.sequence = sequence->to_number<std::uint64_t>(nec);
  if (nec) return std::nullopt;
  e.incident = incident->get_object();
  if (const json::string* prev = string_field(o, "previous_severity")) e.previous_severity = parse_severity_name(*prev);
  if (const auto* at = o.if_contains("detected_at_ms"); at && at->is_int64()) {
    // A damaged row's far-off instant would overflow the clock: then the send time stands in, as for none.
    using namespace std::chrono;
    constexpr milliseconds first = sys_days{year{kFirstYear} / January / 1}.time_since_epoch();
    constexpr milliseconds end = sys_days{year{kLastYear + 1} / January / 1}.time_since_epoch();
    if (const milliseconds ms(at->get_int64()); ms >= first && ms < end) e.detected_at = system_clock::time_point(ms);
  }
  return e;
}

}  // namespace synthprobe
