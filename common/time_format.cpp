#include "common/time_format.h"

#include <charconv>
#include <cstdio>

namespace synthprobe {
namespace {

using namespace std::chrono;

struct Civil {
  int year;
  unsigned month, day;
  long long hour, minute, second, millis;
};

Civil civil(Timestamp t) {
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const auto in_day = (ms - day).count();
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
          in_day / 3'600'000, in_day / 60'000 % 60, in_day / 1000 % 60, in_day % 1000};
}

// Reads exactly `width` digits at `pos`; advances pos.
bool digits(std::string_view s, std::size_t& pos, std::size_t width, int& out) {
  if (pos + width > s.size()) return false;
  for (std::size_t i = pos; i < pos + width; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  std::from_chars(s.data() + pos, s.data() + pos + width, out);
  pos += width;
  return true;
}

bool literal(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || (s[pos] != c && !(c == 'T' && (s[pos] == 't' || s[pos] == ' ')))) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_rfc3339(Timestamp t) {
  const Civil c = civil(t);
  char buf[48];
  if (c.millis == 0)
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", c.year, c.month, c.day, c.hour, c.minute,
                  c.second);
  else
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", c.year, c.month, c.day, c.hour,
                  c.minute, c.second, c.millis);
  return buf;
}

std::string format_compact_utc(Timestamp t) {
  const Civil c = civil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02lld%02lld%02lldZ", c.year, c.month, c.day, c.hour, c.minute,
                c.second);
  return buf;
}

std::optional<Timestamp> parse_rfc3339(std::string_view s) {
  std::size_t pos = 0;
  int y, mo, d, h, mi, sec;
  if (!digits(s, pos, 4, y) || !literal(s, pos, '-') || !digits(s, pos, 2, mo) || !literal(s, pos, '-') ||
      !digits(s, pos, 2, d) || !literal(s, pos, 'T') || !digits(s, pos, 2, h) || !literal(s, pos, ':') ||
      !digits(s, pos, 2, mi) || !literal(s, pos, ':') || !digits(s, pos, 2, sec))
    return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;  // 60: a leap second, folded below
  long long millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (std::size_t n = pos - start; n < 3; ++n) millis *= 10;
  }
  long long offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!digits(s, pos, 2, oh) || !literal(s, pos, ':') || !digits(s, pos, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_minutes = sign * (oh * 60LL + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  // In milliseconds (which hold any four-digit year), checked before it becomes a Timestamp.
  const auto utc = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + milliseconds{millis} - minutes{offset_minutes};
  const int utc_year = static_cast<int>(year_month_day{floor<days>(utc)}.year());
  if (utc_year < kFirstYear || utc_year > kLastYear) return std::nullopt;
  return time_point_cast<Timestamp::duration>(utc);
}

std::string format_duration(std::chrono::milliseconds d) {
  if (d.count() < 0) return "-" + format_duration(d == milliseconds::min() ? milliseconds::max() : -d);
  char buf[64];
  if (d < minutes{1}) {
    const long long tenths = (d.count() + 50) / 100;
    if (tenths % 10 == 0)
      std::snprintf(buf, sizeof buf, "%llds", tenths / 10);
    else
      std::snprintf(buf, sizeof buf, "%lld.%llds", tenths / 10, tenths % 10);
    if (tenths < 600) return buf;
  }
  const long long total = d.count() / 1000 + (d.count() % 1000 >= 500);  // rounded, without overflow near max
  const long long h = total / 3600, m = total / 60 % 60, s = total % 60;
  std::string out;
  if (h > 0) out += std::to_string(h) + "h";
  if (m > 0) out += (out.empty() ? "" : " ") + std::to_string(m) + "m";
  if (s > 0 || out.empty()) out += (out.empty() ? "" : " ") + std::to_string(s) + "s";
  return out;
}

double seconds_between(Timestamp from, Timestamp to) {
  return static_cast<double>(duration_cast<milliseconds>(to - from).count()) / 1000.0;
}

std::int64_t unix_millis(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace synthprobe
