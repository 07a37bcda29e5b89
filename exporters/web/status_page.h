#pragma once
// /api/status (JSON) and /status (HTML): every site, area and check with its state, latest result and
// uptime over the last hour and day.

#include <cstdint>
#include <functional>

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/run_result.h"
#include "probe/health/health_state.h"
#include "probe/health/uptime_history.h"

namespace synthprobe {

// What the status page knows of one configured check.
struct CheckStatus {
  std::shared_ptr<const config::Check> check;
  CheckState state = CheckState::unknown;
  std::optional<double> last_run_unix;  // nullopt: not run since start
  RunResult last;                       // meaningful when last_run_unix is set; steps dropped
  long evidence_status_code = 0;        // the failed step's status for a flow, else the run's
  UptimeHistory history;
};

struct StatusView {
  const config::Config& config;
  const std::vector<std::unique_ptr<CheckStatus>>& checks;  // null entries are skipped
  std::int64_t now_unix;
  // The site's open incident as contract JSON, if any.
  std::function<std::optional<boost::json::object>(const std::string& site)> open_incident = nullptr;
};

std::string render_status_json(const StatusView& view);
std::string render_status_html(const StatusView& view);

// A site's state from its checks: "unknown" (none has run), "up", "degraded", "partial_outage", "down".
std::string site_state(const std::vector<const CheckStatus*>& checks);

}  // namespace synthprobe
