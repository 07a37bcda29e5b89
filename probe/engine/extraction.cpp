#include "probe/engine/extraction.h"

#include <re2/re2.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace synthprobe {
namespace {

std::optional<std::string> from_regex(const config::Extraction& e, std::string_view body, std::string& why) {
  std::string value;
  if (e.regex && RE2::PartialMatch(body, *e.regex, &value)) return value;
  why = "no match for /" + e.source + "/";
  return std::nullopt;
}

std::optional<std::string> from_json(const config::Extraction& e, std::string_view body, std::string& why) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec) {
    why = "body is not JSON (" + ec.message() + ")";
    return std::nullopt;
  }
  const boost::json::value* found = doc.find_pointer(e.source, ec);
  if (!found || ec) {
    why = "JSON " + e.source + " missing";
    return std::nullopt;
  }
  if (found->is_string()) return std::string(found->get_string());
  if (found->is_null()) {
    why = "JSON " + e.source + " is null";
    return std::nullopt;
  }
  return boost::json::serialize(*found);
}

std::optional<std::string> from_header(const config::Extraction& e, const ExtractionSource& s, std::string& why) {
  if (s.headers)
    for (const auto& [name, value] : *s.headers)
      if (name == e.source) return value;
  why = "no header " + e.source;
  return std::nullopt;
}

std::optional<std::string> from_cookie(const config::Extraction& e, const ExtractionSource& s, std::string& why) {
  // domain, include-subdomains, path, secure, expiry, name, value
  if (s.cookie_lines) {
    for (const std::string& line : *s.cookie_lines) {
      std::size_t start = 0;
      std::string_view fields[7];
      int n = 0;
      while (n < 7) {
        const std::size_t tab = line.find('\t', start);
        fields[n++] = std::string_view(line).substr(start, tab == std::string::npos ? std::string::npos : tab - start);
        if (tab == std::string::npos) break;
        start = tab + 1;
      }
      if (n == 7 && fields[5] == e.source) return std::string(fields[6]);
    }
  }
  why = "no cookie " + e.source;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> extract(const config::Extraction& e, const ExtractionSource& source, std::string& why) {
  switch (e.kind) {
    case config::Extraction::Kind::regex: return from_regex(e, source.body, why);
    case config::Extraction::Kind::json: return from_json(e, source.body, why);
    case config::Extraction::Kind::header: return from_header(e, source, why);
    case config::Extraction::Kind::cookie: return from_cookie(e, source, why);
  }
  return std::nullopt;
}

}  // namespace synthprobe
