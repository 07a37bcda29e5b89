#pragma once
// The `[probe] listen` address: "127.0.0.1:9464", "[::1]:9464", ":9464" (every IPv4 address). One
// parser for config validation and for the HTTP server, so `check-config` accepts exactly what `run` can
// bind.

#include <optional>
#include <string>
#include <string_view>

namespace synthprobe {

struct ListenAddress {
  std::string host;  // an IP literal, without brackets; "0.0.0.0" for ":9464"
  unsigned short port = 0;
};

// nullopt with `error` saying what is wrong.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

}  // namespace synthprobe
