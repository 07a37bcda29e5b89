#pragma once
// The at-least-once outbox: every notification event is on disk (written and fsync'ed) before its first
// send, and stays there until delivered or failed for good, across restarts and crashes.
//
// One file, <dir>/outbox.jsonl (dir = state_dir/outbox), one JSON record a line, only ever appended to:
//   {"op":"event","id":7,"notifier":"oncall","target":"","incident_id":"...","event":"open","sequence":1,
//    "event_id":"...","previous_severity":null,"attempts":0,"next_attempt_at_ms":1795774500000,
//    "incident":{...}}
//   {"op":"retry","id":7,"attempts":2,"next_attempt_at_ms":1795774502000}
//   {"op":"done","id":7,"result":"delivered"}
// It holds the event, never the HTTP requests: no routing key, API key or header value reaches the disk.
// compact() rewrites the file atomically with only the pending events. A crash in the middle of an append
// leaves a last line without its newline: load() drops it, reports it and cuts it off the file (that
// append had not returned, so the event was never sent).
//
// Order: the events of one queue, (notifier, target, incident), go one at a time in append order: only
// a queue's head is ever ready, so a resolve never overtakes its open; other queues are not held up.
//
// Not thread-safe. Appends and compaction block on the disk (fsync): call from a thread that may wait.
// Errors (full disk, unreadable file) are returned as values and never thrown; the in-memory state
// stays right even when the file could not be written, so delivery goes on until a restart.

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
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
  std::uint64_t id = 0;  // set by append(): increasing, never reused
  std::string notifier;
  // The delivery target within the notifier (delivery_targets(): an Alertmanager base URL), "" for
  // notifiers with one endpoint. Each target is its own queue.
  std::string target;
  std::string incident_id;  // "" in append(): taken from event.incident's "id"
  NotificationEvent event;
  int attempts = 0;  // failed attempts so far
  std::chrono::system_clock::time_point next_attempt_at{};  // the epoch: at once
};

// Success, or what went wrong: the path and the system's reason.
class [[nodiscard]] OutboxStatus {
 public:
  OutboxStatus() = default;
  explicit OutboxStatus(std::string error) : error_(std::move(error)) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

struct OutboxLoad {
  std::vector<OutboxEntry> pending;   // in append order
  bool torn_tail = false;             // a last line cut short by a crash was dropped
  std::size_t bad_lines = 0;          // complete lines that could not be read, skipped
  std::vector<std::string> warnings;  // one per dropped line or repair, for the log
  OutboxStatus status;                // not ok: the file could not be read; nothing was loaded
};

struct OutboxOptions {
  // mark_done()/finish() compact the file once it holds this many lines no pending event needs (and
  // more of them than pending events). 0: only compact() does.
  std::size_t compact_after = 1000;
};

class Outbox {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit Outbox(std::filesystem::path dir, OutboxOptions options = {});
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Reads the file (a missing one is an empty outbox) and replaces the in-memory state with its pending
  // events, none of them in flight. Call once at start; append() calls it when it has not run. Events
  // of a notifier (or target) no longer configured never become deliverable: the caller finishes them
  // as permanent_failure.
  OutboxLoad load();

  // Queues the event and makes it durable (write + fsync; the directory too when the file is created)
  // before returning: send it only after this returns. Sets entry.id (and incident_id when empty).
  // On a write error the event is queued in memory all the same (a full disk must not stop paging)
  // and the status says it will not survive a restart.
  OutboxStatus append(OutboxEntry& entry);
  // Several events, one fsync (an Alertmanager event for each of its targets).
  OutboxStatus append(std::vector<OutboxEntry>& entries);

  // The head of every queue that is due (next_attempt_at <= now) and not being sent, oldest first.
  std::vector<OutboxEntry> next_ready(TimePoint now) const;
  // The earliest next_attempt_at among queue heads not being sent; nullopt when there are none.
  std::optional<TimePoint> next_due() const;

  // The caller started sending `id`: next_ready() skips it until mark_done(), reschedule() or finish().
  // False for an id that is not pending.
  bool begin_send(std::uint64_t id);

  // Removes a delivered or permanently failed event (appends a done record, no fsync: a lost mark
  // means one more send, which at least once allows); its queue's next event becomes the head.
  OutboxStatus mark_done(std::uint64_t id, DeliveryResult result);
  // One more failed attempt; the event waits until `next_attempt_at` (appends a retry record).
  OutboxStatus reschedule(std::uint64_t id, TimePoint next_attempt_at);
  // mark_done() for delivered and permanent_failure; for retry, reschedule() at now + backoff(attempts,
  // unit_random) (delivery_policy: 1s doubling to 5m, jittered).
  OutboxStatus finish(std::uint64_t id, DeliveryResult result, TimePoint now, double unit_random);

  // For synthprobe_notification_queue{notifier}: its pending events, in flight included.
  std::size_t pending_count(std::string_view notifier) const;
  std::size_t pending_count() const { return entries_.size(); }
  // Every pending event in append order.
  std::vector<OutboxEntry> pending() const;
  const OutboxEntry* find(std::uint64_t id) const;

  // True when the file holds compact_after (not 0) or more lines no pending event needs, and more of
  // them than pending events.
  bool needs_compaction() const;
  // Rewrites the file with only the pending events: a temporary file, fsync, rename over, fsync of the
  // directory. On failure the old file stays as it was.
  OutboxStatus compact();

  const std::filesystem::path& file() const { return file_; }

 private:
  struct Slot {
    OutboxEntry entry;
    bool in_flight = false;
  };
  using QueueKey = std::tuple<std::string, std::string, std::string>;  // notifier, target, incident

  void clear();
  void insert(OutboxEntry entry);
  void erase(std::uint64_t id);
  const OutboxEntry* head_if_ready(const std::deque<std::uint64_t>& queue) const;
  OutboxStatus open_for_append();
  OutboxStatus write_lines(const std::string& lines, bool sync);
  OutboxStatus ensure_loaded();

  std::filesystem::path dir_;
  std::filesystem::path file_;
  OutboxOptions options_;
  int fd_ = -1;
  bool loaded_ = false;
  bool readable_ = true;  // false after a failed load: the file is left alone
  bool broken_tail_ = false;  // a failed write left bytes we could not cut: start the next with '\n'
  std::uint64_t next_id_ = 1;
  std::size_t lines_ = 0;  // complete lines in the file
  std::map<std::uint64_t, Slot> entries_;
  std::map<QueueKey, std::deque<std::uint64_t>> queues_;
  std::map<std::string, std::size_t, std::less<>> per_notifier_;
};

}  // namespace synthprobe
