#pragma once
// Which host name a request needs looked up before curl may connect, and on which port. Pure: from the
// rendered URL and the request's settings, no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synthprobe {

struct LookupTarget {
  std::string_view host;  // a view into the URL it came from
  unsigned port = 0;      // the URL's, or its scheme's default
};

// nullopt when there is nothing to look up: an IP literal, a request through a proxy (the proxy resolves
// the name), a `resolve` pin ("host:port:address") for the URL's host and port, or a URL that does not
// parse (curl then says what is wrong with it).
std::optional<LookupTarget> lookup_target(std::string_view url, const std::vector<std::string>& pins, bool via_proxy);

}  // namespace synthprobe
