#pragma once
// The hosts file (/etc/hosts), read once when the resolver starts: names answered from it never reach a
// DNS server, and looking them up costs no file read on the check loop. `localhost` and names under
// `.localhost` are loopback even when the file does not say so (RFC 6761), so a check of localhost keeps
// working whatever the file and the DNS servers hold.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config_model.h"

namespace synthprobe {

class HostsTable {
 public:
  HostsTable() = default;
  // Lines "address name [aliases...]", "#" comments; malformed lines are skipped.
  static HostsTable parse(std::string_view text);
  // The file's content, or an empty table when it cannot be read.
  static HostsTable read_file(const std::string& path);

  // The first address the table has for `name` (case-insensitive) in the family `ip_version` allows
  // (IPv4 first for `any`, as the file usually lists it), or "" when the table does not know the name.
  std::string_view find(std::string_view name, config::IpVersion ip_version) const;
  std::size_t size() const { return by_name_.size(); }

 private:
  struct Addresses {
    std::string v4, v6;  // the first of each family the file gives
  };
  std::unordered_map<std::string, Addresses> by_name_;  // names lower case
};

}  // namespace synthprobe
