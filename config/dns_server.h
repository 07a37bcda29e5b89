#pragma once
// `[probe] dns_servers` entries: "127.0.0.1", "127.0.0.1:5353", "[::1]:53", "[::1]". One parser for config
// validation and for the resolver, so `check-config` accepts exactly what the probe can query.

#include <optional>
#include <string>
#include <string_view>

namespace synthprobe::config {

struct DnsServer {
  std::string address;  // an IP literal, IPv6 without brackets
  unsigned short port = 53;
  // "127.0.0.1:5353" or "[::1]:53": the form c-ares' server list takes.
  std::string to_string() const;
};

// nullopt with `error` saying what is wrong.
std::optional<DnsServer> parse_dns_server(std::string_view text, std::string& error);

}  // namespace synthprobe::config
