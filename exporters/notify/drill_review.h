#pragma once
// The review draft of a drill: written to state_dir/incidents/<drill id>.md when the drill finishes and
// served at /api/drills/{id}/report. The drill incident's review (marked "This was a drill", with its
// timeline and team), plus what the drill found out: per notifier, whether the open and the resolve were
// delivered and how long each took, or the receiver's answer, and the verdict.

#include <string>

#include "exporters/notify/drill_report.h"

namespace synthprobe {

std::string render_drill_review_markdown(const DrillReport& report);

}  // namespace synthprobe
