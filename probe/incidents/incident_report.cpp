#include "probe/incidents/incident_report.h"

#include <chrono>
#include <cstdio>

namespace synthprobe {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

std::string ms(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", seconds * 1000.0);
  return buf;
}

std::string since(Timestamp from, Timestamp to) { return format_duration(duration_cast<milliseconds>(to - from)); }

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

const TimelineEntry* first_of(const Incident& in, TimelineEvent event) {
  for (const auto& e : in.timeline)
    if (e.event == event) return &e;
  return nullptr;
}

void row(std::string& out, std::string_view name, std::string_view value) {
  out += "| ";
  out += name;
  out += " | ";
  out += review_cell(value);
  out += " |\n";
}

}  // namespace

// Table cells must stay on one line and must not close the cell early.
std::string review_cell(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out.empty() ? "-" : out;
}

std::string render_review_markdown(const Incident& in, std::string_view extra_sections) {
  std::string out;
  out += (in.drill ? "# Drill review: " : "# Post-incident review: ") + in.summary + "\n\n";
  if (in.drill) out += "**This was a drill** (synthprobe drill): a test of the paging path, not an outage.\n\n";
  out += "Incident `" + in.id + "`. Draft written by synthprobe from what the probe saw; the sections marked "
         "_to be written_ are for the people who handled it.\n\n";

  const auto* first_notified = first_of(in, TimelineEvent::notified);
  const auto ttd = time_to_detect_seconds(in);

  out += "## Summary\n\n| | |\n|---|---|\n";
  row(out, "Site", in.site);
  row(out, "Region", in.region);
  row(out, "Probe", in.probe);
  if (!in.labels.empty()) {
    std::vector<std::string> labels;
    for (const auto& [k, v] : in.labels) labels.push_back(k + "=" + v);
    row(out, "Labels", join(labels));
  }
  row(out, "Severity", severity_name(in.severity));
  row(out, "Extent", to_string(in.extent));
  row(out, "Areas", join(in.areas));
  if (!in.hint.empty()) row(out, "Triage hint", in.hint);
  row(out, "Opened", format_rfc3339(in.opened_at));
  row(out, "Resolved", in.resolved_at ? format_rfc3339(*in.resolved_at) : "still open");
  if (in.resolved_at) row(out, "Duration", since(in.opened_at, *in.resolved_at));
  if (ttd) row(out, "Time to detect", since(*in.first_failure_at, in.opened_at));
  if (first_notified) row(out, "Time to first notification", since(in.opened_at, first_notified->at));
  if (in.probe_blind_seconds > 0)
    row(out, "Probe not running", format_duration(std::chrono::milliseconds(
                                       static_cast<std::int64_t>(in.probe_blind_seconds * 1000))));
  if (in.probe_saturated) row(out, "Probe saturated", "yes: it skipped runs when the incident opened");
  row(out, "Dedup key", in.dedup_key);
  out += "\n";

  out += "## Timeline\n\n";
  if (in.timeline_omitted > 0)
    out += std::to_string(in.timeline_omitted) + " events in the middle were omitted to bound the timeline.\n\n";
  out += "| Time (UTC) | Event | Detail |\n|---|---|---|\n";
  for (const auto& e : in.timeline)
    out += "| " + format_rfc3339(e.at) + " | " + std::string(to_string(e.event)) + " | " + review_cell(e.detail) + " |\n";
  out += "\n";

  out += "## Technical evidence\n\n";
  if (in.failing_checks.empty()) {
    out += "No failing checks recorded.\n\n";
  } else {
    out += "Latest failure of each check counted in the severity (phases in ms).\n\n";
    out += "| Check | Area | Reason | Message | Status | resolve | connect | tls | processing | transfer |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|\n";
    if (in.failing_checks_omitted > 0)
      out += std::to_string(in.failing_checks_omitted) + " more checks were down or degraded; the first " +
             std::to_string(in.failing_checks.size()) + " are listed.\n\n";
    for (const auto& c : in.failing_checks) {
      out += "| " + review_cell(c.name) + " | " + review_cell(c.area) + " | " +
             review_cell(c.reason ? std::string(to_string(*c.reason)) : "degraded") + " | " + review_cell(c.message) + " | " +
             (c.status_code > 0 ? std::to_string(c.status_code) : "-") + " | " + ms(c.phases.resolve) + " | " +
             ms(c.phases.connect) + " | " + ms(c.phases.tls) + " | " + ms(c.phases.processing) + " | " +
             ms(c.phases.transfer) + " |\n";
    }
    out += "\n";
  }

  out += "## Response times\n\n";
  if (ttd)
    out += "- Detected " + since(*in.first_failure_at, in.opened_at) + " after the first failed run (" +
           format_rfc3339(*in.first_failure_at) + ").\n";
  if (first_notified)
    out += "- First notification delivered " + since(in.opened_at, first_notified->at) + " after opening (" +
           review_cell(first_notified->detail.substr(0, first_notified->detail.find(':'))) + ").\n";
  else
    out += "- No notification delivered.\n";
  std::size_t failures = 0;
  for (const auto& e : in.timeline) failures += e.event == TimelineEvent::notify_failed;
  if (failures > 0) out += "- Failed notification attempts: " + std::to_string(failures) + ".\n";
  if (in.probe_blind_seconds > 0)
    out += "- The probe was not running for " +
           format_duration(std::chrono::milliseconds(static_cast<std::int64_t>(in.probe_blind_seconds * 1000))) +
           " of this incident (see probe_stopped / probe_started): nothing was detected or sent then.\n";
  if (in.resolved_at)
    out += "- Resolved " + since(in.opened_at, *in.resolved_at) + " after opening.\n";
  else
    out += "- Still open.\n";
  if (in.relapses > 0)
    out += "- Relapsed " + std::to_string(in.relapses) + (in.relapses == 1 ? " time" : " times") +
           ": a check went down again within the recovery watch and the incident reopened (see `relapsed`).\n";
  out += "\n";

  out += "## Communications\n\n";
  if (in.customer_update_due) out += "- Customer update due by " + format_rfc3339(*in.customer_update_due) + ".\n";
  if (in.comms.empty()) {
    out += in.comms_overdue ? "- **Missed:** customers were not updated in time.\n" : "- No customer update recorded.\n";
  } else {
    const CommsUpdate& first = in.comms.front();
    const bool on_time = !in.customer_update_due || first.at <= *in.customer_update_due;
    out += "- First update " + since(in.opened_at, first.at) + " after opening (" + first.source + "): " +
           (on_time ? "on time" : "late") + ".\n";
    for (const auto& u : in.comms) out += "- " + format_rfc3339(u.at) + " (" + u.source + "): " + review_cell(u.message) + "\n";
  }
  out += "\n";

  if (!in.team.empty()) {
    out += "## Team\n\n| Role | Who | Reached through |\n|---|---|---|\n";
    const std::pair<const char*, const std::optional<config::TeamMember>*> roles[] = {
        {"Incident commander", &in.team.commander},
        {"Technical lead", &in.team.technical_lead},
        {"Communications lead", &in.team.communications_lead},
        {"Support lead", &in.team.support_lead}};
    for (const auto& [title, m] : roles)
      if (*m) out += std::string("| ") + title + " | " + review_cell((*m)->name) + " | " + review_cell((*m)->notifier) + " |\n";
    out += "\n";
  }

  out += extra_sections;
  if (in.drill) {
    out += "## What the drill showed\n\n_To be written: what worked, what did not, and what surprised the team._\n\n";
  } else {
    out += "## Root cause\n\n_To be written: what failed, and why._\n\n";
    out += "## Impact on customers\n\n_To be written: who was affected, how, and for how long._\n\n";
  }
  out += "## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| _to be written_ | | |\n";
  return out;
}

}  // namespace synthprobe
