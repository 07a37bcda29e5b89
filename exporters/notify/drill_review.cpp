#include "exporters/notify/drill_review.h"

#include "probe/incidents/incident_report.h"

namespace synthprobe {
namespace {

std::string deliveries_section(const DrillReport& report) {
  std::string out = "## Deliveries\n\n";
  std::size_t delivered = 0;
  if (report.deliveries.empty()) {
    out += "No notifier would receive this drill: nothing was tested.\n\n";
  } else {
    out += "Every notifier that would receive the drill's severity, from the announcement of each event until "
           "the receiver accepted it.\n\n| Notifier | Open | Resolve |\n|---|---|---|\n";
    for (const DrillDelivery& d : report.deliveries) {
      out += "| " + review_cell(d.notifier) + " | " + review_cell(d.open.describe()) + " | " +
             review_cell(d.resolve.describe()) + " |\n";
      delivered += d.open.ok() && d.resolve.ok();
    }
    out += "\n";
  }
  if (!report.note.empty()) out += "Note: " + review_cell(report.note) + ".\n\n";
  const std::string count = std::to_string(delivered) + " of " + std::to_string(report.deliveries.size()) +
                            " notifiers got the open and the resolve";
  if (!report.finished) out += "**Still running:** " + count + " so far.\n\n";
  else out += (report.ok() ? "**Passed:** " : "**Failed:** ") + count + ".\n\n";
  return out;
}

}  // namespace

std::string render_drill_review_markdown(const DrillReport& report) {
  return render_review_markdown(report.incident, deliveries_section(report));
}

}  // namespace synthprobe
