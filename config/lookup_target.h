#pragma once
// Which host name a request needs looked up before curl may connect, and on which port. Pure: from the
// URL and the request's settings, no I/O. A constant URL is worked out once at load (ConstantLookup), a
// templated one on each run, from its rendered text.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synthprobe::config {

struct LookupTarget {
  std::string_view host;  // a view into the URL it came from
  unsigned port = 0;      // the URL's, or its scheme's default
};

// nullopt when there is nothing to look up: an IP literal, a request through a proxy (the proxy resolves
// the name), a `resolve` pin ("host:port:address") for the URL's host and port, or a URL that does not
// parse (curl then says what is wrong with it).
std::optional<LookupTarget> lookup_target(std::string_view url, const std::vector<std::string>& pins, bool via_proxy);

// lookup_target() of a URL, kept as an offset into the URL's text rather than a view, so it stays right
// when the string holding the URL moves (a short string's characters move with it).
struct ConstantLookup {
  bool needed = false;  // false: nothing to look up
  std::uint32_t host_offset = 0;
  std::uint32_t host_size = 0;
  unsigned port = 0;
  std::uint32_t url_size = 0;  // of the URL it was made from: a URL changed since is worked out anew
  bool made_from(std::string_view url) const { return url.size() == url_size; }
};
ConstantLookup constant_lookup(std::string_view url, const std::vector<std::string>& pins, bool via_proxy);
// The lookup for `url`, the text `lookup` was made from (see made_from()).
std::optional<LookupTarget> lookup_in(const ConstantLookup& lookup, std::string_view url);

}  // namespace synthprobe::config
