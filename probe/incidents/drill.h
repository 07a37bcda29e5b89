#pragma once
// A drill: a clearly labelled test incident sent through the paging path (synthprobe drill, POST
// /api/drills), so the incident team sees that every notifier still reaches them before a real outage
// does. Pure: the incident a drill announces, and what it needs to be told apart from real ones.
//
// A drill's incident has its own id ("drill-<site>-<region>-<time>") and dedup key
// ("synthprobe-drill/<site>/<region>"), so receivers never fold it into a real page of the site (a drill
// resolving cannot close a real outage's page), `drill: true`, and a summary starting "[DRILL]".

#include <chrono>
#include <string>
#include <string_view>

#include "config/config_model.h"
#include "probe/incidents/incident.h"

namespace synthprobe {

inline constexpr std::string_view kDrillPrefix = "[DRILL] ";

std::string drill_id(std::string_view site, std::string_view region, Timestamp started_at);
std::string drill_dedup_key(std::string_view site, std::string_view region, std::string_view shard = {});

struct DrillIdentity {
  std::string probe;
  std::string region;
  std::string shard;  // "K/N" with [probe] shard: the dedup key ends in "/shard-K-of-N", as a real incident's
};

// The open drill incident for `site` at `severity` (extent full for P1, partial for P2, degraded for P3),
// carrying the site's labels and incident team, opened at `now` and planned to resolve after `duration`.
Incident make_drill_incident(const config::Site& site, const DrillIdentity& identity, config::Severity severity,
                             std::chrono::seconds duration, Timestamp now);

// The same incident, resolved at `now`.
Incident resolve_drill_incident(Incident incident, Timestamp now);

}  // namespace synthprobe
