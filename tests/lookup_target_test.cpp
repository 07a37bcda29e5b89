// Which host a request needs looked up before curl connects.
#include <doctest/doctest.h>

#include "probe/engine/lookup_target.h"

using namespace synthprobe;

TEST_CASE("a host name with its port, or its scheme's") {
  auto t = lookup_target("http://shop.test:8080/x?y", {}, false);
  REQUIRE(t);
  CHECK(t->host == "shop.test");
  CHECK(t->port == 8080);
  t = lookup_target("https://shop.test/", {}, false);
  REQUIRE(t);
  CHECK(t->port == 443);
  t = lookup_target("HTTP://Shop.Test/", {}, false);
  REQUIRE(t);
  CHECK(t->host == "Shop.Test");
  CHECK(t->port == 80);
}

TEST_CASE("nothing to look up: IP literals, a proxy, a pin for the host and port, a URL that does not parse") {
  CHECK_FALSE(lookup_target("http://127.0.0.1:8080/", {}, false));
  CHECK_FALSE(lookup_target("http://[::1]:8080/", {}, false));
  CHECK_FALSE(lookup_target("http://shop.test/", {}, true));
  CHECK_FALSE(lookup_target("http://shop.test:8080/", {"shop.test:8080:192.0.2.1"}, false));
  CHECK_FALSE(lookup_target("https://SHOP.test/", {"shop.test:443:[2001:db8::1]"}, false));
  CHECK_FALSE(lookup_target("not a url", {}, false));
}

TEST_CASE("a pin for another port or host does not cover the URL") {
  CHECK(lookup_target("http://shop.test:8080/", {"shop.test:80:192.0.2.1"}, false));
  CHECK(lookup_target("http://shop.test:8080/", {"shop.test.evil:8080:192.0.2.1"}, false));
  CHECK(lookup_target("http://shop.test:8080/", {"cdn.test:8080:192.0.2.1"}, false));
}
