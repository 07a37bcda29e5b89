#pragma once
// `synthprobe drill`: asks the running probe to run a drill (POST /api/drills), follows it
// (GET /api/drills/<id>) until every notifier answered or the wait is over, and prints per notifier
// whether the open and the resolve were delivered and how long each took.

#include <chrono>
#include <ostream>
#include <string>

#include <boost/json/value.hpp>

#include "config/config_model.h"

namespace synthprobe {

struct DrillOptions {
  std::string site;
  std::string severity = "P1";
  std::string duration = "1m";
  std::string wait = "2m";
};

// 0 when every notifier got both events, 1 when one did not (or none would receive the drill), 2 when the
// probe refused the request or could not be reached.
int run_drill(const config::Probe& probe, const DrillOptions& options, std::ostream& out, std::ostream& err);

// The report as a table, one line per notifier, then the verdict.
std::string render_drill_report(const boost::json::value& report);

}  // namespace synthprobe
