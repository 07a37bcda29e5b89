#include "exporters/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

namespace synthprobe {
namespace {

using namespace std::chrono;

constexpr std::int64_t kDay = 86'400;
constexpr std::size_t kMaxZoneFile = 1 << 20;  // real ones are a few KiB

// Big-endian reads over the TZif bytes; every read checks the length first.
class Bytes {
 public:
  explicit Bytes(std::string_view s) : s_(s) {}
  bool skip(std::size_t n) {
    if (s_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  bool u8(std::uint8_t& out) {
    if (pos_ >= s_.size()) return false;
    out = static_cast<std::uint8_t>(s_[pos_++]);
    return true;
  }
  bool be(std::size_t width, std::uint64_t& out) {
    if (s_.size() - pos_ < width) return false;
    out = 0;
    for (std::size_t i = 0; i < width; ++i) out = (out << 8) | static_cast<std::uint8_t>(s_[pos_++]);
    return true;
  }
  std::string_view rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;
  std::uint64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool read_header(Bytes& in, Header& h, std::string& error) {
  std::uint64_t magic = 0;
  std::uint8_t version = 0;
  if (!in.be(4, magic) || magic != 0x545a6966 /* "TZif" */ || !in.u8(version) || !in.skip(15) ||
      !in.be(4, h.isutcnt) || !in.be(4, h.isstdcnt) || !in.be(4, h.leapcnt) || !in.be(4, h.timecnt) ||
      !in.be(4, h.typecnt) || !in.be(4, h.charcnt)) {
    error = "not a TZif file";
    return false;
  }
  h.version = static_cast<char>(version);
  if (h.typecnt == 0) {
    error = "a TZif file without local time types";
    return false;
  }
  return true;
}

std::int64_t to_signed(std::uint64_t raw, std::size_t width) {
  if (width == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
  return static_cast<std::int64_t>(raw);
}

int civil_year(std::int64_t seconds) {
  return static_cast<int>(year_month_day{sys_days{days{seconds >= 0 ? seconds / kDay : (seconds - kDay + 1) / kDay}}}.year());
}

}  // namespace

// ---- POSIX TZ rules ------------------------------------------------------------------------------

class TimeZone::PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}

  std::optional<Posix> parse(std::string& error) {
    Posix p;
    std::int64_t offset = 0;
    if (!name() || !hms(offset, 24)) return fail(error);
    p.std_offset = -offset;  // POSIX counts west of UTC as positive
    if (at_end()) return p;
    if (!name()) return fail(error);
    p.dst_offset = p.std_offset + 3600;
    if (!at_end() && peek() != ',') {
      if (!hms(offset, 24)) return fail(error);
      p.dst_offset = -offset;
    }
    if (at_end()) {  // DST named without rules: the US rules, as glibc assumes
      p.start = Rule{'M', 0, 3, 2, 0, 7200};
      p.end = Rule{'M', 0, 11, 1, 0, 7200};
      return p;
    }
    if (!eat(',') || !rule(p.start) || !eat(',') || !rule(p.end) || !at_end()) return fail(error);
    return p;
  }

 private:
  std::optional<Posix> fail(std::string& error) const {
    error = "bad POSIX TZ rule \"" + std::string(s_) + "\" at byte " + std::to_string(pos_);
    return std::nullopt;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool name() {
    if (eat('<')) {
      const std::size_t close = s_.find('>', pos_);
      if (close == std::string_view::npos || close - pos_ < 3) return false;
      pos_ = close + 1;
      return true;
    }
    const std::size_t start = pos_;
    while (!at_end() && std::isalpha(static_cast<unsigned char>(peek()))) ++pos_;
    return pos_ - start >= 3;
  }
  bool number(std::int64_t& out, std::size_t max_digits) {
    const std::size_t start = pos_;
    out = 0;
    while (!at_end() && std::isdigit(static_cast<unsigned char>(peek())) && pos_ - start < max_digits)
      out = out * 10 + (s_[pos_++] - '0');
    return pos_ > start;
  }
  // [+-]hh[:mm[:ss]] in seconds: offsets up to 24 hours, rule times (RFC 8536) up to 167.
  bool hms(std::int64_t& out, std::int64_t max_hours) {
    std::int64_t sign = 1;
    if (eat('-')) sign = -1;
    else eat('+');
    std::int64_t h = 0, m = 0, s = 0;
    if (!number(h, 3) || h > max_hours) return false;
    if (eat(':')) {
      if (!number(m, 2) || m > 59) return false;
      if (eat(':') && (!number(s, 2) || s > 59)) return false;
    }
    out = sign * (h * 3600 + m * 60 + s);
    return true;
  }
  bool rule(Rule& r) {
    std::int64_t n = 0;
    if (eat('J')) {
      if (!number(n, 3) || n < 1 || n > 365) return false;
      r = Rule{'J', static_cast<int>(n), 0, 0, 0, 7200};
    } else if (eat('M')) {
      std::int64_t m = 0, w = 0, d = 0;
      if (!number(m, 2) || m < 1 || m > 12 || !eat('.') || !number(w, 1) || w < 1 || w > 5 || !eat('.') ||
          !number(d, 1) || d > 6)
        return false;
      r = Rule{'M', 0, static_cast<int>(m), static_cast<int>(w), static_cast<int>(d), 7200};
    } else {
      if (!number(n, 3) || n > 365) return false;
      r = Rule{'D', static_cast<int>(n), 0, 0, 0, 7200};
    }
    if (eat('/')) return hms(r.time, 167);
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

std::int64_t TimeZone::rule_day(const Rule& r, int y) {
  const sys_days jan1{year{y} / January / 1};
  sys_days d;
  if (r.kind == 'J') {
    d = jan1 + days{r.day - 1 + (year{y}.is_leap() && r.day >= 60 ? 1 : 0)};
  } else if (r.kind == 'D') {
    d = jan1 + days{r.day};
  } else if (r.week == 5) {
    d = sys_days{year_month_weekday_last{year{y}, month{static_cast<unsigned>(r.month)},
                                         weekday_last{weekday{static_cast<unsigned>(r.weekday)}}}};
  } else {
    d = sys_days{year_month_weekday{year{y}, month{static_cast<unsigned>(r.month)},
                                    weekday_indexed{weekday{static_cast<unsigned>(r.weekday)}, static_cast<unsigned>(r.week)}}};
  }
  return d.time_since_epoch().count();
}

std::int64_t TimeZone::posix_offset(const Posix& p, std::int64_t t) {
  if (!p.dst_offset) return p.std_offset;
  // The year as standard time reads it; each change happens at a local time in the offset then in force.
  const int y = civil_year(t + p.std_offset);
  const std::int64_t start = rule_day(p.start, y) * kDay + p.start.time - p.std_offset;
  const std::int64_t end = rule_day(p.end, y) * kDay + p.end.time - *p.dst_offset;
  const bool dst = start < end ? (start <= t && t < end)    // northern: DST inside the year
                               : !(end <= t && t < start);  // southern: DST across the new year
  return dst ? *p.dst_offset : p.std_offset;
}

// ---- TimeZone --------------------------------------------------------------------------------------

TimeZone TimeZone::utc() { return TimeZone{}; }

std::optional<TimeZone> TimeZone::from_posix(std::string_view rule, std::string& error) {
  auto posix = PosixParser(rule).parse(error);
  if (!posix) return std::nullopt;
  TimeZone zone;
  zone.footer_ = *posix;
  zone.initial_offset_ = static_cast<std::int32_t>(posix->std_offset);
  return zone;
}

std::optional<TimeZone> TimeZone::from_tzif(std::string_view bytes, std::string& error) {
  Bytes in(bytes);
  Header h;
  if (!read_header(in, h, error)) return std::nullopt;
  std::size_t width = 4;
  if (h.version >= '2') {
    // Skip the 32-bit data: the 64-bit block after the second header has the same and more.
    const std::uint64_t v1 = h.timecnt * 5 + h.typecnt * 6 + h.charcnt + h.leapcnt * 8 + h.isstdcnt + h.isutcnt;
    if (v1 > bytes.size() || !in.skip(v1) || !read_header(in, h, error)) {
      if (error.empty()) error = "truncated TZif file";
      return std::nullopt;
    }
    width = 8;
  }
  const std::uint64_t block =
      h.timecnt * (width + 1) + h.typecnt * 6 + h.charcnt + h.leapcnt * (width + 4) + h.isstdcnt + h.isutcnt;
  if (block > in.rest().size()) {
    error = "truncated TZif file";
    return std::nullopt;
  }

  TimeZone zone;
  std::vector<std::uint8_t> indices(h.timecnt);
  zone.transitions_.resize(h.timecnt);
  for (auto& t : zone.transitions_) {
    std::uint64_t raw = 0;
    in.be(width, raw);
    t = to_signed(raw, width);
  }
  for (auto& i : indices) in.u8(i);
  std::vector<std::int32_t> type_offsets(h.typecnt);
  for (auto& o : type_offsets) {
    std::uint64_t raw = 0;
    in.be(4, raw);
    o = static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
    in.skip(2);  // isdst, designation index: not needed for the offset
  }
  in.skip(h.charcnt + h.leapcnt * (width + 4) + h.isstdcnt + h.isutcnt);
  if (!std::is_sorted(zone.transitions_.begin(), zone.transitions_.end()) ||
      std::adjacent_find(zone.transitions_.begin(), zone.transitions_.end()) != zone.transitions_.end()) {
    error = "TZif transitions out of order";
    return std::nullopt;
  }
  for (std::uint8_t i : indices) {
    if (i >= type_offsets.size()) {
      error = "TZif transition to a missing local time type";
      return std::nullopt;
    }
    zone.offsets_.push_back(type_offsets[i]);
  }
  zone.initial_offset_ = type_offsets[0];

  if (width == 8) {
    // The footer: "\n<POSIX TZ rule>\n"; an empty rule means the last transition's type holds for ever.
    const std::string_view rest = in.rest();
    const std::size_t close = rest.size() >= 2 && rest[0] == '\n' ? rest.find('\n', 1) : std::string_view::npos;
    if (close == std::string_view::npos) {
      error = "TZif footer missing";
      return std::nullopt;
    }
    const std::string_view rule = rest.substr(1, close - 1);
    if (!rule.empty()) {
      auto posix = PosixParser(rule).parse(error);
      if (!posix) return std::nullopt;
      zone.footer_ = *posix;
    }
  }
  return zone;
}

std::chrono::seconds TimeZone::offset_at(system_clock::time_point t) const {
  const std::int64_t s = floor<seconds>(t.time_since_epoch()).count();
  if (transitions_.empty() || s < transitions_.front()) {
    if (transitions_.empty() && footer_) return seconds{posix_offset(*footer_, s)};
    return seconds{initial_offset_};
  }
  const auto after = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  if (after == transitions_.end() && footer_) return seconds{posix_offset(*footer_, s)};
  return seconds{offsets_[static_cast<std::size_t>(after - transitions_.begin()) - 1]};
}

// ---- loading -----------------------------------------------------------------------------------------

std::optional<TimeZone> load_time_zone(const std::string& name, std::string& error) {
  if (name == "UTC") return TimeZone::utc();
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
    error = "bad time zone name \"" + name + "\"";
    return std::nullopt;
  }
  const char* dir = std::getenv("TZDIR");  // glibc's override, as the config loader honours it
  const std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::string bytes(kMaxZoneFile + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > kMaxZoneFile) {
    error = path + " is too large for a TZif file";
    return std::nullopt;
  }
  auto zone = TimeZone::from_tzif(bytes, error);
  if (!zone) error = path + ": " + error;
  return zone;
}

std::shared_ptr<const TimeZone> find_time_zone(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const TimeZone>> zones;
  std::lock_guard lock(mutex);
  if (auto it = zones.find(name); it != zones.end()) return it->second;
  std::string error;
  auto zone = load_time_zone(name, error);
  if (!zone) return nullptr;  // not cached: a zone installed later is found on the next call
  return zones.emplace(name, std::make_shared<const TimeZone>(std::move(*zone))).first->second;
}

}  // namespace synthprobe
