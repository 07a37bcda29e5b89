#pragma once
// What the daemon knows of one configured check between runs: its state, its latest run and its uptime.
// The status page and the incident evidence read it.

#include <optional>

#include "probe/engine/run_result.h"
#include "probe/health/health_state.h"
#include "probe/health/uptime_history.h"

namespace synthprobe {

struct CheckStatus {
  CheckState state = CheckState::unknown;
  std::optional<double> last_run_unix;  // nullopt: not run since start
  RunResult last;                       // meaningful when last_run_unix is set; steps dropped
  long evidence_status_code = 0;        // the failed step's status for a flow, else the run's
  UptimeHistory history;
};

}  // namespace synthprobe
