// Many checks at once on one event loop, each with its own correct result.
#include <doctest/doctest.h>

#include "tests/support/check_builder.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::testing;

TEST_CASE("1,000 concurrent checks on one event loop, each judged on its own response") {
  // The path says what to answer, so every check knows its expected outcome.
  TestServer server([](const TestRequest& req) {
    TestResponse r;
    const int n = std::stoi(req.target.substr(1));
    r.status = n % 3 == 0 ? 503 : 200;
    r.body = "page " + std::to_string(n);
    r.delay = std::chrono::milliseconds(n % 7 == 0 ? 50 : 0);
    return r;
  });
  constexpr int kChecks = 1000;
  std::vector<std::shared_ptr<const config::Check>> checks;
  for (int i = 0; i < kChecks; ++i) {
    auto c = make_check(server.url("/" + std::to_string(i)), "c" + std::to_string(i));
    c.settings.timeout = std::chrono::seconds(60);
    c.settings.expect.body_contains = {config::TemplateString::literal("page " + std::to_string(i))};
    checks.push_back(finish(std::move(c)));
  }
  std::vector<RunResult> results = run_once(checks, kChecks);
  REQUIRE(results.size() == kChecks);
  int passed = 0;
  for (int i = 0; i < kChecks; ++i) {
    const RunResult& r = results[i];
    CHECK(r.name == "c" + std::to_string(i));
    if (i % 3 == 0) {
      CHECK(r.reason == Reason::status);
      CHECK(r.status_code == 503);
    } else {
      CHECK(r.success);
      passed += r.success;
    }
  }
  CHECK(passed == kChecks - (kChecks + 2) / 3);
  CHECK(server.requests() == kChecks);
}

TEST_CASE("max_in_flight caps concurrency and still runs every check") {
  TestServer server([](const TestRequest&) {
    TestResponse r;
    r.delay = std::chrono::milliseconds(20);
    return r;
  });
  std::vector<std::shared_ptr<const config::Check>> checks;
  for (int i = 0; i < 50; ++i) checks.push_back(finish(make_check(server.url("/"), "c" + std::to_string(i))));
  std::vector<RunResult> results = run_once(checks, 4);
  for (const auto& r : results) CHECK(r.success);
  CHECK(server.requests() == 50);
}
