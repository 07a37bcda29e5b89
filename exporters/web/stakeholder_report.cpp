#include "exporters/web/stakeholder_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "common/time_format.h"
#include "exporters/web/html_text.h"
#include "probe/health/site_severity.h"

namespace synthprobe {
namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t unix_seconds(Timestamp t) { return duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); }
std::int64_t day_of(Timestamp t) {
  const std::int64_t s = unix_seconds(t);
  return s >= 0 ? s / kDay : (s - kDay + 1) / kDay;
}

std::string percent(std::optional<double> ratio, int decimals = 3) {
  if (!ratio) return "no runs";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f%%", decimals, *ratio * 100);
  return buf;
}

std::string span(std::optional<double> seconds) {
  if (!seconds) return "–";
  return format_duration(milliseconds(static_cast<std::int64_t>(std::llround(*seconds * 1000))));
}

// "2026-12-02 07:18 UTC": for people reading a table.
std::string minute_utc(Timestamp t) {
  const std::string s = format_rfc3339(t);
  return s.substr(0, 10) + " " + s.substr(11, 5) + " UTC";
}

// Text in a Markdown table cell: a '|' would end the cell, a '`' start code, a newline the row.
std::string md(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|' || c == '`' || c == '*' || c == '_' || c == '\\' || c == '[' || c == ']' || c == '<') out += '\\';
    out += c == '\n' || c == '\r' ? ' ' : c;
  }
  return out;
}

std::string date_of_day(std::int64_t day) { return format_rfc3339(Timestamp(std::chrono::seconds(day * kDay))).substr(0, 10); }

std::optional<double> mean(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

CommsOutcome comms_of(const Incident& in, Timestamp now) {
  if (!in.customer_update_due) return CommsOutcome::none;
  const Timestamp due = *in.customer_update_due;
  for (const CommsUpdate& u : in.comms)
    if (u.at <= due) return CommsOutcome::met;
  if (in.comms_overdue || !in.comms.empty()) return CommsOutcome::missed;
  // Resolved before anyone had to be told, or still within the deadline.
  if (in.resolved_at && *in.resolved_at <= due) return CommsOutcome::none;
  return now > due ? CommsOutcome::missed : CommsOutcome::due;
}

bool meets(const Availability& a, double objective) {
  const auto r = a.ratio();
  return r && *r >= objective;
}

json::value optional_number(std::optional<double> v) { return v ? json::value(*v) : json::value(nullptr); }

}  // namespace

std::optional<double> Availability::ratio() const {
  if (total == 0) return std::nullopt;
  return static_cast<double>(passed) / static_cast<double>(total);
}

std::string_view to_string(CommsOutcome outcome) {
  switch (outcome) {
    case CommsOutcome::met: return "met";
    case CommsOutcome::missed: return "missed";
    case CommsOutcome::due: return "due";
    case CommsOutcome::none: return "none";
  }
  return "none";
}

StakeholderReport summarize_report(const StakeholderReportInput& in) {
  StakeholderReport r;
  r.from = in.from;
  r.to = in.to;
  r.objective = in.objective;
  r.probe = in.probe;
  r.region = in.region;

  // Availability: every day of the period per site, areas summed over the period.
  const std::int64_t first_day = day_of(in.from);
  const std::int64_t last_day = day_of(in.to - milliseconds(1));
  std::map<std::string, std::map<std::string, Availability>> areas;
  std::map<std::string, std::map<std::int64_t, Availability>> daily;
  for (const store::AreaDay& d : in.days) {
    if (d.day < first_day || d.day > last_day) continue;
    Availability& a = areas[d.site][d.area];
    a.passed += d.passed;
    a.total += d.total;
    Availability& day = daily[d.site][d.day];
    day.passed += d.passed;
    day.total += d.total;
  }
  for (auto& [site, by_area] : areas) {
    SiteReport s;
    s.site = site;
    for (auto& [area, a] : by_area) {
      s.areas.push_back({area, a});
      s.runs.passed += a.passed;
      s.runs.total += a.total;
    }
    for (std::int64_t day = first_day; day <= last_day; ++day) {
      auto it = daily[site].find(day);
      s.daily.emplace_back(day, it == daily[site].end() ? Availability{} : it->second);
    }
    r.sites.push_back(std::move(s));
  }

  // Incidents of the period: opened before its end, and not resolved before its start.
  std::array<std::vector<double>, 3> detect, resolve;
  std::map<std::string, std::size_t> reasons;
  for (const Incident& incident : in.incidents) {
    if (incident.drill || incident.opened_at >= in.to) continue;
    if (incident.resolved_at && *incident.resolved_at < in.from) continue;
    IncidentLine line;
    line.id = incident.id;
    line.site = incident.site;
    line.severity = incident.severity;
    line.summary = incident.summary;
    line.opened_at = incident.opened_at;
    line.time_to_detect = time_to_detect_seconds(incident);
    if (incident.resolved_at) line.time_to_resolve = seconds_between(incident.opened_at, *incident.resolved_at);
    line.relapses = incident.relapses;
    line.comms = comms_of(incident, in.to);
    const auto sev = static_cast<std::size_t>(incident.severity) - 1;  // P1 is 1
    if (sev < 3) {
      ++r.by_severity[sev].count;
      if (line.time_to_detect) detect[sev].push_back(*line.time_to_detect);
      if (line.time_to_resolve) resolve[sev].push_back(*line.time_to_resolve);
    }
    r.comms_met += line.comms == CommsOutcome::met;
    r.comms_missed += line.comms == CommsOutcome::missed;
    r.relapses += static_cast<std::size_t>(std::max(0, line.relapses));
    std::set<std::string> seen;
    for (const FailingCheck& f : incident.failing_checks)
      seen.insert(f.reason ? std::string(to_string(*f.reason)) : "degraded");
    for (const std::string& reason : seen) ++reasons[reason];
    r.incidents.push_back(std::move(line));
  }
  std::sort(r.incidents.begin(), r.incidents.end(),
            [](const IncidentLine& a, const IncidentLine& b) { return a.opened_at < b.opened_at; });
  for (std::size_t i = 0; i < 3; ++i) {
    r.by_severity[i].mean_time_to_detect = mean(detect[i]);
    r.by_severity[i].mean_time_to_resolve = mean(resolve[i]);
  }
  r.top_reasons.assign(reasons.begin(), reasons.end());
  std::stable_sort(r.top_reasons.begin(), r.top_reasons.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (r.top_reasons.size() > 5) r.top_reasons.resize(5);

  for (const DrillSummary& d : in.drills)
    if (d.started_at >= in.from && d.started_at < in.to) r.drills.push_back(d);
  return r;
}

// ---- Markdown ---------------------------------------------------------------------------------------

std::string render_report_markdown(const StakeholderReport& r) {
  std::string out;
  out += "# Availability and incidents, " + format_rfc3339(r.from).substr(0, 10) + " to " +
         format_rfc3339(r.to - milliseconds(1)).substr(0, 10) + "\n\n";
  out += "From probe " + r.probe + " in region " + r.region + ". Objective: " + percent(r.objective) +
         " of runs passing. Drills are not incidents and are listed apart.\n\n";

  out += "## Availability\n\n";
  if (r.sites.empty()) out += "No runs recorded in this period.\n\n";
  else {
    out += "| Site | Area | Availability | Objective | Runs |\n|---|---|---|---|---|\n";
    for (const SiteReport& s : r.sites) {
      out += "| **" + md(s.site) + "** | all | " + percent(s.runs.ratio()) + " | " +
             (meets(s.runs, r.objective) ? "met" : "**missed**") + " | " + std::to_string(s.runs.total) + " |\n";
      for (const AreaReport& a : s.areas)
        out += "| | " + md(a.area) + " | " + percent(a.runs.ratio()) + " | " + (meets(a.runs, r.objective) ? "met" : "missed") +
               " | " + std::to_string(a.runs.total) + " |\n";
    }
    out += "\n";
  }

  out += "## Incidents\n\n";
  out += "| Severity | Incidents | Mean time to detect | Mean time to resolve |\n|---|---|---|---|\n";
  for (std::size_t i = 0; i < 3; ++i)
    out += "| P" + std::to_string(i + 1) + " | " + std::to_string(r.by_severity[i].count) + " | " +
           span(r.by_severity[i].mean_time_to_detect) + " | " + span(r.by_severity[i].mean_time_to_resolve) + " |\n";
  out += "\nCustomer updates: " + std::to_string(r.comms_met) + " in time, " + std::to_string(r.comms_missed) +
         " late. Relapses within the recovery watch: " + std::to_string(r.relapses) + ".\n\n";
  if (!r.incidents.empty()) {
    out += "| Opened | Site | Severity | Summary | Detected in | Resolved in | Relapses | Customer update |\n"
           "|---|---|---|---|---|---|---|---|\n";
    for (const IncidentLine& l : r.incidents)
      out += "| " + minute_utc(l.opened_at) + " | " + md(l.site) + " | " + std::string(severity_name(l.severity)) + " | " +
             md(l.summary) + " | " + span(l.time_to_detect) + " | " + (l.time_to_resolve ? span(l.time_to_resolve) : "open") +
             " | " + std::to_string(l.relapses) + " | " + std::string(to_string(l.comms)) + " |\n";
    out += "\n";
  }

  out += "## Top failure reasons\n\n";
  if (r.top_reasons.empty()) out += "None: no incident in this period.\n\n";
  for (const auto& [reason, count] : r.top_reasons)
    out += "- " + md(reason) + ": " + std::to_string(count) + (count == 1 ? " incident\n" : " incidents\n");
  if (!r.top_reasons.empty()) out += "\n";

  out += "## Drills\n\n";
  if (r.drills.empty()) out += "No drill in this period: run `synthprobe drill` to test the paging path.\n";
  for (const DrillSummary& d : r.drills)
    out += "- " + minute_utc(d.started_at) + " " + md(d.site) + " " + d.severity + ": " +
           (!d.finished ? "running or unfinished" : d.ok ? "ok" : "**failed**") + ", " + std::to_string(d.delivered) + " of " + std::to_string(d.notifiers) +
           " notifiers delivered (" + md(d.id) + ")\n";
  return out;
}

// ---- HTML -------------------------------------------------------------------------------------------

namespace {

const char* bar_class(const Availability& a, double objective) {
  const auto ratio = a.ratio();
  if (!ratio) return "none";
  if (*ratio >= objective) return "ok";
  return *ratio >= 0.99 ? "warn" : "bad";
}

// One small bar per day, its height the day's availability between 90% and 100%.
std::string daily_chart(const SiteReport& s, double objective) {
  const int width = 6, gap = 2, height = 40;
  const int total = static_cast<int>(s.daily.size()) * (width + gap);
  std::string svg = "<svg class=\"daily\" role=\"img\" aria-label=\"daily availability of " + html_escape(s.site) +
                    "\" width=\"" + std::to_string(total) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                    std::to_string(total) + " " + std::to_string(height) + "\">";
  int x = 0;
  for (const auto& [day, a] : s.daily) {
    const auto ratio = a.ratio();
    const double shown = ratio ? std::clamp((*ratio - 0.9) / 0.1, 0.05, 1.0) : 1.0;
    const int h = static_cast<int>(std::lround(shown * height));
    svg += "<rect class=\"" + std::string(bar_class(a, objective)) + "\" x=\"" + std::to_string(x) + "\" y=\"" +
           std::to_string(height - h) + "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(h) +
           "\"><title>" + date_of_day(day) + ": " + percent(ratio) + "</title></rect>";
    x += width + gap;
  }
  return svg + "</svg>";
}

std::string severity_chart(const StakeholderReport& r) {
  std::size_t most = 1;
  for (const auto& s : r.by_severity) most = std::max(most, s.count);
  std::string svg = "<svg class=\"severity\" role=\"img\" aria-label=\"incidents by severity\" width=\"320\" height=\"78\" "
                    "viewBox=\"0 0 320 78\">";
  for (std::size_t i = 0; i < 3; ++i) {
    const int y = static_cast<int>(i) * 26;
    const int w = static_cast<int>(240.0 * static_cast<double>(r.by_severity[i].count) / static_cast<double>(most));
    svg += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\">P" + std::to_string(i + 1) + "</text><rect class=\"p" +
           std::to_string(i + 1) + "\" x=\"30\" y=\"" + std::to_string(y + 2) + "\" width=\"" + std::to_string(std::max(w, 2)) +
           "\" height=\"18\"></rect><text x=\"" + std::to_string(36 + std::max(w, 2)) + "\" y=\"" + std::to_string(y + 15) +
           "\">" + std::to_string(r.by_severity[i].count) + "</text>";
  }
  return svg + "</svg>";
}

constexpr const char* kStyle = R"css(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430;max-width:980px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde3ea;padding-bottom:.3rem}
.meta{color:#5b6675}table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eef1f4;vertical-align:top}
th{font-weight:600;color:#5b6675;font-size:.85rem}.num{text-align:right;font-variant-numeric:tabular-nums}
.met{color:#137333}.missed{color:#b3261e;font-weight:600}.site td{font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:.8rem 0}.card{border:1px solid #dde3ea;border-radius:8px;padding:.6rem .9rem;min-width:150px}
.card b{display:block;font-size:1.4rem}svg rect.ok{fill:#2e9d57}svg rect.warn{fill:#e0a526}svg rect.bad{fill:#d0453b}svg rect.none{fill:#d5dbe2}
svg rect.p1{fill:#d0453b}svg rect.p2{fill:#e0a526}svg rect.p3{fill:#6b8fc7}svg text{font-size:12px;fill:#1c2430}
@media print{body{margin:0}}
)css";

std::string cell(const std::string& text, const char* cls = nullptr) {
  return cls ? "<td class=\"" + std::string(cls) + "\">" + html_escape(text) + "</td>" : "<td>" + html_escape(text) + "</td>";
}

}  // namespace

std::string render_report_html(const StakeholderReport& r) {
  const std::string period =
      format_rfc3339(r.from).substr(0, 10) + " to " + format_rfc3339(r.to - milliseconds(1)).substr(0, 10);
  std::string out = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                    "content=\"width=device-width,initial-scale=1\"><title>Availability and incidents, " +
                    html_escape(period) + "</title><style>" + kStyle + "</style></head><body>";
  out += "<h1>Availability and incidents</h1><p class=\"meta\">" + html_escape(period) + " · probe " + html_escape(r.probe) +
         " in " + html_escape(r.region) + " · objective " + html_escape(percent(r.objective)) + " of runs passing</p>";

  std::size_t incidents = 0;
  for (const auto& s : r.by_severity) incidents += s.count;
  std::size_t met = 0;
  for (const auto& s : r.sites) met += meets(s.runs, r.objective);
  std::size_t drills_ok = 0;
  for (const auto& d : r.drills) drills_ok += d.ok;
  out += "<div class=\"cards\">";
  out += "<div class=\"card\" data-card=\"objective\"><b>" + std::to_string(met) + " of " + std::to_string(r.sites.size()) +
         "</b>sites met the objective</div>";
  out += "<div class=\"card\" data-card=\"incidents\"><b>" + std::to_string(incidents) + "</b>incidents</div>";
  out += "<div class=\"card\" data-card=\"comms\"><b>" + std::to_string(r.comms_met) + " / " +
         std::to_string(r.comms_met + r.comms_missed) + "</b>customer updates in time</div>";
  out += "<div class=\"card\" data-card=\"drills\"><b>" + std::to_string(drills_ok) + " of " + std::to_string(r.drills.size()) +
         "</b>drills passed</div></div>";

  out += "<h2>Availability</h2>";
  if (r.sites.empty()) out += "<p>No runs recorded in this period.</p>";
  else {
    out += "<table><tr><th>Site / area</th><th class=\"num\">Availability</th><th>Objective</th><th class=\"num\">Runs</th>"
           "<th>Per day</th></tr>";
    for (const SiteReport& s : r.sites) {
      const bool ok = meets(s.runs, r.objective);
      out += "<tr class=\"site\" data-site=\"" + html_escape(s.site) + "\">" + cell(s.site) + cell(percent(s.runs.ratio()), "num") +
             cell(ok ? "met" : "missed", ok ? "met" : "missed") + cell(std::to_string(s.runs.total), "num") + "<td>" +
             daily_chart(s, r.objective) + "</td></tr>";
      for (const AreaReport& a : s.areas) {
        const bool area_ok = meets(a.runs, r.objective);
        out += "<tr>" + cell("  " + a.area) + cell(percent(a.runs.ratio()), "num") +
               cell(area_ok ? "met" : "missed", area_ok ? "met" : "missed") + cell(std::to_string(a.runs.total), "num") +
               "<td></td></tr>";
      }
    }
    out += "</table>";
  }

  out += "<h2>Incidents</h2>" + severity_chart(r);
  out += "<table><tr><th>Severity</th><th class=\"num\">Incidents</th><th class=\"num\">Mean time to detect</th>"
         "<th class=\"num\">Mean time to resolve</th></tr>";
  for (std::size_t i = 0; i < 3; ++i)
    out += "<tr>" + cell("P" + std::to_string(i + 1)) + cell(std::to_string(r.by_severity[i].count), "num") +
           cell(span(r.by_severity[i].mean_time_to_detect), "num") + cell(span(r.by_severity[i].mean_time_to_resolve), "num") +
           "</tr>";
  out += "</table><p>Customer updates: " + std::to_string(r.comms_met) + " in time, " + std::to_string(r.comms_missed) +
         " late. Relapses within the recovery watch: " + std::to_string(r.relapses) + ".</p>";
  if (!r.incidents.empty()) {
    out += "<table><tr><th>Opened</th><th>Site</th><th>Severity</th><th>Summary</th><th class=\"num\">Detected in</th>"
           "<th class=\"num\">Resolved in</th><th class=\"num\">Relapses</th><th>Customer update</th></tr>";
    for (const IncidentLine& l : r.incidents) {
      const std::string comms(to_string(l.comms));
      out += "<tr data-incident=\"" + html_escape(l.id) + "\">" + cell(minute_utc(l.opened_at)) + cell(l.site) +
             cell(std::string(severity_name(l.severity))) + cell(l.summary) + cell(span(l.time_to_detect), "num") +
             cell(l.time_to_resolve ? span(l.time_to_resolve) : "open", "num") + cell(std::to_string(l.relapses), "num") +
             cell(comms, comms == "met" ? "met" : comms == "missed" ? "missed" : nullptr) + "</tr>";
    }
    out += "</table>";
  }

  out += "<h2>Top failure reasons</h2>";
  if (r.top_reasons.empty()) out += "<p>None: no incident in this period.</p>";
  else {
    out += "<table><tr><th>Reason</th><th class=\"num\">Incidents</th></tr>";
    for (const auto& [reason, count] : r.top_reasons) out += "<tr>" + cell(reason) + cell(std::to_string(count), "num") + "</tr>";
    out += "</table>";
  }

  out += "<h2>Drills</h2>";
  if (r.drills.empty()) out += "<p>No drill in this period: run <code>synthprobe drill</code> to test the paging path.</p>";
  else {
    out += "<table><tr><th>Started</th><th>Site</th><th>Severity</th><th>Result</th><th class=\"num\">Notifiers delivered</th></tr>";
    for (const DrillSummary& d : r.drills)
      out += "<tr data-drill=\"" + html_escape(d.id) + "\">" + cell(minute_utc(d.started_at)) + cell(d.site) + cell(d.severity) +
             cell(!d.finished ? "running" : d.ok ? "ok" : "failed", !d.finished ? nullptr : d.ok ? "met" : "missed") +
             cell(std::to_string(d.delivered) + " of " + std::to_string(d.notifiers), "num") + "</tr>";
    out += "</table>";
  }
  out += "<p class=\"meta\">Written by synthprobe from its state store. Availability counts runs per UTC day; a "
         "drill is a test of the paging path and never counts as an incident.</p></body></html>\n";
  return out;
}

// ---- JSON -------------------------------------------------------------------------------------------

json::object report_to_json(const StakeholderReport& r) {
  json::object o;
  o["from"] = format_rfc3339(r.from);
  o["to"] = format_rfc3339(r.to);
  o["objective"] = r.objective;
  o["probe"] = r.probe;
  o["region"] = r.region;
  json::array sites;
  for (const SiteReport& s : r.sites) {
    json::array areas, days;
    for (const AreaReport& a : s.areas)
      areas.push_back(json::object{{"area", a.area}, {"availability", optional_number(a.runs.ratio())},
                                   {"passed", a.runs.passed}, {"runs", a.runs.total},
                                   {"objective_met", meets(a.runs, r.objective)}});
    for (const auto& [day, a] : s.daily)
      days.push_back(json::object{{"date", date_of_day(day)}, {"availability", optional_number(a.ratio())}, {"runs", a.total}});
    sites.push_back(json::object{{"site", s.site}, {"availability", optional_number(s.runs.ratio())},
                                 {"passed", s.runs.passed}, {"runs", s.runs.total},
                                 {"objective_met", meets(s.runs, r.objective)}, {"areas", std::move(areas)},
                                 {"days", std::move(days)}});
  }
  o["sites"] = std::move(sites);
  json::object severities;
  for (std::size_t i = 0; i < 3; ++i)
    severities["P" + std::to_string(i + 1)] =
        json::object{{"incidents", r.by_severity[i].count},
                     {"mean_time_to_detect_seconds", optional_number(r.by_severity[i].mean_time_to_detect)},
                     {"mean_time_to_resolve_seconds", optional_number(r.by_severity[i].mean_time_to_resolve)}};
  o["by_severity"] = std::move(severities);
  json::array incidents;
  for (const IncidentLine& l : r.incidents)
    incidents.push_back(json::object{{"id", l.id},
                                     {"site", l.site},
                                     {"severity", severity_name(l.severity)},
                                     {"summary", l.summary},
                                     {"opened_at", format_rfc3339(l.opened_at)},
                                     {"time_to_detect_seconds", optional_number(l.time_to_detect)},
                                     {"time_to_resolve_seconds", optional_number(l.time_to_resolve)},
                                     {"relapses", l.relapses},
                                     {"customer_update", to_string(l.comms)}});
  o["incidents"] = std::move(incidents);
  o["customer_updates"] = json::object{{"met", r.comms_met}, {"missed", r.comms_missed}};
  o["relapses"] = r.relapses;
  json::array reasons;
  for (const auto& [reason, count] : r.top_reasons) reasons.push_back(json::object{{"reason", reason}, {"incidents", count}});
  o["top_failure_reasons"] = std::move(reasons);
  json::array drills;
  for (const DrillSummary& d : r.drills)
    drills.push_back(json::object{{"id", d.id}, {"site", d.site}, {"severity", d.severity},
                                  {"started_at", format_rfc3339(d.started_at)}, {"ok", d.ok}, {"finished", d.finished},
                                  {"notifiers", d.notifiers}, {"delivered", d.delivered}});
  o["drills"] = std::move(drills);
  return o;
}

}  // namespace synthprobe
