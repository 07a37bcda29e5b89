#include "exporters/metrics/incident_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

namespace synthprobe {

IncidentMetrics::IncidentMetrics(prometheus::Registry& registry, const ProbeIdentity& who)
    : open_(prometheus::BuildGauge()
                .Name("synthprobe_incident_open")
                .Help("1 while the site has an open incident of this severity.")
                .Labels(who.labels())
                .Register(registry)),
      total_(prometheus::BuildCounter()
                 .Name("synthprobe_incidents_total")
                 .Help("Incidents opened, by the severity they opened with.")
                .Labels(who.labels())
                 .Register(registry)),
      notifications_(prometheus::BuildCounter()
                         .Name("synthprobe_notifications_total")
                         .Help("Notification attempts by notifier, event and result.")
                .Labels(who.labels())
                         .Register(registry)),
      queue_(prometheus::BuildGauge()
                 .Name("synthprobe_notification_queue")
                 .Help("Notifications waiting in the outbox, per notifier.")
                 .Labels(who.labels())
                 .Register(registry)),
      relapses_(prometheus::BuildCounter()
                    .Name("synthprobe_incident_relapses_total")
                    .Help("Incidents reopened because a check went down again within the recovery watch.")
                    .Labels(who.labels())
                    .Register(registry)),
      comms_overdue_(prometheus::BuildGauge()
                         .Name("synthprobe_incident_comms_overdue")
                         .Help("1 while the site's open incident has had no customer update past its deadline.")
                         .Labels(who.labels())
                         .Register(registry)) {}

void IncidentMetrics::set_open(const std::string& site, const std::string& severity) {
  for (const char* s : {"P1", "P2", "P3"}) open_.Add({{"site", site}, {"severity", s}}).Set(severity == s ? 1 : 0);
}

void IncidentMetrics::opened(const std::string& site, const std::string& severity) {
  for (const char* s : {"P1", "P2", "P3"}) total_.Add({{"site", site}, {"severity", s}});
  total_.Add({{"site", site}, {"severity", severity}}).Increment();
}

void IncidentMetrics::notification(const std::string& notifier, const std::string& event, const std::string& result) {
  notifications_.Add({{"notifier", notifier}, {"event", event}, {"result", result}}).Increment();
}

void IncidentMetrics::set_queue(const std::string& notifier, double pending) {
  queue_.Add({{"notifier", notifier}}).Set(pending);
}

}  // namespace synthprobe

namespace synthprobe {

void IncidentMetrics::relapsed(const std::string& site) { relapses_.Add({{"site", site}}).Increment(); }

void IncidentMetrics::relapsed_seen(const std::string& site) { relapses_.Add({{"site", site}}); }

void IncidentMetrics::set_comms_overdue(const std::string& site, bool overdue) {
  comms_overdue_.Add({{"site", site}}).Set(overdue ? 1 : 0);
}

}  // namespace synthprobe
