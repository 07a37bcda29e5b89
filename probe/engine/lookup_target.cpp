#include "probe/engine/lookup_target.h"

#include <boost/url/parse.hpp>

#include <charconv>

#include "common/text.h"

namespace synthprobe {

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

}  // namespace synthprobe
