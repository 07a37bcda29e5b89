#include "config/status_matcher.h"

#include <cctype>

namespace synthprobe::config {

std::optional<StatusMatcher> StatusMatcher::from_class(std::string_view text) {
  if (text.size() != 3 || text[0] < '1' || text[0] > '5') return std::nullopt;
  for (char c : text.substr(1))
    if (std::tolower(static_cast<unsigned char>(c)) != 'x') return std::nullopt;
  const int base = (text[0] - '0') * 100;
  return StatusMatcher{base, base + 99, std::string{text[0]} + "xx"};
}

std::optional<StatusMatcher> StatusMatcher::from_code(long code) {
  if (code < 100 || code > 599) return std::nullopt;
  const int c = static_cast<int>(code);
  return StatusMatcher{c, c, std::to_string(c)};
}

bool any_matches(std::span<const StatusMatcher> matchers, long code) {
  for (const auto& m : matchers)
    if (m.matches(code)) return true;
  return false;
}

std::string describe(std::span<const StatusMatcher> matchers) {
  std::string out = "[";
  for (std::size_t i = 0; i < matchers.size(); ++i) {
    if (i) out += ", ";
    out += matchers[i].text;
  }
  return out + "]";
}

}  // namespace synthprobe::config
