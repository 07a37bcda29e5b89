#pragma once
// [[notifier]] and [[heartbeat]] tables: where incidents are sent, and the dead man's switch.

#include <optional>

#include "config/config_model.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

inline constexpr std::string_view kPagerDutyUrl = "https://events.pagerduty.com/v2/enqueue";
inline constexpr std::string_view kOpsgenieUrl = "https://api.opsgenie.com/v2/alerts";

// Every value is resolved at load (secrets included): notifiers have no run-time variables.
std::optional<Notifier> read_notifier(const toml::table& table, LoadContext& ctx);
std::optional<Heartbeat> read_heartbeat(const toml::table& table, LoadContext& ctx);

}  // namespace synthprobe::config
