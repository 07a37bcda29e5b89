#pragma once
// Answers kept for their TTL, for checks with fresh_connection = false (a check with fresh connections
// measures a lookup on every run). Pure: the caller says what time it is.

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config_model.h"

namespace synthprobe {

class DnsCache {
 public:
  using Clock = std::chrono::steady_clock;

  // At most `capacity` names; when full, expired answers go first, and if none has, everything.
  explicit DnsCache(std::size_t capacity = 10000) : capacity_(capacity) {}

  // The address cached for `host` and `ip_version` that is still valid at `now`, or "".
  std::string_view find(std::string_view host, config::IpVersion ip_version, Clock::time_point now) const;
  // Keeps `address` until now + ttl. A TTL of 0 keeps nothing.
  void store(std::string_view host, config::IpVersion ip_version, std::string_view address, std::chrono::seconds ttl,
             Clock::time_point now);
  std::size_t size() const { return entries_.size(); }

 private:
  struct Answer {
    std::string address;
    Clock::time_point expires{};
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Per name, one answer per ip_version (any, 4, 6).
  using Answers = std::array<Answer, 3>;
  void prune(Clock::time_point now);

  std::size_t capacity_;
  std::unordered_map<std::string, Answers, Hash, std::equal_to<>> entries_;
};

}  // namespace synthprobe
