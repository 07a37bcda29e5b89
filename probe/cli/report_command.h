#pragma once
// `synthprobe report`: the stakeholder report of a period, read from the state store of the probe a
// config describes (the probe may be running: the store is read through a read-only connection).

#include <chrono>
#include <ostream>
#include <string>

#include "config/config_model.h"

namespace synthprobe {

struct ReportOptions {
  std::chrono::milliseconds since{std::chrono::hours(24 * 30)};
  std::string format = "md";  // md | html | json
  double objective = 0.999;
  std::string output;  // a file, or "" for stdout
};

// 0 written, 1 the store could not be read or the file written.
int write_report(const config::Config& config, const ReportOptions& options, std::chrono::system_clock::time_point now,
                 std::ostream& out, std::ostream& err);

}  // namespace synthprobe
