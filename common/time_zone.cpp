#include "common/time_zone.h"

#include <date/tz.h>

#include <exception>

namespace synthprobe {

const date::time_zone* find_time_zone(std::string_view name, std::string* error) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception& e) {  // date/tz.h reports an unknown zone or a missing database by throwing
    if (error) *error = e.what();
    return nullptr;
  }
}

std::chrono::seconds utc_offset(const date::time_zone& zone, std::chrono::system_clock::time_point t) {
  return zone.get_info(std::chrono::floor<std::chrono::seconds>(t)).offset;
}

std::vector<std::string> time_zone_names() {
  std::vector<std::string> names;
  try {
    for (const auto& z : date::get_tzdb().zones) names.emplace_back(z.name());
  } catch (const std::exception&) {
    names.clear();
  }
  return names;
}

}  // namespace synthprobe
