#pragma once
// The UTC offset of an IANA time zone at any instant, from the installed tzdata (TZif files, RFC 8536).
// GCC 12 has no std::chrono::zoned_time; this is the one question of it the probe needs answered, without
// touching the process-wide TZ variable that localtime_r depends on.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synthprobe {

class TimeZone {
 public:
  static TimeZone utc();
  // TZif data of any version; from version 2 on, the 64-bit data and the footer's POSIX rule, which
  // covers instants after the last transition (slim files stop their transitions early and rely on it).
  static std::optional<TimeZone> from_tzif(std::string_view bytes, std::string& error);
  // A POSIX TZ rule as in a TZif footer, e.g. "CET-1CEST,M3.5.0,M10.5.0/3" or "<+0330>-3:30", with
  // RFC 8536's extension of rule times to -167..167 hours.
  static std::optional<TimeZone> from_posix(std::string_view rule, std::string& error);

  // The offset east of UTC in force at `t`: the local wall-clock time is t + offset.
  std::chrono::seconds offset_at(std::chrono::system_clock::time_point t) const;

 private:
  struct Rule {
    char kind = 'M';  // 'J': day 1..365 without Feb 29; 'D': day 0..365 counting it; 'M': month.week.weekday
    int day = 0;
    int month = 0, week = 0, weekday = 0;  // week 5 = the last; weekday 0 = Sunday
    std::int64_t time = 7200;              // seconds after local midnight of that day, in the time then in force
  };
  struct Posix {
    std::int64_t std_offset = 0;  // east of UTC
    std::optional<std::int64_t> dst_offset;
    Rule start, end;
  };
  class PosixParser;

  static std::int64_t posix_offset(const Posix& posix, std::int64_t utc_seconds);
  static std::int64_t rule_day(const Rule& rule, int year);  // days since 1970-01-01

  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::int32_t> offsets_;      // in force from the transition of the same index
  std::int32_t initial_offset_ = 0;        // before the first transition: time type 0
  std::optional<Posix> footer_;            // after the last transition, when the file has one
};

// The zone file <TZDIR or /usr/share/zoneinfo>/<name>; "UTC" needs no file. Reads nothing else.
std::optional<TimeZone> load_time_zone(const std::string& name, std::string& error);

// load_time_zone, once per name per process (so a tzdata update applies after a restart); thread-safe.
// nullptr when the zone cannot be read.
std::shared_ptr<const TimeZone> find_time_zone(const std::string& name);

}  // namespace synthprobe
