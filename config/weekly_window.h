#pragma once
// The weekly schedule of a [[maintenance]] window, as written: "Sun 02:00-04:00", "Sat 23:00-01:00"
// (crosses midnight: ends on Sunday), "Mon-Fri 02:00-03:00" (every one of those days). Read at load to
// validate, and again where the window is evaluated, so the config keeps the user's text.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synthprobe::config {

struct WeeklyWindow {
  std::uint8_t days = 0;  // bit d set: the window starts on weekday d, 0 = Monday ... 6 = Sunday
  int start_minute = 0;   // after local midnight, 0..1439
  int end_minute = 0;     // 1..1440 (24:00); at or before start_minute it ends on the next day

  bool starts_on(int weekday) const { return (days >> weekday) & 1u; }
  bool crosses_midnight() const { return end_minute <= start_minute; }
};

struct WeeklyWindowError {
  std::size_t offset = 0;  // byte in the text where the problem is
  std::string message;
};

// Weekday names are the English abbreviations Mon..Sun, in any case; a day range may wrap ("Fri-Mon").
// Times are H:MM or HH:MM; 24:00 only as the end. Start and end must differ.
std::optional<WeeklyWindow> parse_weekly_window(std::string_view text, WeeklyWindowError& error);

}  // namespace synthprobe::config
