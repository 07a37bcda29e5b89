// Flows end to end: config text -> loader -> engine -> a test shop on 127.0.0.1. Extraction of every
// kind and its failure, escaping of extracted values, middle-step failure with an `always` clean-up,
// cookie jars that never leak between concurrent runs, and expectations on what an earlier step extracted.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <boost/url.hpp>

#include <atomic>
#include <memory>

#include "config/config_loader.h"
#include "probe/engine/run_once.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::testing;

namespace {

const std::string kTricky = "a&b \"c\"=d é/?";

std::string form_value(const std::string& body, const std::string& key) {
  boost::urls::url u("http://x/?" + body);
  // Forms encode spaces as '+'; decode them before percent-decoding.
  for (auto p : u.params()) {
    if (p.key == key) {
      std::string v = p.value;
      return v;
    }
  }
  return "<missing>";
}

TestServer::Handler shop() {
  auto counter = std::make_shared<std::atomic<int>>(0);
  return [counter](const TestRequest& req) {
    TestResponse r;
    const std::string path = req.target.substr(0, req.target.find('?'));
    if (path == "/login") {
      const std::string sid = "s" + std::to_string(++*counter);
      r.headers = {{"Set-Cookie", "session=" + sid + "; Path=/"}, {"X-Session", sid}, {"Content-Type", "application/json"}};
      r.body = boost::json::serialize(boost::json::object{{"tricky", kTricky}, {"n", 42}, {"cart", {{"id", "c-" + sid}}}});
    } else if (path == "/whoami") {
      // 200 only when the cookie the client sends is the session the query says it should have.
      const std::string cookie = req.header("cookie");
      const std::string want = req.target.substr(req.target.find("sid=") + 4);
      r.status = cookie == "session=" + want ? 200 : 409;
      r.body = cookie;
    } else if (path == "/echo") {
      // Checks that every encoding decodes back to the original value.
      boost::urls::url_view u(req.target);
      std::string q;
      for (auto p : u.params())
        if (p.key == "q") q = p.value;
      const auto body = boost::json::parse(req.body.substr(0, req.body.find('\n')));
      const auto* x = body.at("x").if_string();
      const bool json_ok = x && *x == kTricky;
      const bool query_ok = q == kTricky;
      r.status = json_ok && query_ok ? 200 : 422;
      r.body = "json=" + std::to_string(json_ok) + " query=" + std::to_string(query_ok);
    } else if (path == "/form") {
      r.status = form_value(req.body, "f") == kTricky ? 200 : 422;
    } else if (path == "/fail") {
      r.status = 503;
    } else if (path == "/evil") {
      // A value that would end its header line and start one of the target's choosing.
      r.headers = {{"Content-Type", "application/json"}};
      r.body = boost::json::serialize(boost::json::object{{"token", "t1\r\nX-Injected: yes"}});
    } else if (path == "/cleanup") {
      r.status = 204;
    } else {
      r.status = 404;
    }
    return r;
  };
}

std::vector<RunResult> run_config(const std::string& text, std::size_t copies = 1) {
  config::LoadResult loaded = config::load_config_string(text, "/tmp/flow_test.toml");
  for (const auto& e : loaded.errors) FAIL_CHECK(e.to_string());
  REQUIRE(loaded.config);
  std::vector<std::shared_ptr<const config::Check>> checks;
  for (std::size_t i = 0; i < copies; ++i)
    for (const auto& c : loaded.config->checks) checks.push_back(std::make_shared<const config::Check>(c));
  return run_once(checks, 1000);
}

std::string site(const TestServer& server) {
  return "[[site]]\nname = \"shop\"\nvars = { base = \"" + server.url("") + "\" }\n";
}

}  // namespace

TEST_CASE("every extraction kind feeds later steps") {
  TestServer server(shop());
  auto results = run_config(site(server) + R"TOML(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "login"
url = "${base}/login"
extract = { sid = { header = "X-Session" }, cookie_sid = { cookie = "session" }, cart = { json = "/cart/id" }, n = { json = "/n" }, rx = { regex = '"id":"(c-[a-z0-9]+)"' } }
[[flow.step]]
name = "whoami"
url = "${base}/whoami?x=${cart}&n=${n}&r=${rx}&c=${cookie_sid}&sid=${sid}"
)TOML");
  REQUIRE(results.size() == 1);
  const RunResult& r = results[0];
  CHECK_MESSAGE(r.success, r.message);
  CHECK(r.steps.at(1).status_code == 200);
}

TEST_CASE("a missing value fails the run with reason extraction, naming the variable and the step") {
  TestServer server(shop());
  for (const std::string extract : {R"(v = { header = "X-Nope" })", R"(v = { cookie = "nope" })",
                                    R"(v = { json = "/nope" })", R"(v = { regex = 'nope=([0-9]+)' })"}) {
    CAPTURE(extract);
    auto results = run_config(site(server) + R"TOML(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "login"
url = "${base}/login"
extract = { )TOML" + extract + R"TOML( }
[[flow.step]]
name = "use"
url = "${base}/whoami?sid=${v}"
)TOML");
    const RunResult& r = results.at(0);
    CHECK(r.reason == Reason::extraction);
    CHECK(r.failed_step == std::optional<std::string>("login"));
    CHECK(r.message.find("step login: cannot extract v") == 0);
    CHECK_FALSE(r.steps.at(1).success.has_value());  // not run
  }
}

