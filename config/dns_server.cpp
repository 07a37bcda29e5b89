#include "config/dns_server.h"

#include <arpa/inet.h>

#include <algorithm>

namespace synthprobe::config {
namespace {

bool is_ip(const std::string& text, int family) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(family, text.c_str(), buf) == 1;
}

bool parse_port(std::string_view text, unsigned short& port) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const int value = std::stoi(std::string(text));
  if (value < 1 || value > 65535) return false;
  port = static_cast<unsigned short>(value);
  return true;
}

}  // namespace

std::string DnsServer::to_string() const {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::optional<DnsServer> parse_dns_server(std::string_view text, std::string& error) {
  DnsServer server;
  std::string_view host = text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "has \"[\" without \"]\"";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && (!rest.starts_with(':') || !parse_port(rest.substr(1), server.port))) {
      error = "the port must be a number from 1 to 65535, like \"[::1]:53\"";
      return std::nullopt;
    }
    server.address = std::string(host);
    if (!is_ip(server.address, AF_INET6)) {
      error = "only an IPv6 address goes in brackets, like \"[::1]:53\"";
      return std::nullopt;
    }
    return server;
  }
  const auto colons = std::count(text.begin(), text.end(), ':');
  if (colons == 1) {
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    if (!parse_port(text.substr(colon + 1), server.port)) {
      error = "the port must be a number from 1 to 65535, like \"127.0.0.1:5353\"";
      return std::nullopt;
    }
  }
  server.address = std::string(host);
  if (colons > 1) {
    // Always brackets: "::1:53" is itself a valid address, so a bare one would silently drop a port.
    error = "an IPv6 address goes in brackets, like \"[::1]:53\" or \"[2001:db8::53]\"";
    return std::nullopt;
  }
  if (!is_ip(server.address, AF_INET)) {
    error = "must be an IP address with an optional port (\"127.0.0.1:5353\", \"[::1]:53\"), not a name: a resolver "
            "cannot be found by name";
    return std::nullopt;
  }
  return server;
}

}  // namespace synthprobe::config
