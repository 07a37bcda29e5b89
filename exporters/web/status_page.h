#pragma once
// /api/status (JSON) and /status (HTML): every site, area and check with its state, latest result and
// uptime over the last hour and day.

#include <cstdint>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/run_result.h"
#include "probe/health/health_state.h"
#include "probe/incidents/incident_board.h"

namespace synthprobe {

// One check as the page shows it: copied from the daemon's records in small batches, so rendering never
// holds up a run.
struct CheckStatusRow {
  std::shared_ptr<const config::Check> check;
  CheckState state = CheckState::unknown;
  std::optional<double> last_run_unix;  // nullopt: not run since start
  RunResult last;                       // meaningful when last_run_unix is set
  std::optional<double> uptime_1h;
  std::optional<double> uptime_24h;
};

struct StatusView {
  const config::Probe& probe;
  const std::vector<config::Site>& sites;
  const std::vector<CheckStatusRow>& checks;  // config order
  std::int64_t now_unix;
  const IncidentBoard& board;
  bool saturated = false;  // the probe skips runs: its picture may be late or partial
};

std::string render_status_json(const StatusView& view);
std::string render_status_html(const StatusView& view);

// A site's state from its checks: "unknown" (none has run), "up", "degraded", "partial_outage", "down".
std::string site_state(const std::vector<const CheckStatusRow*>& checks);

}  // namespace synthprobe
