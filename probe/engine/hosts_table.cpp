#include "probe/engine/hosts_table.h"

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

#include "common/text.h"

namespace synthprobe {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The next whitespace-separated word of `line` from `at`, or "" at the end.
std::string_view next_word(std::string_view line, std::size_t& at) {
  while (at < line.size() && is_space(line[at])) ++at;
  const std::size_t start = at;
  while (at < line.size() && !is_space(line[at])) ++at;
  return line.substr(start, at - start);
}

bool ends_with_label(std::string_view name, std::string_view label) {
  return name.size() > label.size() && name.ends_with(label) && name[name.size() - label.size() - 1] == '.';
}

}  // namespace

HostsTable HostsTable::parse(std::string_view text) {
  HostsTable table;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::size_t at = 0;
    const std::string address(next_word(line, at));
    if (address.empty()) continue;
    unsigned char buf[sizeof(in6_addr)];
    const bool v4 = inet_pton(AF_INET, address.c_str(), buf) == 1;
    const bool v6 = !v4 && inet_pton(AF_INET6, address.c_str(), buf) == 1;
    if (!v4 && !v6) continue;
    for (std::string_view name = next_word(line, at); !name.empty(); name = next_word(line, at)) {
      Addresses& entry = table.by_name_[text::to_lower(name)];
      std::string& slot = v4 ? entry.v4 : entry.v6;
      if (slot.empty()) slot = address;  // the first line for a name wins, as in glibc
    }
  }
  return table;
}

HostsTable HostsTable::read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

std::string_view HostsTable::find(std::string_view name, config::IpVersion ip_version) const {
  const bool want_v4 = ip_version != config::IpVersion::v6;
  const bool want_v6 = ip_version != config::IpVersion::v4;
  std::string key = text::to_lower(name);
  if (key.ends_with('.')) key.pop_back();
  if (auto it = by_name_.find(key); it != by_name_.end()) {
    if (want_v4 && !it->second.v4.empty()) return it->second.v4;
    if (want_v6 && !it->second.v6.empty()) return it->second.v6;
  }
  if (key == "localhost" || ends_with_label(key, "localhost"))
    return want_v4 ? std::string_view("127.0.0.1") : std::string_view("::1");
  return {};
}

}  // namespace synthprobe
