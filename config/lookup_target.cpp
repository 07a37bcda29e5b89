#include "config/lookup_target.h"

#include <boost/url/parse.hpp>

#include <charconv>

#include "common/text.h"

namespace synthprobe::config {

std::optional<LookupTarget> lookup_target(std::string_view url, const std::vector<std::string>& pins, bool via_proxy) {
  if (via_proxy) return std::nullopt;
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->host_type() != boost::urls::host_type::name) return std::nullopt;
  LookupTarget target;
  const auto host = parsed->encoded_host();
  target.host = std::string_view(host.data(), host.size());
  if (target.host.empty()) return std::nullopt;
  if (parsed->has_port()) {
    const auto port = parsed->port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
    target.port = value;
  } else {
    target.port = text::iequals(parsed->scheme(), "https") ? 443 : 80;
  }
  // A pin is "host:port:address" (config checks the shape).
  for (const std::string& pin : pins) {
    const std::string_view p = pin;
    if (p.size() <= target.host.size() + 1 || p[target.host.size()] != ':' ||
        !text::iequals(p.substr(0, target.host.size()), target.host))
      continue;
    const std::string_view rest = p.substr(target.host.size() + 1);
    unsigned pin_port = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pin_port);
    if (ec == std::errc() && end < rest.data() + rest.size() && *end == ':' && pin_port == target.port) return std::nullopt;
  }
  return target;
}

ConstantLookup constant_lookup(std::string_view url, const std::vector<std::string>& pins, bool via_proxy) {
  ConstantLookup kept;
  kept.url_size = static_cast<std::uint32_t>(url.size());
  const auto target = lookup_target(url, pins, via_proxy);
  if (!target) return kept;
  kept.needed = true;
  kept.host_offset = static_cast<std::uint32_t>(target->host.data() - url.data());
  kept.host_size = static_cast<std::uint32_t>(target->host.size());
  kept.port = target->port;
  return kept;
}

std::optional<LookupTarget> lookup_in(const ConstantLookup& lookup, std::string_view url) {
  if (!lookup.needed || std::size_t{lookup.host_offset} + lookup.host_size > url.size()) return std::nullopt;
  return LookupTarget{url.substr(lookup.host_offset, lookup.host_size), lookup.port};
}

}  // namespace synthprobe::config
