#include "common/text.h"

#include <algorithm>

#include <boost/url/encode.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace synthprobe::text {
namespace {

namespace urls = boost::urls;

// '%' is in no set: a literal percent sign in a value is always encoded.
constexpr auto kPathChars = urls::pchars + '/';
constexpr urls::grammar::lut_chars kFormChars(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._*");

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

template <class CharSet>
void append_encoded(std::string& out, std::string_view s, const CharSet& keep, bool space_as_plus = false) {
  urls::encoding_opts opts;
  opts.space_as_plus = space_as_plus;
  const std::size_t at = out.size();
  out.resize(at + urls::encoded_size(s, keep, opts));
  urls::encode(out.data() + at, out.size() - at, s, keep, opts);
}

}  // namespace

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return to_lower(x) == to_lower(y); });
}

bool breaks_header_line(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

void append_percent_encoded(std::string& out, std::string_view s, PercentSet keep) {
  switch (keep) {
    case PercentSet::unreserved: append_encoded(out, s, urls::unreserved_chars); return;
    case PercentSet::path: append_encoded(out, s, kPathChars); return;
    case PercentSet::form: append_encoded(out, s, kFormChars, true); return;
  }
}

std::optional<std::string> percent_decode(std::string_view s) {
  const auto encoded = urls::make_pct_string_view(s);
  if (!encoded) return std::nullopt;
  return encoded->decode();
}

std::string percent_encode(std::string_view s, PercentSet keep) {
  std::string out;
  append_percent_encoded(out, s, keep);
  return out;
}

}  // namespace synthprobe::text
