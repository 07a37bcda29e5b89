// Which host a request needs looked up before curl connects.
#include <doctest/doctest.h>

#include "config/config_loader.h"
#include "config/lookup_target.h"

using namespace synthprobe;
using namespace synthprobe::config;

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

TEST_CASE("a constant URL's lookup, kept as offsets, is the same lookup, also after its string moved") {
  const std::vector<std::string> pins{"pinned.test:80:192.0.2.1"};
  for (const std::string url : {"http://shop.test:8080/x?y", "https://shop.test/", "http://a.b/", "http://127.0.0.1:80/",
                                "http://pinned.test/", "http://pinned.test:81/", "not a url"}) {
    const ConstantLookup kept = constant_lookup(url, pins, false);
    std::string moved = url;  // a short string's characters move with it: a view would dangle
    const std::string holder = std::move(moved);
    const auto from_kept = lookup_in(kept, holder);
    const auto per_run = lookup_target(holder, pins, false);
    CAPTURE(url);
    REQUIRE(from_kept.has_value() == per_run.has_value());
    if (!per_run) continue;
    CHECK(from_kept->host == per_run->host);
    CHECK(from_kept->host.data() >= holder.data());
    CHECK(from_kept->host.data() + from_kept->host.size() <= holder.data() + holder.size());
    CHECK(from_kept->port == per_run->port);
    CHECK(kept.made_from(holder));
    CHECK_FALSE(kept.made_from(holder + "/more"));  // a URL changed since: worked out anew
  }
  CHECK_FALSE(constant_lookup("http://shop.test/", {}, true).needed);  // through a proxy
}

TEST_CASE("the loader works a constant URL's lookup out once; a templated URL's is left to each run") {
  const auto loaded = load_config_string(
      "[[check]]\nname = \"by-name\"\nurl = \"http://shop.test:8080/\"\n"
      "[[check]]\nname = \"by-ip\"\nurl = \"http://127.0.0.1:8080/\"\n"
      "[[check]]\nname = \"pinned\"\nurl = \"http://shop.test:8080/\"\nresolve = { \"shop.test:8080\" = \"127.0.0.1\" }\n"
      "[[check]]\nname = \"proxied\"\nurl = \"http://shop.test:8080/\"\nproxy_url = \"http://127.0.0.1:3128\"\n"
      "[[check]]\nname = \"templated\"\nurl = \"http://shop.test:8080/?t=${unix_ms}\"\n",
      "t.toml");
  for (const auto& e : loaded.errors) MESSAGE(e.to_string());
  REQUIRE(loaded.errors.empty());
  const auto lookup_of = [&](const std::string& name) -> const std::optional<ConstantLookup>& {
    for (const Check& c : loaded.config->checks)
      if (c.name == name) return c.steps.at(0).request.constant_lookup;
    FAIL("no check " << name);
    throw 0;
  };
  const auto& by_name = lookup_of("by-name");
  REQUIRE(by_name);
  const auto target = lookup_in(*by_name, "http://shop.test:8080/");
  REQUIRE(target);
  CHECK(target->host == "shop.test");
  CHECK(target->port == 8080);
  for (const char* none : {"by-ip", "pinned", "proxied"}) {
    CAPTURE(none);
    REQUIRE(lookup_of(none));
    CHECK_FALSE(lookup_of(none)->needed);
  }
  CHECK_FALSE(lookup_of("templated"));
}
