// Where a redirect goes, and when a header carrying a secret must not go with it. Pure logic, no sockets.
#include <doctest/doctest.h>

#include "probe/engine/redirect_guard.h"

using namespace synthprobe;

namespace {

config::RequestSettings with_headers(std::initializer_list<std::pair<const char*, bool>> headers) {
  config::RequestSettings s;
  for (const auto& [name, secret] : headers) s.headers.push_back({name, config::TemplateString::literal("v"), secret});
  return s;
}

}  // namespace

TEST_CASE("a Location is resolved against the URL that answered") {
  CHECK(resolve_location("https://shop.example.com/a/b", "/login") == "https://shop.example.com/login");
  CHECK(resolve_location("https://shop.example.com/a/b", "c?x=1") == "https://shop.example.com/a/c?x=1");
  CHECK(resolve_location("https://shop.example.com/", "//cdn.example.com/x") == "https://cdn.example.com/x");
  CHECK(resolve_location("https://shop.example.com/", " http://other.example/ ") == "http://other.example/");
  CHECK_FALSE(resolve_location("https://shop.example.com/", "http://bad host/").has_value());
}

TEST_CASE("same origin: scheme, host and port, default ports spelled or not") {
  CHECK(same_origin("https://Shop.Example.com/a", "https://shop.example.com:443/b"));
  CHECK(same_origin("http://127.0.0.1:8080/", "http://127.0.0.1:8080/x"));
  CHECK_FALSE(same_origin("https://shop.example.com/", "http://shop.example.com/"));
  CHECK_FALSE(same_origin("http://127.0.0.1:8080/", "http://127.0.0.1:8081/"));
  CHECK_FALSE(same_origin("https://shop.example.com/", "https://evil.example.com/"));
  CHECK(is_http_url("HTTPS://x/"));
  CHECK_FALSE(is_http_url("ftp://x/"));
}

TEST_CASE("a redirect to another origin is refused only while a header curl keeps carries a secret") {
  const std::string from = "https://api.example.com/v1";
  const auto secret = with_headers({{"User-Agent", false}, {"X-Api-Key", true}, {"X-Tenant", true}});
  CHECK_FALSE(refuse_redirect(secret, from, "/v2").has_value());
  CHECK(refuse_redirect(secret, from, "http://api.example.com/v2") ==
        "redirect to http://api.example.com/v2 would carry secret headers (X-Api-Key, X-Tenant); set "
        "follow_redirects_with_secrets = true to allow");
  CHECK(refuse_redirect(secret, from, "http://bad host/").has_value());  // cannot show it stays here

  CHECK_FALSE(refuse_redirect(with_headers({{"X-Plain", false}}), from, "https://other.example/").has_value());
  // curl drops these two on a redirect to another origin itself.
  CHECK_FALSE(refuse_redirect(with_headers({{"authorization", true}, {"Cookie", true}}), from, "https://other.example/")
                  .has_value());
  auto opted_in = secret;
  opted_in.follow_redirects_with_secrets = true;
  CHECK_FALSE(refuse_redirect(opted_in, from, "https://other.example/").has_value());
}

TEST_CASE("long URLs are shortened for messages") {
  const std::string url = "https://x.example/" + std::string(500, 'a');
  CHECK(quote_url(url).size() == 203);
  CHECK(quote_url("https://x.example/") == "https://x.example/");
}
