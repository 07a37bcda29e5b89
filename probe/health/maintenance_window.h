#pragma once
// Whether a [[maintenance]] window covers an instant. The caller passes the time; the only thing read is
// a weekly window's time zone rules (once per zone per process, see time_zone.h).

#include <chrono>
#include <span>
#include <string_view>

#include "config/config_model.h"

namespace synthprobe {

// One-off windows cover [start, end). Weekly ones follow the wall clock of their time zone, from the start
// time (inclusive) to the end time (exclusive): on a DST change a window over the skipped hour is that
// much shorter, one over the repeated hour that much longer. A window that cannot be evaluated (its zone
// file vanished after load) covers nothing: an unexpected page is better than a missed outage.
bool in_maintenance(const config::MaintenanceWindow& window, std::chrono::system_clock::time_point now);

// The first of `windows` for `site` that covers `now`, or nullptr.
const config::MaintenanceWindow* active_maintenance(std::string_view site,
                                                    std::span<const config::MaintenanceWindow> windows,
                                                    std::chrono::system_clock::time_point now);

bool site_in_maintenance(std::string_view site, std::span<const config::MaintenanceWindow> windows,
                         std::chrono::system_clock::time_point now);

}  // namespace synthprobe
