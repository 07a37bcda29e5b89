#include "probe/engine/dns_cache.h"

namespace synthprobe {
namespace {

std::size_t slot_of(config::IpVersion v) { return static_cast<std::size_t>(v); }

}  // namespace

std::string_view DnsCache::find(std::string_view host, config::IpVersion ip_version, Clock::time_point now) const {
  const auto it = entries_.find(host);
  if (it == entries_.end()) return {};
  const Answer& a = it->second[slot_of(ip_version)];
  if (a.address.empty() || now >= a.expires) return {};
  return a.address;
}

void DnsCache::store(std::string_view host, config::IpVersion ip_version, std::string_view address,
                     std::chrono::seconds ttl, Clock::time_point now) {
  if (ttl <= std::chrono::seconds::zero() || address.empty() || capacity_ == 0) return;
  auto it = entries_.find(host);
  if (it == entries_.end()) {
    if (entries_.size() >= capacity_) prune(now);
    it = entries_.emplace(std::string(host), Answers{}).first;
  }
  Answer& a = it->second[slot_of(ip_version)];
  a.address.assign(address);
  a.expires = now + ttl;
}

void DnsCache::prune(Clock::time_point now) {
  std::erase_if(entries_, [now](const auto& entry) {
    for (const Answer& a : entry.second)
      if (!a.address.empty() && now < a.expires) return false;
    return true;
  });
  // Templated host names could grow the cache without end: when everything is still valid, start over.
  if (entries_.size() >= capacity_) entries_.clear();
}

}  // namespace synthprobe
