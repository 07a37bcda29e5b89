#pragma once
// The writes the store has not committed yet, coalesced by what they are about: the last state of a site,
// an incident, a check's streaks, a notifier's progress or an outbox row wins; rollups add up. So what waits
// in memory while the disk refuses writes (full, read-only) is bounded by the number of sites, checks and
// pending events, never by how long the disk has been away. Pure data; the store's writer applies it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "exporters/store/store_records.h"
#include "probe/incidents/incident.h"

namespace synthprobe::store {

struct PendingWrites {
  // nullopt: delete.
  std::map<std::string, std::optional<boost::json::object>> trackers;  // site -> IncidentTracker::save()
  std::map<std::string, Incident> incidents;                           // id -> the latest copy
  std::map<std::string, std::optional<StreakRow>> streaks;              // check name
  std::map<std::pair<std::string, std::string>, std::optional<ProgressRow>> progress;  // notifier, incident
  std::map<std::uint64_t, std::optional<OutboxRow>> outbox;                           // id
  std::map<std::pair<std::string, std::int64_t>, RollupDelta> rollups;                 // check, hour
  std::map<std::string, std::string> meta;                                             // key -> value
  std::map<std::string, DrillRow> drills;                                              // id -> the latest
  // Review drafts: path (relative to state_dir), text; written 0600 after the commit.
  std::vector<std::pair<std::string, std::string>> files;

  bool empty() const;
  // Whether any of it concerns paging (outbox, progress, incidents, trackers, drills): committed at once, not with
  // the next second's batch.
  bool urgent() const;
  std::size_t size() const;

  void add_rollup(RollupDelta delta);
  // `newer` was queued after this batch: its entries win, rollups add up, files append.
  void merge_newer(PendingWrites&& newer);
};

}  // namespace synthprobe::store
