#pragma once
// [[maintenance]] tables: when a site's outages are expected and must not open incidents.

#include <optional>
#include <span>

#include "config/config_model.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

// `sites` are the sites already read: the window's site must be one of them. A window is one-off
// (`start`, `end`: RFC 3339 with an offset, as a TOML date-time or a string; end after start) or weekly
// (`weekly`, see weekly_window.h, in `time_zone`, an IANA name checked against the installed tzdata).
std::optional<MaintenanceWindow> read_maintenance(const toml::table& table, std::span<const Site> sites,
                                                  LoadContext& ctx);

}  // namespace synthprobe::config