TEST_CASE("extracted values are escaped for where they land: query, JSON body, form") {
  TestServer server(shop());
  auto results = run_config(site(server) + R"TOML(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "login"
url = "${base}/login"
extract = { t = { json = "/tricky" } }
[[flow.step]]
name = "echo"
method = "POST"
url = "${base}/echo?q=${t}"
json = '{"x":"${t}"}'
[[flow.step]]
name = "form"
method = "POST"
url = "${base}/form"
form = { f = "${t}" }
)TOML");
  const RunResult& r = results.at(0);
  CHECK_MESSAGE(r.success, r.message);
}

TEST_CASE("an extracted value with a line break is not sent in a header: the step fails with reason extraction") {
  std::atomic<int> injected{0}, whoami{0};
  auto inner = shop();
  TestServer server([&](const TestRequest& req) {
    if (!req.header("x-injected").empty()) ++injected;
    if (req.target.starts_with("/whoami")) ++whoami;
    return inner(req);
  });
  auto results = run_config(site(server) + R"TOML(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "token"
url = "${base}/evil"
extract = { t = { json = "/token" } }
[[flow.step]]
name = "use"
url = "${base}/whoami?sid=x"
headers = { X-Token = "${t}" }
[[flow.step]]
name = "cleanup"
url = "${base}/cleanup"
always = true
)TOML");
  const RunResult& r = results.at(0);
  CHECK_FALSE(r.success);
  CHECK(r.reason == Reason::extraction);
  CHECK(r.failed_step == std::optional<std::string>("use"));
  CHECK(r.message ==
        "step use: header X-Token: the value from this run's variables holds a line break (CR or LF) or a NUL; not sent");
  CHECK(r.steps.at(2).success == std::optional<bool>(true));  // the clean-up still runs
  CHECK(whoami == 0);
  CHECK(injected == 0);
}

TEST_CASE("a failing middle step: later steps not run, the always step runs, the verdict names the step") {
  TestServer server(shop());
  auto results = run_config(site(server) + R"TOML(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "login"
url = "${base}/login"
[[flow.step]]
name = "pay"
url = "${base}/fail"
[[flow.step]]
name = "confirm"
url = "${base}/login"
[[flow.step]]
name = "cleanup"
method = "DELETE"
url = "${base}/cleanup"
always = true
)TOML");
  const RunResult& r = results.at(0);
  CHECK_FALSE(r.success);
  CHECK(r.reason == Reason::status);
  CHECK(r.failed_step == std::optional<std::string>("pay"));
  CHECK(r.steps.at(0).success == std::optional<bool>(true));
  CHECK(r.steps.at(1).success == std::optional<bool>(false));
  CHECK_FALSE(r.steps.at(2).success.has_value());
  CHECK(r.steps.at(3).success == std::optional<bool>(true));
  CHECK(r.status_code == 204);
}

TEST_CASE("100 concurrent runs of one flow keep their own cookie jars") {
  TestServer server(shop());
  auto results = run_config(site(server) + R"TOML(
[[flow]]
name = "session"
site = "shop"
timeout = "20s"
interval = "30s"
[[flow.step]]
name = "login"
url = "${base}/login"
extract = { sid = { header = "X-Session" } }
[[flow.step]]
name = "whoami"
url = "${base}/whoami?sid=${sid}"
[[flow.step]]
name = "again"
url = "${base}/whoami?sid=${sid}"
)TOML",
                            100);
  REQUIRE(results.size() == 100);
  int passed = 0;
  for (const auto& r : results) {
    CHECK_MESSAGE(r.success, r.message);
    passed += r.success;
  }
  CHECK(passed == 100);
  // And a run starts with an empty jar: no cookie from an earlier run of the same flow.
  TestServer fresh(shop());
  auto first = run_config(site(fresh) + R"TOML(
[[flow]]
name = "nocookie"
site = "shop"
[[flow.step]]
name = "whoami"
url = "${base}/whoami?sid="
expect = { status = [409] }
)TOML",
                          3);
  for (const auto& r : first) CHECK_MESSAGE(r.success, r.message);
}

TEST_CASE("undefined variables are config errors at load, with line and column") {
  config::LoadResult loaded = config::load_config_string(R"TOML([[site]]
name = "shop"
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "a"
url = "http://127.0.0.1/${later}"
[[flow.step]]
name = "b"
url = "http://127.0.0.1/"
extract = { later = { header = "X" } }
)TOML",
                                                          "/tmp/f.toml");
  REQUIRE(loaded.errors.size() == 1);
  CHECK(loaded.errors[0].line == 8);
  CHECK(loaded.errors[0].message.find("undefined variable ${later}") != std::string::npos);
}

