#include "probe/cli/report_command.h"

#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>

#include "common/json_format.h"
#include "exporters/notify/drill_report.h"
#include "exporters/store/store_reader.h"
#include "exporters/web/stakeholder_report.h"
#include "probe/health/site_severity.h"

namespace synthprobe {
namespace json = boost::json;

int write_report(const config::Config& config, const ReportOptions& options, std::chrono::system_clock::time_point now,
                 std::ostream& out, std::ostream& err) {
  const std::filesystem::path db = std::filesystem::path(config.probe.state_dir) / "synthprobe.db";
  if (!std::filesystem::exists(db)) {
    err << "synthprobe: no state store at " << db.string()
        << ": the report reads what `synthprobe run` with this config recorded\n";
    return 1;
  }
  StakeholderReportInput input;
  // Whole UTC days, as the availability rollups count them: the period starts at the midnight before.
  input.to = now;
  input.from = std::chrono::floor<std::chrono::days>(now - options.since);
  input.objective = options.objective;
  input.probe = config.probe.name;
  input.region = config.probe.region;
  store::StoreReader reader(config.probe.state_dir);
  using std::chrono::duration_cast;
  const std::int64_t since_ms = duration_cast<std::chrono::milliseconds>(input.from.time_since_epoch()).count();
  input.days = reader.daily_availability(since_ms / 1000 / 86400);
  if (!reader.last_error().empty()) {
    err << "synthprobe: " << reader.last_error() << "\n";
    return 1;
  }
  const store::HistoryRows rows = reader.history(since_ms);
  if (!reader.last_error().empty()) {
    err << "synthprobe: " << reader.last_error() << "\n";
    return 1;
  }
  std::size_t unreadable = 0;
  for (const std::string& body : rows.incidents) {
    json::error_code ec;
    const json::value v = json::parse(body, ec);
    auto incident = ec ? std::nullopt : incident_from_json(v);
    if (incident) input.incidents.push_back(std::move(*incident));
    else ++unreadable;
  }
  for (const std::string& body : rows.drills) {
    json::error_code ec;
    const json::value v = json::parse(body, ec);
    auto drill = ec ? std::nullopt : drill_report_from_json(v);
    if (!drill) {
      ++unreadable;
      continue;
    }
    DrillSummary d;
    d.id = drill->incident.id;
    d.site = drill->incident.site;
    d.severity = std::string(severity_name(drill->incident.severity));
    d.started_at = drill->incident.opened_at;
    d.finished = drill->finished;
    d.ok = drill->finished && drill->ok();
    d.notifiers = drill->deliveries.size();
    for (const DrillDelivery& one : drill->deliveries) d.delivered += one.open.ok() && one.resolve.ok();
    input.drills.push_back(std::move(d));
  }
  if (unreadable > 0) err << "synthprobe: skipped " << unreadable << " unreadable rows of the state store\n";

  const StakeholderReport report = summarize_report(input);
  const std::string text = options.format == "html"   ? render_report_html(report)
                           : options.format == "json" ? serialize_json(report_to_json(report)) + "\n"
                                                      : render_report_markdown(report);
  if (options.output.empty()) {
    out << text;
    return 0;
  }
  std::ofstream file(options.output, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    err << "synthprobe: cannot write " << options.output << "\n";
    return 1;
  }
  out << "wrote " << options.output << "\n";
  return 0;
}

}  // namespace synthprobe
