#pragma once
// How incidents write and read time: RFC 3339 UTC for JSON, the compact form inside incident ids, and
// short human durations for timelines and reports. Pure functions; the caller supplies every instant.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synthprobe {

using Timestamp = std::chrono::system_clock::time_point;

// "2026-11-27T10:15:00Z"; milliseconds are added ("...:00.250Z") only when not zero, so whole-second
// instants read as in the contract and sub-second ones still round-trip. Finer than 1 ms is truncated.
std::string format_rfc3339(Timestamp t);

// The years of an instant read from text (RFC 3339 here, TOML date-times in the config). A Timestamp counts
// nanoseconds in 64 bits (years 1678 to 2262); within this narrower range the difference of any two
// instants fits too, so a damaged state file or a far-off date in a config cannot overflow it.
inline constexpr int kFirstYear = 1900;
inline constexpr int kLastYear = 2100;

// Reads what format_rfc3339 writes, plus any fraction and a numeric offset ("+02:00"). nullopt when the
// text is not an RFC 3339 date-time, or its UTC year is outside kFirstYear..kLastYear.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// "20261127T101500Z": the opened time inside an incident id.
std::string format_compact_utc(Timestamp t);

// "1.2s", "10s", "12m 30s", "1h 5m": how long something took, rounded to what a person cares about
// (a tenth of a second below a minute, whole seconds above). Any value, negative ones included.
std::string format_duration(std::chrono::milliseconds d);

// Milliseconds since the Unix epoch, as the state store and remote_write keep instants.
std::int64_t unix_millis(Timestamp t);

// to - from in seconds, at millisecond precision (so 10 s prints as 10.0, not 9.999999).
double seconds_between(Timestamp from, Timestamp to);

}  // namespace synthprobe
