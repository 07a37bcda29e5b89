// The hosts file as the resolver reads it once at start.
#include <doctest/doctest.h>

#include "probe/engine/hosts_table.h"

using namespace synthprobe;
using config::IpVersion;

TEST_CASE("names and aliases of each line, case-insensitive, the first line for a name winning") {
  const HostsTable t = HostsTable::parse(
      "# comment\n"
      "127.0.0.1\tlocalhost\n"
      "192.0.2.10 shop.example   www.shop.example # the shop\n"
      "192.0.2.11 shop.example\n"
      "2001:db8::10 shop.example\n"
      "not-an-address broken.example\n"
      "\n"
      "  192.0.2.12 Edge.Example\r\n");
  CHECK(t.find("shop.example", IpVersion::any) == "192.0.2.10");
  CHECK(t.find("WWW.shop.example", IpVersion::v4) == "192.0.2.10");
  CHECK(t.find("shop.example", IpVersion::v6) == "2001:db8::10");
  CHECK(t.find("shop.example.", IpVersion::v4) == "192.0.2.10");
  CHECK(t.find("edge.example", IpVersion::any) == "192.0.2.12");
  CHECK(t.find("www.shop.example", IpVersion::v6) == "");  // not in the file: DNS decides
  CHECK(t.find("broken.example", IpVersion::any) == "");
  CHECK(t.find("the", IpVersion::any) == "");  // a comment is no name
}

TEST_CASE("localhost is loopback even when the file lacks it or its IPv6 line (RFC 6761)") {
  const HostsTable empty;
  CHECK(empty.find("localhost", IpVersion::any) == "127.0.0.1");
  CHECK(empty.find("localhost", IpVersion::v6) == "::1");
  CHECK(empty.find("api.localhost", IpVersion::v4) == "127.0.0.1");
  CHECK(empty.find("LOCALHOST.", IpVersion::v4) == "127.0.0.1");
  CHECK(empty.find("notlocalhost", IpVersion::v4) == "");
  const HostsTable v4_only = HostsTable::parse("127.0.0.1 localhost\n");
  CHECK(v4_only.find("localhost", IpVersion::v6) == "::1");
}

TEST_CASE("a file that cannot be read is an empty table") {
  CHECK(HostsTable::read_file("/nonexistent/hosts").size() == 0);
}
