#include "probe/health/maintenance_window.h"

#include "common/time_zone.h"
#include "config/weekly_window.h"

namespace synthprobe {
namespace {

using namespace std::chrono;

bool in_weekly(const config::WeeklyWindow& w, seconds utc_offset_now, system_clock::time_point now) {
  const auto local = floor<seconds>(now) + utc_offset_now;  // wall-clock time, read as if it were UTC
  const sys_days day = floor<days>(local);
  const int weekday_index = static_cast<int>(weekday{day}.iso_encoding()) - 1;  // 0 = Monday
  const auto second_of_day = (local - day).count();
  const auto start = w.start_minute * 60LL, end = w.end_minute * 60LL;
  if (!w.crosses_midnight()) return w.starts_on(weekday_index) && start <= second_of_day && second_of_day < end;
  // From start until midnight on a listed day, then until end on the day after (Sun -> Mon included).
  return (w.starts_on(weekday_index) && second_of_day >= start) ||
         (w.starts_on((weekday_index + 6) % 7) && second_of_day < end);
}

}  // namespace

bool in_maintenance(const config::MaintenanceWindow& window, system_clock::time_point now) {
  if (window.start && window.end) return *window.start <= now && now < *window.end;
  if (window.weekly.empty()) return false;
  config::WeeklyWindowError error;
  const auto weekly = config::parse_weekly_window(window.weekly, error);
  if (!weekly) return false;
  if (window.time_zone == "UTC") return in_weekly(*weekly, seconds(0), now);
  const date::time_zone* zone = find_time_zone(window.time_zone);
  return zone && in_weekly(*weekly, utc_offset(*zone, now), now);
}

const config::MaintenanceWindow* active_maintenance(std::string_view site,
                                                    std::span<const config::MaintenanceWindow> windows,
                                                    system_clock::time_point now) {
  for (const auto& w : windows)
    if (w.site == site && in_maintenance(w, now)) return &w;
  return nullptr;
}

bool site_in_maintenance(std::string_view site, std::span<const config::MaintenanceWindow> windows,
                         system_clock::time_point now) {
  return active_maintenance(site, windows, now) != nullptr;
}

}  // namespace synthprobe
