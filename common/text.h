#pragma once
// Small text helpers shared by every layer: ASCII case, whitespace, and percent-encoding (Boost.URL).
// ASCII only on purpose: header names, units and keywords are ASCII, and locale-dependent case mapping
// would make config validation depend on the machine.

#include <optional>
#include <string>
#include <string_view>

namespace synthprobe::text {

char to_lower(char c);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// Without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s);
// True when `value` cannot be sent as one HTTP header line: it holds a CR, an LF or a NUL (a CR LF would
// start a header of its own, a NUL would cut the line short).
bool breaks_header_line(std::string_view value);

// Which characters stay as they are when percent-encoding.
enum class PercentSet {
  unreserved,  // RFC 3986 unreserved only: query values, form fields, path segments of an id
  path,        // RFC 3986 pchar plus '/': text placed into a URL path
  form,        // application/x-www-form-urlencoded: alphanumerics and -._* stay, a space becomes '+'
};
void append_percent_encoded(std::string& out, std::string_view s, PercentSet keep);
std::string percent_encode(std::string_view s, PercentSet keep = PercentSet::unreserved);
// "%20" back to " " (a '+' stays a '+'); nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view s);

}  // namespace synthprobe::text
