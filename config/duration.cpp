#include "config/duration.h"

#include <array>
#include <cctype>
#include <limits>

#include "common/text.h"

namespace synthprobe::config {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};

// Largest first: the order Prometheus requires them in, and the order format_duration writes them.
constexpr std::array<Unit, 7> kUnits{{{"y", 365LL * 24 * 3600 * 1000},
                                      {"w", 7LL * 24 * 3600 * 1000},
                                      {"d", 24LL * 3600 * 1000},
                                      {"h", 3600LL * 1000},
                                      {"m", 60LL * 1000},
                                      {"s", 1000},
                                      {"ms", 1}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Reads the digits at `i`; false on overflow.
bool read_number(std::string_view text, std::size_t& i, std::uint64_t& value) {
  value = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    const std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string& error) {
  const std::string prefix = "invalid duration " + quoted(text) + ": ";
  if (text.empty()) {
    error = "invalid duration \"\": empty (e.g. 10s)";
    return std::nullopt;
  }
  // Prometheus accepts a bare "0"; anything else needs a unit.
  if (text == "0") return std::chrono::milliseconds(0);
  if (text[0] == '-') {
    error = prefix + "must not be negative";
    return std::nullopt;
  }
  if (text.find_first_of(" \t") != std::string_view::npos) {
    error = prefix + "must not contain spaces (e.g. 1h30m)";
    return std::nullopt;
  }

  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the smallest unit still allowed
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      error = prefix + "expected a number at " + quoted(text.substr(i)) + " (e.g. 1h30m)";
      return std::nullopt;
    }
    std::uint64_t number = 0;
    const std::size_t number_begin = i;
    if (!read_number(text, i, number)) {
      error = prefix + "number too large";
      return std::nullopt;
    }
    if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
      error = prefix + "use whole numbers of a smaller unit (e.g. 1m30s, 1500ms)";
      return std::nullopt;
    }
    const std::size_t unit_begin = i;
    while (i < text.size() && !is_digit(text[i])) ++i;
    const std::string_view unit = text.substr(unit_begin, i - unit_begin);
    if (unit.empty()) {
      error = prefix + "missing unit (e.g. " + std::string(text.substr(number_begin)) + "s)";
      return std::nullopt;
    }
    std::size_t u = 0;
    while (u < kUnits.size() && kUnits[u].name != unit) ++u;
    if (u == kUnits.size()) {
      error = prefix + "unknown unit " + quoted(unit) + " (units: ms, s, m, h, d, w, y)";
      return std::nullopt;
    }
    if (u < next_unit) {
      const bool repeated = u + 1 == next_unit;
      error = prefix + (repeated ? "unit " + quoted(unit) + " given twice"
                                 : std::string("units must go from largest to smallest (e.g. 1h30m)"));
      return std::nullopt;
    }
    next_unit = u + 1;
    const auto ms = static_cast<std::uint64_t>(kUnits[u].ms);
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (number > (limit - static_cast<std::uint64_t>(total)) / ms) {
      error = prefix + "too long";
      return std::nullopt;
    }
    total += static_cast<std::int64_t>(number * ms);
  }
  return std::chrono::milliseconds(total);
}

std::optional<std::uint64_t> parse_size(std::string_view text, std::string& error) {
  const std::string prefix = "invalid size " + quoted(text) + ": ";
  std::size_t i = 0;
  std::uint64_t number = 0;
  if (text.empty() || !is_digit(text[0])) {
    error = prefix + "expected a whole number and a unit (e.g. 4MiB)";
    return std::nullopt;
  }
  if (!read_number(text, i, number)) {
    error = prefix + "number too large";
    return std::nullopt;
  }
  const std::string_view unit = text.substr(i);
  struct SizeUnit {
    std::string_view name;
    std::uint64_t bytes;
  };
  static constexpr std::array<SizeUnit, 4> kSizes{
      {{"B", 1}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}}};
  for (const auto& s : kSizes) {
    if (unit != s.name) continue;
    if (number > std::numeric_limits<std::uint64_t>::max() / s.bytes) {
      error = prefix + "number too large";
      return std::nullopt;
    }
    return number * s.bytes;
  }
  if (unit.empty()) {
    error = prefix + "missing unit (binary units: B, KiB, MiB, GiB)";
    return std::nullopt;
  }
  // Decimal spellings ("MB", "kB") and wrong case ("mib") are the usual slips: name the unit meant,
  // because silently reading MB as 10^6 or 2^20 would be a guess either way.
  const std::string lower = text::to_lower(unit);
  std::string_view meant;
  if (lower == "k" || lower == "kb" || lower == "kib") meant = "KiB";
  if (lower == "m" || lower == "mb" || lower == "mib") meant = "MiB";
  if (lower == "g" || lower == "gb" || lower == "gib") meant = "GiB";
  if (lower == "b" || lower == "bytes") meant = "B";
  if (!meant.empty()) {
    error = prefix + "use " + std::string(meant) + " (binary units: B, KiB, MiB, GiB)";
  } else {
    error = prefix + "unknown unit " + quoted(unit) + " (binary units: B, KiB, MiB, GiB)";
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    // Negating the minimum would overflow; no config can produce it, so clamp.
    ms = ms == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max() : -ms;
  }
  for (const auto& unit : kUnits) {
    const std::int64_t n = ms / unit.ms;
    if (n == 0) continue;
    out += std::to_string(n);
    out += unit.name;
    ms -= n * unit.ms;
  }
  return out;
}

}  // namespace synthprobe::config
