#pragma once
// One entry of `expect.status`: an exact code (304) or a class ("2xx").

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace synthprobe::config {

struct StatusMatcher {
  int low = 200;   // inclusive
  int high = 299;  // inclusive
  std::string text;  // as the user wrote it, for messages: "2xx", "304"

  bool matches(long code) const { return code >= low && code <= high; }

  // "2xx" .. "5xx" (also "1xx"), case-insensitive. nullopt when not a class.
  static std::optional<StatusMatcher> from_class(std::string_view text);
  // 100..599. nullopt when out of range.
  static std::optional<StatusMatcher> from_code(long code);
};

bool any_matches(std::span<const StatusMatcher> matchers, long code);
// "[2xx, 304]"
std::string describe(std::span<const StatusMatcher> matchers);

}  // namespace synthprobe::config