namespace {

// An order API: POST /orders creates `created`; GET /orders/latest confirms `confirmed` (in its JSON, its
// note and its X-Order-Code header). A healthy shop confirms what it created.
TestServer::Handler orders(std::string created, std::string confirmed) {
  return [created, confirmed](const TestRequest& req) {
    TestResponse r;
    r.headers = {{"Content-Type", "application/json"}};
    if (req.method == "POST" && req.target == "/orders") {
      r.status = 201;
      r.body = boost::json::serialize(boost::json::object{{"code", created}});
    } else if (req.target == "/orders/latest") {
      r.headers.emplace_back("X-Order-Code", confirmed);
      boost::json::object order{{"code", confirmed}, {"note", "order " + confirmed + " confirmed"}};
      r.body = boost::json::serialize(boost::json::object{{"data", boost::json::object{{"orderByCode", order}}}});
    } else {
      r.status = 404;
    }
    return r;
  };
}

// A flow that creates an order, extracts its code, and asserts it in the next step with `expect`.
std::string order_flow(const TestServer& server, const std::string& expect) {
  return site(server) + R"TOML(
[[flow]]
name = "order"
site = "shop"
[[flow.step]]
name = "create"
method = "POST"
url = "${base}/orders"
extract = { code = { json = "/code" } }
[[flow.step]]
name = "confirm"
url = "${base}/orders/latest"
[flow.step.expect]
)TOML" + expect + "\n";
}

}  // namespace

TEST_CASE("a later step asserts what an earlier one extracted: json, body_contains, header, body_regex") {
  // The second code is full of regex operators: inserted into a pattern, it still matches only itself.
  for (const std::string code : {"KRD2WQX1G4S3Y8LH", "a.b(c)+[x]*"}) {
    CAPTURE(code);
    TestServer server(orders(code, code));
    const RunResult r = run_config(order_flow(server, R"TOML(
json = { "/data/orderByCode/code" = "${code}" }
body_contains = ["order ${code} confirmed"]
body_not_contains = ["order ${code} cancelled"]
headers = { x-order-code = "^${code}$" }
body_regex = ['"note":"order ${code} confirmed"'])TOML")).at(0);
    CHECK_MESSAGE(r.success, r.message);
    CHECK(r.steps.at(1).success == std::optional<bool>(true));
  }
}

TEST_CASE("a different value fails the step, and the message shows the expected value rendered") {
  TestServer server(orders("KRD2WQX1G4S3Y8LH", "KRD2WQX1G4S3Y8LX"));
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"(json = { "/data/orderByCode/code" = "${code}" })",
       R"(JSON /data/orderByCode/code is "KRD2WQX1G4S3Y8LX", expected "KRD2WQX1G4S3Y8LH")"},
      {R"(body_contains = ["order ${code} confirmed"])", R"(body does not contain "order KRD2WQX1G4S3Y8LH confirmed")"},
      {R"(headers = { x-order-code = "^${code}$" })",
       R"(header x-order-code "KRD2WQX1G4S3Y8LX" does not match /^KRD2WQX1G4S3Y8LH$/)"},
      {R"(body_regex = ['order ${code} confirmed'])", "body does not match /order KRD2WQX1G4S3Y8LH confirmed/"},
  };
  for (const auto& [expect, message] : cases) {
    CAPTURE(expect);
    const RunResult r = run_config(order_flow(server, expect)).at(0);
    CHECK_FALSE(r.success);
    CHECK(r.reason == Reason::assertion);
    CHECK(r.failed_step == std::optional<std::string>("confirm"));
    CHECK(r.message == "step confirm: " + message);
  }
}

TEST_CASE("an inserted value is matched literally: its regex operators do not widen the pattern") {
  // As a regex, a.b+ would match aXbb; inserted, it matches only "a.b+".
  TestServer server(orders("a.b+", "aXbb"));
  const RunResult regex = run_config(order_flow(server, "body_regex = ['order ${code} confirmed']")).at(0);
  CHECK_FALSE(regex.success);
  CHECK(regex.message == R"(step confirm: body does not match /order a\.b\+ confirmed/)");
  const RunResult header = run_config(order_flow(server, R"(headers = { x-order-code = "^${code}$" })")).at(0);
  CHECK_FALSE(header.success);
  CHECK(header.message == R"(step confirm: header x-order-code "aXbb" does not match /^a\.b\+$/)");
}

TEST_CASE("an expectation may only use what an earlier step extracts: a config error at load") {
  config::LoadResult loaded = config::load_config_string(R"TOML([[site]]
name = "shop"
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "create"
url = "http://127.0.0.1/orders"
expect = { body_contains = ["${code}"] }
extract = { code = { json = "/code" } }
[[flow.step]]
name = "confirm"
url = "http://127.0.0.1/orders/latest"
expect = { json = { "/code" = "${code}", "/ref" = "${ref}" } }
)TOML",
                                                          "/tmp/f.toml");
  REQUIRE(loaded.errors.size() == 2);
  CHECK(loaded.errors[0].to_string() ==
        "/tmp/f.toml:9:30: undefined variable ${code} (not a site var and not extracted by an earlier step)");
  CHECK(loaded.errors[1].to_string() ==
        "/tmp/f.toml:14:52: undefined variable ${ref} (not a site var and not extracted by an earlier step)");
}
