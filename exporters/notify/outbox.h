#pragma once
// The outbox's queues in memory: notification events waiting for delivery, one queue per (notifier,
// target, dedup key), so a resolve never overtakes its open and an old incident's late resolve never
// lands after the next incident's open of the same site (receivers key alerts by the dedup key). Only a
// queue's head is ever sent; other queues are not held up.
//
// Durability is the state store's (exporters/store): the dispatcher stages every event there and marks it
// durable here once the store says it is on disk, and only durable heads are ready to send.
//
// Pure data structure: no I/O, no clock of its own. Not thread-safe (the check loop owns it).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "exporters/notify/delivery_policy.h"
#include "exporters/notify/notification_payloads.h"

namespace synthprobe {

struct OutboxEntry {
  std::uint64_t id = 0;  // increasing, never reused (the store remembers the next one)
  std::string notifier;
  // The delivery target within the notifier (delivery_targets(): an Alertmanager base URL), "" for
  // notifiers with one endpoint.
  std::string target;
  std::string dedup_key;  // the incident's: with notifier and target, the queue
  std::string incident_id;
  NotificationEvent event;
  int attempts = 0;  // failed attempts so far
  std::chrono::system_clock::time_point next_attempt_at{};  // the epoch: at once
  std::chrono::system_clock::time_point created_at{};       // for max_delivery_age
};

class Outbox {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Queues `entry` behind the others of its queue. `durable`: already on disk (restored after a restart).
  void add(OutboxEntry entry, bool durable);
  // The store committed it: it may be sent.
  void mark_durable(std::uint64_t id);

  // The head of every queue that is durable, due (next_attempt_at <= now) and not being sent, oldest first.
  std::vector<OutboxEntry> next_ready(TimePoint now) const;
  // The earliest next_attempt_at among durable heads not being sent; nullopt when there are none.
  std::optional<TimePoint> next_due() const;

  // The caller starts sending `id`: false (and nothing changes) unless it is a ready head not already in
  // flight, so one event is never sent twice at once.
  bool begin_send(std::uint64_t id);
  // One more failed attempt: it waits until `next_attempt_at`. Returns the updated entry.
  const OutboxEntry* reschedule(std::uint64_t id, TimePoint next_attempt_at);
  // Delivered, failed for good or expired: gone; its queue's next event becomes the head.
  void remove(std::uint64_t id);

  const OutboxEntry* find(std::uint64_t id) const;
  // For synthprobe_notification_queue{notifier}: its pending events, in flight included.
  std::size_t pending_count(std::string_view notifier) const;
  // Events waiting for one queue (a re-send would only queue behind them).
  std::size_t pending_in_queue(std::string_view notifier, std::string_view target, std::string_view dedup_key) const;
  // Events of one incident still waiting for one notifier.
  std::size_t pending_for_incident(std::string_view notifier, std::string_view incident_id) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Slot {
    OutboxEntry entry;
    bool durable = false;
    bool in_flight = false;
  };
  using QueueKey = std::tuple<std::string, std::string, std::string>;  // notifier, target, dedup key

  const Slot* head_if_ready(const std::deque<std::uint64_t>& queue) const;

  std::map<std::uint64_t, Slot> entries_;
  std::map<QueueKey, std::deque<std::uint64_t>, std::less<>> queues_;
  std::map<std::string, std::size_t, std::less<>> per_notifier_;
};

// An entry as the store keeps it (JSON text of the event, never a request: no secret reaches the disk),
// and back. from_json: nullopt for a row this version cannot read.
std::string event_to_json_text(const NotificationEvent& event);
std::optional<NotificationEvent> event_from_json_text(std::string_view text);

}  // namespace synthprobe
