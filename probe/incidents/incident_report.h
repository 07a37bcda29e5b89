#pragma once
// The post-incident review draft (contract section 7): written to state_dir/incidents/<id>.md on resolve
// and served at /api/incidents/{id}/report. Everything the probe knows is filled in (summary, timeline,
// technical evidence, response times); what only people know is left as marked blank sections.

#include <string>
#include <string_view>

#include "probe/incidents/incident.h"

namespace synthprobe {

// Markdown (GitHub flavour): a title, a summary table (site, region, probe, labels, severity, extent, areas,
// opened, resolved, duration, time to detect, time to first notification when one was delivered), the
// timeline as a table, the failing checks with reason, message, status and phases in ms, response times,
// and the blank sections "Root cause", "Impact on customers" and "Action items". Works for an open incident
// too ("still open"). Text from checks is escaped so it cannot break the tables.
//
// A drill's (incident.drill) is titled "Drill review", says "This was a drill", and asks what the drill
// showed instead of a root cause and the impact on customers; `extra_sections` (Markdown, a drill's
// deliveries) goes before the sections left for people.
std::string render_review_markdown(const Incident& incident, std::string_view extra_sections = {});

// Text for a cell of the review's tables: on one line, '|' escaped, "-" when empty.
std::string review_cell(std::string_view text);

}  // namespace synthprobe
