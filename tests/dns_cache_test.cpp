// The TTL cache behind fresh_connection = false: exact, on a fake clock.
#include <doctest/doctest.h>

#include "probe/engine/dns_cache.h"

using namespace synthprobe;
using namespace std::chrono_literals;
using config::IpVersion;

namespace {
const DnsCache::Clock::time_point t0{std::chrono::hours(1)};
}

TEST_CASE("an answer is kept for its TTL and no longer") {
  DnsCache cache;
  cache.store("shop.test", IpVersion::any, "192.0.2.1", 30s, t0);
  CHECK(cache.find("shop.test", IpVersion::any, t0) == "192.0.2.1");
  CHECK(cache.find("shop.test", IpVersion::any, t0 + 29s) == "192.0.2.1");
  CHECK(cache.find("shop.test", IpVersion::any, t0 + 30s) == "");
  CHECK(cache.find("other.test", IpVersion::any, t0) == "");
}

TEST_CASE("answers are per ip_version: an IPv6 check never gets an IPv4 answer") {
  DnsCache cache;
  cache.store("shop.test", IpVersion::v4, "192.0.2.1", 30s, t0);
  CHECK(cache.find("shop.test", IpVersion::v6, t0) == "");
  CHECK(cache.find("shop.test", IpVersion::any, t0) == "");
  cache.store("shop.test", IpVersion::v6, "2001:db8::1", 30s, t0);
  CHECK(cache.find("shop.test", IpVersion::v6, t0) == "2001:db8::1");
  CHECK(cache.find("shop.test", IpVersion::v4, t0) == "192.0.2.1");
  CHECK(cache.size() == 1);
}

TEST_CASE("TTL 0 keeps nothing; a newer answer replaces the old one") {
  DnsCache cache;
  cache.store("shop.test", IpVersion::any, "192.0.2.1", 0s, t0);
  CHECK(cache.find("shop.test", IpVersion::any, t0) == "");
  cache.store("shop.test", IpVersion::any, "192.0.2.1", 10s, t0);
  cache.store("shop.test", IpVersion::any, "192.0.2.2", 60s, t0 + 5s);
  CHECK(cache.find("shop.test", IpVersion::any, t0 + 30s) == "192.0.2.2");
}

TEST_CASE("a full cache drops expired names first, and starts over when none has expired") {
  DnsCache cache(2);
  cache.store("a.test", IpVersion::any, "192.0.2.1", 10s, t0);
  cache.store("b.test", IpVersion::any, "192.0.2.2", 100s, t0);
  cache.store("c.test", IpVersion::any, "192.0.2.3", 100s, t0 + 20s);  // a.test has expired: it goes
  CHECK(cache.size() == 2);
  CHECK(cache.find("b.test", IpVersion::any, t0 + 20s) == "192.0.2.2");
  CHECK(cache.find("c.test", IpVersion::any, t0 + 20s) == "192.0.2.3");
  cache.store("d.test", IpVersion::any, "192.0.2.4", 100s, t0 + 20s);  // nothing expired: everything goes
  CHECK(cache.size() == 1);
  CHECK(cache.find("d.test", IpVersion::any, t0 + 20s) == "192.0.2.4");
}
