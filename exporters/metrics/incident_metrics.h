#pragma once
// Incident and notification series of contract section 6.

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "exporters/metrics/probe_identity.h"

namespace synthprobe {

class IncidentMetrics {
 public:
  // Every series carries `who`'s probe and region (the quorum rules count regions).
  IncidentMetrics(prometheus::Registry& registry, const ProbeIdentity& who);

  // synthprobe_incident_open{site,severity}: 1 for the open incident's severity, 0 for the others.
  void set_open(const std::string& site, const std::string& severity_or_empty);
  void opened(const std::string& site, const std::string& severity);
  // result: delivered | retry | permanent_failure
  void notification(const std::string& notifier, const std::string& event, const std::string& result);
  void set_queue(const std::string& notifier, double pending);
  // synthprobe_incident_relapses_total{site}: incidents reopened within their recovery watch.
  void relapsed(const std::string& site);
  // Creates the site's relapse counter at 0 (series exist from load).
  void relapsed_seen(const std::string& site);
  // synthprobe_incident_comms_overdue{site}: 1 while the open incident's customer update is overdue.
  void set_comms_overdue(const std::string& site, bool overdue);

 private:
  prometheus::Family<prometheus::Gauge>& open_;
  prometheus::Family<prometheus::Counter>& total_;
  prometheus::Family<prometheus::Counter>& notifications_;
  prometheus::Family<prometheus::Gauge>& queue_;
  prometheus::Family<prometheus::Counter>& relapses_;
  prometheus::Family<prometheus::Gauge>& comms_overdue_;
};

}  // namespace synthprobe
