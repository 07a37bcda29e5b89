#include "probe/engine/connect_to.h"

namespace synthprobe {

std::string connect_to_entry(std::string_view entry) {
  // The address is last; an IPv6 one is bracketed and full of colons.
  const std::size_t address_at = entry.ends_with(']') ? entry.rfind('[') : entry.rfind(':') + 1;
  if (address_at == std::string_view::npos || address_at < 2 || entry[address_at - 1] != ':') return "";
  const std::string_view host_port = entry.substr(0, address_at - 1);
  const std::size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == host_port.size()) return "";
  std::string out(entry);
  out += ':';
  out += host_port.substr(colon + 1);
  return out;
}

}  // namespace synthprobe
