#include "probe/engine/redirect_guard.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "common/text.h"

namespace synthprobe {
namespace {

namespace urls = boost::urls;

constexpr std::size_t kUrlQuoteLimit = 200;

std::uint16_t effective_port(const urls::url_view& u) {
  if (u.has_port()) return u.port_number();
  if (u.scheme_id() == urls::scheme::https) return 443;
  if (u.scheme_id() == urls::scheme::http) return 80;
  return 0;
}

// curl drops these itself on a redirect to another host, port or scheme.
bool curl_strips(std::string_view header) { return text::iequals(header, "authorization") || text::iequals(header, "cookie"); }

}  // namespace

std::optional<std::string> resolve_location(std::string_view base, std::string_view location) {
  auto base_url = urls::parse_uri(base);
  auto ref = urls::parse_uri_reference(text::trim(location));
  if (!base_url || !ref) return std::nullopt;
  urls::url out;
  if (!urls::resolve(*base_url, *ref, out)) return std::nullopt;
  return std::string(out.buffer());
}

bool same_origin(std::string_view a, std::string_view b) {
  auto x = urls::parse_uri(a);
  auto y = urls::parse_uri(b);
  if (!x || !y) return false;
  return text::iequals(x->scheme(), y->scheme()) && text::iequals(x->encoded_host(), y->encoded_host()) &&
         effective_port(*x) == effective_port(*y);
}

bool is_http_url(std::string_view url) {
  auto u = urls::parse_uri(url);
  return u && (u->scheme_id() == urls::scheme::http || u->scheme_id() == urls::scheme::https);
}

std::optional<std::string> refuse_redirect(const config::RequestSettings& settings, std::string_view from,
                                           std::string_view location) {
  if (settings.follow_redirects_with_secrets) return std::nullopt;
  std::string names;
  int count = 0;
  for (const config::Header& h : settings.headers) {
    if (!h.secret || curl_strips(h.name)) continue;
    names += (count++ ? ", " : "") + h.name;
  }
  if (count == 0) return std::nullopt;
  // A Location that does not parse cannot be shown to stay on this origin: refuse it too.
  const std::optional<std::string> target = resolve_location(from, location);
  if (target && same_origin(from, *target)) return std::nullopt;
  return "redirect to " + quote_url(target ? *target : location) + " would carry " +
         (count == 1 ? "a secret header (" : "secret headers (") + names +
         "); set follow_redirects_with_secrets = true to allow";
}

std::string quote_url(std::string_view url) {
  if (url.size() <= kUrlQuoteLimit) return std::string(url);
  return std::string(url.substr(0, kUrlQuoteLimit)) + "...";
}

}  // namespace synthprobe
