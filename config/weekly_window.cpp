#include "config/weekly_window.h"

#include <array>
#include <cctype>

#include "common/text.h"
#include "config/did_you_mean.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 7> kDays{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kDayNames{"Monday", "Tuesday", "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};
constexpr std::string_view kShape = "must look like \"Sun 02:00-04:00\" or \"Mon-Fri 23:00-01:00\"";

bool fail(WeeklyWindowError& error, std::size_t offset, std::string message) {
  error = {offset, std::move(message)};
  return false;
}

// A word of letters at `pos` naming a weekday; advances pos.
bool weekday(std::string_view s, std::size_t& pos, int& day, WeeklyWindowError& error) {
  const std::size_t start = pos;
  while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos]))) ++pos;
  const std::string_view word = s.substr(start, pos - start);
  if (word.empty()) return fail(error, start, std::string(kShape));
  for (std::size_t d = 0; d < kDays.size(); ++d)
    if (text::iequals(word, kDays[d])) {
      day = static_cast<int>(d);
      return true;
    }
  std::string message = "unknown weekday \"" + std::string(word) + "\"";
  std::optional<std::string> hint;
  for (std::size_t d = 0; d < kDays.size() && !hint; ++d)
    if (text::iequals(word, kDayNames[d])) hint = std::string(kDays[d]);
  if (!hint)
    if (auto name = did_you_mean(word, kDayNames))
      for (std::size_t d = 0; d < kDays.size(); ++d)
        if (*name == kDayNames[d]) hint = std::string(kDays[d]);
  if (!hint) hint = did_you_mean(word, kDays);
  if (hint) message += " (did you mean \"" + *hint + "\"?)";
  else message += ": use Mon, Tue, Wed, Thu, Fri, Sat or Sun";
  return fail(error, start, std::move(message));
}

// H:MM or HH:MM at `pos`, in minutes; advances pos.
bool time_of_day(std::string_view s, std::size_t& pos, bool is_end, int& minute, WeeklyWindowError& error) {
  const std::size_t start = pos;
  while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == ':')) ++pos;
  const std::string_view text = s.substr(start, pos - start);
  const std::size_t colon = text.find(':');
  const auto digits = [](std::string_view d) {
    return !d.empty() && d.find(':') == std::string_view::npos;
  };
  const std::string_view h = colon == std::string_view::npos ? text : text.substr(0, colon);
  const std::string_view m = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  const int hours = h.size() <= 2 && digits(h) ? std::stoi(std::string(h)) : -1;
  const int minutes = m.size() == 2 && digits(m) ? std::stoi(std::string(m)) : -1;
  const bool midnight_end = is_end && hours == 24 && minutes == 0;
  if (hours < 0 || minutes < 0 || minutes > 59 || (hours > 23 && !midnight_end)) {
    if (text.empty()) return fail(error, start, std::string(kShape));
    return fail(error, start,
                "\"" + std::string(text) + "\" is not a time of day: use HH:MM from 00:00 to 23:59 (24:00 only as the end)");
  }
  minute = hours * 60 + minutes;
  return true;
}

}  // namespace

std::optional<WeeklyWindow> parse_weekly_window(std::string_view s, WeeklyWindowError& error) {
  std::size_t pos = 0;
  int first = 0, last = 0;
  if (!weekday(s, pos, first, error)) return std::nullopt;
  last = first;
  if (pos < s.size() && s[pos] == '-') {
    ++pos;
    if (!weekday(s, pos, last, error)) return std::nullopt;
  }
  const std::size_t gap = pos;
  while (pos < s.size() && s[pos] == ' ') ++pos;
  if (pos == gap) {
    fail(error, pos, std::string(kShape));
    return std::nullopt;
  }
  const std::size_t times = pos;
  WeeklyWindow w;
  if (!time_of_day(s, pos, false, w.start_minute, error)) return std::nullopt;
  if (pos >= s.size() || s[pos] != '-') {
    fail(error, pos, std::string(kShape));
    return std::nullopt;
  }
  ++pos;
  if (!time_of_day(s, pos, true, w.end_minute, error)) return std::nullopt;
  if (pos != s.size()) {
    fail(error, pos, std::string(kShape));
    return std::nullopt;
  }
  if (w.start_minute == w.end_minute) {
    fail(error, times, "the window is empty: it starts and ends at the same time");
    return std::nullopt;
  }
  for (int d = first;; d = (d + 1) % 7) {
    w.days |= static_cast<std::uint8_t>(1u << d);
    if (d == last) break;
  }
  return w;
}

}  // namespace synthprobe::config
