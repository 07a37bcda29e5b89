#include "common/listen_address.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>

namespace synthprobe {

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    error = "needs a port, like \"127.0.0.1:9464\"";
    return std::nullopt;
  }
  std::string host(text.substr(0, colon));
  const std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(std::string(port)) > 65535) {
    error = "the port must be a number from 0 to 65535";
    return std::nullopt;
  }
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos) {
    error = "an IPv6 address goes in brackets, like \"[::1]:9464\"";
    return std::nullopt;
  }
  if (host.empty()) host = "0.0.0.0";
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec || (bracketed && !address.is_v6())) {
    error = "the host must be an IP address (\"127.0.0.1\", \"[::1]\", or empty for every IPv4 address), not a name";
    return std::nullopt;
  }
  return ListenAddress{host, static_cast<unsigned short>(std::stoi(std::string(port)))};
}

}  // namespace synthprobe
