#pragma once
// The stakeholder report (synthprobe report): for a period, availability per site and area against the
// objective, incidents by severity with time to detect, time to resolve, relapses and whether customers
// heard from us in time, the drills run, and the top failure reasons. Markdown for a ticket or an email,
// HTML as one self-contained file (inline CSS and SVG charts, no external assets, no script), JSON for
// anything else. Pure: the caller reads the state store and passes every fact, the period and the time.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "exporters/store/store_reader.h"
#include "probe/incidents/incident.h"

namespace synthprobe {

struct DrillSummary {
  std::string id;
  std::string site;
  std::string severity;
  Timestamp started_at;
  bool ok = false;
  std::size_t notifiers = 0;  // told of it
  std::size_t delivered = 0;  // got both the open and the resolve
  bool finished = true;       // false: running, or left unfinished by a crash until the probe starts again
};

struct StakeholderReportInput {
  Timestamp from;  // the period, [from, to)
  Timestamp to;
  double objective = 0.999;  // availability objective, as a ratio
  std::string probe;
  std::string region;
  std::vector<store::AreaDay> days;  // runs per site, area and UTC day
  std::vector<Incident> incidents;   // real incidents only
  std::vector<DrillSummary> drills;
};

struct Availability {
  std::uint64_t passed = 0;
  std::uint64_t total = 0;
  std::optional<double> ratio() const;  // nullopt without runs
};

struct AreaReport {
  std::string area;
  Availability runs;
};

struct SiteReport {
  std::string site;
  Availability runs;
  std::vector<AreaReport> areas;
  std::vector<std::pair<std::int64_t, Availability>> daily;  // every UTC day of the period, in order
};

// Whether customers heard from us by customer_update_due.
enum class CommsOutcome { met, missed, due, none };
std::string_view to_string(CommsOutcome outcome);

struct IncidentLine {
  std::string id;
  std::string site;
  config::Severity severity = config::Severity::P3;
  std::string summary;
  Timestamp opened_at;
  std::optional<double> time_to_detect;   // seconds
  std::optional<double> time_to_resolve;  // seconds; nullopt while open
  int relapses = 0;
  CommsOutcome comms = CommsOutcome::none;
};

struct SeverityStats {
  std::size_t count = 0;
  std::optional<double> mean_time_to_detect;   // seconds, over incidents with one
  std::optional<double> mean_time_to_resolve;  // seconds, over resolved incidents
};

struct StakeholderReport {
  Timestamp from;
  Timestamp to;
  double objective = 0.999;
  std::string probe;
  std::string region;
  std::vector<SiteReport> sites;
  std::vector<IncidentLine> incidents;  // opened first first
  std::array<SeverityStats, 3> by_severity;  // P1, P2, P3
  std::size_t comms_met = 0;
  std::size_t comms_missed = 0;
  std::size_t relapses = 0;
  std::vector<DrillSummary> drills;
  std::vector<std::pair<std::string, std::size_t>> top_reasons;  // reason, incidents it appeared in
};

StakeholderReport summarize_report(const StakeholderReportInput& input);
std::string render_report_markdown(const StakeholderReport& report);
std::string render_report_html(const StakeholderReport& report);
boost::json::object report_to_json(const StakeholderReport& report);

}  // namespace synthprobe
