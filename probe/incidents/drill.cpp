#include "probe/incidents/drill.h"

#include "common/time_format.h"

namespace synthprobe {

std::string drill_id(std::string_view site, std::string_view region, Timestamp started_at) {
  return "drill-" + incident_id(site, region, started_at);
}

std::string drill_dedup_key(std::string_view site, std::string_view region, std::string_view shard) {
  // The real key's tail ("<site>/<region>[/shard-K-of-N]") under the drills' own prefix.
  return "synthprobe-drill/" + incident_dedup_key(site, region, shard).substr(std::string_view("synthprobe/").size());
}

Incident make_drill_incident(const config::Site& site, const DrillIdentity& identity, config::Severity severity,
                             std::chrono::seconds duration, Timestamp now) {
  Incident in;
  in.id = drill_id(site.name, identity.region, now);
  in.site = site.name;
  in.dedup_key = drill_dedup_key(site.name, identity.region, identity.shard);
  in.probe = identity.probe;
  in.region = identity.region;
  in.labels = site.labels;
  in.severity = severity;
  in.extent = severity == config::Severity::P1   ? Extent::full
              : severity == config::Severity::P2 ? Extent::partial
                                                 : Extent::degraded;
  in.summary = std::string(kDrillPrefix) + site.name + ": test incident (" + std::string(severity_name(severity)) +
               "), no action needed; it resolves in " +
               format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(duration));
  in.opened_at = now;
  in.team = site.team;
  in.drill = true;
  append_event(in, {now, TimelineEvent::opened, "drill started by an operator"});
  return in;
}

Incident resolve_drill_incident(Incident incident, Timestamp now) {
  incident.resolved_at = now;
  append_event(incident, {now, TimelineEvent::resolved, "drill finished"});
  return incident;
}

}  // namespace synthprobe
