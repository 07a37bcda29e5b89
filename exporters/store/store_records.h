#pragma once
// The rows of the state store (state_dir/synthprobe.db) as plain structs: what the daemon hands the
// writer and what a restart reads back. The store knows incidents and check streaks; the outbox's event is
// opaque JSON text here, since the notify layer above owns its meaning.

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "common/time_format.h"
#include "probe/health/health_state.h"

namespace synthprobe::store {

// One notification event waiting for delivery to one target (see exporters/notify/outbox.h).
struct OutboxRow {
  std::uint64_t id = 0;
  std::string notifier;
  std::string target;
  std::string dedup_key;  // with notifier and target: the queue the event waits in, in id order
  std::string incident_id;
  std::string event_json;  // the NotificationEvent, never a request: no secret reaches the disk
  std::int64_t attempts = 0;
  std::int64_t next_attempt_at_ms = 0;  // Unix milliseconds
  std::int64_t created_at_ms = 0;       // for max_delivery_age
};

// What a notifier was told of one incident: whether its open went out, the last sequence and severity.
struct ProgressRow {
  std::string notifier;
  std::string incident_id;
  bool opened = false;
  std::uint64_t sequence = 0;
  std::string last_severity;  // "P1" | "P2" | "P3" | ""
  std::int64_t last_sent_ms = 0;
  // Its resolve was delivered; kept until then (the recovery watch) for a relapse, then deleted. 0: open.
  std::int64_t keep_until_ms = 0;
};

// A drill (synthprobe drill): kept apart from real incidents, so no history, review or report counts it as
// an outage. `body` is {"incident": the drill incident, "deliveries": per notifier}.
struct DrillRow {
  std::string id;
  std::string site;
  std::int64_t started_at_ms = 0;
  bool finished = false;  // resolved and reported; an unfinished one is resolved at the next start
  std::string body;
};

// Runs of one check in one UTC hour, for availability reports and the status page's uptime bars.
struct RollupDelta {
  std::string check;
  std::string site;
  std::string area;
  std::int64_t hour = 0;  // Unix seconds / 3600
  std::uint32_t passed = 0;
  std::uint32_t total = 0;
};

// A check's streaks as saved: counts are capped at what the thresholds can still use, so a check that
// stays up or down writes nothing run after run.
struct StreakRow {
  CheckState state = CheckState::unknown;
  std::uint32_t failed = 0;
  std::uint32_t passed = 0;
  std::uint32_t degraded = 0;
  bool operator==(const StreakRow&) const = default;
};

}  // namespace synthprobe::store
