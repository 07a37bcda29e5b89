#include <doctest/doctest.h>

#include <vector>

#include "config/status_matcher.h"

using synthprobe::config::StatusMatcher;

TEST_CASE("status classes match their hundred") {
  auto c2 = StatusMatcher::from_class("2xx");
  REQUIRE(c2);
  CHECK(c2->matches(200));
  CHECK(c2->matches(299));
  CHECK_FALSE(c2->matches(300));
  CHECK_FALSE(c2->matches(199));
  CHECK(StatusMatcher::from_class("5XX")->matches(503));
  CHECK(StatusMatcher::from_class("5XX")->text == "5xx");
}

TEST_CASE("malformed classes and out-of-range codes are refused") {
  CHECK_FALSE(StatusMatcher::from_class("6xx"));
  CHECK_FALSE(StatusMatcher::from_class("2x"));
  CHECK_FALSE(StatusMatcher::from_class("20x"));
  CHECK_FALSE(StatusMatcher::from_class("ok"));
  CHECK_FALSE(StatusMatcher::from_code(99));
  CHECK_FALSE(StatusMatcher::from_code(600));
}

TEST_CASE("exact codes, any_matches and describe") {
  std::vector<StatusMatcher> ms{*StatusMatcher::from_class("2xx"), *StatusMatcher::from_code(304)};
  CHECK(synthprobe::config::any_matches(ms, 204));
  CHECK(synthprobe::config::any_matches(ms, 304));
  CHECK_FALSE(synthprobe::config::any_matches(ms, 301));
  CHECK(synthprobe::config::describe(ms) == "[2xx, 304]");
}
