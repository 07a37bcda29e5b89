#pragma once
// IANA time zones from the system's tzdata, read through Howard Hinnant's date/tz.h (USE_OS_TZDB): the
// one question the probe asks of them is a zone's UTC offset at an instant, for weekly maintenance
// windows. GCC 12 has no std::chrono::zoned_time. Limit: date/tz.h reads the transitions in the TZif
// files, which Debian's tzdata lists up to 2037; later instants keep the last known offset.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace synthprobe {

// The installed zone called `name`, or nullptr with `error` saying why ("UTC" always exists).
// Thread-safe; the database is read once per process.
const date::time_zone* find_time_zone(std::string_view name, std::string* error = nullptr);

// The offset east of UTC in force at `t`: the local wall-clock time is t + offset.
std::chrono::seconds utc_offset(const date::time_zone& zone, std::chrono::system_clock::time_point t);

// Every installed zone name, for "did you mean" hints; empty when the database cannot be read.
std::vector<std::string> time_zone_names();

}  // namespace synthprobe
